"""The kit's identity pieces on a probe service: the company a request acts in, platform-only
permissions, calls between services (in-process, context-isolated, clear errors when unreachable),
signing-key rotation, and services' own settings."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import jwt
import pytest
from fastapi import APIRouter, Request
from pydantic_settings import SettingsConfigDict

from tests.conftest import make_settings
from vextrus.kit.app import build_app
from vextrus.kit.migrations import platform_tree, upgrade
from vextrus.kit.runtime import Runtime
from vextrus.kit.security import CompanyId, KeyRing, require
from vextrus.kit.service import Service
from vextrus.kit.settings import ServiceSettings, SettingsError
from vextrus.kit.tenancy import Principal, current_principal


class ProbeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="VEXTRUS_IDPROBE_")

    greeting: str = "salam"
    max_items: int = 10


router = APIRouter(prefix="/api/v1/idprobe")


@router.get("/company")
async def company(company_id: CompanyId, principal: Principal = require("idprobe.company.read")) -> dict[str, str]:
    return {"company_id": str(company_id)}


@router.get("/platform")
async def platform_only(principal: Principal = require("platform.probe.manage")) -> dict[str, str]:
    return {"subject": str(principal.subject)}


@router.get("/whoami")
async def whoami(request: Request, principal: Principal = require("idprobe.self.read")) -> dict[str, str]:
    settings = request.app.state.runtime.settings_of(ProbeSettings)
    return {"subject": str(principal.subject), "tenant": str(principal.tenant_id), "greeting": settings.greeting}


@router.get("/relay")
async def relay(request: Request, principal: Principal = require("idprobe.self.read")) -> dict[str, str]:
    """Calls the probe itself as another principal, then reports who is bound in this context."""
    runtime: Runtime = request.app.state.runtime
    other = Principal(subject=uuid.uuid4(), tenant_id=uuid.uuid4(), permissions=frozenset({"idprobe.self.read"}))
    response = await runtime.clients.request("idprobe", "GET", "/api/v1/idprobe/whoami", principal=other)
    bound = current_principal()
    return {
        "callee_saw": response.json()["subject"],
        "other": str(other.subject),
        "still_me": str(bound.subject if bound else None),
    }


@router.get("/unreachable")
async def unreachable(request: Request, principal: Principal = require("idprobe.self.read")) -> dict[str, str]:
    runtime: Runtime = request.app.state.runtime
    await runtime.clients.request("ghost", "GET", "/anything", principal=principal)
    return {}


PROBE = Service(
    name="idprobe",
    port=3999,
    title="Identity probe",
    router=router,
    settings=ProbeSettings,
)


@pytest.fixture(scope="module")
async def probe(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    workdir: Path = tmp_path_factory.mktemp("idprobe")
    settings = make_settings(
        f"sqlite+aiosqlite:///{workdir / 'probe.db'}",
        workdir,
        service_urls={"ghost": "http://127.0.0.1:9"},
        service_call_timeout_seconds=2,
    )
    app = build_app([PROBE], settings, service_settings={"idprobe": {"greeting": "nomoskar"}})
    runtime: Runtime = app.state.runtime
    await upgrade(runtime.database, [platform_tree()])
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app, raise_app_exceptions=False), base_url="http://idprobe.test"
        ) as client:
            yield client, runtime


def headers(runtime: Runtime, *permissions: str, companies: tuple[uuid.UUID, ...] = (), **extra: str) -> dict[str, str]:
    assert runtime.issuer is not None
    principal = Principal(
        subject=uuid.uuid4(), tenant_id=uuid.uuid4(), permissions=frozenset(permissions), company_ids=companies
    )
    return {"Authorization": f"Bearer {runtime.issuer.issue(principal)}", **extra}


PRIMARY, SECOND, STRANGER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


@pytest.mark.parametrize(
    ("companies", "header", "status", "code", "acting"),
    [
        ((PRIMARY, SECOND), None, 200, None, PRIMARY),
        ((PRIMARY, SECOND), str(SECOND), 200, None, SECOND),
        ((PRIMARY, SECOND), f"  {SECOND}  ", 200, None, SECOND),
        ((PRIMARY, SECOND), str(STRANGER), 403, "company_forbidden", None),
        ((PRIMARY,), "not-a-uuid", 400, "bad_request", None),
        ((), None, 400, "company_required", None),
    ],
)
async def test_the_acting_company_must_be_one_of_the_tokens_memberships(
    probe: tuple[httpx.AsyncClient, Runtime],
    companies: tuple[uuid.UUID, ...],
    header: str | None,
    status: int,
    code: str | None,
    acting: uuid.UUID | None,
) -> None:
    client, runtime = probe
    extra = {"X-Company-ID": header} if header is not None else {}
    response = await client.get(
        "/api/v1/idprobe/company", headers=headers(runtime, "idprobe.*", companies=companies, **extra)
    )
    assert response.status_code == status, response.text
    if code is None:
        assert response.json() == {"company_id": str(acting)}
    else:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == code


@pytest.mark.parametrize(
    ("granted", "allowed"),
    [
        (("*",), False),
        (("platform.*",), True),
        (("platform.probe.manage",), True),
        (("platform.probe.*",), True),
        (("idprobe.*", "*"), False),
    ],
)
async def test_platform_permissions_are_never_covered_by_a_tenant_wildcard(
    probe: tuple[httpx.AsyncClient, Runtime], granted: tuple[str, ...], allowed: bool
) -> None:
    client, runtime = probe
    response = await client.get("/api/v1/idprobe/platform", headers=headers(runtime, *granted))
    assert response.status_code == (200 if allowed else 403), response.text
    if not allowed:
        assert response.json()["permission"] == "platform.probe.manage"


async def test_a_service_call_runs_in_process_without_leaking_the_callees_principal(
    probe: tuple[httpx.AsyncClient, Runtime],
) -> None:
    client, runtime = probe
    me = headers(runtime, "idprobe.self.read")
    whoami = (await client.get("/api/v1/idprobe/whoami", headers=me)).json()
    relayed = await client.get("/api/v1/idprobe/relay", headers=me)
    assert relayed.status_code == 200, relayed.text
    body = relayed.json()
    assert body["callee_saw"] == body["other"]
    assert body["still_me"] == whoami["subject"]


async def test_an_unreachable_service_is_a_503_problem(probe: tuple[httpx.AsyncClient, Runtime]) -> None:
    client, runtime = probe
    response = await client.get("/api/v1/idprobe/unreachable", headers=headers(runtime, "idprobe.self.read"))
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "service_unavailable"
    assert "ghost" in response.json()["detail"]


async def test_api_keys_need_the_auth_service(probe: tuple[httpx.AsyncClient, Runtime]) -> None:
    """This probe process serves no auth service and knows no URL for it: a clear 503, not a 500."""
    client, _ = probe
    response = await client.get("/api/v1/idprobe/whoami", headers={"Authorization": "ApiKey vx_test_key"})
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "service_unavailable"


async def test_key_rotation_keeps_old_tokens_valid_and_signs_new_ones_with_the_new_key(
    probe: tuple[httpx.AsyncClient, Runtime],
) -> None:
    client, runtime = probe
    old = headers(runtime, "idprobe.self.read")
    old_kids = {key["kid"] for key in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    new_key = runtime.rotate_signing_key()
    assert new_key.kid not in old_kids
    published = {key["kid"] for key in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert published == old_kids | {new_key.kid}
    assert (await client.get("/api/v1/idprobe/whoami", headers=old)).status_code == 200
    new = headers(runtime, "idprobe.self.read")

    assert jwt.get_unverified_header(new["Authorization"].split()[1])["kid"] == new_key.kid
    assert (await client.get("/api/v1/idprobe/whoami", headers=new)).status_code == 200


def test_a_rotated_key_survives_a_restart_until_it_is_too_old(tmp_path: Path) -> None:

    ring = KeyRing(tmp_path / "signing-key.pem", retain_seconds=3600)
    first = ring.active.kid
    second = ring.rotate().kid
    reloaded = KeyRing(tmp_path / "signing-key.pem", retain_seconds=3600)
    assert [key.kid for key in reloaded.trusted_keys()] == [second, first]
    expired = KeyRing(tmp_path / "signing-key.pem", retain_seconds=-1)
    assert [key.kid for key in expired.trusted_keys()] == [second]
    assert not list(tmp_path.glob("signing-key.retired-*.pem"))


async def test_service_settings_come_from_overrides_and_the_environment(
    probe: tuple[httpx.AsyncClient, Runtime], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    client, runtime = probe
    body = (await client.get("/api/v1/idprobe/whoami", headers=headers(runtime, "idprobe.self.read"))).json()
    assert body["greeting"] == "nomoskar"
    monkeypatch.setenv("VEXTRUS_IDPROBE_MAX_ITEMS", "many")
    with pytest.raises(SettingsError) as raised:
        build_app([PROBE], make_settings(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path))
    assert str(raised.value).startswith("invalid settings: VEXTRUS_IDPROBE_MAX_ITEMS:")
    assert "\n" not in str(raised.value)
