"""Reading files: the fast XLSX sheet reader gives exactly what openpyxl's read-only mode gives
(typed cells, dates in both epochs, shared and inline strings, gaps, formulas' cached values),
refuses DTDs, and CSV is read in any of Excel's delimiters and encodings we accept."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from vextrus.services.exchange.files import FileError, count_rows, open_rows

ROWS: list[list[Any]] = [
    ["code", "name", "qty", "price", "expiry", "stamp", "group", "blank", "name_bn"],
    ["A-1", "Cement", 1, 545.5, dt.date(2026, 12, 31), dt.datetime(2026, 1, 2, 3, 4, 5), True, None, "সিমেন্ট"],
    [None] * 9,
    ["B-2", "", 0, -2.25e10, None, None, False, None, "৳ ১,২৫,০০০"],
    ["C-3", "x" * 300, 10**15, 0.1, dt.date(1900, 3, 1), None, None, None, "ইট"],
]


def normalized(rows: list[list[Any]]) -> list[list[Any]]:
    out = []
    for row in rows:
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out


def workbook(tmp_path: Path, *, write_only: bool, epoch1904: bool = False, extra: bool = False) -> Path:
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("data") if write_only else book.active
    assert sheet is not None
    if epoch1904:
        book.epoch = dt.datetime(1904, 1, 1)  # type: ignore[assignment]
    for row in ROWS:
        sheet.append(row)
    if extra and not write_only:
        sheet["K8"] = "far away"  # a gap of rows and columns
        sheet["C10"] = "=1+1"  # a formula without a cached value
        sheet.append([])
    path = tmp_path / f"book-{write_only}-{epoch1904}-{extra}.xlsx"
    book.save(path)
    return path


def openpyxl_rows(path: Path) -> list[list[Any]]:
    book = load_workbook(path, read_only=True, data_only=True)
    rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return rows


@pytest.mark.parametrize(
    ("write_only", "epoch1904", "extra"),
    [(True, False, False), (False, False, False), (False, True, False), (False, False, True)],
)
def test_the_fast_reader_reads_what_openpyxl_reads(
    tmp_path: Path, write_only: bool, epoch1904: bool, extra: bool
) -> None:
    path = workbook(tmp_path, write_only=write_only, epoch1904=epoch1904, extra=extra)
    with open_rows(path, "xlsx") as rows:
        fast = [list(row) for row in rows]
    assert normalized(fast) == normalized(openpyxl_rows(path))
    assert fast[1][4] == dt.datetime(2026, 12, 31)
    assert fast[1][8] == "সিমেন্ট"


def test_sheets_declaring_a_dtd_are_refused(tmp_path: Path) -> None:
    source = workbook(tmp_path, write_only=True)
    target = tmp_path / "dtd.xlsx"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(b"<worksheet", b'<!DOCTYPE x [<!ENTITY a "aaaa">]><worksheet', 1)
            new.writestr(item, data)
    with pytest.raises(FileError) as refused, open_rows(target, "xlsx") as rows:
        list(rows)
    assert "DTD" in refused.value.reason


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("\ufeffcode,name\nP-1,ইট\n", [["code", "name"], ["P-1", "ইট"]]),
        ('code;name\nP-1;"a;b"\n', [["code", "name"], ["P-1", "a;b"]]),
        ("code\tname\nP-1\tx\n", [["code", "name"], ["P-1", "x"]]),
        ('code,name\nP-1,"two\nlines"\n', [["code", "name"], ["P-1", "two\nlines"]]),
    ],
)
def test_csv_delimiters_and_quoting(tmp_path: Path, content: str, expected: list[list[str]]) -> None:
    path = tmp_path / "file.csv"
    path.write_text(content, encoding="utf-8")
    with open_rows(path, "csv") as rows:
        assert list(rows) == expected
    assert count_rows(path, "csv") == len(expected)


def test_row_counts_of_streamed_workbooks(tmp_path: Path) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    for number in range(2500):
        sheet.append([f"P-{number}", "x" * (number % 50)])
    path = tmp_path / "big.xlsx"
    book.save(path)
    assert count_rows(path, "xlsx") == 2500  # unsized sheet: counted from the XML, chunk by chunk


def test_unreadable_workbooks(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + io.BytesIO(b"junk" * 100).getvalue())
    with pytest.raises(FileError), open_rows(path, "xlsx") as rows:
        list(rows)


def rewritten(tmp_path: Path, name: str, change: Any) -> Path:
    """A copy of a small workbook with its sheet's XML changed by ``change(bytes) -> bytes``."""
    source = workbook(tmp_path, write_only=False)
    target = tmp_path / name
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = change(data)
            new.writestr(item, data)
    return target


@pytest.mark.parametrize(
    ("name", "change", "reason"),
    [
        ("truncated.xlsx", lambda data: data[: len(data) // 2], "XML"),
        ("far-column.xlsx", lambda data: data.replace(b'r="B2"', b'r="ZZZ2"', 1), "cell ZZZ2"),
        ("far-row.xlsx", lambda data: data.replace(b'<row r="5"', b'<row r="2000000"', 1), "row 2000000"),
        ("bad-number.xlsx", lambda data: data.replace(b"<v>545.5</v>", b"<v>lots</v>", 1), "ValueError"),
    ],
)
def test_damaged_sheets_are_a_file_error_not_a_crash(tmp_path: Path, name: str, change: Any, reason: str) -> None:
    path = rewritten(tmp_path, name, change)
    with pytest.raises(FileError) as refused, open_rows(path, "xlsx") as rows:
        list(rows)
    assert refused.value.reason.startswith("The workbook's sheet is malformed")
    assert reason in refused.value.reason


def test_a_sheet_declaring_more_rows_than_it_has_is_counted_exactly(tmp_path: Path) -> None:
    path = rewritten(tmp_path, "lying.xlsx", lambda data: data.replace(b'ref="A1:I5"', b'ref="A1:I1048576"', 1))
    assert count_rows(path, "xlsx") == 1_048_576  # what it declares (cheap, for progress)
    assert count_rows(path, "xlsx", exact=True) == 5  # what it has (before refusing it as too long)


def peak_bytes_reading(path: Path) -> int:
    import tracemalloc

    with open_rows(path, "xlsx") as rows:
        tracemalloc.start()
        try:
            for _ in rows:
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def test_memory_stays_flat_on_a_long_sheet(tmp_path: Path) -> None:
    """Rows read are dropped from the parsed tree: a sheet four times as long peaks at about the same
    memory (keeping even cleared row elements costs some 80 bytes a row)."""
    peaks = []
    for count in (10_000, 40_000):
        book = Workbook(write_only=True)
        sheet = book.create_sheet("data")
        for number in range(count):
            sheet.append([number, 2.5])  # numbers only: no shared strings held by openpyxl
        path = tmp_path / f"long-{count}.xlsx"
        book.save(path)
        peaks.append(peak_bytes_reading(path))
    assert peaks[1] < peaks[0] * 1.3 + 100_000, peaks


def test_rich_inline_strings_read_as_openpyxl_reads_them(tmp_path: Path) -> None:
    """Text stored inline as rich runs, with a phonetic hint: the fast reader gives the text
    openpyxl gives (the runs joined, the hint left out)."""
    cells = (
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c>'
        b'<c r="B1" t="inlineStr"><is><r><t>Meghna </t></r><r><t>Cement</t></r>'
        b'<rPh sb="0" eb="1"><t>x</t></rPh></is></c>'
        b'<c r="C1" t="inlineStr"><is><t>\xe0\xa6\x87\xe0\xa6\x9f</t></is></c></row>'
    )
    source = rewritten(
        tmp_path,
        "rich.xlsx",
        lambda data: data[: data.index(b"<sheetData>")] + b"<sheetData>" + cells + b"</sheetData></worksheet>",
    )
    with open_rows(source, "xlsx") as rows:
        fast = [list(row) for row in rows]
    assert fast == [["code", "Meghna Cement", "ইট"]]
    assert normalized(fast) == normalized(openpyxl_rows(source))
