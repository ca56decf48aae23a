"""Keyset pagination: ``?limit=&cursor=`` over a stable, unique ordering.

The cursor is opaque to clients (URL-safe base64 of the last row's sort values). Unlike OFFSET it
stays fast on deep pages and does not skip or repeat rows while others insert.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from vextrus.kit.errors import AppError, invalid_field

Item = TypeVar("Item")

MAX_LIMIT = 200


@dataclass(frozen=True)
class PageRequest:
    limit: int
    cursor: str | None


async def page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = 50,
    cursor: Annotated[str | None, Query(max_length=512, description="Opaque cursor from `next_cursor`")] = None,
) -> PageRequest:
    return PageRequest(limit, cursor)


class Page(BaseModel, Generic[Item]):
    items: list[Item]
    next_cursor: str | None = None


def _encode_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"t": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"u": str(value)}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and "t" in value:
        return dt.datetime.fromisoformat(value["t"])
    if isinstance(value, dict) and "u" in value:
        return uuid.UUID(value["u"])
    return value


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([_encode_value(value) for value in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _invalid_cursor() -> AppError:
    return invalid_field(
        "query.cursor",
        "The cursor is not valid; use next_cursor from the previous page",
        "কার্সরটি সঠিক নয়; আগের পাতার next_cursor ব্যবহার করুন",
        code="invalid_cursor",
    )


def decode_cursor(cursor: str, width: int) -> list[Any]:
    """The values of a cursor of ``width`` columns; 422 for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != width:
            raise ValueError("wrong shape")
        return [_decode_value(value) for value in values]
    except (ValueError, TypeError, json.JSONDecodeError):
        raise _invalid_cursor() from None


def _fits(column: InstrumentedAttribute[Any], value: Any) -> bool:
    """Whether a cursor value has the Python type of its ordering column."""
    try:
        expected = column.type.python_type
    except NotImplementedError:
        return True
    if expected is dt.datetime:
        return isinstance(value, dt.datetime) and value.tzinfo is not None
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


async def paginate(
    session: AsyncSession,
    statement: Select[Any],
    order: Sequence[InstrumentedAttribute[Any]],
    page: PageRequest,
    convert: Callable[[Any], Item],
    *,
    descending: bool = False,
) -> Page[Item]:
    """Run ``statement`` ordered by ``order`` (must end with a unique column) from ``page.cursor``."""
    if page.cursor:
        values = decode_cursor(page.cursor, len(order))
        if not all(_fits(column, value) for column, value in zip(order, values, strict=True)):
            raise _invalid_cursor()  # a forged cursor must not reach the database
        key = tuple_(*order)
        statement = statement.where(key < tuple_(*values) if descending else key > tuple_(*values))
    ordering = [column.desc() if descending else column.asc() for column in order]
    rows = (await session.execute(statement.order_by(*ordering).limit(page.limit + 1))).scalars().all()
    next_cursor = None
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, column.key) for column in order])
    return Page[Any](items=[convert(row) for row in rows], next_cursor=next_cursor)
