"""What finance asks other services, through ``runtime.clients`` only (DESIGN.md §1):

- master data: the chart of accounts (cached per tenant for a minute; a miss refreshes), customers,
  vendors and products;
- rules: ``bd.vat.rate`` and ``bd.withholding.rate`` (batch evaluation, one call per document);
- workflow: start ``vendor-invoice-approval`` for a bill, read an instance;
- documents: render Mushak-6.3 and read the PDF back from file storage.

Every call is made as finance itself (a system principal minted per call with just the permissions
it needs), and always BEFORE finance opens its own write transaction (SQLite has one writer).
"""

from __future__ import annotations

import time
import uuid
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from vextrus.kit.clients import upstream_error
from vextrus.kit.errors import AppError, FieldError
from vextrus.kit.tenancy import Principal
from vextrus.services.finance.rules import DEFAULT_ACCOUNT_CODES
from vextrus.services.organization.client import service_subject

if TYPE_CHECKING:
    from vextrus.kit.runtime import Runtime

SUBJECT = service_subject("finance")
BOOK_TTL_SECONDS = 60.0


def system_principal(tenant_id: uuid.UUID, permissions: Iterable[str]) -> Principal:
    return Principal(subject=SUBJECT, tenant_id=tenant_id, permissions=frozenset(permissions), roles=("system",))


async def _call(
    runtime: Runtime,
    service: str,
    method: str,
    path: str,
    tenant_id: uuid.UUID,
    permissions: Iterable[str],
    *,
    allow: Sequence[int] = (),
    **kwargs: Any,
) -> tuple[int, Any]:
    response = await runtime.clients.request(
        service, method, path, principal=system_principal(tenant_id, permissions), **kwargs
    )
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400 and response.status_code not in allow:
        raise upstream_error(service, response.status_code, body)
    return response.status_code, body


# --- chart of accounts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountInfo:
    id: uuid.UUID
    code: str
    name: str
    name_bn: str | None
    type: str  # asset | liability | equity | income | expense
    normal_balance: str
    is_group: bool


@dataclass(frozen=True)
class AccountBook:
    by_id: Mapping[uuid.UUID, AccountInfo]
    by_code: Mapping[str, AccountInfo]

    def role(self, role: str) -> AccountInfo:
        """The posting account for a role of :data:`DEFAULT_ACCOUNT_CODES` (e.g. ``receivable``)."""
        code = DEFAULT_ACCOUNT_CODES[role]
        account = self.by_code.get(code)
        if account is None or account.is_group:
            raise AppError(
                422,
                "account_missing",
                f"The chart of accounts has no posting account {code} ({role}); install the Bangladesh chart "
                "(POST /api/v1/master-data/accounts/template) or create it",
                f"হিসাব তালিকায় {code} ({role}) হিসাব নেই",
                extra={"account_code": code, "role": role},
            )
        return account

    def posting(self, account_id: uuid.UUID, field: str) -> AccountInfo:
        account = self.by_id.get(account_id)
        if account is None:
            raise AppError(
                422,
                "validation_failed",
                f"{field}: no such account in the chart of accounts",
                f"{field}: হিসাব তালিকায় এমন হিসাব নেই",
                errors=[FieldError(field, "unknown_account", "no such account", "এমন হিসাব নেই")],
            )
        if account.is_group:
            raise AppError(
                422,
                "validation_failed",
                f"{field}: {account.code} is a group account; post to one of its sub-accounts",
                f"{field}: {account.code} একটি গ্রুপ হিসাব; উপ-হিসাবে লিখুন",
                errors=[FieldError(field, "group_account", "group accounts take no postings", "গ্রুপ হিসাবে লেখা যায় না")],
            )
        return account


_BOOKS: weakref.WeakKeyDictionary[Any, dict[uuid.UUID, tuple[float, AccountBook]]] = weakref.WeakKeyDictionary()


async def account_book(
    runtime: Runtime, tenant_id: uuid.UUID, *, need: Iterable[uuid.UUID] = (), fresh: bool = False
) -> AccountBook:
    """The tenant's accounts; refreshed after a minute or when an account in ``need`` is unknown."""
    books = _BOOKS.setdefault(runtime, {})
    cached = books.get(tenant_id)
    wanted = set(need)
    if (
        cached is not None
        and not fresh
        and time.monotonic() - cached[0] < BOOK_TTL_SECONDS
        and wanted.issubset(cached[1].by_id)
    ):
        return cached[1]
    accounts: list[AccountInfo] = []
    cursor: str | None = None
    while True:
        params = {"limit": "200"}
        if cursor:
            params["cursor"] = cursor
        _, page = await _call(
            runtime, "master-data", "GET", "/api/v1/accounts", tenant_id, ["master-data.account.read"], params=params
        )
        for item in page["items"]:
            accounts.append(
                AccountInfo(
                    id=uuid.UUID(item["id"]),
                    code=item["code"],
                    name=item["name"],
                    name_bn=item.get("name_bn"),
                    type=item["type"],
                    normal_balance=item["normal_balance"],
                    is_group=bool(item["is_group"]),
                )
            )
        cursor = page.get("next_cursor")
        if not cursor:
            break
    book = AccountBook({a.id: a for a in accounts}, {a.code: a for a in accounts})
    if all(code in book.by_code for code in DEFAULT_ACCOUNT_CODES.values()):
        books[tenant_id] = (time.monotonic(), book)  # an incomplete chart is asked again next time
    return book


# --- parties and products -------------------------------------------------------------------------


async def party(runtime: Runtime, tenant_id: uuid.UUID, side: str, party_id: uuid.UUID, field: str) -> dict[str, Any]:
    """A customer (sales) or vendor (purchase) from master data; 422 on the field when unknown."""
    entity = "customers" if side == "sales" else "vendors"
    singular = entity[:-1]
    status, body = await _call(
        runtime,
        "master-data",
        "GET",
        f"/api/v1/{entity}/{party_id}",
        tenant_id,
        [f"master-data.{singular}.read"],
        allow=(404,),
    )
    if status == 404 or body.get("deleted_at"):
        raise AppError(
            422,
            "validation_failed",
            f"{field}: no such {singular} in this tenant",
            f"{field}: এমন কোনো পক্ষ নেই",
            errors=[FieldError(field, "unknown", f"no such {singular}", "পাওয়া যায়নি")],
        )
    return dict(body)


async def products(runtime: Runtime, tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    found: dict[uuid.UUID, dict[str, Any]] = {}
    for ident in dict.fromkeys(ids):
        status, body = await _call(
            runtime,
            "master-data",
            "GET",
            f"/api/v1/products/{ident}",
            tenant_id,
            ["master-data.product.read"],
            allow=(404,),
        )
        if status == 200 and not body.get("deleted_at"):
            found[ident] = dict(body)
    return found


# --- rules ----------------------------------------------------------------------------------------


async def evaluate_many(
    runtime: Runtime, tenant_id: uuid.UUID, key: str, contexts: Sequence[Mapping[str, Any]], reference: str | None
) -> list[dict[str, Any]]:
    """Evaluate ``key`` for each context in one batch call; a failed item is a 422 naming the rule."""
    if not contexts:
        return []
    items: list[dict[str, Any]] = []
    for context in contexts:
        item: dict[str, Any] = {"key": key, "context": dict(context)}
        if reference:
            item["reference"] = reference
        items.append(item)
    _, body = await _call(
        runtime,
        "rules",
        "POST",
        "/api/v1/rules/evaluate/batch",
        tenant_id,
        ["rules.rule.evaluate"],
        json={"items": items},
    )
    results: list[dict[str, Any]] = []
    for item in body["items"]:
        if not item.get("ok"):
            error = item.get("error") or {}
            raise AppError(
                422,
                "rule_unavailable",
                f"The rule {key} could not be evaluated: {error.get('detail') or error.get('code') or 'error'} "
                "(install it: POST /api/v1/rules/templates/install)",
                f"{key} নিয়মটি মূল্যায়ন করা যায়নি",
                extra={"rule": key},
            )
        results.append(dict(item["result"]))
    return results


def decimal_of(value: Any) -> Decimal:
    return Decimal(str(value))


# --- workflow -------------------------------------------------------------------------------------


async def start_bill_approval(
    runtime: Runtime,
    tenant_id: uuid.UUID,
    requester: Principal,
    business_key: str,
    document: Mapping[str, Any],
    bill_id: uuid.UUID,
) -> dict[str, Any]:
    """Start ``vendor-invoice-approval`` as the requesting user (the requester owns the process)."""
    response = await runtime.clients.request(
        "workflow",
        "POST",
        "/api/v1/workflows/instances",
        principal=Principal(
            subject=requester.subject,
            tenant_id=tenant_id,
            permissions=frozenset({"workflow.instance.start"}),
            roles=requester.roles,
            company_ids=requester.company_ids,
        ),
        json={
            "definition": "vendor-invoice-approval",
            "business_key": business_key,
            "document": dict(document),
            "document_ref": {"service": "finance", "type": "vendor-bill", "id": str(bill_id)},
        },
        headers={"Idempotency-Key": f"finance-bill-{bill_id}"},
    )
    body = response.json() if response.content else None
    if response.status_code >= 400 or not isinstance(body, dict):
        raise upstream_error("workflow", response.status_code, body)
    return dict(body)


async def workflow_instance(runtime: Runtime, tenant_id: uuid.UUID, instance_id: uuid.UUID) -> dict[str, Any] | None:
    status, body = await _call(
        runtime,
        "workflow",
        "GET",
        f"/api/v1/workflows/instances/{instance_id}",
        tenant_id,
        ["workflow.instance.read"],
        allow=(404,),
    )
    return None if status == 404 else dict(body)


# --- documents ------------------------------------------------------------------------------------


async def render_pdf(
    runtime: Runtime, tenant_id: uuid.UUID, company_id: uuid.UUID, body: Mapping[str, Any]
) -> tuple[bytes, str]:
    """Render a built-in template synchronously and read the PDF back from file storage."""
    principal = Principal(
        subject=SUBJECT,
        tenant_id=tenant_id,
        permissions=frozenset({"documents.document.render", "documents.document.read", "files.file.read"}),
        roles=("system",),
        company_ids=(company_id,),
    )
    response = await runtime.clients.request(
        "documents", "POST", "/api/v1/documents/render", principal=principal, json=dict(body)
    )
    data = response.json() if response.content else None
    if response.status_code >= 400:
        raise upstream_error("documents", response.status_code, data)
    file_id = data.get("file_id") if isinstance(data, dict) else None
    if not file_id:
        raise AppError(502, "render_failed", "The documents service returned no file", "ফাইল তৈরি হয়নি")
    content = await runtime.clients.request("files", "GET", f"/api/v1/files/{file_id}/content", principal=principal)
    if content.status_code >= 400:
        raise upstream_error("files", content.status_code, content.json() if content.content else None)
    return content.content, content.headers.get("content-type", "application/pdf")
