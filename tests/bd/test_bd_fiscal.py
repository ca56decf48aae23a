"""Fiscal years (July-June by default): labels, bounds, quarters, fiscal months, periods."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vextrus.bd import FiscalYear, fiscal_year_of, parse_fiscal_year, to_bengali_digits

D = dt.date
days = st.dates(min_value=D(1901, 1, 1), max_value=D(9000, 12, 31))
start_months = st.integers(min_value=1, max_value=12)


@pytest.mark.parametrize(
    ("day", "label", "start", "end", "quarter", "month"),
    [
        (D(2025, 7, 1), "2025-26", D(2025, 7, 1), D(2026, 6, 30), 1, 1),
        (D(2025, 9, 30), "2025-26", D(2025, 7, 1), D(2026, 6, 30), 1, 3),
        (D(2025, 10, 1), "2025-26", D(2025, 7, 1), D(2026, 6, 30), 2, 4),
        (D(2025, 12, 31), "2025-26", D(2025, 7, 1), D(2026, 6, 30), 2, 6),
        (D(2026, 1, 1), "2025-26", D(2025, 7, 1), D(2026, 6, 30), 3, 7),
        (D(2026, 4, 15), "2025-26", D(2025, 7, 1), D(2026, 6, 30), 4, 10),
        (D(2026, 6, 30), "2025-26", D(2025, 7, 1), D(2026, 6, 30), 4, 12),
        (D(2025, 6, 30), "2024-25", D(2024, 7, 1), D(2025, 6, 30), 4, 12),
        (D(1999, 8, 1), "1999-00", D(1999, 7, 1), D(2000, 6, 30), 1, 2),
    ],
)
def test_bangladesh_fiscal_year(day, label, start, end, quarter, month) -> None:
    year = fiscal_year_of(day)
    assert (year.label, year.start, year.end) == (label, start, end)
    assert year.name == f"FY{label}"
    assert (year.quarter_of(day), year.fiscal_month_of(day)) == (quarter, month)


@pytest.mark.parametrize(
    ("day", "start_month", "label", "start", "end"),
    [
        (D(2025, 3, 10), 1, "2025", D(2025, 1, 1), D(2025, 12, 31)),
        (D(2025, 3, 10), 4, "2024-25", D(2024, 4, 1), D(2025, 3, 31)),
        (D(2025, 4, 1), 4, "2025-26", D(2025, 4, 1), D(2026, 3, 31)),
        (D(2024, 2, 29), 3, "2023-24", D(2023, 3, 1), D(2024, 2, 29)),
    ],
)
def test_configurable_start_month(day, start_month, label, start, end) -> None:
    year = fiscal_year_of(day, start_month)
    assert (year.label, year.start, year.end) == (label, start, end)
    assert parse_fiscal_year(label, start_month) == year


def test_periods_of_a_fiscal_year() -> None:
    periods = FiscalYear(2025).periods()
    assert [period.code for period in periods[:2]] == ["2025-26/P01", "2025-26/P02"]
    assert [(period.start, period.end) for period in (periods[0], periods[7], periods[11])] == [
        (D(2025, 7, 1), D(2025, 7, 31)),
        (D(2026, 2, 1), D(2026, 2, 28)),
        (D(2026, 6, 1), D(2026, 6, 30)),
    ]
    assert [period.label for period in periods[5:7]] == ["Dec 2025", "Jan 2026"]
    assert periods[0].label_bn == "জুলাই ২০২৫"
    assert [period.quarter for period in periods] == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]
    assert FiscalYear(2025).quarter_bounds(3) == (D(2026, 1, 1), D(2026, 3, 31))
    assert FiscalYear(2025).period(12).end == D(2026, 6, 30)


def test_an_instant_counts_by_its_dhaka_date() -> None:
    # 30 June 2025 20:00 UTC is 1 July 2025 02:00 in Dhaka: the new fiscal year.
    moment = dt.datetime(2025, 6, 30, 20, 0, tzinfo=dt.UTC)
    assert fiscal_year_of(moment).label == "2025-26"
    assert fiscal_year_of(moment.replace(hour=17)).label == "2024-25"
    with pytest.raises(ValueError, match="naive"):
        fiscal_year_of(dt.datetime(2025, 6, 30, 20, 0))


@pytest.mark.parametrize(
    ("text", "start_year"),
    [("2025-26", 2025), ("FY2025-26", 2025), ("fy 2025-2026", 2025), ("২০২৫-২৬", 2025), ("1999-00", 1999)],
)
def test_parse_labels(text: str, start_year: int) -> None:
    assert parse_fiscal_year(text) == FiscalYear(start_year)


@pytest.mark.parametrize("text", ["2025", "2025-27", "2025-2027", "25-26", "FY", "", "2025/26/27"])
def test_parse_refuses_bad_labels(text: str) -> None:
    with pytest.raises(ValueError):
        parse_fiscal_year(text)


def test_out_of_year_dates_and_bad_months_are_refused() -> None:
    with pytest.raises(ValueError, match="not in fiscal year"):
        FiscalYear(2025).quarter_of(D(2025, 6, 30))
    with pytest.raises(ValueError, match="start_month"):
        FiscalYear(2025, 13)
    with pytest.raises(ValueError, match="1-12"):
        FiscalYear(2025).period(0)


@given(days, start_months)
def test_every_day_is_in_exactly_its_fiscal_year(day: dt.date, start_month: int) -> None:
    year = fiscal_year_of(day, start_month)
    assert year.contains(day)
    assert not year.previous().contains(day)
    assert not year.next().contains(day)
    assert year.previous().end + dt.timedelta(days=1) == year.start
    month = year.fiscal_month_of(day)
    period = year.period(month)
    assert period.contains(day)
    assert year.quarter_of(day) == period.quarter == (month - 1) // 3 + 1


@given(days, start_months)
def test_periods_tile_the_year(day: dt.date, start_month: int) -> None:
    year = fiscal_year_of(day, start_month)
    periods = year.periods()
    assert periods[0].start == year.start
    assert periods[-1].end == year.end
    for before, after in itertools.pairwise(periods):
        assert before.end + dt.timedelta(days=1) == after.start
    assert sum((period.end - period.start).days + 1 for period in periods) == (year.end - year.start).days + 1


@given(st.integers(min_value=1900, max_value=9000), start_months, st.booleans())
def test_label_round_trips(start_year: int, start_month: int, bengali: bool) -> None:
    year = FiscalYear(start_year, start_month)
    label = to_bengali_digits(year.label) if bengali else year.label
    assert parse_fiscal_year(label, start_month) == year
    assert parse_fiscal_year(year.name, start_month) == year
