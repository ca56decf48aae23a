"""Does a decision's output satisfy a test case's expectation? (pure)

The expectation is a *subset* of the output: an object checks only the fields it names, so a
test can pin the VAT rate without restating every other field. Arrays must have the same
length and match element by element (order matters: approval steps are ordered). Numbers are
compared as decimals (``0.15`` equals ``0.150``, ``7`` equals ``7.0``); ``true`` is not ``1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, Mapping | list) else type(value).__name__
    return text if len(text) <= 80 else text[:77] + "..."


def mismatches(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Every place where ``actual`` does not satisfy ``expected``, as ``path: reason`` lines."""
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return [f"{path}: expected an object, got {_show(actual)}"]
        found: list[str] = []
        for name, value in expected.items():
            child = f"{path}.{name}"
            if name not in actual:
                found.append(f"{child}: missing (expected {_show(value)})")
            else:
                found.extend(mismatches(value, actual[name], child))
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: expected an array, got {_show(actual)}"]
        if len(expected) != len(actual):
            return [f"{path}: expected {len(expected)} items, got {len(actual)}"]
        found = []
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            found.extend(mismatches(want, got, f"{path}[{index}]"))
        return found
    if _is_number(expected):
        if _is_number(actual) and _decimal(expected) == _decimal(actual):
            return []
        return [f"{path}: expected {_show(expected)}, got {_show(actual)}"]
    if expected is None or isinstance(expected, bool | str):
        if type(expected) is type(actual) and expected == actual:
            return []
        return [f"{path}: expected {_show(expected)}, got {_show(actual)}"]
    return [f"{path}: cannot compare {_show(expected)}"]
