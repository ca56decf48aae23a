"""TOTP second factor: enrolment and confirmation, the login step, codes used once, recovery
codes, wrong codes counting towards the lockout, turning it off."""

from __future__ import annotations

import datetime as dt

import pyotp
from tests.services.auth.conftest import BASE, PASSWORD, sign_in

from vextrus.services.auth import events


def code_at(secret: str, seconds_from_now: int) -> str:
    return pyotp.TOTP(secret).at(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds_from_now))


async def enable_mfa(platform, account) -> tuple[str, list[str]]:
    enrolled = await platform.client.post(f"{BASE}/mfa/totp/enroll", headers=account.headers)
    assert enrolled.status_code == 200, enrolled.text
    secret = enrolled.json()["secret"]
    assert enrolled.json()["otpauth_uri"].startswith("otpauth://totp/Vextrus:")
    confirmed = await platform.client.post(
        f"{BASE}/mfa/totp/confirm", json={"code": code_at(secret, -30)}, headers=account.headers
    )
    assert confirmed.status_code == 200, confirmed.text
    return secret, confirmed.json()["recovery_codes"]


async def test_mfa_is_required_and_completes_the_login(platform, sign_up, outbox) -> None:
    account = await sign_up()
    secret, codes = await enable_mfa(platform, account)
    assert len(codes) == 10
    me = (await platform.client.get(f"{BASE}/me", headers=account.headers)).json()
    assert me["user"]["mfa_enabled"] is True

    step = await sign_in(platform.client, account.email, PASSWORD)
    assert step.status_code == 200
    body = step.json()
    assert body["mfa_required"] is True
    assert "access_token" not in body
    assert body["mfa_token"].startswith("vxm_")

    done = await platform.client.post(
        f"{BASE}/login/mfa", json={"mfa_token": body["mfa_token"], "code": code_at(secret, 0)}
    )
    assert done.status_code == 200, done.text
    assert set(done.json()) >= {"access_token", "refresh_token", "token_type", "expires_in"}
    # The step token works once.
    again = await platform.client.post(
        f"{BASE}/login/mfa", json={"mfa_token": body["mfa_token"], "code": code_at(secret, 30)}
    )
    assert (again.status_code, again.json()["code"]) == (401, "invalid_mfa_token")
    logins = await outbox("auth.user.login", user_id=str(account.user_id))
    assert logins[-1]["data"]["method"] == "mfa"
    assert len(await outbox(events.MFA_CHANGED.name, user_id=str(account.user_id))) == 1


async def test_a_code_is_accepted_only_once(platform, sign_up) -> None:
    account = await sign_up()
    secret, _ = await enable_mfa(platform, account)
    code = code_at(secret, 0)
    first = (await sign_in(platform.client, account.email, PASSWORD)).json()
    ok = await platform.client.post(f"{BASE}/login/mfa", json={"mfa_token": first["mfa_token"], "code": code})
    assert ok.status_code == 200
    second = (await sign_in(platform.client, account.email, PASSWORD)).json()
    replay = await platform.client.post(f"{BASE}/login/mfa", json={"mfa_token": second["mfa_token"], "code": code})
    assert (replay.status_code, replay.json()["code"]) == (401, "invalid_mfa_code")
    assert replay.json()["errors"][0]["field"] == "body.code"


async def test_recovery_codes_work_once(platform, sign_up) -> None:
    account = await sign_up()
    _, codes = await enable_mfa(platform, account)
    step = (await sign_in(platform.client, account.email, PASSWORD)).json()
    recovered = await platform.client.post(
        f"{BASE}/login/mfa", json={"mfa_token": step["mfa_token"], "code": codes[3].lower()}
    )
    assert recovered.status_code == 200, recovered.text
    step = (await sign_in(platform.client, account.email, PASSWORD)).json()
    reused = await platform.client.post(f"{BASE}/login/mfa", json={"mfa_token": step["mfa_token"], "code": codes[3]})
    assert reused.status_code == 401


async def test_wrong_codes_end_the_step_and_count_towards_the_lockout(platform, sign_up, outbox) -> None:
    account = await sign_up()
    secret, _ = await enable_mfa(platform, account)
    step = (await sign_in(platform.client, account.email, PASSWORD)).json()
    for _ in range(5):
        wrong = await platform.client.post(f"{BASE}/login/mfa", json={"mfa_token": step["mfa_token"], "code": "000000"})
        assert wrong.status_code == 401
    # Five wrong codes locked the account: the password alone no longer opens a step.
    locked = await sign_in(platform.client, account.email, PASSWORD)
    assert (locked.status_code, locked.json()["code"]) == (401, "invalid_credentials")
    failures = await outbox(events.LOGIN_FAILED.name, user_id=str(account.user_id))
    assert [item["data"]["reason"] for item in failures][:5] == ["wrong_mfa_code"] * 5
    finished = await platform.client.post(
        f"{BASE}/login/mfa", json={"mfa_token": step["mfa_token"], "code": code_at(secret, 0)}
    )
    assert finished.status_code == 401


async def test_enrolment_needs_a_right_code_and_can_be_turned_off(platform, sign_up) -> None:
    account = await sign_up()
    confirm_first = await platform.client.post(
        f"{BASE}/mfa/totp/confirm", json={"code": "123456"}, headers=account.headers
    )
    assert (confirm_first.status_code, confirm_first.json()["code"]) == (409, "mfa_not_enrolled")
    enrolled = (await platform.client.post(f"{BASE}/mfa/totp/enroll", headers=account.headers)).json()
    wrong = await platform.client.post(f"{BASE}/mfa/totp/confirm", json={"code": "000000"}, headers=account.headers)
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "body.code"
    secret = enrolled["secret"]
    ok = await platform.client.post(
        f"{BASE}/mfa/totp/confirm", json={"code": code_at(secret, 0)}, headers=account.headers
    )
    assert ok.status_code == 200
    twice = await platform.client.post(f"{BASE}/mfa/totp/enroll", headers=account.headers)
    assert (twice.status_code, twice.json()["code"]) == (409, "mfa_already_enabled")

    bad_password = await platform.client.post(
        f"{BASE}/mfa/totp/disable",
        json={"password": "Not-My-Password-1", "code": code_at(secret, 30)},
        headers=account.headers,
    )
    assert bad_password.status_code == 422
    assert bad_password.json()["errors"][0]["field"] == "body.password"
    disabled = await platform.client.post(
        f"{BASE}/mfa/totp/disable", json={"password": PASSWORD, "code": code_at(secret, 30)}, headers=account.headers
    )
    assert disabled.status_code == 204, disabled.text
    plain = await sign_in(platform.client, account.email, PASSWORD)
    assert "access_token" in plain.json()


async def test_an_administrator_resets_a_users_mfa(platform, sign_up, add_user) -> None:
    account = await sign_up()
    member = await add_user(account)
    pair = (await sign_in(platform.client, member.email, member.password)).json()
    member_account = type(account)(**{**account.__dict__, "tokens": pair})
    await enable_mfa(platform, member_account)
    assert "mfa_required" in (await sign_in(platform.client, member.email, member.password)).json()
    reset = await platform.client.delete(f"{BASE}/users/{member.user_id}/mfa", headers=account.headers)
    assert reset.status_code == 200
    assert reset.json()["mfa_enabled"] is False
    assert "access_token" in (await sign_in(platform.client, member.email, member.password)).json()
