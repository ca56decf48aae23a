"""Business rules of the organization service, as pure functions and data (no I/O).

- identifiers: tenant slugs, e-TIN (12 digits; legacy 10 accepted), BIN (9 digits, or 13 with a
  branch suffix) and the 13-digit branch BIN;
- subscription plans and their limits, and the limit check;
- the tenant lifecycle (which status changes are allowed);
- regulatory bodies and the divisions/districts of Bangladesh an address may name.

TIN/BIN checks and place names come from :mod:`vextrus.bd` (the Bangladesh localization package);
these wrappers give them this service's stable error codes (``invalid_tin``, ``invalid_bin``,
``unknown_district``, ...) and :class:`RuleViolation`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

from vextrus import bd

TenantType = Literal["construction", "real-estate", "both"]
TenantStatus = Literal["active", "suspended", "closed"]
LifecycleAction = Literal["suspend", "reactivate", "close"]
VatStatus = Literal["registered", "turnover", "unregistered"]

TENANT_TYPES: tuple[str, ...] = ("construction", "real-estate", "both")
TENANT_STATUSES: tuple[str, ...] = ("active", "suspended", "closed")


class RuleViolation(ValueError):
    """A value breaks a rule; ``reason``/``reason_bn`` say why (shown as the field error)."""

    def __init__(self, reason: str, reason_bn: str, code: str = "invalid") -> None:
        super().__init__(reason)
        self.reason = reason
        self.reason_bn = reason_bn
        self.code = code


# --- identifiers -------------------------------------------------------------------------------

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MIN, SLUG_MAX = 3, 50
# Slugs that name parts of the platform (sub-domains, paths) rather than a customer.
RESERVED_SLUGS = frozenset(
    {"admin", "api", "app", "auth", "docs", "graphql", "help", "platform", "status", "support", "vextrus", "www"}
)


def validate_slug(value: str) -> str:
    """A tenant slug: 3-50 lowercase letters, digits and single hyphens, not reserved."""
    if not (SLUG_MIN <= len(value) <= SLUG_MAX) or not SLUG_PATTERN.match(value):
        raise RuleViolation(
            "must be 3-50 lowercase letters, digits and hyphens (no leading, trailing or double hyphen)",
            "৩-৫০টি ছোট হাতের ইংরেজি অক্ষর, অঙ্ক ও হাইফেন হতে হবে (শুরুতে, শেষে বা পরপর দুটি হাইফেন নয়)",
            "invalid_slug",
        )
    if value in RESERVED_SLUGS:
        raise RuleViolation("is reserved", "সংরক্ষিত, ব্যবহার করা যাবে না", "reserved_slug")
    return value


def validate_tin(value: str) -> str:
    """An e-TIN: 12 digits; a legacy 10-digit TIN is accepted. Returns the (Latin) digits."""
    result = bd.validate_tin(value)
    if not result.valid or result.normalized is None:
        raise RuleViolation(result.reason or "invalid TIN", result.reason_bn or "টিআইএন সঠিক নয়", "invalid_tin")
    return result.normalized


def is_legacy_tin(tin: str) -> bool:
    return len(tin) == 10


def format_tin(tin: str) -> str:
    """``123456789012`` -> ``1234-5678-9012`` (legacy TINs as they are)."""
    return f"{tin[:4]}-{tin[4:8]}-{tin[8:]}" if len(tin) == 12 else tin


def validate_bin(value: str) -> str:
    """A BIN: 9 digits, or 13 with a branch suffix. Returns the (Latin) digits."""
    result = bd.validate_bin(value)
    if not result.valid or result.normalized is None:
        raise RuleViolation(result.reason or "invalid BIN", result.reason_bn or "বিআইএন সঠিক নয়", "invalid_bin")
    return result.normalized


def validate_bin_suffix(value: str) -> str:
    """A branch/unit suffix: exactly 4 digits, not ``0000``."""
    if len(value) != 4 or not value.isascii() or not value.isdigit() or value == "0000":
        raise RuleViolation("must be 4 digits (0001-9999)", "৪ অঙ্কের হতে হবে (0001-9999)", "invalid_bin_suffix")
    return value


def branch_bin(company_bin: str | None, suffix: str | None) -> str | None:
    """The 13-digit BIN of a branch: the company's 9-digit base BIN followed by the suffix."""
    if not company_bin or not suffix:
        return None
    return company_bin[:9] + suffix


def format_bin(value: str) -> str:
    """``1234567890101`` -> ``123456789-0101``; a 9-digit BIN as it is."""
    return f"{value[:9]}-{value[9:]}" if len(value) == 13 else value


# --- subscription plans --------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    max_users: int
    max_companies: int
    max_projects: int


PLANS: Mapping[str, Plan] = {
    plan.code: plan
    for plan in (
        Plan("trial", "Trial", max_users=5, max_companies=1, max_projects=3),
        Plan("growth", "Growth", max_users=25, max_companies=3, max_projects=20),
        Plan("business", "Business", max_users=100, max_companies=10, max_projects=100),
        Plan("enterprise", "Enterprise", max_users=1000, max_companies=50, max_projects=1000),
    )
}

LimitName = Literal["max_users", "max_companies", "max_projects"]


class LimitReached(Exception):
    def __init__(self, limit: LimitName, allowed: int) -> None:
        super().__init__(f"{limit} = {allowed} reached")
        self.limit = limit
        self.allowed = allowed


def check_limit(limit: LimitName, allowed: int, current: int, adding: int = 1) -> None:
    """Raise :class:`LimitReached` when ``current + adding`` would exceed ``allowed``."""
    if adding > 0 and current + adding > allowed:
        raise LimitReached(limit, allowed)


# --- tenant lifecycle ------------------------------------------------------------------------------

# action -> (statuses it applies to, resulting status). Closing is final.
TRANSITIONS: Mapping[str, tuple[frozenset[str], str]] = {
    "suspend": (frozenset({"active"}), "suspended"),
    "reactivate": (frozenset({"suspended"}), "active"),
    "close": (frozenset({"active", "suspended"}), "closed"),
}


def next_status(current: str, action: str) -> str:
    """The status after ``action``; raises :class:`RuleViolation` for a change not allowed."""
    allowed_from, result = TRANSITIONS[action]
    if current not in allowed_from:
        raise RuleViolation(
            f"a {current} tenant cannot be {_PAST[action]}",
            f"{_STATUS_BN[current]} অবস্থার প্রতিষ্ঠানকে {_PAST_BN[action]} যায় না",
            "invalid_transition",
        )
    return result


_PAST = {"suspend": "suspended", "reactivate": "reactivated", "close": "closed"}
_PAST_BN = {"suspend": "স্থগিত করা", "reactivate": "পুনরায় সক্রিয় করা", "close": "বন্ধ করা"}
_STATUS_BN = {"active": "সক্রিয়", "suspended": "স্থগিত", "closed": "বন্ধ"}


# --- regulators and geography ------------------------------------------------------------------


@dataclass(frozen=True)
class RegulatoryBody:
    code: str
    name: str
    name_bn: str
    area: str


REGULATORY_BODIES: Mapping[str, RegulatoryBody] = {
    body.code: body
    for body in (
        RegulatoryBody("RAJUK", "Rajdhani Unnayan Kartripakkha", "রাজধানী উন্নয়ন কর্তৃপক্ষ", "Dhaka"),
        RegulatoryBody("CDA", "Chattogram Development Authority", "চট্টগ্রাম উন্নয়ন কর্তৃপক্ষ", "Chattogram"),
        RegulatoryBody("KDA", "Khulna Development Authority", "খুলনা উন্নয়ন কর্তৃপক্ষ", "Khulna"),
        RegulatoryBody("RDA", "Rajshahi Development Authority", "রাজশাহী উন্নয়ন কর্তৃপক্ষ", "Rajshahi"),
        RegulatoryBody("CXDA", "Cox's Bazar Development Authority", "কক্সবাজার উন্নয়ন কর্তৃপক্ষ", "Cox's Bazar"),
        RegulatoryBody("LOCAL", "City corporation or pourashava", "সিটি কর্পোরেশন বা পৌরসভা", "elsewhere"),
    )
}


def validate_regulatory_body(value: str) -> str:
    code = value.strip().upper()
    if code not in REGULATORY_BODIES:
        raise RuleViolation(
            "must be one of: " + ", ".join(REGULATORY_BODIES),
            "এর একটি হতে হবে: " + ", ".join(REGULATORY_BODIES),
            "unknown_regulatory_body",
        )
    return code


def resolve_place(district: str | None, division: str | None) -> tuple[str | None, str | None]:
    """Canonical (district, division) names; the division follows from the district when omitted.

    Names may be current or older spellings, any case, or Bengali (``vextrus.bd.geo``). Raises
    :class:`RuleViolation` for an unknown district or division, or a district outside the division.
    """
    found_division = None
    if division is not None:
        found_division = bd.find_division(division)
        if found_division is None:
            names = ", ".join(item.name for item in bd.DIVISIONS)
            raise RuleViolation(
                f"must be one of the 8 divisions: {names}", "৮টি বিভাগের একটি হতে হবে", "unknown_division"
            )
    if district is None:
        return None, found_division.name if found_division else None
    found_district = bd.find_district(district)
    if found_district is None:
        raise RuleViolation("is not a district of Bangladesh", "বাংলাদেশের কোনো জেলা নয়", "unknown_district")
    home = found_district.division
    if found_division is not None and found_division != home:
        raise RuleViolation(
            f"{found_district.name} is in {home.name} division, not {found_division.name}",
            f"{found_district.name_bn} জেলা {home.name_bn} বিভাগে, {found_division.name_bn} বিভাগে নয়",
            "district_not_in_division",
        )
    return found_district.name, home.name


POSTAL_CODE = re.compile(r"^\d{4}$")
CODE_PATTERN = r"^[A-Z0-9][A-Z0-9_-]{0,19}$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"


def company_code_from_slug(slug: str) -> str:
    """A company code for a provisioned tenant's first company: the slug in capitals, at most 20."""
    return slug.upper()[:20].rstrip("-") or "MAIN"


Node = TypeVar("Node")


def creates_cycle(parents: Mapping[Node, Node | None], node: Node, new_parent: Node | None) -> bool:
    """Whether making ``new_parent`` the parent of ``node`` closes a loop in the tree ``parents``
    (child -> parent). A node cannot be its own parent nor a descendant's child."""
    seen: set[Node] = set()
    current = new_parent
    while current is not None and current not in seen:
        if current == node:
            return True
        seen.add(current)
        current = parents.get(current)
    return False
