"""Shared building blocks of the built-in templates' data models (Pydantic, inputs forbid extras).

Identifiers are checked with :mod:`vextrus.bd` and stored in their display form (a BIN as
``123456789-0101``); money is Decimal with two places, never float; times are timezone-aware.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from vextrus import bd


def _printable(value: str) -> str:
    if any(ord(char) < 32 and char not in "\n\t" for char in value):
        raise ValueError("must not contain control characters")
    return value.strip()


def _bin(value: str) -> str:
    result = bd.validate_bin(value)
    if not result.valid or result.formatted is None:
        raise ValueError(f"not a valid BIN ({result.reason or 'invalid'})")
    return result.formatted


def _tin(value: str) -> str:
    result = bd.validate_tin(value)
    if not result.valid or result.formatted is None:
        raise ValueError(f"not a valid e-TIN ({result.reason or 'invalid'})")
    return result.formatted


Text = Annotated[str, AfterValidator(_printable), Field(min_length=1, max_length=300)]
LongText = Annotated[str, AfterValidator(_printable), Field(min_length=1, max_length=2000)]
Code = Annotated[str, AfterValidator(_printable), Field(min_length=1, max_length=60)]
Unit = Annotated[str, AfterValidator(_printable), Field(min_length=1, max_length=30)]
Bin = Annotated[str, Field(max_length=40, description="BIN: 9 digits or 13 with the branch"), AfterValidator(_bin)]
Tin = Annotated[str, Field(max_length=40, description="e-TIN: 12 digits"), AfterValidator(_tin)]
Money = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)]
SignedMoney = Annotated[Decimal, Field(max_digits=16, decimal_places=2)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=4)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Moment = AwareDatetime
Day = dt.date


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Party(Input):
    """A business party as printed on a document."""

    name: Text
    name_bn: Text | None = None
    bin: Bin | None = None
    tin: Tin | None = None
    address: LongText | None = None
    address_bn: LongText | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None


class RegisteredParty(Party):
    """A VAT-registered party: its BIN is required."""

    bin: Bin


class Officer(Input):
    """The person who signs: name and designation."""

    name: Text
    designation: Text
    name_bn: Text | None = None
    designation_bn: Text | None = None


def money_of(value: Decimal) -> Decimal:
    return bd.round_money(value)


def percent_of(amount: Decimal, rate: Decimal) -> Decimal:
    """``amount × rate%`` rounded half up to the paisa (the line-level rule for tax)."""
    return bd.round_money(amount * rate / Decimal(100))
