"""Working weeks, holiday calendars and business-day arithmetic.

The weekend is configurable per company (:class:`WorkWeek`; the default is Friday and Saturday off,
as for government offices; many construction sites work six days, Friday off). Holidays are data
passed in (:class:`HolidayCalendar`): public holidays are fixed by government order each year and
the religious ones move, so nothing here guesses them (see :mod:`vextrus.bd.holidays` for the
fixed-date national ones).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES_BN = ("সোমবার", "মঙ্গলবার", "বুধবার", "বৃহস্পতিবার", "শুক্রবার", "শনিবার", "রবিবার")
FRIDAY, SATURDAY = 4, 5


@dataclass(frozen=True)
class WorkWeek:
    """The weekly days off, as Python weekday numbers (Monday 0 ... Sunday 6)."""

    weekend: frozenset[int] = frozenset({FRIDAY, SATURDAY})

    def __post_init__(self) -> None:
        if not all(isinstance(day, int) and 0 <= day <= 6 for day in self.weekend):
            raise ValueError("weekend days are weekday numbers 0 (Monday) - 6 (Sunday)")
        if len(self.weekend) >= 7:
            raise ValueError("a work week needs at least one working day")

    @classmethod
    def from_names(cls, names: Iterable[str]) -> WorkWeek:
        """``["fri", "sat"]`` (any case; full English names work too)."""
        days = set()
        for name in names:
            key = name.strip().lower()[:3]
            if key not in WEEKDAY_NAMES:
                raise ValueError(f"unknown weekday {name!r}")
            days.add(WEEKDAY_NAMES.index(key))
        return cls(frozenset(days))

    @property
    def weekend_names(self) -> tuple[str, ...]:
        return tuple(WEEKDAY_NAMES[day] for day in sorted(self.weekend))

    def is_weekend(self, day: dt.date) -> bool:
        return day.weekday() in self.weekend


DEFAULT_WORK_WEEK = WorkWeek()
SIX_DAY_WEEK = WorkWeek(frozenset({FRIDAY}))


@dataclass(frozen=True)
class Holiday:
    date: dt.date
    name: str
    name_bn: str
    kind: str = "public"


@dataclass(frozen=True)
class HolidayCalendar:
    """Holidays by date (a company's calendar: public holidays plus its own)."""

    holidays: Mapping[dt.date, Holiday] = field(default_factory=dict)

    @classmethod
    def of(cls, holidays: Iterable[Holiday]) -> HolidayCalendar:
        return cls({holiday.date: holiday for holiday in holidays})

    def __contains__(self, day: object) -> bool:
        return day in self.holidays

    def __iter__(self) -> Iterator[Holiday]:
        return iter(sorted(self.holidays.values(), key=lambda item: item.date))

    def __len__(self) -> int:
        return len(self.holidays)

    def get(self, day: dt.date) -> Holiday | None:
        return self.holidays.get(day)

    def merged(self, other: HolidayCalendar | Iterable[Holiday]) -> HolidayCalendar:
        """Both calendars; on the same date ``other`` wins."""
        items = other.holidays.values() if isinstance(other, HolidayCalendar) else other
        return HolidayCalendar({**self.holidays, **{item.date: item for item in items}})


NO_HOLIDAYS = HolidayCalendar()


def is_business_day(day: dt.date, week: WorkWeek = DEFAULT_WORK_WEEK, holidays: HolidayCalendar = NO_HOLIDAYS) -> bool:
    return not week.is_weekend(day) and day not in holidays


def _step(day: dt.date, direction: int, week: WorkWeek, holidays: HolidayCalendar) -> dt.date:
    day += dt.timedelta(days=direction)
    while not is_business_day(day, week, holidays):
        day += dt.timedelta(days=direction)
    return day


def next_business_day(
    day: dt.date,
    week: WorkWeek = DEFAULT_WORK_WEEK,
    holidays: HolidayCalendar = NO_HOLIDAYS,
    *,
    inclusive: bool = False,
) -> dt.date:
    """The first business day after ``day`` (or ``day`` itself when ``inclusive`` and it is one)."""
    if inclusive and is_business_day(day, week, holidays):
        return day
    return _step(day, 1, week, holidays)


def previous_business_day(
    day: dt.date,
    week: WorkWeek = DEFAULT_WORK_WEEK,
    holidays: HolidayCalendar = NO_HOLIDAYS,
    *,
    inclusive: bool = False,
) -> dt.date:
    """The last business day before ``day`` (or ``day`` itself when ``inclusive`` and it is one)."""
    if inclusive and is_business_day(day, week, holidays):
        return day
    return _step(day, -1, week, holidays)


def roll_forward(day: dt.date, week: WorkWeek = DEFAULT_WORK_WEEK, holidays: HolidayCalendar = NO_HOLIDAYS) -> dt.date:
    """A due date that falls on a weekend or holiday moves to the next business day."""
    return next_business_day(day, week, holidays, inclusive=True)


def add_business_days(
    day: dt.date, count: int, week: WorkWeek = DEFAULT_WORK_WEEK, holidays: HolidayCalendar = NO_HOLIDAYS
) -> dt.date:
    """The ``count``-th business day after ``day`` (before it when negative).

    ``count == 0`` returns ``day`` rolled forward to a business day. ``day`` itself never counts.
    """
    if count == 0:
        return roll_forward(day, week, holidays)
    direction = 1 if count > 0 else -1
    for _ in range(abs(count)):
        day = _step(day, direction, week, holidays)
    return day


def business_days_between(
    start: dt.date, end: dt.date, week: WorkWeek = DEFAULT_WORK_WEEK, holidays: HolidayCalendar = NO_HOLIDAYS
) -> int:
    """Business days in ``(start, end]``; negative when ``end`` is before ``start``.

    The inverse of :func:`add_business_days`: ``business_days_between(d, add_business_days(d, n)) == n``
    for every ``n > 0``.
    """
    if end < start:
        return -business_days_between(end, start, week, holidays)
    total_days = (end - start).days
    full_weeks, remainder = divmod(total_days, 7)
    count = full_weeks * (7 - len(week.weekend))
    for offset in range(1, remainder + 1):
        if not week.is_weekend(start + dt.timedelta(days=offset)):
            count += 1
    count -= sum(1 for holiday in holidays.holidays if start < holiday <= end and not week.is_weekend(holiday))
    return count
