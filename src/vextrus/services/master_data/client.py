"""The master-data service's public client: what other services use to read master records page
by page and to import them in bulk (the import-export service).

Built on the kit's ``runtime.clients`` (in-process in embedded mode, ``VEXTRUS_SERVICE_URLS`` in
distributed mode). A client acts with one credential, either

- ``principal=``: a token is minted for it per call (60 s), which needs the signing key (every
  process in embedded mode; the auth service in distributed mode); a background job acts so as
  the user who started it, with the permissions it needs; or
- ``authorization=``: the caller's own ``Authorization`` header, forwarded (a request acting for
  its user: master data then checks that user's own permissions).

Errors of master data come back as :class:`~vextrus.kit.errors.AppError` with the upstream status,
code, detail and field errors unchanged. On SQLite, never hold your own write transaction open
across a call: call first, then write.

Usage::

    records = MasterDataClient(runtime, authorization=request.headers["authorization"])
    async for product in records.records("products", {"category": "cement"}):
        ...
    importer = MasterDataClient(runtime, principal=job_principal)
    batch = await importer.import_rows("products", rows, dry_run=True)
    for row in batch.results: row.status, row.errors
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vextrus.kit.clients import upstream_error
from vextrus.kit.tenancy import Principal

if TYPE_CHECKING:
    from vextrus.kit.runtime import Runtime

SERVICE = "master-data"
BASE = "/api/v1"

ENTITIES = ("customers", "vendors", "products", "accounts")
"""The entities that can be listed and imported, as they appear in paths."""

SINGULAR = {"customers": "customer", "vendors": "vendor", "products": "product", "accounts": "account"}

MAX_IMPORT_ROWS = 1000
MAX_PAGE = 200

LIST_FILTERS: dict[str, tuple[str, ...]] = {
    "customers": ("q", "status", "kind", "district", "tin", "bin", "phone", "include_deleted"),
    "vendors": ("q", "approval_status", "kind", "district", "tin", "bin", "phone", "include_deleted"),
    "products": ("q", "type", "category", "status", "include_deleted"),
    "accounts": ("q", "type", "is_group", "parent_id", "include_deleted"),
}
"""The query filters each list route takes (besides ``limit`` and ``cursor``)."""


def read_permission(entity: str) -> str:
    return f"master-data.{SINGULAR[entity]}.read"


def write_permission(entity: str) -> str:
    """The permission an import of ``entity`` needs (dry runs included)."""
    return f"master-data.{SINGULAR[entity]}.write"


@dataclass(frozen=True)
class RowProblem:
    field: str  # relative to the row: "tin", "billing_address.district", "conversions.0.factor"
    code: str
    reason: str
    reason_bn: str | None = None


@dataclass(frozen=True)
class RowOutcome:
    index: int
    code: str | None
    status: str  # created | updated | unchanged | invalid (in a dry run: what would happen)
    id: uuid.UUID | None = None
    changed: tuple[str, ...] = ()
    errors: tuple[RowProblem, ...] = ()


@dataclass(frozen=True)
class ImportBatch:
    dry_run: bool
    created: int
    updated: int
    unchanged: int
    invalid: int
    results: list[RowOutcome] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ImportBatch:
        return cls(
            dry_run=bool(data["dry_run"]),
            created=int(data["created"]),
            updated=int(data["updated"]),
            unchanged=int(data["unchanged"]),
            invalid=int(data["invalid"]),
            results=[
                RowOutcome(
                    index=int(item["index"]),
                    code=item.get("code"),
                    status=str(item["status"]),
                    id=uuid.UUID(item["id"]) if item.get("id") else None,
                    changed=tuple(item.get("changed") or ()),
                    errors=tuple(
                        RowProblem(str(e["field"]), str(e["code"]), str(e["reason"]), e.get("reason_bn"))
                        for e in item.get("errors") or ()
                    ),
                )
                for item in data["results"]
            ],
        )


@dataclass(frozen=True)
class RecordPage:
    items: list[dict[str, Any]]
    next_cursor: str | None


@dataclass(frozen=True)
class AssumedAccount:
    """An account an earlier batch of the same dry run would create (a parent for later rows)."""

    code: str
    type: str
    is_group: bool


class MasterDataClient:
    """Calls master data as ``principal`` (a token minted per call) or with a forwarded header."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        principal: Principal | None = None,
        authorization: str | None = None,
        language: str = "en",
    ) -> None:
        if (principal is None) == (authorization is None):
            raise ValueError("give exactly one of principal= or authorization=")
        self._runtime = runtime
        self._principal = principal
        self._authorization = authorization
        self._language = language

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Accept-Language": self._language}
        if self._authorization is not None:
            headers["Authorization"] = self._authorization
        response = await self._runtime.clients.request(
            SERVICE, method, BASE + path, principal=self._principal, headers=headers, **kwargs
        )
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400:
            raise upstream_error(SERVICE, response.status_code, body)
        return body

    async def import_rows(
        self,
        entity: str,
        rows: Sequence[Mapping[str, Any]],
        *,
        dry_run: bool,
        assume: Iterable[AssumedAccount] = (),
    ) -> ImportBatch:
        """Validate (``dry_run``) or upsert by code up to 1,000 rows shaped like the create body.

        References may be by code: ``parent_code`` (accounts), ``purchase_account_code`` and
        ``sale_account_code`` (products). ``assume`` (accounts, dry runs) names parents an earlier
        batch of the same dry run would create.
        """
        if entity not in ENTITIES:
            raise ValueError(f"unknown entity {entity!r}")
        body: dict[str, Any] = {"rows": list(rows), "dry_run": dry_run}
        assumed = [{"code": item.code, "type": item.type, "is_group": item.is_group} for item in assume]
        if assumed:
            body["assume"] = assumed
        return ImportBatch.from_json(await self._call("POST", f"/{entity}/import", json=body))

    async def page(
        self, entity: str, filters: Mapping[str, str] | None = None, *, cursor: str | None = None, limit: int = MAX_PAGE
    ) -> RecordPage:
        """One page of the list route, with its filters (see :data:`LIST_FILTERS`)."""
        if entity not in ENTITIES:
            raise ValueError(f"unknown entity {entity!r}")
        params = {key: value for key, value in (filters or {}).items() if value is not None}
        params["limit"] = str(limit)
        if cursor:
            params["cursor"] = cursor
        data = await self._call("GET", f"/{entity}", params=params)
        return RecordPage(items=list(data["items"]), next_cursor=data.get("next_cursor"))

    async def records(
        self, entity: str, filters: Mapping[str, str] | None = None, *, first: RecordPage | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every record the filters select, in code order, page by page (``first`` if already read)."""
        page = first or await self.page(entity, filters)
        while True:
            for item in page.items:
                yield item
            if not page.next_cursor:
                return
            page = await self.page(entity, filters, cursor=page.next_cursor)


__all__ = [
    "ENTITIES",
    "LIST_FILTERS",
    "MAX_IMPORT_ROWS",
    "AssumedAccount",
    "ImportBatch",
    "MasterDataClient",
    "RecordPage",
    "RowOutcome",
    "RowProblem",
    "read_permission",
    "write_permission",
]
