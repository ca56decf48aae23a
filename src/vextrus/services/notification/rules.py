"""Delivery rules as pure functions (tested with tables of cases): quiet hours in Asia/Dhaka,
the daily digest's time, and the exponential backoff between attempts."""

from __future__ import annotations

import datetime as dt
import re

from vextrus.bd.clock import DHAKA

HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(value: str) -> dt.time:
    match = HHMM.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not a time of day HH:MM (00:00 to 23:59)")
    return dt.time(int(match.group(1)), int(match.group(2)))


def quiet_until(moment: dt.datetime, start: dt.time | None, end: dt.time | None) -> dt.datetime | None:
    """When ``moment`` falls in the quiet hours ``[start, end)`` (Asia/Dhaka wall clock, possibly
    across midnight: 22:00–07:00), the end of those quiet hours (UTC); else None. Equal start and
    end mean no quiet hours."""
    if start is None or end is None or start == end:
        return None
    local = moment.astimezone(DHAKA)
    now = local.time().replace(tzinfo=None)
    day = local.date()
    if start < end:  # same day: 13:00–15:00
        if start <= now < end:
            return dt.datetime.combine(day, end, DHAKA).astimezone(dt.UTC)
        return None
    # across midnight: quiet from start until midnight, and from midnight until end
    if now >= start:
        return dt.datetime.combine(day + dt.timedelta(days=1), end, DHAKA).astimezone(dt.UTC)
    if now < end:
        return dt.datetime.combine(day, end, DHAKA).astimezone(dt.UTC)
    return None


def next_digest_at(moment: dt.datetime, hour: int) -> dt.datetime:
    """The next daily digest at ``hour``:00 Asia/Dhaka strictly after ``moment`` (UTC)."""
    local = moment.astimezone(DHAKA)
    candidate = dt.datetime.combine(local.date(), dt.time(hour), DHAKA)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    return candidate.astimezone(dt.UTC)


def backoff_seconds(attempt: int, base: float, cap: float) -> float:
    """Wait after failed attempt number ``attempt`` (1-based): base, 2·base, 4·base … capped."""
    if attempt < 1:
        return 0.0
    return float(min(cap, base * (2 ** (attempt - 1))))


def send_not_before(
    moment: dt.datetime, *, urgent: bool, channel: str, start: dt.time | None, end: dt.time | None
) -> dt.datetime | None:
    """When a message may go out: None for at once; the end of the quiet hours for e-mail and SMS
    in them (in-app notifications are silent, urgent ones such as password resets never wait)."""
    if urgent or channel == "in_app":
        return None
    return quiet_until(moment, start, end)
