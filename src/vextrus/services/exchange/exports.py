"""Exports: master records to CSV or XLSX with the list APIs' own filters, streamed.

Records are read from master data page by page (200 at a time) with the caller's own credentials,
so its permissions and its filters apply unchanged (a bad filter is master data's 422). The columns
are the import template's plus the read-only ones (id, version, ...), so an export can be edited
and imported back. CSV goes out as the pages arrive; XLSX is written row by row to a temporary file
(a ZIP cannot be sent before it is complete) and then streamed; memory stays flat either way.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import tempfile
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from fastapi.responses import StreamingResponse

from vextrus.kit.errors import AppError, invalid_field
from vextrus.services.exchange import metrics
from vextrus.services.exchange.files import BOM, MEDIA_TYPES, XlsxWriter, csv_line
from vextrus.services.exchange.layouts import LAYOUTS, Layout, export_text, export_value
from vextrus.services.master_data.client import MasterDataClient, RecordPage

CHUNK_BYTES = 64 * 1024


def check_filters(layout: Layout, filters: Mapping[str, str | None]) -> dict[str, str]:
    """The filters given, each one the entity's list API knows (422 naming the first that is not)."""
    given = {name: value for name, value in filters.items() if value is not None}
    for name in given:
        if name not in layout.filters:
            raise invalid_field(
                f"query.{name}",
                f"{layout.entity} cannot be filtered by {name} (filters: {', '.join(layout.filters)})",
                f"{layout.entity} {name} দিয়ে ছাঁকা যায় না",
            )
    return given


async def _account_codes(client: MasterDataClient, layout: Layout) -> dict[str, str]:
    """Account ids -> codes for the columns that name accounts (left blank without account.read)."""
    if not any(column.kind == "ref" for column in layout.columns):
        return {}
    codes: dict[str, str] = {}
    try:
        async for account in client.records("accounts", {"include_deleted": "true"}):
            codes[str(account["id"])] = str(account["code"])
    except AppError as error:
        if error.status != 403:
            raise
    return codes


def _filename(entity: str, file_format: str) -> str:
    return f"{entity}-{dt.datetime.now(dt.UTC).strftime('%Y%m%d-%H%M%S')}.{file_format}"


async def export(
    client: MasterDataClient, entity: str, filters: Mapping[str, str], file_format: str, scratch: Path
) -> StreamingResponse:
    """The export as a streamed response; ``scratch`` holds an XLSX file while it is written."""
    layout = LAYOUTS[entity]
    first = await client.page(entity, filters)  # errors before the response starts
    accounts = await _account_codes(client, layout)
    columns = layout.columns
    headers = {"Content-Disposition": f'attachment; filename="{_filename(entity, file_format)}"'}

    async def records() -> AsyncIterator[dict[str, Any]]:
        async for record in client.records(entity, filters, first=first):
            yield record

    def cells(record: Mapping[str, Any]) -> list[Any]:
        return [export_value(column, record, accounts) for column in columns]

    if file_format == "csv":

        async def csv_body() -> AsyncIterator[str]:
            buffer = [BOM, csv_line([column.key for column in columns])]
            size, count = 0, 0
            async for record in records():
                line = csv_line([export_text(value) for value in cells(record)])
                buffer.append(line)
                size += len(line)
                count += 1
                if size >= CHUNK_BYTES:
                    yield "".join(buffer)
                    buffer, size = [], 0
            yield "".join(buffer)
            metrics.EXPORTED_ROWS.labels(entity, "csv").inc(count)

        return StreamingResponse(csv_body(), media_type=MEDIA_TYPES["csv"], headers=headers)

    path = await _xlsx(layout, records(), cells, scratch)

    async def xlsx_body() -> AsyncIterator[bytes]:
        try:
            with path.open("rb") as handle:
                while chunk := await asyncio.to_thread(handle.read, CHUNK_BYTES):
                    yield chunk
        finally:
            path.unlink(missing_ok=True)

    return StreamingResponse(xlsx_body(), media_type=MEDIA_TYPES["xlsx"], headers=headers)


async def _xlsx(layout: Layout, records: AsyncIterator[dict[str, Any]], cells: Any, scratch: Path) -> Path:
    writer = XlsxWriter(layout.entity)
    writer.header([column.key for column in layout.columns])
    batch: list[list[Any]] = []
    count = 0

    def write(rows: list[list[Any]]) -> None:
        for row in rows:
            writer.row(row)

    async for record in records:
        batch.append(cells(record))
        if len(batch) >= 500:
            count += len(batch)
            await asyncio.to_thread(write, batch)
            batch = []
    count += len(batch)
    await asyncio.to_thread(write, batch)
    path = await asyncio.to_thread(_scratch_file, scratch)
    await asyncio.to_thread(writer.save, path)
    metrics.EXPORTED_ROWS.labels(layout.entity, "xlsx").inc(count)
    return path


def _scratch_file(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix="export-", suffix=".xlsx", dir=directory)
    os.close(descriptor)
    return Path(name)


__all__ = ["RecordPage", "check_filters", "export"]
