"""Mobile numbers: every common way of writing one normalizes to E.164; operators by prefix."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vextrus.bd import normalize_mobile, to_bengali_digits, validate_mobile


@pytest.mark.parametrize(
    "value",
    [
        "01712345678",
        "+8801712345678",
        "8801712345678",
        "008801712345678",
        "+880 1712-345678",
        "+880-17-1234-5678",
        "(+880) 1712 345678",
        "০১৭১২৩৪৫৬৭৮",
        "+৮৮০১৭১২৩৪৫৬৭৮",
    ],
)
def test_forms_of_one_number(value: str) -> None:
    result = validate_mobile(value)
    assert result.valid, result.reason
    assert result.normalized == "+8801712345678"
    assert result.formatted == "+880 1712-345678"
    assert result.details["national"] == "01712345678"


@pytest.mark.parametrize(
    ("prefix", "operator"),
    [
        ("013", "grameenphone"),
        ("017", "grameenphone"),
        ("014", "banglalink"),
        ("019", "banglalink"),
        ("016", "robi"),
        ("018", "robi"),
        ("015", "teletalk"),
    ],
)
def test_operator_by_prefix(prefix: str, operator: str) -> None:
    result = validate_mobile(f"{prefix}12345678")
    assert result.valid
    assert (result.details["prefix"], result.details["operator"]) == (prefix, operator)
    assert result.details["operator_name_bn"]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("01112345678", "closed_operator"),
        ("+8801112345678", "closed_operator"),
        ("029123456", "not_mobile"),
        ("0171234567", "invalid_number"),
        ("017123456789", "invalid_number"),
        ("01012345678", "invalid_number"),
        ("01212345678", "invalid_number"),
        ("+919876543210", "not_bangladeshi"),
        ("+447911123456", "not_bangladeshi"),
        ("call me", "invalid_number"),
        ("017-ABC-45678", "invalid_number"),
        ("", "empty"),
    ],
)
def test_rejected_numbers(value: str, code: str) -> None:
    result = validate_mobile(value)
    assert not result.valid
    assert result.code == code
    assert result.reason
    assert result.reason_bn
    assert result.normalized is None
    assert normalize_mobile(value) is None


national_numbers = st.builds(
    lambda prefix, rest: f"01{prefix}{rest}",
    st.sampled_from("3456789"),
    st.text(alphabet="0123456789", min_size=8, max_size=8),
)


@given(national_numbers, st.sampled_from(["national", "e164", "spaced", "bengali", "00"]))
def test_any_written_form_round_trips_to_e164(national: str, form: str) -> None:
    e164 = "+880" + national[1:]
    written = {
        "national": national,
        "e164": e164,
        "spaced": f"+880 {national[1:5]}-{national[5:]}",
        "bengali": to_bengali_digits(national),
        "00": "00" + e164[1:],
    }[form]
    result = validate_mobile(written)
    assert result.valid
    assert result.normalized == e164
    # The display form parses back to the same number.
    assert result.formatted is not None
    assert normalize_mobile(result.formatted) == e164
