"""Schedules in Asia/Dhaka time (UTC+6, no daylight saving): five-field cron expressions
(minute hour day-of-month month day-of-week) and one-off times. Pure functions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from croniter import croniter

DHAKA = ZoneInfo("Asia/Dhaka")
TIMEZONE = "Asia/Dhaka"


def valid(expression: str) -> bool:
    """A five-field cron expression croniter understands."""
    return len(expression.split()) == 5 and croniter.is_valid(expression)


def next_after(expression: str, after: dt.datetime) -> dt.datetime:
    """The first due time strictly after ``after``, read in Dhaka time, returned in UTC."""
    if after.tzinfo is None:
        raise ValueError("naive datetime")
    local = after.astimezone(DHAKA)
    due: dt.datetime = croniter(expression, local).get_next(dt.datetime)
    return due.astimezone(dt.UTC)


def upcoming(expression: str, after: dt.datetime, count: int) -> Iterator[dt.datetime]:
    moment = after
    for _ in range(count):
        moment = next_after(expression, moment)
        yield moment
