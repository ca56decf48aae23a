"""Every query of the master-data service; all of them start from the current tenant.

Search (``q``) matches a record when the text is a prefix of its code, appears in its English or
Bengali name, or — read as an identifier — equals its TIN, BIN (or BIN base), NID, or one of its
phone numbers in any format (normalized to E.164 first).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import phonenumbers
from sqlalchemy import ColumnElement, Select, func, or_, select

from vextrus import bd
from vextrus.bd.result import digits_only
from vextrus.kit.pagination import Page, PageRequest, paginate
from vextrus.kit.repository import TenantRepository
from vextrus.services.master_data.models import Account, Customer, CustomUnit, MasterRecord, Product, Vendor
from vextrus.services.master_data.rules import nfc

Record = TypeVar("Record", bound=MasterRecord)
Item = TypeVar("Item")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_phone(text: str) -> str | None:
    """The E.164 form of a phone number typed in any format, or None."""
    mobile = bd.normalize_mobile(text)
    if mobile is not None:
        return mobile
    digits = digits_only(text.replace("+", "").replace("(", "").replace(")", ""))
    if digits is None or len(digits) < 6:
        return None
    try:
        number = phonenumbers.parse(bd.to_latin_digits(text), "BD")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@dataclass(frozen=True)
class Filters:
    q: str | None = None
    phone: str | None = None
    include_deleted: bool = False
    equals: tuple[tuple[str, Any], ...] = ()


class MasterRepository(TenantRepository[Record]):
    """Queries shared by customers, vendors, products and accounts."""

    identifier_columns: tuple[str, ...] = ()

    async def by_code(self, code: str) -> Record | None:
        return await self.first(self.model.code == code)

    def _search(self, text: str) -> ColumnElement[bool]:
        model = self.model
        query = nfc(text.strip())
        pattern = _escape_like(query)
        conditions: list[ColumnElement[bool]] = [
            func.upper(model.code).like(f"{_escape_like(query.upper())}%", escape="\\"),
            func.lower(model.name).like(f"%{pattern.lower()}%", escape="\\"),
            model.name_bn.like(f"%{pattern}%", escape="\\"),
        ]
        digits = digits_only(query)
        if digits:
            for column in self.identifier_columns:
                conditions.append(getattr(model, column) == digits)
            if "bin" in self.identifier_columns and len(digits) == 9:
                conditions.append(model.bin.like(f"{digits}%"))
        if hasattr(model, "phone_index"):
            phone = search_phone(query)
            if phone is not None:
                conditions.append(model.phone_index.like(f"%{phone}%"))
        return or_(*conditions)

    def filtered(self, filters: Filters) -> Select[Any]:
        statement = self.select()
        if not filters.include_deleted:
            statement = statement.where(self.model.deleted_at.is_(None))
        for column, value in filters.equals:
            if value is not None:
                statement = statement.where(getattr(self.model, column) == value)
        if filters.q:
            statement = statement.where(self._search(filters.q))
        if filters.phone and hasattr(self.model, "phone_index"):
            statement = statement.where(self.model.phone_index.like(f"%{_escape_like(filters.phone)}%", escape="\\"))
        return statement

    async def page(self, page: PageRequest, filters: Filters, convert: Callable[[Record], Item]) -> Page[Item]:
        return await paginate(self.session, self.filtered(filters), [self.model.code, self.model.id], page, convert)


class Customers(MasterRepository[Customer]):
    model = Customer
    identifier_columns = ("tin", "bin", "nid")


class Vendors(MasterRepository[Vendor]):
    model = Vendor
    identifier_columns = ("tin", "bin", "nid")

    async def by_tin(self, tin: str) -> Vendor | None:
        return await self.first(Vendor.tin == tin)


class Products(MasterRepository[Product]):
    model = Product
    identifier_columns = ("hs_code",)


class Accounts(MasterRepository[Account]):
    model = Account

    async def all_live(self) -> Sequence[Account]:
        return await self.all(Account.deleted_at.is_(None), order_by=[Account.code])

    async def parents(self) -> dict[uuid.UUID, uuid.UUID | None]:
        tenant = self.tenant_id
        rows = await self.session.execute(select(Account.id, Account.parent_id).where(Account.tenant_id == tenant))
        return {row.id: row.parent_id for row in rows}

    async def live_children_count(self, account_id: uuid.UUID) -> int:
        tenant = self.tenant_id
        count = await self.session.scalar(
            select(func.count())
            .select_from(Account)
            .where(Account.tenant_id == tenant, Account.parent_id == account_id, Account.deleted_at.is_(None))
        )
        return int(count or 0)

    async def codes(self) -> set[str]:
        tenant = self.tenant_id
        rows = await self.session.scalars(select(Account.code).where(Account.tenant_id == tenant))
        return set(rows.all())


class Units(TenantRepository[CustomUnit]):
    model = CustomUnit

    async def all_units(self) -> Sequence[CustomUnit]:
        return await self.all(order_by=[CustomUnit.code])

    async def by_code(self, code: str) -> CustomUnit | None:
        return await self.first(CustomUnit.code == code)
