"""The result every Bangladesh validator returns."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vextrus.bd.numerals import to_latin_digits


@dataclass(frozen=True)
class ValidationResult:
    """What a validator found about one value.

    ``normalized`` is the canonical form to store (digits only, E.164, ...) and ``formatted`` the
    form to display; both are None when the value is invalid. ``code`` is a stable machine code,
    ``reason``/``reason_bn`` explain it in English and Bengali: why the value is invalid, or a note
    about a valid one (a legacy 10-digit TIN is accepted *and* flagged). ``details`` carries what
    the value reveals (operator, birth year, branch, ...).
    """

    kind: str
    value: str
    valid: bool
    normalized: str | None = None
    formatted: str | None = None
    code: str | None = None
    reason: str | None = None
    reason_bn: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "value": self.value,
            "valid": self.valid,
            "normalized": self.normalized,
            "formatted": self.formatted,
            "code": self.code,
            "reason": self.reason,
            "reason_bn": self.reason_bn,
            "details": dict(self.details),
        }


def invalid(kind: str, value: str, code: str, reason: str, reason_bn: str, **details: Any) -> ValidationResult:
    return ValidationResult(kind, value, False, code=code, reason=reason, reason_bn=reason_bn, details=details)


# Separators people type inside numbers: spaces (also no-break), hyphens and dashes, dots, slashes.
_SEPARATORS = re.compile(r"[\s\u00a0\u2010-\u2015./-]+")


def digits_only(value: str) -> str | None:
    """The digits of ``value`` with separators removed and Bengali digits made Latin; None if
    anything else remains."""
    cleaned = _SEPARATORS.sub("", to_latin_digits(value))
    return cleaned if cleaned.isascii() and cleaned.isdigit() else None
