"""Asia/Dhaka time helpers: UTC+6, dates by Dhaka's clock, naive datetimes refused."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vextrus.bd import DHAKA, dhaka_date, dhaka_datetime, dhaka_day_bounds, now_dhaka, to_dhaka, to_utc, today_dhaka


@pytest.mark.parametrize(
    ("utc", "local_date", "local_hour"),
    [
        (dt.datetime(2025, 6, 30, 17, 59, tzinfo=dt.UTC), dt.date(2025, 6, 30), 23),
        (dt.datetime(2025, 6, 30, 18, 0, tzinfo=dt.UTC), dt.date(2025, 7, 1), 0),
        (dt.datetime(2025, 12, 31, 20, 0, tzinfo=dt.UTC), dt.date(2026, 1, 1), 2),
    ],
)
def test_dhaka_is_utc_plus_six(utc: dt.datetime, local_date: dt.date, local_hour: int) -> None:
    local = to_dhaka(utc)
    assert local.utcoffset() == dt.timedelta(hours=6)
    assert (dhaka_date(utc), local.hour) == (local_date, local_hour)
    assert to_utc(local) == utc


def test_day_bounds() -> None:
    start, end = dhaka_day_bounds(dt.date(2025, 7, 1))
    assert start == dt.datetime(2025, 6, 30, 18, 0, tzinfo=dt.UTC)
    assert end - start == dt.timedelta(days=1)
    assert dhaka_datetime(dt.date(2025, 7, 1), dt.time(9, 30)).isoformat() == "2025-07-01T09:30:00+06:00"


def test_naive_datetimes_are_refused() -> None:
    naive = dt.datetime(2025, 1, 1, 12, 0)
    for function in (to_dhaka, to_utc, dhaka_date):
        with pytest.raises(ValueError, match="naive"):
            function(naive)
    with pytest.raises(ValueError, match="wall-clock"):
        dhaka_datetime(dt.date(2025, 1, 1), dt.time(9, tzinfo=dt.UTC))


def test_now_and_today() -> None:
    assert now_dhaka().tzinfo is DHAKA
    assert today_dhaka() in {
        dhaka_date(dt.datetime.now(dt.UTC)),
        dhaka_date(dt.datetime.now(dt.UTC)) - dt.timedelta(days=1),
    }


@given(st.datetimes(min_value=dt.datetime(2010, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)))
def test_every_instant_falls_inside_its_dhaka_day(moment: dt.datetime) -> None:
    start, end = dhaka_day_bounds(dhaka_date(moment))
    assert start <= moment < end
