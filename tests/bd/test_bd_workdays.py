"""Working weeks, the fixed-date national holidays and business-day arithmetic."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vextrus.bd import (
    DEFAULT_WORK_WEEK,
    SIX_DAY_WEEK,
    Holiday,
    HolidayCalendar,
    WorkWeek,
    add_business_days,
    business_days_between,
    fixed_holiday_calendar,
    fixed_national_holidays,
    is_business_day,
    next_business_day,
    previous_business_day,
    roll_forward,
)

D = dt.date
# 2025-12-16 (Victory Day) is a Tuesday; 2025-12-18 Thursday, 19 Friday, 20 Saturday, 21 Sunday.
HOLIDAYS_2025 = fixed_holiday_calendar([2025, 2026])


@pytest.mark.parametrize(
    ("day", "week", "holidays", "expected"),
    [
        (D(2025, 12, 18), DEFAULT_WORK_WEEK, HolidayCalendar(), True),
        (D(2025, 12, 19), DEFAULT_WORK_WEEK, HolidayCalendar(), False),
        (D(2025, 12, 20), DEFAULT_WORK_WEEK, HolidayCalendar(), False),
        (D(2025, 12, 20), SIX_DAY_WEEK, HolidayCalendar(), True),
        (D(2025, 12, 21), DEFAULT_WORK_WEEK, HolidayCalendar(), True),
        (D(2025, 12, 16), DEFAULT_WORK_WEEK, HolidayCalendar(), True),
        (D(2025, 12, 16), DEFAULT_WORK_WEEK, HOLIDAYS_2025, False),
        (D(2025, 12, 21), WorkWeek.from_names(["sat", "Sunday"]), HolidayCalendar(), False),
    ],
)
def test_is_business_day(day, week, holidays, expected) -> None:
    assert is_business_day(day, week, holidays) is expected


@pytest.mark.parametrize(
    ("start", "count", "week", "expected"),
    [
        (D(2025, 12, 18), 1, DEFAULT_WORK_WEEK, D(2025, 12, 21)),  # Thu + 1 -> Sun
        (D(2025, 12, 18), 1, SIX_DAY_WEEK, D(2025, 12, 20)),  # Thu + 1 -> Sat on site
        (D(2025, 12, 15), 1, DEFAULT_WORK_WEEK, D(2025, 12, 17)),  # Mon + 1 skips Victory Day
        (D(2025, 12, 14), 5, DEFAULT_WORK_WEEK, D(2025, 12, 22)),
        (D(2025, 12, 21), -1, DEFAULT_WORK_WEEK, D(2025, 12, 18)),
        (D(2025, 12, 17), -1, DEFAULT_WORK_WEEK, D(2025, 12, 15)),
        (D(2025, 12, 19), 0, DEFAULT_WORK_WEEK, D(2025, 12, 21)),  # 0 rolls a day off forward
        (D(2025, 12, 18), 0, DEFAULT_WORK_WEEK, D(2025, 12, 18)),
    ],
)
def test_add_business_days(start, count, week, expected) -> None:
    assert add_business_days(start, count, week, HOLIDAYS_2025) == expected


def test_next_previous_and_roll_forward() -> None:
    # A Mushak-9.1 return due on 15 February 2026... is a Sunday: stays. 21 Feb 2026 is a Saturday.
    assert roll_forward(D(2026, 2, 15), holidays=HOLIDAYS_2025) == D(2026, 2, 15)
    assert roll_forward(D(2026, 2, 20), holidays=HOLIDAYS_2025) == D(2026, 2, 22)
    assert next_business_day(D(2025, 12, 15), holidays=HOLIDAYS_2025) == D(2025, 12, 17)
    assert next_business_day(D(2025, 12, 15), holidays=HOLIDAYS_2025, inclusive=True) == D(2025, 12, 15)
    assert previous_business_day(D(2025, 12, 21)) == D(2025, 12, 18)
    assert previous_business_day(D(2025, 12, 21), inclusive=True) == D(2025, 12, 21)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2025, 12, 14), D(2025, 12, 14), 0),
        (D(2025, 12, 14), D(2025, 12, 21), 4),  # Mon, Tue(holiday), Wed, Thu, Sun -> 4 with the holiday
        (D(2025, 12, 21), D(2025, 12, 14), -4),
        (D(2025, 12, 1), D(2026, 1, 1), 21),
    ],
)
def test_business_days_between(start, end, expected) -> None:
    assert business_days_between(start, end, DEFAULT_WORK_WEEK, HOLIDAYS_2025) == expected


@pytest.mark.parametrize(
    ("year", "dates"),
    [
        (2023, ["02-21", "03-17", "03-26", "04-14", "05-01", "08-15", "12-16", "12-25"]),
        (2024, ["02-21", "03-17", "03-26", "04-14", "05-01", "12-16", "12-25"]),
        (2025, ["02-21", "03-26", "04-14", "05-01", "08-05", "12-16", "12-25"]),
        (2030, ["02-21", "03-26", "04-14", "05-01", "08-05", "12-16", "12-25"]),
    ],
)
def test_fixed_national_holidays_by_year(year: int, dates: list[str]) -> None:
    holidays = fixed_national_holidays(year)
    assert [holiday.date.strftime("%m-%d") for holiday in holidays] == dates
    assert all(holiday.date.year == year and holiday.name and holiday.name_bn for holiday in holidays)


def test_a_company_calendar_merges_its_own_days() -> None:
    eid = Holiday(D(2026, 3, 20), "Eid-ul-Fitr", "ঈদুল ফিতর", "religious")
    calendar = fixed_holiday_calendar([2026]).merged([eid])
    assert eid.date in calendar
    assert D(2026, 3, 26) in calendar
    assert calendar.get(eid.date) == eid
    assert [item.date for item in calendar][:3] == [D(2026, 2, 21), D(2026, 3, 20), D(2026, 3, 26)]


@pytest.mark.parametrize("names", [["fri", "funday"], []])
def test_work_week_names(names: list[str]) -> None:
    if names:
        with pytest.raises(ValueError, match="unknown weekday"):
            WorkWeek.from_names(names)
    else:
        assert WorkWeek.from_names(names).weekend == frozenset()


def test_a_week_without_working_days_is_refused() -> None:
    with pytest.raises(ValueError, match="working day"):
        WorkWeek(frozenset(range(7)))
    assert DEFAULT_WORK_WEEK.weekend_names == ("fri", "sat")


weeks = st.frozensets(st.integers(min_value=0, max_value=6), max_size=6).map(WorkWeek)
starts = st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31))
holiday_sets = st.lists(st.dates(min_value=D(2020, 1, 1), max_value=D(2031, 12, 31)), max_size=40).map(
    lambda days: HolidayCalendar.of(Holiday(day, "h", "ছুটি") for day in days)
)


@given(starts, st.integers(min_value=1, max_value=300), weeks, holiday_sets)
def test_counting_inverts_adding(start: dt.date, count: int, week: WorkWeek, holidays: HolidayCalendar) -> None:
    end = add_business_days(start, count, week, holidays)
    assert is_business_day(end, week, holidays)
    assert business_days_between(start, end, week, holidays) == count
    assert add_business_days(end, -count, week, holidays) <= start
    assert business_days_between(end, start, week, holidays) == -count


@given(starts, starts, weeks, holiday_sets)
def test_counting_matches_walking_day_by_day(start: dt.date, end: dt.date, week, holidays) -> None:
    low, high = min(start, end), max(start, end)
    walked = sum(
        1
        for offset in range(1, (high - low).days + 1)
        if is_business_day(low + dt.timedelta(days=offset), week, holidays)
    )
    assert business_days_between(low, high, week, holidays) == walked
