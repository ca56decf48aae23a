"""Fixed-date national public holidays of Bangladesh, as data by year.

Only holidays that fall on the same Gregorian date every year are here. Religious holidays (Eid,
Durga Puja, Ashura, Buddha Purnima, ...) follow the lunar or Bengali-Hindu calendars and are
announced by government order each year: a tenant adds them to its calendar as data. The set of
fixed holidays also changes by government order, so each rule carries the years it applies to:

- 17 March (Sheikh Mujibur Rahman's birthday / National Children's Day) was cancelled as a
  holiday by the interim government in October 2024: last observed in 2024.
- 15 August (National Mourning Day) was cancelled as a holiday on 13 August 2024: last observed
  in 2023.
- 5 August (July Mass Uprising Day) was declared a public holiday every year by Cabinet Division
  gazette on 2 July 2025: first observed in 2025.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from vextrus.bd.workdays import Holiday, HolidayCalendar


@dataclass(frozen=True)
class FixedHolidayRule:
    month: int
    day: int
    name: str
    name_bn: str
    first_year: int | None = None
    last_year: int | None = None

    def applies_to(self, year: int) -> bool:
        return (self.first_year is None or year >= self.first_year) and (
            self.last_year is None or year <= self.last_year
        )

    def on(self, year: int) -> Holiday:
        return Holiday(dt.date(year, self.month, self.day), self.name, self.name_bn, "public")


FIXED_NATIONAL_HOLIDAYS: tuple[FixedHolidayRule, ...] = (
    FixedHolidayRule(2, 21, "Shaheed Day and International Mother Language Day", "শহীদ দিবস ও আন্তর্জাতিক মাতৃভাষা দিবস"),
    FixedHolidayRule(
        3,
        17,
        "Birthday of Sheikh Mujibur Rahman and National Children's Day",
        "শেখ মুজিবুর রহমানের জন্মদিন ও জাতীয় শিশু দিবস",
        last_year=2024,
    ),
    FixedHolidayRule(3, 26, "Independence and National Day", "স্বাধীনতা ও জাতীয় দিবস"),
    FixedHolidayRule(4, 14, "Bengali New Year (Pohela Boishakh)", "বাংলা নববর্ষ (পহেলা বৈশাখ)"),
    FixedHolidayRule(5, 1, "May Day", "মে দিবস"),
    FixedHolidayRule(8, 5, "July Mass Uprising Day", "জুলাই গণঅভ্যুত্থান দিবস", first_year=2025),
    FixedHolidayRule(8, 15, "National Mourning Day", "জাতীয় শোক দিবস", last_year=2023),
    FixedHolidayRule(12, 16, "Victory Day", "বিজয় দিবস"),
    FixedHolidayRule(12, 25, "Christmas Day", "যিশু খ্রিষ্টের জন্মদিন (বড়দিন)"),
)


def fixed_national_holidays(year: int) -> tuple[Holiday, ...]:
    """The fixed-date national public holidays of ``year``, in date order."""
    return tuple(rule.on(year) for rule in FIXED_NATIONAL_HOLIDAYS if rule.applies_to(year))


def fixed_holiday_calendar(years: Iterable[int]) -> HolidayCalendar:
    """A calendar with the fixed-date national holidays of the given years."""
    return HolidayCalendar.of(holiday for year in years for holiday in fixed_national_holidays(year))
