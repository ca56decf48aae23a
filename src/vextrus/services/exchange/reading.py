"""An import file as rows: the header found and checked at upload, then the data rows in batches
for the runner, and the rows again beside their outcomes for the result file. Synchronous and
streaming (constant memory); callers run it in a worker thread."""

from __future__ import annotations

import csv
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from vextrus.services.exchange.files import FileError, XlsxWriter, count_rows, csv_line, open_rows
from vextrus.services.exchange.layouts import RESULT_COLUMNS, HeaderError, HeaderMap, Layout, ParsedRow, cell_text
from vextrus.services.exchange.layouts import map_header as _map_header
from vextrus.services.exchange.layouts import parse_row as _parse_row

RowKind = Literal["data", "blank", "label"]
OUTCOME_HEADER = ("row", "status", "code", "errors", "errors_bn", "changed")


@dataclass(frozen=True)
class Inspection:
    header: HeaderMap
    header_cells: tuple[str, ...]
    header_row: int  # 1-based row number of the header
    total_rows: int  # data rows (estimate: blank rows count until they are read)


@dataclass(frozen=True)
class SourceRow:
    number: int  # 1-based row number in the file
    kind: RowKind
    parsed: ParsedRow | None = None


def _is_blank(cells: Sequence[Any]) -> bool:
    return all(not cell_text(cell) for cell in cells)


def _header(rows: Iterator[list[Any]], layout: Layout) -> tuple[int, list[Any], HeaderMap]:
    for number, cells in enumerate(rows, start=1):
        if _is_blank(cells):
            if number > 20:
                break
            continue
        try:
            return number, cells, _map_header(layout, cells)
        except HeaderError as error:
            raise FileError(error.reason, error.reason_bn) from None
    raise FileError("The file has no header row", "ফাইলে কোনো শিরোনাম সারি নেই")


def inspect(path: Path, file_format: str, layout: Layout, max_rows: int) -> Inspection:
    """Find and check the header (422 material) and count the data rows (for progress)."""
    with open_rows(path, file_format) as rows:
        header_row, cells, header = _header(rows, layout)
        following = next(rows, None)
    labels = 1 if following is not None and header.is_label_row(following) else 0
    total = max(0, count_rows(path, file_format) - header_row - labels)
    if total > max_rows and file_format == "xlsx":  # the sheet's declared size may be too large
        total = max(0, count_rows(path, file_format, exact=True) - header_row - labels)
    if total > max_rows:
        raise FileError(
            f"The file has {total} rows; at most {max_rows} can be imported at once: split it",
            f"ফাইলে {total}টি সারি; একবারে সর্বোচ্চ {max_rows}টি আমদানি করা যায়: ভাগ করে দিন",
        )
    header_cells = tuple(cell_text(cell) for cell in cells)
    return Inspection(header, header_cells, header_row, total)


def source_rows(path: Path, file_format: str, layout: Layout) -> Iterator[tuple[int, list[Any], RowKind, HeaderMap]]:
    """Every row after the header, with its number and kind (data, blank, the Bengali label row)."""
    with open_rows(path, file_format) as rows:
        header_row, _, header = _header(rows, layout)
        for number, cells in enumerate(rows, start=header_row + 1):
            if _is_blank(cells):
                yield number, cells, "blank", header
            elif number == header_row + 1 and header.is_label_row(cells):
                yield number, cells, "label", header
            else:
                yield number, cells, "data", header


def batches(path: Path, file_format: str, layout: Layout, size: int) -> Generator[list[SourceRow]]:
    """Rows after the header in batches of ``size`` data rows (blank and label rows ride along)."""
    batch: list[SourceRow] = []
    data = 0
    for number, cells, kind, header in source_rows(path, file_format, layout):
        if kind == "data":
            batch.append(SourceRow(number, kind, _parse_row(header, cells)))
            data += 1
        else:
            batch.append(SourceRow(number, kind))
        if data >= size:
            yield batch
            batch, data = [], 0
    if batch:
        yield batch


# --- result files ---------------------------------------------------------------------------------------

STATUS_LABELS = {
    "dry_run": {"created": "will create", "updated": "will update", "unchanged": "unchanged", "invalid": "rejected"},
    "commit": {"created": "created", "updated": "updated", "unchanged": "unchanged", "invalid": "rejected"},
}


def _outcomes(path: Path) -> Iterator[dict[str, str]]:
    if not path.exists():
        return
    with path.open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def result_rows(source: Path, file_format: str, layout: Layout, outcomes: Path, mode: str) -> Iterator[list[Any]]:
    """The original rows (header first) with the row number, status and errors appended."""
    labels = STATUS_LABELS.get(mode, STATUS_LABELS["commit"])
    with open_rows(source, file_format) as rows:
        header_row, header_cells, _ = _header(rows, layout)
        width = len(header_cells)
        yield [*header_cells, *RESULT_COLUMNS]
        recorded = _outcomes(outcomes)
        pending = next(recorded, None)
        for number, cells in enumerate(rows, start=header_row + 1):
            while pending is not None and int(pending["row"]) < number:
                pending = next(recorded, None)
            padded = list(cells) + [None] * (width - len(cells))
            if _is_blank(cells):
                continue
            if pending is not None and int(pending["row"]) == number:
                status = pending["status"]
                if status == "skipped":
                    continue
                changed = pending["changed"]
                label = labels.get(status, status) + (f" ({changed})" if changed else "")
                yield [*padded, number, label, pending["errors"] or None, pending["errors_bn"] or None]
            else:
                yield [*padded, number, "not processed", None, None]


def write_result_xlsx(rows: Iterator[list[Any]], path: Path, title: str) -> None:
    writer = XlsxWriter(title)
    header = next(rows)
    writer.header(header)
    for row in rows:
        writer.row(row)
    partial = path.with_suffix(".part")
    writer.save(partial)
    partial.replace(path)


def result_csv_chunks(rows: Iterator[list[Any]], lines_per_chunk: int = 2000) -> Generator[str]:
    chunk: list[str] = ["\ufeff"]
    for row in rows:
        chunk.append(csv_line([cell_text(cell) for cell in row]))
        if len(chunk) >= lines_per_chunk:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)
