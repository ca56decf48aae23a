"""REST API of the configuration service: ``/api/v1/configuration/...`` (thin; logic in service.py)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from vextrus.kit.cache import Cache
from vextrus.kit.db import SessionDep
from vextrus.kit.errors import invalid_field
from vextrus.kit.pagination import Page, PageRequest, page_request
from vextrus.kit.security import require
from vextrus.kit.tenancy import Principal
from vextrus.services.configuration import service
from vextrus.services.configuration.models import KEY_LENGTH
from vextrus.services.configuration.schemas import (
    ANY_KEY_PATTERN,
    FLAG_KEY_PATTERN,
    ChangeKind,
    ChangeOut,
    FlagCreate,
    FlagEvaluationOut,
    FlagOut,
    FlagPatch,
    OverrideOut,
    OverrideSet,
    SettingList,
    SettingOut,
    SettingSchema,
    SettingUpdate,
)

PREFIX = "/api/v1/configuration"
router = APIRouter(prefix=PREFIX, tags=["configuration"])

PERMISSIONS = {
    "configuration.setting.read": "Read the tenant's effective settings and the settings catalogue",
    "configuration.setting.write": "Change or reset the tenant's settings",
    "configuration.history.read": "Read the change history of settings, flags and overrides",
    "configuration.flag.read": "Read feature flags and evaluate them for the tenant",
    "platform.flag.manage": "Create and change platform-wide feature flags (platform operators only)",
    "configuration.flag.override": "Turn a feature flag on or off for the tenant",
}


# The runtime's cache and database come straight from the request rather than through extra
# dependencies: the cached setting read is the platform's hottest path and each dependency costs.
def _cache(request: Request) -> Cache:
    cache: Cache = request.app.state.runtime.cache
    return cache


def _session_scope(request: Request) -> service.SessionScope:
    """Opens a transaction only when called: a cached read never creates a session."""
    scope: service.SessionScope = request.app.state.runtime.database.transaction
    return scope


SettingKey = Annotated[str, Path(max_length=KEY_LENGTH, description="A key of GET /schema")]
FlagKeyPath = Annotated[str, Path(max_length=KEY_LENGTH, pattern=FLAG_KEY_PATTERN)]
IfMatch = Annotated[str | None, Header(max_length=64, description='Expected version as an entity tag, e.g. "3"')]

_ENTITY_TAG = re.compile(r'^(?:W/)?"?(\d{1,10})"?$')


def _expected_version(if_match: str | None, body_version: int | None = None) -> int | None:
    """The version the client expects, from ``If-Match`` and/or ``expected_version`` (must agree)."""
    if if_match is None or if_match.strip() == "*":
        return body_version
    match = _ENTITY_TAG.match(if_match.strip())
    if match is None:
        raise invalid_field(
            "header.if-match", 'must be a version entity tag such as "3"', '"3"-এর মতো একটি সংস্করণ ট্যাগ হতে হবে'
        )
    version = int(match.group(1))
    if body_version is not None and body_version != version:
        raise invalid_field(
            "header.if-match", "disagrees with body.expected_version", "body.expected_version-এর সাথে মেলে না"
        )
    return version


def _setting_response(item: service.SettingJson) -> Response:
    # Returned as-is (already JSON-ready, possibly from the cache): the hot path skips re-validation.
    return JSONResponse(item, headers={"ETag": f'"{item["version"]}"'})


# --- settings ---------------------------------------------------------------------------------


@router.get("/settings", response_model=SettingList, summary="Effective settings of the tenant")
async def list_settings(request: Request, principal: Principal = require("configuration.setting.read")) -> Response:
    settings = await service.effective_settings(_cache(request), _session_scope(request))
    return JSONResponse({"items": list(settings.values())})


@router.get("/schema", response_model=SettingSchema, summary="The settings catalogue (English and Bengali)")
async def settings_schema(principal: Principal = require("configuration.setting.read")) -> SettingSchema:
    return SettingSchema(items=service.setting_schema())


@router.get("/settings/{key}", response_model=SettingOut, summary="One effective setting")
async def get_setting(
    key: SettingKey, request: Request, principal: Principal = require("configuration.setting.read")
) -> Response:
    return _setting_response(await service.effective_setting(_cache(request), _session_scope(request), key))


@router.put("/settings/{key}", response_model=SettingOut, summary="Set the tenant's value of a setting")
async def put_setting(
    key: SettingKey,
    body: SettingUpdate,
    session: SessionDep,
    request: Request,
    if_match: IfMatch = None,
    principal: Principal = require("configuration.setting.write"),
) -> Response:
    item = await service.update_setting(
        session,
        _cache(request),
        key,
        body.value,
        expected_version=_expected_version(if_match, body.expected_version),
        actor=principal.subject,
    )
    return _setting_response(item)


@router.delete("/settings/{key}", response_model=SettingOut, summary="Reset a setting to its default")
async def reset_setting(
    key: SettingKey,
    session: SessionDep,
    request: Request,
    if_match: IfMatch = None,
    principal: Principal = require("configuration.setting.write"),
) -> Response:
    item = await service.reset_setting(
        session, _cache(request), key, expected_version=_expected_version(if_match), actor=principal.subject
    )
    return _setting_response(item)


# --- history ------------------------------------------------------------------------------------


@router.get("/history", response_model=Page[ChangeOut], summary="Change history, newest first")
async def change_history(
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_request)],
    key: Annotated[str | None, Query(max_length=KEY_LENGTH, pattern=ANY_KEY_PATTERN)] = None,
    kind: ChangeKind | None = None,
    principal: Principal = require("configuration.history.read"),
) -> Page[ChangeOut]:
    return await service.history(session, page, key=key, kind=kind)


# --- feature flags ------------------------------------------------------------------------------


@router.get("/flags", response_model=Page[FlagOut], summary="Feature flags with their state for the tenant")
async def list_flags(
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_request)],
    principal: Principal = require("configuration.flag.read"),
) -> Page[FlagOut]:
    return await service.list_flags(session, page)


@router.post("/flags", response_model=FlagOut, status_code=201, summary="Create a platform-wide feature flag")
async def create_flag(
    body: FlagCreate,
    session: SessionDep,
    response: Response,
    principal: Principal = require("platform.flag.manage"),
) -> FlagOut:
    flag = await service.create_flag(session, body, actor=principal.subject)
    response.headers["Location"] = f"{PREFIX}/flags/{flag.key}"
    return flag


@router.get("/flags/{key}", response_model=FlagOut, summary="One feature flag")
async def get_flag(
    key: FlagKeyPath, session: SessionDep, principal: Principal = require("configuration.flag.read")
) -> FlagOut:
    return await service.get_flag(session, key)


@router.patch("/flags/{key}", response_model=FlagOut, summary="Change a feature flag (platform-wide)")
async def patch_flag(
    key: FlagKeyPath,
    body: FlagPatch,
    session: SessionDep,
    if_match: IfMatch = None,
    principal: Principal = require("platform.flag.manage"),
) -> FlagOut:
    if if_match is not None:
        body = body.model_copy(update={"expected_version": _expected_version(if_match, body.expected_version)})
    return await service.patch_flag(session, key, body, actor=principal.subject)


@router.put("/flags/{key}/override", response_model=OverrideOut, summary="Override a flag for the tenant")
async def put_override(
    key: FlagKeyPath,
    body: OverrideSet,
    session: SessionDep,
    principal: Principal = require("configuration.flag.override"),
) -> OverrideOut:
    return await service.set_override(session, key, body.enabled, actor=principal.subject)


@router.delete("/flags/{key}/override", status_code=204, summary="Remove the tenant's override of a flag")
async def delete_override(
    key: FlagKeyPath, session: SessionDep, principal: Principal = require("configuration.flag.override")
) -> Response:
    await service.remove_override(session, key, actor=principal.subject)
    return Response(status_code=204)


@router.get("/flags/{key}/evaluate", response_model=FlagEvaluationOut, summary="Evaluate a flag for the tenant")
async def evaluate_flag(
    key: FlagKeyPath,
    session: SessionDep,
    subject: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Bucket by this user instead of the tenant")
    ] = None,
    principal: Principal = require("configuration.flag.read"),
) -> FlagEvaluationOut:
    return await service.evaluate(session, key, subject)
