"""The delivery rules as tables of cases: quiet hours (Asia/Dhaka, across midnight), the digest's
time, the backoff."""

from __future__ import annotations

import datetime as dt

import pytest

from vextrus.services.notification.rules import (
    backoff_seconds,
    next_digest_at,
    parse_hhmm,
    quiet_until,
    send_not_before,
)

UTC = dt.UTC


def dhaka(text: str) -> dt.datetime:
    """``2025-11-20 23:30`` Dhaka wall clock as UTC (Dhaka is UTC+6, no daylight saving)."""
    return (dt.datetime.fromisoformat(text) - dt.timedelta(hours=6)).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "start", "end", "until"),
    [
        ("2025-11-20 23:30", "22:00", "07:00", "2025-11-21 07:00"),  # evening side of a night window
        ("2025-11-21 03:00", "22:00", "07:00", "2025-11-21 07:00"),  # after midnight
        ("2025-11-21 07:00", "22:00", "07:00", None),  # the end is not quiet
        ("2025-11-21 21:59", "22:00", "07:00", None),
        ("2025-11-21 22:00", "22:00", "07:00", "2025-11-22 07:00"),  # the start is quiet
        ("2025-11-21 13:30", "13:00", "14:30", "2025-11-21 14:30"),  # a same-day window (prayer, lunch)
        ("2025-11-21 15:00", "13:00", "14:30", None),
        ("2025-11-21 12:00", "09:00", "09:00", None),  # equal: no quiet hours
        ("2025-12-31 23:00", "22:00", "07:00", "2026-01-01 07:00"),  # across the new year
    ],
)
def test_quiet_hours(now: str, start: str, end: str, until: str | None) -> None:
    expected = dhaka(until) if until else None
    assert quiet_until(dhaka(now), parse_hhmm(start), parse_hhmm(end)) == expected


@pytest.mark.parametrize(
    ("channel", "urgent", "deferred"),
    [
        ("email", False, True),
        ("sms", False, True),
        ("in_app", False, False),
        ("email", True, False),
        ("sms", True, False),
    ],
)
def test_what_waits_for_the_end_of_quiet_hours(channel: str, urgent: bool, deferred: bool) -> None:
    result = send_not_before(
        dhaka("2025-11-20 23:30"), urgent=urgent, channel=channel, start=parse_hhmm("22:00"), end=parse_hhmm("07:00")
    )
    assert (result is not None) == deferred


@pytest.mark.parametrize(
    ("now", "hour", "expected"),
    [
        ("2025-11-20 09:00", 18, "2025-11-20 18:00"),
        ("2025-11-20 18:00", 18, "2025-11-21 18:00"),  # strictly after
        ("2025-11-20 23:59", 0, "2025-11-21 00:00"),
        ("2025-11-20 05:59", 6, "2025-11-20 06:00"),  # 00:00 UTC
    ],
)
def test_next_digest(now: str, hour: int, expected: str) -> None:
    assert next_digest_at(dhaka(now), hour) == dhaka(expected)


@pytest.mark.parametrize(
    ("attempt", "base", "cap", "seconds"),
    [(0, 30, 3600, 0), (1, 30, 3600, 30), (2, 30, 3600, 60), (3, 30, 3600, 120), (8, 30, 3600, 3600), (3, 0, 60, 0)],
)
def test_backoff_doubles_up_to_the_cap(attempt: int, base: float, cap: float, seconds: float) -> None:
    assert backoff_seconds(attempt, base, cap) == seconds


@pytest.mark.parametrize("text", ["24:00", "7:00", "07:60", "0700", ""])
def test_times_of_day_are_strict(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_hhmm(text)
