"""The settings catalogue: every per-tenant setting as data (key, type, default, labels, rules).

Adding a setting is adding one :class:`SettingDefinition` to :data:`CATALOGUE`; nothing else in the
service branches on a key. Each definition validates through its own pydantic ``TypeAdapter`` in
strict mode (``"1"`` is not ``true``), and explains a rejected value in English and Bengali.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, StrictBool, StrictStr, TypeAdapter, ValidationError

# ---------------------------------------------------------------------------------------------
# Reusable value types (validators are shared; the catalogue below only refers to them).

# Files under /usr/share/zoneinfo that zoneinfo lists but that are not IANA zone names.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - _NOT_ZONES


def _iana_zone(value: str) -> str:
    zones = _known_zones()
    if zones:
        if value not in zones:
            raise ValueError("unknown time zone")
        return value
    # No zone list on this system (no tzdata): fall back to loading the zone.
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError("unknown time zone") from None
    return value


_CURRENCY = re.compile(r"[A-Z]{3}")


def _currency(value: str) -> str:
    if not _CURRENCY.fullmatch(value):
        raise ValueError("not an ISO 4217 code")
    return value


_MONTH_DAY = re.compile(r"(\d{2})-(\d{2})")


def _month_day(value: str) -> str:
    match = _MONTH_DAY.fullmatch(value)
    if not match:
        raise ValueError("not MM-DD")
    try:
        # A non-leap year: 02-29 does not start a fiscal year every year, so it is refused.
        dt.date(2001, int(match.group(1)), int(match.group(2)))
    except ValueError:
        raise ValueError("not a calendar day") from None
    return value


TimeZoneName = Annotated[StrictStr, AfterValidator(_iana_zone)]
CurrencyCode = Annotated[StrictStr, AfterValidator(_currency)]
MonthDay = Annotated[StrictStr, AfterValidator(_month_day)]

SettingType = Literal["string", "boolean", "enum"]


@dataclass(frozen=True)
class Text:
    en: str
    bn: str


@dataclass(frozen=True)
class SettingDefinition:
    """One setting: its key, value type and rule, default, and bilingual label, help and reason."""

    key: str
    type: SettingType
    annotation: Any
    default: Any
    label: Text
    description: Text
    # Why a value was refused, shown as the field error (English/Bengali by Accept-Language).
    invalid_reason: Text
    choices: tuple[str, ...] = ()
    example: Any = None
    adapter: TypeAdapter[Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "adapter", TypeAdapter(self.annotation))
        # The catalogue must be self-consistent: a default that fails its own rule is a bug.
        self.validate(self.default)
        if self.choices:
            for choice in self.choices:
                self.validate(choice)

    @property
    def group(self) -> str:
        return self.key.split(".", 1)[0]

    def validate(self, value: Any) -> Any:
        """The value if it satisfies this definition; raises :class:`InvalidSettingValue` otherwise."""
        try:
            return self.adapter.validate_python(value, strict=True)
        except ValidationError:
            raise InvalidSettingValue(self) from None

    def json_schema(self) -> dict[str, Any]:
        return self.adapter.json_schema()


class InvalidSettingValue(ValueError):
    def __init__(self, definition: SettingDefinition) -> None:
        super().__init__(f"{definition.key}: {definition.invalid_reason.en}")
        self.definition = definition


def _enum(*choices: str) -> Any:
    return Literal[choices]


def _boolean(key: str, default: bool, label: Text, description: Text) -> SettingDefinition:
    """A true/false setting: the same rule and reasons for each."""
    return SettingDefinition(
        key=key,
        type="boolean",
        annotation=StrictBool,
        default=default,
        label=label,
        description=description,
        invalid_reason=Text("must be true or false", "true অথবা false হতে হবে"),
    )


CATALOGUE_ITEMS: tuple[SettingDefinition, ...] = (
    SettingDefinition(
        key="localization.timezone",
        type="string",
        annotation=TimeZoneName,
        default="Asia/Dhaka",
        example="Asia/Dhaka",
        label=Text("Time zone", "সময় অঞ্চল"),
        description=Text(
            "IANA time zone used to show times and to cut off business days.",
            "সময় দেখানো ও কর্মদিবসের সীমা নির্ধারণে ব্যবহৃত IANA সময় অঞ্চল।",
        ),
        invalid_reason=Text(
            "must be an IANA time zone name such as Asia/Dhaka",
            "Asia/Dhaka-এর মতো একটি বৈধ IANA সময় অঞ্চলের নাম হতে হবে",
        ),
    ),
    SettingDefinition(
        key="localization.currency",
        type="string",
        annotation=CurrencyCode,
        default="BDT",
        example="BDT",
        label=Text("Currency", "মুদ্রা"),
        description=Text(
            "Functional currency of the tenant's books (ISO 4217 code).",
            "প্রতিষ্ঠানের হিসাবের মূল মুদ্রা (ISO 4217 কোড)।",
        ),
        invalid_reason=Text(
            "must be an ISO 4217 currency code of three capital letters such as BDT",
            "BDT-এর মতো তিনটি বড় হাতের অক্ষরের ISO 4217 মুদ্রা কোড হতে হবে",
        ),
    ),
    SettingDefinition(
        key="localization.language",
        type="enum",
        annotation=_enum("en", "bn"),
        choices=("en", "bn"),
        default="en",
        label=Text("Language", "ভাষা"),
        description=Text(
            "Default language of the user interface, documents and messages.",
            "ব্যবহারকারী ইন্টারফেস, নথি ও বার্তার ডিফল্ট ভাষা।",
        ),
        invalid_reason=Text("must be one of: en, bn", "en অথবা bn-এর একটি হতে হবে"),
    ),
    SettingDefinition(
        key="localization.date_format",
        type="enum",
        annotation=_enum("DD/MM/YYYY", "DD-MM-YYYY", "YYYY-MM-DD"),
        choices=("DD/MM/YYYY", "DD-MM-YYYY", "YYYY-MM-DD"),
        default="DD/MM/YYYY",
        label=Text("Date format", "তারিখের বিন্যাস"),
        description=Text("How dates are shown and printed.", "তারিখ যেভাবে দেখানো ও ছাপা হয়।"),
        invalid_reason=Text(
            "must be one of: DD/MM/YYYY, DD-MM-YYYY, YYYY-MM-DD",
            "DD/MM/YYYY, DD-MM-YYYY অথবা YYYY-MM-DD-এর একটি হতে হবে",
        ),
    ),
    SettingDefinition(
        key="localization.number_format",
        type="enum",
        annotation=_enum("lakh_crore", "international"),
        choices=("lakh_crore", "international"),
        default="lakh_crore",
        label=Text("Number grouping", "সংখ্যার বিভাজন"),
        description=Text(
            "Digit grouping of amounts: lakh/crore (1,00,00,000) or international (10,000,000).",
            "অঙ্কের বিভাজন: লাখ/কোটি (১,০০,০০,০০০) অথবা আন্তর্জাতিক (১০,০০০,০০০)।",
        ),
        invalid_reason=Text(
            "must be one of: lakh_crore, international",
            "lakh_crore অথবা international-এর একটি হতে হবে",
        ),
    ),
    SettingDefinition(
        key="finance.fiscal_year_start",
        type="string",
        annotation=MonthDay,
        default="07-01",
        example="07-01",
        label=Text("Fiscal year start", "অর্থবছরের শুরু"),
        description=Text(
            "First day of the fiscal year as MM-DD (Bangladesh: 1 July).",
            "অর্থবছরের প্রথম দিন, MM-DD আকারে (বাংলাদেশে ১ জুলাই)।",
        ),
        invalid_reason=Text(
            "must be a calendar day written MM-DD, such as 07-01 (02-29 is not allowed)",
            "07-01-এর মতো MM-DD আকারে একটি বৈধ দিন হতে হবে (02-29 গ্রহণযোগ্য নয়)",
        ),
    ),
    _boolean(
        "vat.registered",
        True,
        Text("VAT registered", "ভ্যাট নিবন্ধিত"),
        Text(
            "The tenant holds a VAT registration (BIN) and issues Mushak-6.3 tax invoices.",
            "প্রতিষ্ঠানটির ভ্যাট নিবন্ধন (BIN) আছে এবং মূসক-৬.৩ কর চালানপত্র ইস্যু করে।",
        ),
    ),
    _boolean(
        "vat.turnover_tax",
        False,
        Text("Turnover tax", "টার্নওভার কর"),
        Text(
            "The tenant is enlisted for turnover tax instead of standard VAT.",
            "প্রতিষ্ঠানটি সাধারণ ভ্যাটের বদলে টার্নওভার করের জন্য তালিকাভুক্ত।",
        ),
    ),
    _boolean(
        "vat.withholding_entity",
        False,
        Text("VAT withholding entity (VDS)", "উৎসে ভ্যাট কর্তনকারী সত্তা (ভিডিএস)"),
        Text(
            "The tenant deducts VAT at source from suppliers and issues Mushak-6.6 certificates.",
            "প্রতিষ্ঠানটি সরবরাহকারীর কাছ থেকে উৎসে ভ্যাট কর্তন করে এবং মূসক-৬.৬ সনদ দেয়।",
        ),
    ),
)

CATALOGUE: Mapping[str, SettingDefinition] = {item.key: item for item in CATALOGUE_ITEMS}
if len(CATALOGUE) != len(CATALOGUE_ITEMS):  # pragma: no cover - guards the data above
    raise ValueError("duplicate setting keys in the catalogue")

DEFAULTS: Mapping[str, Any] = {item.key: item.default for item in CATALOGUE_ITEMS}


def definition_for(key: str) -> SettingDefinition | None:
    return CATALOGUE.get(key)
