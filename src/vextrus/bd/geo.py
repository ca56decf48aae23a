"""Divisions and districts of Bangladesh with their ISO 3166-2:BD codes and Bengali names.

Division codes are letters (BD-A ... BD-H); district codes are BD-01 ... BD-64, numbered in the
alphabetical order of the districts' older English spellings (Bandarban 01, Barguna 02, Bogra 03,
...), which is why e.g. Chapai Nawabganj ("Nawabganj") is BD-45. The numbering was checked against
two independent copies of the ISO list (see docs/bd.md). Names are the current official English
spellings (Chattogram, Cumilla, Jashore, Bogura, Barishal); the older ones are kept as aliases.
Lookups accept a code, an English name or alias (any case), or a Bengali name.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _key(text: str) -> str:
    """Comparison key: NFC, case-folded, spaces/hyphens/apostrophes dropped."""
    folded = _nfc(text).casefold()
    return "".join(char for char in folded if char not in " -'’._")


@dataclass(frozen=True)
class Division:
    letter: str
    name: str
    name_bn: str
    aliases: tuple[str, ...] = ()

    @property
    def code(self) -> str:
        return f"BD-{self.letter}"


@dataclass(frozen=True)
class District:
    number: int
    name: str
    name_bn: str
    division_letter: str
    aliases: tuple[str, ...] = ()

    @property
    def code(self) -> str:
        return f"BD-{self.number:02d}"

    @property
    def division(self) -> Division:
        return DIVISIONS_BY_CODE[f"BD-{self.division_letter}"]


DIVISIONS: tuple[Division, ...] = (
    Division("A", "Barishal", "বরিশাল", ("Barisal",)),
    Division("B", "Chattogram", "চট্টগ্রাম", ("Chittagong",)),
    Division("C", "Dhaka", "ঢাকা", ("Dacca",)),
    Division("D", "Khulna", "খুলনা"),
    Division("E", "Rajshahi", "রাজশাহী"),
    Division("F", "Rangpur", "রংপুর"),
    Division("G", "Sylhet", "সিলেট"),
    Division("H", "Mymensingh", "ময়মনসিংহ"),
)

# (ISO number, name, Bengali name, division letter, aliases)
_DISTRICT_ROWS: tuple[tuple[int, str, str, str, tuple[str, ...]], ...] = (
    (1, "Bandarban", "বান্দরবান", "B", ()),
    (2, "Barguna", "বরগুনা", "A", ()),
    (3, "Bogura", "বগুড়া", "E", ("Bogra",)),
    (4, "Brahmanbaria", "ব্রাহ্মণবাড়িয়া", "B", ()),
    (5, "Bagerhat", "বাগেরহাট", "D", ()),
    (6, "Barishal", "বরিশাল", "A", ("Barisal",)),
    (7, "Bhola", "ভোলা", "A", ()),
    (8, "Cumilla", "কুমিল্লা", "B", ("Comilla",)),
    (9, "Chandpur", "চাঁদপুর", "B", ()),
    (10, "Chattogram", "চট্টগ্রাম", "B", ("Chittagong",)),
    (11, "Cox's Bazar", "কক্সবাজার", "B", ()),
    (12, "Chuadanga", "চুয়াডাঙ্গা", "D", ()),
    (13, "Dhaka", "ঢাকা", "C", ("Dacca",)),
    (14, "Dinajpur", "দিনাজপুর", "F", ()),
    (15, "Faridpur", "ফরিদপুর", "C", ()),
    (16, "Feni", "ফেনী", "B", ()),
    (17, "Gopalganj", "গোপালগঞ্জ", "C", ()),
    (18, "Gazipur", "গাজীপুর", "C", ()),
    (19, "Gaibandha", "গাইবান্ধা", "F", ()),
    (20, "Habiganj", "হবিগঞ্জ", "G", ()),
    (21, "Jamalpur", "জামালপুর", "H", ()),
    (22, "Jashore", "যশোর", "D", ("Jessore",)),
    (23, "Jhenaidah", "ঝিনাইদহ", "D", ()),
    (24, "Joypurhat", "জয়পুরহাট", "E", ("Jaipurhat",)),
    (25, "Jhalokati", "ঝালকাঠি", "A", ("Jhalakathi", "Jhalakati")),
    (26, "Kishoreganj", "কিশোরগঞ্জ", "C", ()),
    (27, "Khulna", "খুলনা", "D", ()),
    (28, "Kurigram", "কুড়িগ্রাম", "F", ()),
    (29, "Khagrachhari", "খাগড়াছড়ি", "B", ("Khagrachari",)),
    (30, "Kushtia", "কুষ্টিয়া", "D", ()),
    (31, "Lakshmipur", "লক্ষ্মীপুর", "B", ()),
    (32, "Lalmonirhat", "লালমনিরহাট", "F", ()),
    (33, "Manikganj", "মানিকগঞ্জ", "C", ()),
    (34, "Mymensingh", "ময়মনসিংহ", "H", ()),
    (35, "Munshiganj", "মুন্সীগঞ্জ", "C", ()),
    (36, "Madaripur", "মাদারীপুর", "C", ()),
    (37, "Magura", "মাগুরা", "D", ()),
    (38, "Moulvibazar", "মৌলভীবাজার", "G", ()),
    (39, "Meherpur", "মেহেরপুর", "D", ()),
    (40, "Narayanganj", "নারায়ণগঞ্জ", "C", ()),
    (41, "Netrokona", "নেত্রকোণা", "H", ("Netrakona",)),
    (42, "Narsingdi", "নরসিংদী", "C", ()),
    (43, "Narail", "নড়াইল", "D", ()),
    (44, "Natore", "নাটোর", "E", ()),
    (45, "Chapai Nawabganj", "চাঁপাইনবাবগঞ্জ", "E", ("Nawabganj", "Chapainawabganj")),
    (46, "Nilphamari", "নীলফামারী", "F", ()),
    (47, "Noakhali", "নোয়াখালী", "B", ()),
    (48, "Naogaon", "নওগাঁ", "E", ()),
    (49, "Pabna", "পাবনা", "E", ()),
    (50, "Pirojpur", "পিরোজপুর", "A", ()),
    (51, "Patuakhali", "পটুয়াখালী", "A", ()),
    (52, "Panchagarh", "পঞ্চগড়", "F", ()),
    (53, "Rajbari", "রাজবাড়ী", "C", ()),
    (54, "Rajshahi", "রাজশাহী", "E", ()),
    (55, "Rangpur", "রংপুর", "F", ()),
    (56, "Rangamati", "রাঙ্গামাটি", "B", ()),
    (57, "Sherpur", "শেরপুর", "H", ()),
    (58, "Satkhira", "সাতক্ষীরা", "D", ()),
    (59, "Sirajganj", "সিরাজগঞ্জ", "E", ()),
    (60, "Sylhet", "সিলেট", "G", ()),
    (61, "Sunamganj", "সুনামগঞ্জ", "G", ()),
    (62, "Shariatpur", "শরীয়তপুর", "C", ()),
    (63, "Tangail", "টাঙ্গাইল", "C", ()),
    (64, "Thakurgaon", "ঠাকুরগাঁও", "F", ()),
)

DIVISIONS_BY_CODE: dict[str, Division] = {item.code: item for item in DIVISIONS}
DISTRICTS: tuple[District, ...] = tuple(
    District(number, name, _nfc(name_bn), letter, aliases) for number, name, name_bn, letter, aliases in _DISTRICT_ROWS
)
DISTRICTS_BY_CODE: dict[str, District] = {item.code: item for item in DISTRICTS}


def _names(item: Division | District) -> tuple[str, ...]:
    return (item.name, item.name_bn, *item.aliases)


_DIVISION_NAMES: dict[str, Division] = {_key(name): item for item in DIVISIONS for name in _names(item)}
_DISTRICT_NAMES: dict[str, District] = {_key(name): item for item in DISTRICTS for name in _names(item)}


def find_division(text: str) -> Division | None:
    """A division by code (``BD-C``, ``C``) or name (English, alias, Bengali; any case)."""
    stripped = text.strip()
    upper = stripped.upper()
    if upper in DIVISIONS_BY_CODE:
        return DIVISIONS_BY_CODE[upper]
    if len(upper) == 1 and f"BD-{upper}" in DIVISIONS_BY_CODE:
        return DIVISIONS_BY_CODE[f"BD-{upper}"]
    key = _key(stripped.removesuffix(" Division").removesuffix(" division").removesuffix(" বিভাগ"))
    return _DIVISION_NAMES.get(key)


def find_district(text: str) -> District | None:
    """A district by code (``BD-13``, ``13``) or name (English, alias, Bengali; any case)."""
    stripped = text.strip()
    upper = stripped.upper()
    if upper in DISTRICTS_BY_CODE:
        return DISTRICTS_BY_CODE[upper]
    if stripped.isdigit() and stripped.isascii() and 1 <= int(stripped) <= len(DISTRICTS):
        return DISTRICTS_BY_CODE[f"BD-{int(stripped):02d}"]
    return _DISTRICT_NAMES.get(_key(stripped.removesuffix(" District").removesuffix(" district").removesuffix(" জেলা")))


def districts_of(division: Division | str) -> tuple[District, ...]:
    """The districts of a division (given as a Division, a code or a name), by English name."""
    found = division if isinstance(division, Division) else find_division(division)
    if found is None:
        raise LookupError(f"unknown division {division!r}")
    return tuple(sorted((item for item in DISTRICTS if item.division_letter == found.letter), key=lambda d: d.name))
