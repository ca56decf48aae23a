"""Login: tokens, brute force and lockout (and its expiry), answers that do not tell which
e-mails exist, e-mails with accounts in several organisations, deactivated users and suspended
tenants (refused with a clear message only after the right password)."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid

from prometheus_client import REGISTRY
from tests.services.auth.conftest import BASE, PASSWORD, sign_in, unique

from vextrus.services.auth import events

WRONG = "Wrong-Password-123"
PLATFORM_TENANT = uuid.UUID(int=0)


def comparable(response) -> tuple[int, dict[str, object], str | None]:
    body = dict(response.json())
    body.pop("request_id", None)
    return response.status_code, body, response.headers.get("www-authenticate")


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_login_answers_a_token_pair(platform, sign_up, outbox) -> None:
    account = await sign_up()
    before = metric("auth_login_attempts_total", outcome="success")
    response = await sign_in(platform.client, account.email.upper(), PASSWORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["refresh_token"].startswith("vxr_")
    me = await platform.client.get(f"{BASE}/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["user"]["id"] == str(account.user_id)
    assert metric("auth_login_attempts_total", outcome="success") == before + 1
    logins = await outbox("auth.user.login", user_id=str(account.user_id))
    assert [event["data"]["method"] for event in logins] == ["signup", "password"]


async def test_brute_force_locks_the_account(platform, sign_up, outbox) -> None:
    account = await sign_up()
    lockouts = metric("auth_lockouts_total")
    for _ in range(5):
        response = await sign_in(platform.client, account.email, WRONG)
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_credentials"
    # Locked now: even the right password is refused, with the same answer.
    locked = await sign_in(platform.client, account.email, PASSWORD)
    assert locked.status_code == 401
    assert locked.json()["code"] == "invalid_credentials"
    assert metric("auth_lockouts_total") == lockouts + 1
    assert len(await outbox("auth.user.locked", user_id=str(account.user_id))) == 1
    failures = await outbox(events.LOGIN_FAILED.name, user_id=str(account.user_id))
    assert [event["data"]["reason"] for event in failures] == ["wrong_password"] * 5 + ["locked"]


async def test_lockout_expires(platform, auth_app, sign_up) -> None:
    async with auth_app(lockout_duration_seconds=3, lockout_threshold=3) as (client, _):
        account = await sign_up(client)
        for _ in range(3):
            assert (await sign_in(client, account.email, WRONG)).status_code == 401
        locked_at = time.monotonic()
        assert (await sign_in(client, account.email, PASSWORD)).status_code == 401  # locked
        await asyncio.sleep(max(0.0, 3.1 - (time.monotonic() - locked_at)))
        response = await sign_in(client, account.email, PASSWORD)
        assert response.status_code == 200, response.text
        # A success starts the count again: two failures do not lock.
        for _ in range(2):
            assert (await sign_in(client, account.email, WRONG)).status_code == 401
        assert (await sign_in(client, account.email, PASSWORD)).status_code == 200


async def test_locked_wrong_and_unknown_answer_alike(platform, sign_up) -> None:
    locked_account = await sign_up()
    for _ in range(5):
        await sign_in(platform.client, locked_account.email, WRONG)
    other = await sign_up()
    answers = [
        await sign_in(platform.client, locked_account.email, PASSWORD),  # locked, right password
        await sign_in(platform.client, other.email, WRONG),  # exists, wrong password
        await sign_in(platform.client, f"{unique('nobody')}@example.com", WRONG),  # unknown e-mail
        await sign_in(platform.client, other.email, PASSWORD, tenant="no-such-organisation"),
    ]
    first = comparable(answers[0])
    assert first[0] == 401
    for answer in answers[1:]:
        got = comparable(answer)
        assert got[0] == first[0]
        assert got[2] == first[2]
        assert {k: v for k, v in got[1].items() if k != "instance"} == {
            k: v for k, v in first[1].items() if k != "instance"
        }


async def test_unknown_emails_cost_a_password_verification(platform, auth_app, sign_up) -> None:
    """With production-like argon2 cost, an unknown e-mail takes as long as a wrong password."""
    async with auth_app(argon2_time_cost=2, argon2_memory_kib=32768, argon2_parallelism=2) as (client, _):
        account = await sign_up(client)
        await sign_in(client, f"{unique('warm')}@example.com", WRONG)  # the dummy hash is made once

        async def timed(email: str) -> float:
            started = time.perf_counter()
            response = await sign_in(client, email, WRONG)
            assert response.status_code == 401
            return time.perf_counter() - started

        wrong, unknown = [], []
        for _ in range(4):  # stays under the lockout threshold
            wrong.append(await timed(account.email))
            unknown.append(await timed(f"{unique('nobody')}@example.com"))
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.4 < ratio < 2.5, (wrong, unknown)


async def test_email_in_several_organisations(platform, sign_up) -> None:
    email = f"{unique('kamrul')}@example.com.bd"
    first = await sign_up(email=email)
    second = await sign_up(email=email)
    third = await sign_up(email=email, password="Another-Password-42")

    # A wrong password reveals nothing about the organisations.
    wrong = await sign_in(platform.client, email, WRONG)
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "invalid_credentials"

    # The right password of two of them: choose one.
    ambiguous = await sign_in(platform.client, email, PASSWORD)
    assert ambiguous.status_code == 422
    problem = ambiguous.json()
    assert problem["code"] == "tenant_required"
    assert problem["errors"][0]["field"] == "body.tenant"
    assert {item["slug"] for item in problem["tenants"]} == {first.slug, second.slug}

    chosen = await sign_in(platform.client, email, PASSWORD, tenant=second.slug)
    assert chosen.status_code == 200
    principal = await platform.runtime.verifier.verify(chosen.json()["access_token"])
    assert principal.tenant_id == second.tenant_id

    # A password only one account has needs no tenant.
    only = await sign_in(platform.client, email, "Another-Password-42")
    assert only.status_code == 200
    assert (await platform.runtime.verifier.verify(only.json()["access_token"])).tenant_id == third.tenant_id


async def test_deactivated_user_is_told_only_after_the_right_password(platform, sign_up, add_user) -> None:
    account = await sign_up()
    member = await add_user(account, ("accountant",))
    session = (await sign_in(platform.client, member.email, member.password)).json()
    deactivated = await platform.client.post(f"{BASE}/users/{member.user_id}/deactivate", headers=account.headers)
    assert deactivated.status_code == 200
    assert deactivated.json()["status"] == "deactivated"

    wrong = await sign_in(platform.client, member.email, WRONG)
    assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_credentials")
    right = await sign_in(platform.client, member.email, member.password)
    assert (right.status_code, right.json()["code"]) == (403, "user_deactivated")
    # Their sessions ended with the deactivation.
    refreshed = await platform.client.post(f"{BASE}/refresh", json={"refresh_token": session["refresh_token"]})
    assert refreshed.status_code == 401

    activated = await platform.client.post(f"{BASE}/users/{member.user_id}/activate", headers=account.headers)
    assert activated.json()["status"] == "active"
    assert (await sign_in(platform.client, member.email, member.password)).status_code == 200


async def test_suspended_tenant_is_refused_after_the_right_password(platform, sign_up) -> None:
    account = await sign_up()
    session = (await sign_in(platform.client, account.email, PASSWORD)).json()
    operator = platform.headers(PLATFORM_TENANT, ("platform.tenant.manage",))
    suspended = await platform.client.post(
        f"/api/v1/organizations/tenants/{account.tenant_id}/suspend",
        json={"reason": "Subscription unpaid since October"},
        headers=operator,
    )
    assert suspended.status_code == 200, suspended.text

    wrong = await sign_in(platform.client, account.email, WRONG)
    assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_credentials")
    right = await sign_in(platform.client, account.email, PASSWORD)
    assert (right.status_code, right.json()["code"]) == (403, "tenant_suspended")
    assert "suspended" in right.json()["detail"]
    refreshed = await platform.client.post(f"{BASE}/refresh", json={"refresh_token": session["refresh_token"]})
    assert (refreshed.status_code, refreshed.json()["code"]) == (403, "tenant_suspended")

    reactivated = await platform.client.post(
        f"/api/v1/organizations/tenants/{account.tenant_id}/reactivate", json={}, headers=operator
    )
    assert reactivated.status_code == 200, reactivated.text
    assert (await sign_in(platform.client, account.email, PASSWORD)).status_code == 200
    refreshed = await platform.client.post(f"{BASE}/refresh", json={"refresh_token": session["refresh_token"]})
    assert refreshed.status_code == 200


async def test_login_input_is_validated_without_revealing_accounts(platform) -> None:
    missing = await platform.client.post(f"{BASE}/login", json={"email": "x@example.com"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "body.password"
    malformed = await sign_in(platform.client, "not an e-mail", WRONG)
    assert (malformed.status_code, malformed.json()["code"]) == (401, "invalid_credentials")


async def test_login_metrics_are_exposed(platform) -> None:
    text = (await platform.client.get("/metrics")).text
    names = ("auth_login_attempts_total", "auth_token_refresh_total", "auth_active_sessions", "auth_lockouts_total")
    for name in names:
        assert name in text
