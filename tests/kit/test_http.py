"""What every route gets from the kit, shown on a small probe service: problem+json errors in
English and Bengali, token verification, permissions, the commit-at-the-boundary unit of work,
keyset cursors, GraphQL limits and error masking, request ids, and tenant default-deny."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import httpx
import jwt
import pytest
import strawberry
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from tests.conftest import make_settings
from vextrus.kit.app import build_app
from vextrus.kit.db import SessionDep
from vextrus.kit.errors import AppError, negotiate_language
from vextrus.kit.events.models import InboxEntry
from vextrus.kit.graphql import GraphQLContext
from vextrus.kit.migrations import platform_tree, upgrade
from vextrus.kit.pagination import decode_cursor, encode_cursor
from vextrus.kit.repository import TenantRepository
from vextrus.kit.runtime import Runtime
from vextrus.kit.security import PUBLIC, SigningKey, TokenIssuer, require
from vextrus.kit.service import GraphQLParts, Service
from vextrus.kit.tenancy import Principal, TenantContextMissing, current_tenant_id

router = APIRouter(prefix="/api/v1/probe")


class Material(BaseModel):
    name: str = Field(min_length=2, max_length=50)
    quantity: int = Field(gt=0)
    unit: str = Field(pattern="^(bag|ton|cft)$")


@router.post("/materials", status_code=201)
async def create_material(body: Material, principal: Principal = require("probe.material.create")) -> dict[str, str]:
    return {"name": body.name, "tenant": str(principal.tenant_id)}


@router.get("/whoami")
async def whoami(principal: Principal = require("probe.self.read")) -> dict[str, str]:
    return {"tenant": str(current_tenant_id()), "subject": str(principal.subject)}


@router.post("/inbox/{event_id}")
async def write_then_maybe_fail(
    event_id: str, session: SessionDep, fail: Annotated[bool, Query()] = False, _: object = PUBLIC
) -> dict[str, str]:
    session.add(InboxEntry(consumer="probe", event_id=event_id, topic="probe.test.written"))
    await session.flush()
    if fail:
        raise AppError(422, "validation_failed", "refused after writing")
    return {"event_id": event_id}


@router.post("/duplicate/{event_id}")
async def duplicate_on_commit(event_id: str, session: SessionDep, _: object = PUBLIC) -> dict[str, str]:
    # No flush: the primary-key conflict surfaces only at commit, after the endpoint returned.
    session.add(InboxEntry(consumer="probe", event_id=event_id, topic="probe.test.written"))
    return {"event_id": event_id}


@router.get("/boom")
async def boom(_: object = PUBLIC) -> None:
    raise RuntimeError("secret database password is hunter2")


@strawberry.type
class ProbeNode:
    name: str

    @strawberry.field
    def child(self) -> ProbeNode:
        return ProbeNode(name=self.name + "+")


@strawberry.type
class ProbeQuery:
    @strawberry.field
    def probe_node(self) -> ProbeNode:
        return ProbeNode(name="root")

    @strawberry.field
    def probe_secret(self, info: strawberry.Info[GraphQLContext, None]) -> str:
        info.context.require("probe.secret.read")
        return "granted"

    @strawberry.field
    def probe_crash(self) -> str:
        raise RuntimeError("internal detail that must not leak")


PROBE = Service(
    name="probe",
    port=39002,
    title="Probe",
    router=router,
    graphql=GraphQLParts(query=ProbeQuery),
    permissions={"probe.material.create": "", "probe.self.read": "", "probe.secret.read": ""},
)


@pytest.fixture(scope="module")
async def probe(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    workdir: Path = tmp_path_factory.mktemp("probe")
    app = build_app([PROBE], make_settings(f"sqlite+aiosqlite:///{workdir / 'probe.db'}", workdir, graphql_max_depth=4))
    runtime: Runtime = app.state.runtime
    await upgrade(runtime.database, [platform_tree()])
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app, raise_app_exceptions=False), base_url="http://probe.test"
        ) as client:
            yield client, runtime


def bearer(
    runtime: Runtime, *permissions: str, tenant: uuid.UUID | None = None, ttl: int | None = None
) -> dict[str, str]:
    assert runtime.issuer is not None
    principal = Principal(subject=uuid.uuid4(), tenant_id=tenant or uuid.uuid4(), permissions=frozenset(permissions))
    return {"Authorization": f"Bearer {runtime.issuer.issue(principal, ttl)}"}


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("", "en"),
        ("bn", "bn"),
        ("bn-BD,bn;q=0.9,en;q=0.8", "bn"),
        ("en-US,en;q=0.9,bn;q=0.8", "en"),
        ("en;q=0.5, bn;q=0.9", "bn"),
        ("fr, de", "en"),
        ("bn;q=abc, en", "en"),
    ],
)
def test_language_negotiation(header: str | None, language: str) -> None:
    assert negotiate_language(header) == language


async def test_validation_error_names_each_field_in_english_and_bengali(
    probe: tuple[httpx.AsyncClient, Runtime],
) -> None:
    client, runtime = probe
    headers = bearer(runtime, "probe.material.create")
    body = {"name": "x", "quantity": 0, "unit": "kg"}
    english = await client.post("/api/v1/probe/materials", json=body, headers=headers)
    bengali = await client.post("/api/v1/probe/materials", json=body, headers={**headers, "Accept-Language": "bn"})
    for response in (english, bengali):
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        fields = {item["field"] for item in response.json()["errors"]}
        assert fields == {"body.name", "body.quantity", "body.unit"}
        assert "body.quantity" in response.json()["detail"]
    assert english.json()["title"] == "Validation failed"
    assert bengali.json()["title"] == "তথ্য যাচাই ব্যর্থ হয়েছে"
    assert bengali.headers["content-language"] == "bn"
    reasons = {item["field"]: item["reason"] for item in bengali.json()["errors"]}
    assert reasons["body.name"] == "লেখাটি খুব ছোট"
    assert reasons["body.quantity"] == "মানটি খুব ছোট"


async def test_unparsable_json_is_a_400_problem(probe: tuple[httpx.AsyncClient, Runtime]) -> None:
    client, runtime = probe
    response = await client.post(
        "/api/v1/probe/materials",
        content=b'{"name": "cement", ',
        headers={**bearer(runtime, "probe.material.create"), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "bad_request"


async def test_unexpected_error_is_a_500_without_internals(probe: tuple[httpx.AsyncClient, Runtime]) -> None:
    client, _ = probe
    response = await client.get("/api/v1/probe/boom")
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "hunter2" not in response.text


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "required"),
        ("Basic dXNlcjpwYXNz", "Bearer"),
        ("Bearer not-a-jwt", "invalid"),
    ],
)
async def test_requests_without_a_valid_token_are_401(
    probe: tuple[httpx.AsyncClient, Runtime], authorization: str | None, reason: str
) -> None:
    client, _ = probe
    headers = {"Authorization": authorization} if authorization else {}
    response = await client.get("/api/v1/probe/whoami", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert reason in response.json()["detail"]


async def test_expired_foreign_and_tampered_tokens_are_401(
    probe: tuple[httpx.AsyncClient, Runtime], tmp_path: Path
) -> None:
    client, runtime = probe
    expired = bearer(runtime, "probe.self.read", ttl=-120)
    foreign_issuer = TokenIssuer(SigningKey.load_or_create(tmp_path / "other.pem"), runtime.settings)
    foreign = foreign_issuer.issue(Principal(subject=uuid.uuid4(), tenant_id=uuid.uuid4(), permissions=frozenset("*")))
    valid = bearer(runtime, "probe.self.read")["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(valid, options={"verify_signature": False})
    claims["perms"] = ["*"]
    header, _, signature = valid.split(".")
    tampered_body = jwt.utils.base64url_encode(jwt.api_jws.json.dumps(claims).encode()).decode()
    for headers, reason in (
        (expired, "expired"),
        ({"Authorization": f"Bearer {foreign}"}, "unknown key"),
        ({"Authorization": f"Bearer {header}.{tampered_body}.{signature}"}, "invalid"),
    ):
        response = await client.get("/api/v1/probe/whoami", headers=headers)
        assert response.status_code == 401, reason
        assert reason in response.json()["detail"]


async def test_permission_is_checked_and_tenant_comes_from_the_token(probe: tuple[httpx.AsyncClient, Runtime]) -> None:
    client, runtime = probe
    tenant = uuid.uuid4()
    denied = await client.get("/api/v1/probe/whoami", headers=bearer(runtime, "probe.material.create", tenant=tenant))
    assert denied.status_code == 403
    assert denied.json()["permission"] == "probe.self.read"
    spoofed = {**bearer(runtime, "probe.*", tenant=tenant), "X-Tenant-ID": str(uuid.uuid4())}
    allowed = await client.get("/api/v1/probe/whoami", headers=spoofed)
    assert allowed.status_code == 200
    assert allowed.json()["tenant"] == str(tenant)


async def inbox_has(runtime: Runtime, event_id: str) -> bool:
    async with runtime.database.transaction() as session:
        return await session.scalar(select(InboxEntry.event_id).where(InboxEntry.event_id == event_id)) is not None


async def test_request_commits_on_success_and_rolls_back_on_error(probe: tuple[httpx.AsyncClient, Runtime]) -> None:
    client, runtime = probe
    kept, dropped = uuid.uuid4().hex, uuid.uuid4().hex
    assert (await client.post(f"/api/v1/probe/inbox/{kept}")).status_code == 200
    assert await inbox_has(runtime, kept)  # committed before the response was sent
    failed = await client.post(f"/api/v1/probe/inbox/{dropped}", params={"fail": "true"})
    assert failed.status_code == 422
    assert not await inbox_has(runtime, dropped)


async def test_a_failing_commit_is_an_error_response_not_a_false_success(
    probe: tuple[httpx.AsyncClient, Runtime],
) -> None:
    client, _ = probe
    event_id = uuid.uuid4().hex
    assert (await client.post(f"/api/v1/probe/duplicate/{event_id}")).status_code == 200
    conflict = await client.post(f"/api/v1/probe/duplicate/{event_id}")
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "conflict"


async def test_request_id_is_echoed_or_generated(probe: tuple[httpx.AsyncClient, Runtime]) -> None:
    client, _ = probe
    given = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    generated = await client.get("/health", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["x-request-id"] != "bad id with spaces"
    assert len(generated.headers["x-request-id"]) == 32


async def graphql(client: httpx.AsyncClient, query: str, headers: dict[str, str] | None = None) -> dict[str, object]:
    response = await client.post("/graphql", json={"query": query}, headers=headers or {})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_graphql_depth_limit_permissions_and_masked_errors(probe: tuple[httpx.AsyncClient, Runtime]) -> None:
    client, runtime = probe
    shallow = await graphql(client, "{ probeNode { child { name } } }")
    assert shallow == {"data": {"probeNode": {"child": {"name": "root+"}}}}
    deep = await graphql(client, "{ probeNode { child { child { child { child { child { name } } } } } } }")
    assert "exceeds maximum operation depth" in str(deep["errors"])
    anonymous = await graphql(client, "{ probeSecret }")
    assert anonymous["errors"][0]["extensions"]["code"] == "unauthorized"  # type: ignore[index]
    forbidden = await graphql(client, "{ probeSecret }", bearer(runtime, "probe.self.read"))
    assert forbidden["errors"][0]["extensions"]["status"] == 403  # type: ignore[index]
    bengali = await graphql(client, "{ probeSecret }", {**bearer(runtime, "probe.self.read"), "Accept-Language": "bn"})
    assert "অনুমতি প্রয়োজন" in bengali["errors"][0]["message"]  # type: ignore[index]
    granted = await graphql(client, "{ probeSecret }", bearer(runtime, "probe.secret.read"))
    assert granted == {"data": {"probeSecret": "granted"}}
    crash = await graphql(client, "{ probeCrash }")
    assert crash["errors"][0]["message"] == "Internal server error"  # type: ignore[index]
    assert "internal detail" not in str(crash)


def test_cursor_round_trip_and_garbage() -> None:
    import datetime as dt

    values = [dt.datetime(2026, 7, 1, 9, 30, tzinfo=dt.UTC), uuid.uuid4(), "INV-2026-27-000001", 42]
    assert decode_cursor(encode_cursor(values), 4) == values
    for garbage in ("%%%", encode_cursor([1]), "eyJ4IjoxfQ"):
        with pytest.raises(AppError) as raised:
            decode_cursor(garbage, 4)
        assert raised.value.status == 422
        assert raised.value.errors[0].field == "query.cursor"


def test_tenant_repository_denies_without_a_tenant() -> None:
    class Anything(TenantRepository):  # type: ignore[type-arg]
        model = InboxEntry

    with pytest.raises(TenantContextMissing):
        Anything(session=None).select()  # type: ignore[arg-type]
