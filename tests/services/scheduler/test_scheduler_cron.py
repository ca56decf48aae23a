"""Due times in Asia/Dhaka (UTC+6, no daylight saving), by table."""

from __future__ import annotations

import datetime as dt

import pytest

from vextrus.services.scheduler import cron

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("expression", "after", "expected_utc"),
    [
        # VAT return reminder: 09:00 Dhaka on the 15th = 03:00 UTC
        ("0 9 15 * *", "2026-01-10T00:00:00+00:00", "2026-01-15T03:00:00+00:00"),
        ("0 9 15 * *", "2026-01-15T03:00:00+00:00", "2026-02-15T03:00:00+00:00"),  # strictly after
        ("0 9 15 * *", "2026-01-15T02:59:59+00:00", "2026-01-15T03:00:00+00:00"),
        # midnight in Dhaka is 18:00 UTC the day before
        ("0 0 1 * *", "2026-06-15T00:00:00+00:00", "2026-06-30T18:00:00+00:00"),
        # every five minutes
        ("*/5 * * * *", "2026-03-01T10:02:00+00:00", "2026-03-01T10:05:00+00:00"),
        # Sunday-Thursday working days at 10:00 Dhaka (Friday/Saturday weekend): Thu 1 Jan 2026 -> Sun 4 Jan
        ("0 10 * * 0-4", "2026-01-01T05:00:00+00:00", "2026-01-04T04:00:00+00:00"),
        # the last day of the fiscal year (30 June) at 23:30 Dhaka
        ("30 23 30 6 *", "2026-01-01T00:00:00+00:00", "2026-06-30T17:30:00+00:00"),
    ],
)
def test_next_due_time_is_read_in_dhaka(expression: str, after: str, expected_utc: str) -> None:
    due = cron.next_after(expression, at(after))
    assert due == at(expected_utc)
    assert due.tzinfo is not None
    assert due.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    ("expression", "valid"),
    [
        ("0 9 15 * *", True),
        ("*/5 * * * *", True),
        ("0 9 31 2 *", True),
        ("0 9 15 *", False),
        ("0 0 9 15 * *", False),
        ("61 * * * *", False),
        ("every day", False),
        ("", False),
    ],
)
def test_only_five_field_expressions_are_schedules(expression: str, valid: bool) -> None:
    assert cron.valid(expression) is valid


def test_upcoming_due_times_follow_each_other() -> None:
    times = list(cron.upcoming("0 9 15 * *", at("2026-01-01T00:00:00+00:00"), 3))
    assert [moment.astimezone(cron.DHAKA).strftime("%Y-%m-%d %H:%M") for moment in times] == [
        "2026-01-15 09:00",
        "2026-02-15 09:00",
        "2026-03-15 09:00",
    ]


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError):
        cron.next_after("* * * * *", dt.datetime(2026, 1, 1))
