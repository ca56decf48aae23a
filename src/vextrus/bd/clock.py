"""Asia/Dhaka time: UTC+6 all year (no daylight saving since 2009's one-off).

Vextrus stores UTC; people, documents and fiscal rules see Dhaka time. Naive datetimes are
refused everywhere: a time without a zone is a bug waiting for a server in another zone.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

DHAKA = ZoneInfo("Asia/Dhaka")


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime given; pass a timezone-aware datetime")
    return moment


def now_dhaka() -> dt.datetime:
    """The current time in Dhaka (aware)."""
    return dt.datetime.now(DHAKA)


def today_dhaka() -> dt.date:
    """Today's date in Dhaka: what a Bangladeshi user calls "today" (may differ from UTC's)."""
    return now_dhaka().date()


def to_dhaka(moment: dt.datetime) -> dt.datetime:
    """The same instant on Dhaka's clock."""
    return _aware(moment).astimezone(DHAKA)


def to_utc(moment: dt.datetime) -> dt.datetime:
    """The same instant in UTC (how Vextrus stores it)."""
    return _aware(moment).astimezone(dt.UTC)


def dhaka_date(moment: dt.datetime) -> dt.date:
    """The calendar date in Dhaka at ``moment`` (e.g. 2025-06-30T20:00Z is 1 July in Dhaka)."""
    return to_dhaka(moment).date()


def dhaka_datetime(day: dt.date, time: dt.time = dt.time(0)) -> dt.datetime:
    """``day`` at ``time`` on Dhaka's clock, as an aware datetime in Dhaka."""
    if time.tzinfo is not None:
        raise ValueError("give a wall-clock time without a zone; it is read as Dhaka time")
    return dt.datetime.combine(day, time, tzinfo=DHAKA)


def dhaka_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants where Dhaka's ``day`` starts (inclusive) and ends (exclusive)."""
    start = dhaka_datetime(day)
    return start.astimezone(dt.UTC), (start + dt.timedelta(days=1)).astimezone(dt.UTC)
