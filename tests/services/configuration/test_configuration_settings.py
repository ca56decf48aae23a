"""Tenant settings over HTTP: defaults, typed validation, optimistic locking, reset, cache,
history, tenant isolation and permissions."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import event

BASE = "/api/v1/configuration"
READ = ("configuration.setting.read",)
WRITE = ("configuration.setting.read", "configuration.setting.write")

DEFAULTS = {
    "localization.timezone": "Asia/Dhaka",
    "localization.currency": "BDT",
    "localization.language": "en",
    "localization.date_format": "DD/MM/YYYY",
    "localization.number_format": "lakh_crore",
    "finance.fiscal_year_start": "07-01",
    "vat.registered": True,
    "vat.turnover_tax": False,
    "vat.withholding_entity": False,
}


async def put(client: httpx.AsyncClient, headers: dict[str, str], key: str, value: Any, **extra: Any) -> httpx.Response:
    return await client.put(f"{BASE}/settings/{key}", json={"value": value, **extra}, headers=headers)


async def get(client: httpx.AsyncClient, headers: dict[str, str], key: str) -> dict[str, Any]:
    response = await client.get(f"{BASE}/settings/{key}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_defaults_for_a_new_tenant(platform, client, tenant) -> None:
    response = await client.get(f"{BASE}/settings", headers=platform.headers(tenant, READ))
    assert response.status_code == 200
    items = {item["key"]: item for item in response.json()["items"]}
    assert {key: item["value"] for key, item in items.items()} == DEFAULTS
    assert all(item["source"] == "default" and item["version"] == 0 for item in items.values())
    one = await get(client, platform.headers(tenant, READ), "localization.timezone")
    assert one == {
        "key": "localization.timezone",
        "value": "Asia/Dhaka",
        "default": "Asia/Dhaka",
        "source": "default",
        "version": 0,
        "updated_at": None,
        "updated_by": None,
    }


async def test_schema_lists_every_setting_with_bengali_labels(platform, client, tenant) -> None:
    response = await client.get(f"{BASE}/schema", headers=platform.headers(tenant, READ))
    assert response.status_code == 200
    items = {item["key"]: item for item in response.json()["items"]}
    assert set(items) == set(DEFAULTS)
    assert items["localization.timezone"]["label"] == {"en": "Time zone", "bn": "সময় অঞ্চল"}
    assert items["localization.language"]["choices"] == ["en", "bn"]
    assert items["vat.withholding_entity"]["type"] == "boolean"
    assert all(item["default"] == DEFAULTS[key] for key, item in items.items())
    assert all(item["description"]["bn"] for item in items.values())


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("localization.timezone", "Asia/Kolkata"),
        ("localization.timezone", "UTC"),
        ("localization.currency", "USD"),
        ("localization.language", "bn"),
        ("localization.date_format", "YYYY-MM-DD"),
        ("localization.date_format", "DD-MM-YYYY"),
        ("localization.number_format", "international"),
        ("finance.fiscal_year_start", "01-01"),
        ("finance.fiscal_year_start", "12-31"),
        ("vat.registered", False),
        ("vat.turnover_tax", True),
        ("vat.withholding_entity", True),
    ],
)
async def test_valid_values_are_stored(platform, client, tenant, key: str, value: Any) -> None:
    headers = platform.headers(tenant, WRITE)
    response = await put(client, headers, key, value)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["value"], body["source"], body["version"]) == (value, "tenant", 1)
    assert response.headers["etag"] == '"1"'
    assert (await get(client, headers, key))["value"] == value


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("localization.timezone", "Asia/Dhak"),
        ("localization.timezone", "asia/dhaka"),
        ("localization.timezone", "localtime"),
        ("localization.timezone", "../../etc/passwd"),
        ("localization.timezone", ""),
        ("localization.timezone", 6),
        ("localization.currency", "bdt"),
        ("localization.currency", "BDTX"),
        ("localization.currency", "BD"),
        ("localization.currency", "৳"),
        ("localization.language", "fr"),
        ("localization.language", "EN"),
        ("localization.date_format", "MM/DD/YYYY"),
        ("localization.number_format", "indian"),
        ("finance.fiscal_year_start", "02-29"),
        ("finance.fiscal_year_start", "13-01"),
        ("finance.fiscal_year_start", "04-31"),
        ("finance.fiscal_year_start", "7-1"),
        ("finance.fiscal_year_start", "07/01"),
        ("vat.registered", "true"),
        ("vat.registered", 1),
        ("vat.turnover_tax", "yes"),
        ("vat.withholding_entity", None),
        ("vat.withholding_entity", [True]),
        ("localization.language", {"value": "bn"}),
    ],
)
async def test_invalid_values_are_refused_in_both_languages(platform, client, tenant, key: str, value: Any) -> None:
    headers = platform.headers(tenant, WRITE)
    response = await put(client, headers, key, value)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert [error["field"] for error in problem["errors"]] == ["body.value"]

    bengali = await put(client, {**headers, "Accept-Language": "bn"}, key, value)
    assert bengali.status_code == 422
    reason_bn = bengali.json()["errors"][0]["reason"]
    assert reason_bn != problem["errors"][0]["reason"]
    assert any("\u0980" <= char <= "\u09ff" for char in reason_bn)  # Bengali script
    # Nothing changed.
    assert (await get(client, headers, key))["version"] == 0


async def test_missing_value_and_unknown_fields_are_refused(platform, client, tenant) -> None:
    headers = platform.headers(tenant, WRITE)
    missing = await client.put(f"{BASE}/settings/localization.language", json={}, headers=headers)
    assert missing.status_code == 422
    assert [error["field"] for error in missing.json()["errors"]] == ["body.value"]
    extra = await put(client, headers, "localization.language", "bn", colour="red")
    assert extra.status_code == 422
    bad_version = await put(client, headers, "localization.language", "bn", expected_version="one")
    assert bad_version.status_code == 422
    not_json = await client.put(
        f"{BASE}/settings/localization.language", content=b"{", headers={**headers, "content-type": "application/json"}
    )
    assert not_json.status_code == 400
    assert (await get(client, headers, "localization.language"))["version"] == 0


async def test_unknown_key_is_404(platform, client, tenant) -> None:
    headers = platform.headers(tenant, WRITE)
    for response in (
        await client.get(f"{BASE}/settings/localization.colour", headers=headers),
        await put(client, headers, "localization.colour", "blue"),
        await client.delete(f"{BASE}/settings/localization.colour", headers=headers),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


async def test_update_read_back_and_version(platform, client, tenant) -> None:
    subject = uuid.uuid4()
    headers = {"Authorization": f"Bearer {platform.token(tenant, WRITE, subject=subject)}"}
    first = await put(client, headers, "localization.currency", "USD")
    assert first.json()["version"] == 1
    assert first.json()["updated_by"] == str(subject)
    second = await put(client, headers, "localization.currency", "EUR", expected_version=1)
    assert second.status_code == 200
    assert second.json()["version"] == 2
    # The same value again changes nothing, not even the version.
    same = await put(client, headers, "localization.currency", "EUR")
    assert same.json()["version"] == 2
    read = await get(client, headers, "localization.currency")
    assert (read["value"], read["default"], read["source"], read["version"]) == ("EUR", "BDT", "tenant", 2)
    listed = await client.get(f"{BASE}/settings", headers=headers)
    assert {item["key"]: item["value"] for item in listed.json()["items"]}["localization.currency"] == "EUR"


async def test_stale_version_is_a_conflict_and_changes_nothing(platform, client, tenant) -> None:
    headers = platform.headers(tenant, WRITE)
    await put(client, headers, "finance.fiscal_year_start", "01-01")
    await put(client, headers, "finance.fiscal_year_start", "04-01", expected_version=1)
    stale = await put(client, headers, "finance.fiscal_year_start", "10-01", expected_version=1)
    assert stale.status_code == 409
    assert stale.json()["code"] == "version_conflict"
    assert stale.json()["current_version"] == 2
    never_set = await put(client, headers, "localization.language", "bn", expected_version=3)
    assert never_set.status_code == 409
    read = await get(client, headers, "finance.fiscal_year_start")
    assert (read["value"], read["version"]) == ("04-01", 2)
    assert (await get(client, headers, "localization.language"))["version"] == 0


async def test_if_match_header(platform, client, tenant) -> None:
    headers = platform.headers(tenant, WRITE)
    created = await put(client, headers, "localization.language", "bn", expected_version=0)
    assert created.status_code == 200
    etag = created.headers["etag"]
    ok = await put(client, {**headers, "If-Match": etag}, "localization.language", "en")
    assert ok.status_code == 200
    assert ok.headers["etag"] == '"2"'
    stale = await put(client, {**headers, "If-Match": etag}, "localization.language", "bn")
    assert stale.status_code == 409
    weak = await put(client, {**headers, "If-Match": 'W/"2"'}, "localization.language", "bn")
    assert weak.status_code == 200
    garbage = await put(client, {**headers, "If-Match": "yesterday"}, "localization.language", "en")
    assert garbage.status_code == 422
    assert garbage.json()["errors"][0]["field"] == "header.if-match"
    disagree = await put(client, {**headers, "If-Match": '"3"'}, "localization.language", "en", expected_version=2)
    assert disagree.status_code == 422
    stale_reset = await client.delete(f"{BASE}/settings/localization.language", headers={**headers, "If-Match": '"1"'})
    assert stale_reset.status_code == 409
    assert (await get(client, headers, "localization.language"))["value"] == "bn"


async def test_reset_to_default_keeps_the_version_growing(platform, client, tenant) -> None:
    headers = platform.headers(tenant, WRITE)
    await put(client, headers, "vat.registered", False)
    reset = await client.delete(f"{BASE}/settings/vat.registered", headers=headers)
    assert reset.status_code == 200
    assert (reset.json()["value"], reset.json()["source"], reset.json()["version"]) == (True, "default", 2)
    read = await get(client, headers, "vat.registered")
    assert (read["value"], read["source"], read["version"]) == (True, "default", 2)
    # Resetting a default is a no-op; an old version can no longer write.
    again = await client.delete(f"{BASE}/settings/vat.registered", headers=headers)
    assert again.json()["version"] == 2
    stale = await put(client, headers, "vat.registered", False, expected_version=1)
    assert stale.status_code == 409


async def test_cache_is_invalidated_by_a_change(platform, client, tenant) -> None:
    headers = platform.headers(tenant, WRITE)
    assert (await get(client, headers, "localization.number_format"))["value"] == "lakh_crore"
    assert (await get(client, headers, "localization.number_format"))["value"] == "lakh_crore"
    await put(client, headers, "localization.number_format", "international")
    assert (await get(client, headers, "localization.number_format"))["value"] == "international"
    listed = await client.get(f"{BASE}/settings", headers=headers)
    assert {item["key"]: item["value"] for item in listed.json()["items"]}["localization.number_format"] == (
        "international"
    )
    await client.delete(f"{BASE}/settings/localization.number_format", headers=headers)
    assert (await get(client, headers, "localization.number_format"))["value"] == "lakh_crore"


async def test_a_cached_read_does_not_touch_the_database(platform, client, tenant) -> None:
    headers = platform.headers(tenant, READ)
    await get(client, headers, "localization.timezone")  # fills the cache
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "cfg_" in statement:  # the outbox relay polls the same engine in the background
            statements.append(statement)

    engine = platform.runtime.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(3):
            assert (await get(client, headers, "localization.timezone"))["value"] == "Asia/Dhaka"
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statements == []
    # The listener does see this service's queries: a change and the read after it do query.
    event.listen(engine, "before_cursor_execute", count)
    try:
        await put(client, platform.headers(tenant, WRITE), "localization.timezone", "Asia/Kolkata")
        assert (await get(client, headers, "localization.timezone"))["value"] == "Asia/Kolkata"
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert any("cfg_settings" in statement for statement in statements)


async def test_tenants_are_isolated(platform, client, tenant) -> None:
    other = uuid.uuid4()
    mine, theirs = platform.headers(tenant, WRITE), platform.headers(other, WRITE)
    await get(client, theirs, "localization.language")  # cache the other tenant's view first
    await put(client, mine, "localization.language", "bn")
    assert (await get(client, mine, "localization.language"))["value"] == "bn"
    read = await get(client, theirs, "localization.language")
    assert (read["value"], read["version"]) == ("en", 0)
    # The other tenant's writes use its own versions and do not touch mine.
    await put(client, theirs, "localization.language", "en", expected_version=0)
    assert (await get(client, mine, "localization.language"))["value"] == "bn"
    history = await client.get(
        f"{BASE}/history", params={"kind": "setting"}, headers=platform.headers(other, ("configuration.*",))
    )
    assert [item["new_value"] for item in history.json()["items"]] == ["en"]


async def test_history_with_pagination(platform, client, tenant) -> None:
    subject = uuid.uuid4()
    headers = {"Authorization": f"Bearer {platform.token(tenant, ('configuration.*',), subject=subject)}"}
    values = ["01-01", "04-01", "10-01", "07-01", "03-15"]
    for value in values:
        assert (await put(client, headers, "finance.fiscal_year_start", value)).status_code == 200
    await client.delete(f"{BASE}/settings/finance.fiscal_year_start", headers=headers)
    await put(client, headers, "vat.turnover_tax", True)

    seen: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2, "key": "finance.fiscal_year_start"}
        if cursor:
            params["cursor"] = cursor
        response = await client.get(f"{BASE}/history", params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen.extend(page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert [item["action"] for item in seen] == ["reset", *["updated"] * 5]
    assert [item["new_value"] for item in seen] == ["07-01", *reversed(values)]
    assert [item["old_value"] for item in seen] == ["03-15", "07-01", "10-01", "04-01", "01-01", "07-01"]
    assert [item["version"] for item in seen] == [6, 5, 4, 3, 2, 1]
    assert {item["actor"] for item in seen} == {str(subject)}
    assert {item["tenant_id"] for item in seen} == {str(tenant)}
    assert len({item["id"] for item in seen}) == 6

    everything = await client.get(f"{BASE}/history", params={"kind": "setting"}, headers=headers)
    assert [item["key"] for item in everything.json()["items"]][:1] == ["vat.turnover_tax"]
    assert len(everything.json()["items"]) == 7


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "W10",  # []
        "WyJ4Il0",  # ["x"]
        "e30",  # {}
        "WyJ4IiwgInkiXQ",  # ["x", "y"]: the right width, the wrong types
        "WzEsIDJd",  # [1, 2]
        "W3sidCI6ICJub25zZW5zZSJ9LCB7InUiOiAienoifV0",  # [{"t": "nonsense"}, {"u": "zz"}]
        "W3sidCI6ICIyMDI2LTAxLTAxVDAwOjAwOjAwIn0sIHsidSI6ICIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAifV0",
        "W3sidCI6ICIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIn0sICJhYmMiXQ",  # [time, "abc"]
    ],
)
async def test_history_bad_cursor_is_422(platform, client, tenant, cursor: str) -> None:
    response = await client.get(
        f"{BASE}/history", params={"cursor": cursor}, headers=platform.headers(tenant, ("configuration.*",))
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.cursor"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "query.limit"),
        ({"limit": 201}, "query.limit"),
        ({"kind": "colour"}, "query.kind"),
        ({"key": "Bad Key"}, "query.key"),
    ],
)
async def test_history_bad_filters_are_422(platform, client, tenant, params: dict[str, Any], field: str) -> None:
    response = await client.get(f"{BASE}/history", params=params, headers=platform.headers(tenant, ("*",)))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    ("method", "path", "body", "permission"),
    [
        ("GET", "/settings", None, "configuration.setting.read"),
        ("GET", "/settings/localization.language", None, "configuration.setting.read"),
        ("GET", "/schema", None, "configuration.setting.read"),
        ("PUT", "/settings/localization.language", {"value": "bn"}, "configuration.setting.write"),
        ("DELETE", "/settings/localization.language", None, "configuration.setting.write"),
        ("GET", "/history", None, "configuration.history.read"),
    ],
)
async def test_permissions(platform, client, tenant, method: str, path: str, body: Any, permission: str) -> None:
    url = BASE + path
    anonymous = await client.request(method, url, json=body)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "unauthorized"
    others = [item for item in ("configuration.setting.read", "platform.flag.manage") if item != permission]
    forbidden = await client.request(method, url, json=body, headers=platform.headers(tenant, others))
    assert forbidden.status_code == 403
    assert forbidden.json()["permission"] == permission
    assert (await get(client, platform.headers(tenant, READ), "localization.language"))["version"] == 0
    allowed = await client.request(method, url, json=body, headers=platform.headers(tenant, [permission]))
    assert allowed.status_code == 200


async def test_concurrent_writers_with_the_same_version_one_wins(platform, client, tenant) -> None:
    headers = platform.headers(tenant, WRITE)
    rounds = [["UTC", "Asia/Kolkata", "Asia/Karachi", "Asia/Kathmandu"], ["Europe/London", "Asia/Tokyo", "Asia/Dubai"]]
    for expected, values in enumerate(rounds):  # first the insert race, then the update race
        responses = await asyncio.gather(
            *(put(client, headers, "localization.timezone", value, expected_version=expected) for value in values)
        )
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200] + [409] * (len(values) - 1), [response.text for response in responses]
        winner = next(response.json() for response in responses if response.status_code == 200)
        assert winner["version"] == expected + 1
        read = await get(client, headers, "localization.timezone")
        assert (read["value"], read["version"]) == (winner["value"], expected + 1)
    history = await client.get(
        f"{BASE}/history", params={"key": "localization.timezone"}, headers=platform.headers(tenant, ("*",))
    )
    assert [item["version"] for item in history.json()["items"]] == [2, 1]
