"""Divisions and districts: the 64 districts with their ISO numbers, Bengali names and lookups."""

from __future__ import annotations

import unicodedata

import pytest

from vextrus.bd import DISTRICTS, DIVISIONS, districts_of, find_district, find_division

EXPECTED_PER_DIVISION = {
    "BD-A": 6,
    "BD-B": 11,
    "BD-C": 13,
    "BD-D": 10,
    "BD-E": 8,
    "BD-F": 8,
    "BD-G": 4,
    "BD-H": 4,
}


def test_eight_divisions_and_sixty_four_districts() -> None:
    assert [division.code for division in DIVISIONS] == list(EXPECTED_PER_DIVISION)
    assert len(DISTRICTS) == 64
    assert sorted(district.code for district in DISTRICTS) == [f"BD-{number:02d}" for number in range(1, 65)]
    for code, count in EXPECTED_PER_DIVISION.items():
        assert len(districts_of(code)) == count


def test_names_are_unique_and_bengali_names_are_bengali() -> None:
    for items in (DIVISIONS, DISTRICTS):
        assert len({item.name for item in items}) == len(items)
        assert len({item.name_bn for item in items}) == len(items)
        for item in items:
            assert all("\u0980" <= char <= "\u09ff" for char in item.name_bn), item.name
            assert unicodedata.is_normalized("NFC", item.name_bn)


@pytest.mark.parametrize(
    ("code", "name", "division"),
    [
        ("BD-01", "Bandarban", "BD-B"),
        ("BD-03", "Bogura", "BD-E"),
        ("BD-10", "Chattogram", "BD-B"),
        ("BD-13", "Dhaka", "BD-C"),
        ("BD-21", "Jamalpur", "BD-H"),
        ("BD-34", "Mymensingh", "BD-H"),
        ("BD-45", "Chapai Nawabganj", "BD-E"),
        ("BD-55", "Rangpur", "BD-F"),
        ("BD-60", "Sylhet", "BD-G"),
        ("BD-64", "Thakurgaon", "BD-F"),
    ],
)
def test_iso_numbering(code: str, name: str, division: str) -> None:
    district = find_district(code)
    assert district is not None
    assert (district.name, district.division.code) == (name, division)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Dhaka", "BD-13"),
        ("dhaka", "BD-13"),
        ("ঢাকা", "BD-13"),
        ("Dhaka District", "BD-13"),
        ("13", "BD-13"),
        ("bd-13", "BD-13"),
        ("Chittagong", "BD-10"),
        ("চট্টগ্রাম", "BD-10"),
        ("Comilla", "BD-08"),
        ("Jessore", "BD-22"),
        ("Bogra", "BD-03"),
        ("বগুড়া", "BD-03"),
        ("Coxs Bazar", "BD-11"),
        ("Cox's Bazar", "BD-11"),
        ("Nawabganj", "BD-45"),
        ("Chapainawabganj", "BD-45"),
        ("নারায়ণগঞ্জ", "BD-40"),
    ],
)
def test_find_district(text: str, code: str) -> None:
    district = find_district(text)
    assert district is not None
    assert district.code == code


def test_decomposed_bengali_input_is_found() -> None:
    decomposed = unicodedata.normalize("NFD", "বগুড়া")
    district = find_district(decomposed)
    assert district is not None
    assert district.code == "BD-03"


@pytest.mark.parametrize("text", ["Atlantis", "", "0", "65", "BD-65", "BD-Z"])
def test_unknown_districts(text: str) -> None:
    assert find_district(text) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [("Dhaka", "BD-C"), ("C", "BD-C"), ("bd-h", "BD-H"), ("Barisal", "BD-A"), ("চট্টগ্রাম বিভাগ", "BD-B")],
)
def test_find_division(text: str, code: str) -> None:
    division = find_division(text)
    assert division is not None
    assert division.code == code


def test_unknown_division() -> None:
    assert find_division("Z") is None
    with pytest.raises(LookupError):
        districts_of("Nowhere")
