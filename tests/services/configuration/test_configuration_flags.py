"""Feature flags: the pure evaluation rule (table of cases) and the HTTP API (CRUD, overrides,
rollout, history, tenant isolation, permissions)."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from typing import Any

import httpx
import pytest

from vextrus.services.configuration.service import evaluate_flag, rollout_bucket

BASE = "/api/v1/configuration"
TENANT = uuid.UUID("00000000-0000-4000-8000-000000000001")


def spec_bucket(seed: str) -> int:
    """The rollout bucket exactly as specified, computed independently of the service."""
    return int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 100


def new_key(prefix: str = "test") -> str:
    return f"{prefix}.flag-{uuid.uuid4().hex[:8]}"


def tenant_in_bucket(key: str, want_inside: bool, percentage: int) -> uuid.UUID:
    """A tenant id that falls inside (or outside) ``percentage`` for ``key``."""
    for _ in range(10_000):
        candidate = uuid.uuid4()
        if (spec_bucket(f"{key}:{candidate}") < percentage) == want_inside:
            return candidate
    raise AssertionError("no tenant found")


# Bucket of "finance.mushak-pdf-v2" for TENANT, computed from the specification.
BUCKET = spec_bucket(f"finance.mushak-pdf-v2:{TENANT}")


@pytest.mark.parametrize(
    ("enabled", "percentage", "override", "expected", "reason"),
    [
        (True, 100, None, True, "rollout"),
        (True, 0, None, False, "not_in_rollout"),
        (False, 100, None, False, "disabled"),
        (False, 0, None, False, "disabled"),
        (False, 100, True, True, "override"),
        (False, 0, True, True, "override"),
        (True, 100, False, False, "override"),
        (True, 0, True, True, "override"),
        (True, BUCKET + 1, None, True, "rollout"),
        (True, BUCKET, None, False, "not_in_rollout"),
    ],
)
def test_evaluation_rule(enabled: bool, percentage: int, override: bool | None, expected: bool, reason: str) -> None:
    result = evaluate_flag(
        "finance.mushak-pdf-v2", enabled=enabled, rollout_percentage=percentage, override=override, tenant_id=TENANT
    )
    assert (result.key, result.enabled, result.reason) == ("finance.mushak-pdf-v2", expected, reason)
    if reason in ("rollout", "not_in_rollout"):
        assert result.bucket == BUCKET
    else:
        assert result.bucket is None


def test_rollout_bucket_is_deterministic_and_spread() -> None:
    assert rollout_bucket("finance.mushak-pdf-v2", TENANT) == BUCKET
    assert rollout_bucket("a.b", TENANT, "user-1") == spec_bucket(f"a.b:{TENANT}:user-1")
    buckets = [rollout_bucket("scm.three-way-match", uuid.UUID(int=index)) for index in range(2000)]
    inside = sum(bucket < 25 for bucket in buckets)
    assert 400 < inside < 600  # about 25 %
    assert set(buckets) == set(range(100))


def test_rollout_is_monotonic_in_the_percentage() -> None:
    """Raising the percentage only adds tenants; nobody who had the feature loses it."""
    tenants = [uuid.UUID(int=index) for index in range(300)]
    previous: set[uuid.UUID] = set()
    for percentage in range(0, 101, 5):
        current = {
            tenant
            for tenant in tenants
            if evaluate_flag(
                "x.y", enabled=True, rollout_percentage=percentage, override=None, tenant_id=tenant
            ).enabled
        }
        assert previous <= current
        previous = current
    assert previous == set(tenants)


async def create(platform, client: httpx.AsyncClient, tenant: uuid.UUID, **fields: Any) -> httpx.Response:
    body = {"description": "A test flag", **fields}
    return await client.post(
        f"{BASE}/flags", json=body, headers=platform.headers(tenant, ("configuration.*", "platform.flag.manage"))
    )


async def test_create_read_and_list(platform, client, tenant) -> None:
    key = new_key()
    response = await create(
        platform, client, tenant, key=key, description_bn="পরীক্ষার ফ্ল্যাগ", enabled=True, rollout_percentage=40
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"{BASE}/flags/{key}"
    flag = response.json()
    assert (flag["key"], flag["enabled"], flag["rollout_percentage"], flag["version"]) == (key, True, 40, 1)
    assert flag["description_bn"] == "পরীক্ষার ফ্ল্যাগ"
    assert flag["override"] is None
    expected_bucket = spec_bucket(f"{key}:{tenant}")
    assert flag["evaluation"]["bucket"] == expected_bucket
    assert flag["evaluation"]["enabled"] == (expected_bucket < 40)

    read = await client.get(f"{BASE}/flags/{key}", headers=platform.headers(tenant, ("configuration.flag.read",)))
    assert read.status_code == 200
    assert read.json() == flag

    # Walk the whole list page by page: the new flag is there exactly once, keys ascending.
    keys: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 50, **({"cursor": cursor} if cursor else {})}
        page = await client.get(
            f"{BASE}/flags", params=params, headers=platform.headers(tenant, ("*", "platform.flag.manage"))
        )
        assert page.status_code == 200
        keys.extend(item["key"] for item in page.json()["items"])
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    assert keys.count(key) == 1
    assert keys == sorted(keys)
    for cursor in ("WzEsIDJd", "WzFd", "not a cursor"):  # [1, 2], [1]
        bad = await client.get(
            f"{BASE}/flags", params={"cursor": cursor}, headers=platform.headers(tenant, ("*", "platform.flag.manage"))
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "query.cursor"


async def test_defaults_of_a_new_flag(platform, client, tenant) -> None:
    key = new_key()
    flag = (await create(platform, client, tenant, key=key)).json()
    assert (flag["enabled"], flag["rollout_percentage"], flag["description_bn"]) == (False, 100, None)
    assert flag["evaluation"] == {"key": key, "enabled": False, "reason": "disabled", "bucket": None, "subject": None}


async def test_duplicate_key_is_409(platform, client, tenant) -> None:
    key = new_key()
    assert (await create(platform, client, tenant, key=key)).status_code == 201
    again = await create(platform, client, tenant, key=key, enabled=True)
    assert again.status_code == 409
    assert again.json()["code"] == "flag_exists"
    assert (
        await client.get(f"{BASE}/flags/{key}", headers=platform.headers(tenant, ("*", "platform.flag.manage")))
    ).json()["enabled"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "NoDots", "description": "x"}, "body.key"),
        ({"key": "finance.Upper", "description": "x"}, "body.key"),
        ({"key": "finance.two--hyphens", "description": "x"}, "body.key"),
        ({"key": "finance." + "x" * 100, "description": "x"}, "body.key"),
        ({"key": "finance.ok", "description": ""}, "body.description"),
        ({"key": "finance.ok", "description": "nul\u0000byte"}, "body.description"),
        ({"key": "finance.ok", "description": "x", "rollout_percentage": 101}, "body.rollout_percentage"),
        ({"key": "finance.ok", "description": "x", "rollout_percentage": -1}, "body.rollout_percentage"),
        ({"key": "finance.ok", "description": "x", "rollout_percentage": "50"}, "body.rollout_percentage"),
        ({"key": "finance.ok", "description": "x", "enabled": "yes"}, "body.enabled"),
        ({"key": "finance.ok", "description": "x", "owner": "me"}, "body.owner"),
        ({"description": "x"}, "body.key"),
    ],
)
async def test_invalid_flags_are_refused(platform, client, tenant, body: dict[str, Any], field: str) -> None:
    response = await client.post(
        f"{BASE}/flags",
        json=body,
        headers=platform.headers(tenant, ("*", "platform.flag.manage"), **{"Accept-Language": "bn"}),
    )
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert (
        await client.get(f"{BASE}/flags/finance.ok", headers=platform.headers(tenant, ("*", "platform.flag.manage")))
    ).status_code == 404


async def test_patch_with_optimistic_locking(platform, client, tenant) -> None:
    key = new_key()
    headers = platform.headers(tenant, ("configuration.flag.read", "platform.flag.manage"))
    await create(platform, client, tenant, key=key)
    patched = await client.patch(
        f"{BASE}/flags/{key}", json={"enabled": True, "rollout_percentage": 0, "expected_version": 1}, headers=headers
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["enabled"], patched.json()["rollout_percentage"], patched.json()["version"]) == (True, 0, 2)
    assert patched.json()["evaluation"]["reason"] == "not_in_rollout"
    stale = await client.patch(f"{BASE}/flags/{key}", json={"enabled": False, "expected_version": 1}, headers=headers)
    assert stale.status_code == 409
    assert stale.json()["code"] == "version_conflict"
    stale_header = await client.patch(
        f"{BASE}/flags/{key}", json={"enabled": False}, headers={**headers, "If-Match": '"1"'}
    )
    assert stale_header.status_code == 409
    nothing = await client.patch(f"{BASE}/flags/{key}", json={"rollout_percentage": 0}, headers=headers)
    assert nothing.json()["version"] == 2
    null = await client.patch(f"{BASE}/flags/{key}", json={"enabled": None}, headers=headers)
    assert null.status_code == 422
    assert null.json()["errors"][0]["field"] == "body.enabled"
    described = await client.patch(
        f"{BASE}/flags/{key}", json={"description": "Better words", "description_bn": "ভালো বর্ণনা"}, headers=headers
    )
    assert described.json()["description_bn"] == "ভালো বর্ণনা"
    cleared = await client.patch(f"{BASE}/flags/{key}", json={"description_bn": None}, headers=headers)
    assert cleared.json()["description_bn"] is None
    read = (await client.get(f"{BASE}/flags/{key}", headers=headers)).json()
    assert (read["enabled"], read["rollout_percentage"], read["description"], read["version"]) == (
        True,
        0,
        "Better words",
        4,
    )


async def test_unknown_flag_is_404(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ("*", "platform.flag.manage"))
    key = new_key()
    for response in (
        await client.get(f"{BASE}/flags/{key}", headers=headers),
        await client.patch(f"{BASE}/flags/{key}", json={"enabled": True}, headers=headers),
        await client.put(f"{BASE}/flags/{key}/override", json={"enabled": True}, headers=headers),
        await client.delete(f"{BASE}/flags/{key}/override", headers=headers),
        await client.get(f"{BASE}/flags/{key}/evaluate", headers=headers),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    malformed = await client.get(f"{BASE}/flags/NOT A KEY/evaluate", headers=headers)
    assert malformed.status_code == 422


async def test_override_wins_and_is_per_tenant(platform, client, tenant) -> None:
    key = new_key()
    other = uuid.uuid4()
    await create(platform, client, tenant, key=key, enabled=True, rollout_percentage=100)
    mine, theirs = platform.headers(tenant, ("configuration.*",)), platform.headers(other, ("configuration.*",))

    off = await client.put(f"{BASE}/flags/{key}/override", json={"enabled": False}, headers=mine)
    assert off.status_code == 200, off.text
    assert (off.json()["flag_key"], off.json()["enabled"], off.json()["version"]) == (key, False, 1)
    evaluation = (await client.get(f"{BASE}/flags/{key}/evaluate", headers=mine)).json()
    assert (evaluation["enabled"], evaluation["reason"]) == (False, "override")
    assert (await client.get(f"{BASE}/flags/{key}", headers=mine)).json()["override"] is False

    # Tenant B is not affected by A's override.
    theirs_eval = (await client.get(f"{BASE}/flags/{key}/evaluate", headers=theirs)).json()
    assert (theirs_eval["enabled"], theirs_eval["reason"]) == (True, "rollout")
    assert (await client.get(f"{BASE}/flags/{key}", headers=theirs)).json()["override"] is None

    # Same value again: nothing changes; a different one bumps the version.
    same = await client.put(f"{BASE}/flags/{key}/override", json={"enabled": False}, headers=mine)
    assert same.json()["version"] == 1
    on = await client.put(f"{BASE}/flags/{key}/override", json={"enabled": True}, headers=mine)
    assert (on.json()["enabled"], on.json()["version"]) == (True, 2)

    # Disabling the flag platform-wide does not beat the override.
    await client.patch(
        f"{BASE}/flags/{key}", json={"enabled": False}, headers=platform.headers(tenant, ("platform.flag.manage",))
    )
    assert (await client.get(f"{BASE}/flags/{key}/evaluate", headers=mine)).json()["reason"] == "override"
    assert (await client.get(f"{BASE}/flags/{key}/evaluate", headers=theirs)).json()["reason"] == "disabled"

    removed = await client.delete(f"{BASE}/flags/{key}/override", headers=mine)
    assert removed.status_code == 204
    assert (await client.get(f"{BASE}/flags/{key}/evaluate", headers=mine)).json()["reason"] == "disabled"
    again = await client.delete(f"{BASE}/flags/{key}/override", headers=mine)
    assert again.status_code == 204

    history = await client.get(f"{BASE}/history", params={"key": key}, headers=mine)
    changes = [(item["kind"], item["action"], item["old_value"], item["new_value"]) for item in history.json()["items"]]
    assert changes == [
        ("override", "removed", True, None),
        ("flag", "updated", {"enabled": True}, {"enabled": False}),
        ("override", "set", False, True),
        ("override", "set", None, False),
        (
            "flag",
            "created",
            None,
            {"description": "A test flag", "description_bn": None, "enabled": True, "rollout_percentage": 100},
        ),
    ]
    # B sees the platform-wide flag changes but none of A's override changes.
    theirs_history = await client.get(f"{BASE}/history", params={"key": key}, headers=theirs)
    assert [item["kind"] for item in theirs_history.json()["items"]] == ["flag", "flag"]
    assert all(item["tenant_id"] is None for item in theirs_history.json()["items"])


async def test_rollout_through_the_api_is_deterministic(platform, client, tenant) -> None:
    key = new_key("finance")
    await create(platform, client, tenant, key=key, enabled=True, rollout_percentage=30)
    inside, outside = tenant_in_bucket(key, True, 30), tenant_in_bucket(key, False, 30)
    for candidate, enabled, reason in ((inside, True, "rollout"), (outside, False, "not_in_rollout")):
        headers = platform.headers(candidate, ("configuration.flag.read",))
        results = [(await client.get(f"{BASE}/flags/{key}/evaluate", headers=headers)).json() for _ in range(3)]
        assert all(result == results[0] for result in results)
        assert (results[0]["enabled"], results[0]["reason"]) == (enabled, reason)
        assert results[0]["bucket"] == spec_bucket(f"{key}:{candidate}")

    # Per user: the bucket is taken over tenant and subject.
    headers = platform.headers(tenant, ("configuration.flag.read",))
    for subject in ("user-1", "user-2", str(uuid.uuid4())):
        result = (await client.get(f"{BASE}/flags/{key}/evaluate", params={"subject": subject}, headers=headers)).json()
        bucket = spec_bucket(f"{key}:{tenant}:{subject}")
        assert (result["bucket"], result["enabled"], result["subject"]) == (bucket, bucket < 30, subject)
    too_long = await client.get(f"{BASE}/flags/{key}/evaluate", params={"subject": "x" * 201}, headers=headers)
    assert too_long.status_code == 422


@pytest.mark.parametrize(
    ("method", "suffix", "body", "permission"),
    [
        ("GET", "", None, "configuration.flag.read"),
        ("GET", "/evaluate", None, "configuration.flag.read"),
        ("PATCH", "", {"enabled": True}, "platform.flag.manage"),
        ("PUT", "/override", {"enabled": True}, "configuration.flag.override"),
        ("DELETE", "/override", None, "configuration.flag.override"),
    ],
)
async def test_flag_permissions(platform, client, tenant, method: str, suffix: str, body: Any, permission: str) -> None:
    key = new_key()
    await create(platform, client, tenant, key=key)
    url = f"{BASE}/flags/{key}{suffix}"
    assert (await client.request(method, url, json=body)).status_code == 401
    others = [item for item in ("configuration.flag.read", "configuration.setting.write") if item != permission]
    forbidden = await client.request(method, url, json=body, headers=platform.headers(tenant, others))
    assert forbidden.status_code == 403
    read = (
        await client.get(f"{BASE}/flags/{key}", headers=platform.headers(tenant, ("*", "platform.flag.manage")))
    ).json()
    assert (read["enabled"], read["override"], read["version"]) == (False, None, 1)
    allowed = await client.request(method, url, json=body, headers=platform.headers(tenant, [permission]))
    assert allowed.status_code in (200, 204)


async def test_create_and_list_need_their_permissions(platform, client, tenant) -> None:
    key = new_key()
    body = {"key": key, "description": "x"}
    assert (await client.post(f"{BASE}/flags", json=body)).status_code == 401
    forbidden = await client.post(
        f"{BASE}/flags", json=body, headers=platform.headers(tenant, ("configuration.flag.override",))
    )
    assert forbidden.status_code == 403
    assert (
        await client.get(f"{BASE}/flags/{key}", headers=platform.headers(tenant, ("*", "platform.flag.manage")))
    ).status_code == 404
    assert (await client.get(f"{BASE}/flags")).status_code == 401
    listing = await client.get(f"{BASE}/flags", headers=platform.headers(tenant, ("configuration.setting.read",)))
    assert listing.status_code == 403


async def test_concurrent_creation_of_one_key_creates_it_once(platform, client, tenant) -> None:
    key = new_key()
    responses = await asyncio.gather(
        *(create(platform, client, tenant, key=key, rollout_percentage=n) for n in (1, 2, 3))
    )
    assert sorted(response.status_code for response in responses) == [201, 409, 409]
    winner = next(response.json() for response in responses if response.status_code == 201)
    read = (
        await client.get(f"{BASE}/flags/{key}", headers=platform.headers(tenant, ("*", "platform.flag.manage")))
    ).json()
    assert read["rollout_percentage"] == winner["rollout_percentage"]
    history = await client.get(
        f"{BASE}/history", params={"key": key}, headers=platform.headers(tenant, ("*", "platform.flag.manage"))
    )
    assert [item["action"] for item in history.json()["items"]] == ["created"]
