"""One entry point for every identifier validator: ``validate("tin", "1234-5678-9012")``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, get_args

from vextrus.bd.ids import (
    validate_bin,
    validate_nid,
    validate_postal_code,
    validate_routing_number,
    validate_tin,
    validate_trade_licence,
)
from vextrus.bd.phone import validate_mobile
from vextrus.bd.result import ValidationResult

Kind = Literal["tin", "bin", "nid", "mobile", "postal_code", "routing_number", "trade_licence"]
KINDS: tuple[str, ...] = get_args(Kind)

VALIDATORS: dict[str, Callable[[str], ValidationResult]] = {
    "tin": validate_tin,
    "bin": validate_bin,
    "nid": validate_nid,
    "mobile": validate_mobile,
    "postal_code": validate_postal_code,
    "routing_number": validate_routing_number,
    "trade_licence": validate_trade_licence,
}
assert set(VALIDATORS) == set(KINDS)


def validate(kind: str, value: str) -> ValidationResult:
    """Validate ``value`` as ``kind`` (one of :data:`KINDS`); an unknown kind is a ``KeyError``."""
    try:
        validator = VALIDATORS[kind]
    except KeyError:
        raise KeyError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}") from None
    return validator(value)
