"""Tokens: refresh rotation and theft detection, logout, switching company, access tokens that
must be refused (expired, forged, alg none, unknown kid), and signing-key rotation."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from prometheus_client import REGISTRY
from tests.services.auth.conftest import BASE, PASSWORD, sign_in

from vextrus.kit.tenancy import Principal
from vextrus.services.auth import events


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_refresh_rotates_and_spends_the_old_token(platform, sign_up, outbox) -> None:
    account = await sign_up()
    first = (await sign_in(platform.client, account.email, PASSWORD)).json()
    second = await platform.client.post(f"{BASE}/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    pair = second.json()
    assert pair["refresh_token"] != first["refresh_token"]
    assert pair["access_token"] != first["access_token"]
    assert pair["session_id"] == first["session_id"]
    me = await platform.client.get(f"{BASE}/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 200
    third = await platform.client.post(f"{BASE}/refresh", json={"refresh_token": pair["refresh_token"]})
    assert third.status_code == 200
    refreshed = await outbox("auth.token.refreshed", session_id=first["session_id"])
    assert len(refreshed) == 2


async def test_a_spent_refresh_token_revokes_the_whole_family(platform, sign_up, outbox) -> None:
    account = await sign_up()
    stolen = (await sign_in(platform.client, account.email, PASSWORD)).json()
    other_session = (await sign_in(platform.client, account.email, PASSWORD)).json()
    legitimate = (await platform.client.post(f"{BASE}/refresh", json={"refresh_token": stolen["refresh_token"]})).json()
    reuses = REGISTRY.get_sample_value("auth_token_refresh_total", {"outcome": "reuse_detected"}) or 0.0

    replay = await platform.client.post(f"{BASE}/refresh", json={"refresh_token": stolen["refresh_token"]})
    assert replay.status_code == 401
    assert replay.json()["code"] == "refresh_token_reused"
    # The newest token of the family is dead too; another session is untouched.
    after = await platform.client.post(f"{BASE}/refresh", json={"refresh_token": legitimate["refresh_token"]})
    assert (after.status_code, after.json()["code"]) == (401, "invalid_refresh_token")
    untouched = await platform.client.post(f"{BASE}/refresh", json={"refresh_token": other_session["refresh_token"]})
    assert untouched.status_code == 200

    detected = await outbox(events.TOKEN_REUSE_DETECTED.name, session_id=stolen["session_id"])
    assert len(detected) == 1
    assert detected[0]["data"]["user_id"] == str(account.user_id)
    assert REGISTRY.get_sample_value("auth_token_refresh_total", {"outcome": "reuse_detected"}) == reuses + 1
    sessions = (await platform.client.get(f"{BASE}/sessions", headers=account.headers)).json()["items"]
    assert stolen["session_id"] not in {item["id"] for item in sessions}
    assert other_session["session_id"] in {item["id"] for item in sessions}


async def test_invalid_refresh_tokens_are_refused(platform) -> None:
    for token in ("vxr_" + "A" * 43, "garbage", "vxk_" + "B" * 43):
        response = await platform.client.post(f"{BASE}/refresh", json={"refresh_token": token})
        assert (response.status_code, response.json()["code"]) == (401, "invalid_refresh_token")


async def test_logout_ends_the_session(platform, sign_up, outbox) -> None:
    account = await sign_up()
    pair = (await sign_in(platform.client, account.email, PASSWORD)).json()
    response = await platform.client.post(f"{BASE}/logout", json={"refresh_token": pair["refresh_token"]})
    assert response.status_code == 204
    again = await platform.client.post(f"{BASE}/logout", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 204  # idempotent
    refreshed = await platform.client.post(f"{BASE}/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 401
    assert len(await outbox(events.USER_LOGGED_OUT.name, session_id=pair["session_id"])) == 1


async def test_sessions_are_listed_and_revoked(platform, sign_up) -> None:
    account = await sign_up()
    other = (await sign_in(platform.client, account.email, PASSWORD)).json()
    listed = (await platform.client.get(f"{BASE}/sessions", headers=account.headers)).json()["items"]
    assert {item["id"] for item in listed} == {account.tokens["session_id"], other["session_id"]}
    revoked = await platform.client.delete(f"{BASE}/sessions/{other['session_id']}", headers=account.headers)
    assert revoked.status_code == 204
    gone = await platform.client.post(f"{BASE}/refresh", json={"refresh_token": other["refresh_token"]})
    assert gone.status_code == 401
    missing = await platform.client.delete(f"{BASE}/sessions/{uuid.uuid4()}", headers=account.headers)
    assert missing.status_code == 404
    # An administrator ends all of a user's sessions.
    ended = await platform.client.delete(f"{BASE}/users/{account.user_id}/sessions", headers=account.headers)
    assert ended.status_code == 204
    refresh = account.tokens["refresh_token"]
    assert (await platform.client.post(f"{BASE}/refresh", json={"refresh_token": refresh})).status_code == 401


async def test_refresh_switches_the_acting_company(platform, sign_up, add_company) -> None:
    account = await sign_up()
    second = await add_company(account, (account.user_id,))
    pair = (await sign_in(platform.client, account.email, PASSWORD)).json()
    principal = await platform.runtime.verifier.verify(pair["access_token"])
    assert principal.company_ids == (account.company_id, second)  # primary first

    switched = await platform.client.post(
        f"{BASE}/refresh", json={"refresh_token": pair["refresh_token"], "company_id": str(second)}
    )
    assert switched.status_code == 200, switched.text
    principal = await platform.runtime.verifier.verify(switched.json()["access_token"])
    assert principal.company_ids[0] == second
    me = (await platform.client.get(f"{BASE}/me", headers=bearer(switched.json()["access_token"]))).json()
    assert me["acting_company_id"] == str(second)

    outsider = await platform.client.post(
        f"{BASE}/refresh", json={"refresh_token": switched.json()["refresh_token"], "company_id": str(uuid.uuid4())}
    )
    assert outsider.status_code == 422
    assert outsider.json()["errors"][0]["field"] == "body.company_id"


def claims(account, **changes: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {
        "iss": "vextrus",
        "aud": "vextrus",
        "sub": str(account.user_id),
        "tid": str(account.tenant_id),
        "perms": ["*"],
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
    }
    base.update(changes)
    return base


def bad_token(kind: str, platform, account) -> str:
    """An access token that must be refused, of the given kind."""
    kid = jwt.get_unverified_header(account.tokens["access_token"])["kid"]
    stranger = Ed25519PrivateKey.generate()
    real_key = platform.runtime.keys.active.private_key
    if kind == "expired":
        return platform.token(account.tenant_id, ("*",), subject=account.user_id, ttl_seconds=-60)
    if kind == "forged":  # another key claiming the real kid
        return jwt.encode(claims(account), stranger, algorithm="EdDSA", headers={"kid": kid})
    if kind == "alg-none":
        return jwt.encode(claims(account), None, algorithm="none", headers={"kid": kid})
    if kind == "wrong-kid":
        return jwt.encode(claims(account), stranger, algorithm="EdDSA", headers={"kid": "0123456789abcdef"})
    if kind == "no-kid":
        return jwt.encode(claims(account), real_key, algorithm="EdDSA")
    if kind == "tampered":  # a real token with one claim changed
        header, payload, signature = account.tokens["access_token"].split(".")
        changed = jwt.utils.base64url_decode(payload).replace(b'"tenant-admin"', b'"tenant-admix"')
        return f"{header}.{jwt.utils.base64url_encode(changed).decode()}.{signature}"
    if kind == "other-audience":  # the real key, a claim set the auth service never issues
        return jwt.encode(claims(account, aud="elsewhere"), real_key, algorithm="EdDSA", headers={"kid": kid})
    if kind == "no-tenant":
        return jwt.encode(claims(account, tid=None), real_key, algorithm="EdDSA", headers={"kid": kid})
    if kind == "hs256":  # algorithm confusion: HMAC keyed with the public key
        public = real_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
        return jwt.encode(claims(account), public, algorithm="HS256", headers={"kid": kid})
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    ["expired", "forged", "alg-none", "wrong-kid", "no-kid", "tampered", "other-audience", "no-tenant", "hs256"],
)
async def test_bad_access_tokens_are_refused(platform, sign_up, kind: str) -> None:
    account = await sign_up()
    response = await platform.client.get(f"{BASE}/me", headers=bearer(bad_token(kind, platform, account)))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert (await platform.client.get(f"{BASE}/me", headers=account.headers)).status_code == 200


async def test_signing_key_rotation(platform, auth_app, sign_up, tmp_path) -> None:
    async with auth_app(key_dir=tmp_path / "keys") as (client, app):
        runtime = app.state.runtime
        account = await sign_up(client)
        old_kid = jwt.get_unverified_header(account.tokens["access_token"])["kid"]
        operator = runtime.issuer.issue(
            Principal(subject=uuid.uuid4(), tenant_id=uuid.UUID(int=0), permissions=frozenset({"platform.keys.rotate"}))
        )
        # A tenant administrator's '*' does not reach platform permissions.
        refused = await client.post(f"{BASE}/keys/rotate", headers=account.headers)
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")

        rotated = await client.post(f"{BASE}/keys/rotate", headers=bearer(operator))
        assert rotated.status_code == 200, rotated.text
        body = rotated.json()
        assert body["kid"] != old_kid
        assert body["trusted_kids"][:2] == [body["kid"], old_kid]

        # A token signed by the previous key still verifies; new tokens carry the new kid.
        assert (await client.get(f"{BASE}/me", headers=account.headers)).status_code == 200
        fresh = (await sign_in(client, account.email, PASSWORD)).json()
        assert jwt.get_unverified_header(fresh["access_token"])["kid"] == body["kid"]
        assert (await client.get(f"{BASE}/me", headers=bearer(fresh["access_token"]))).status_code == 200
        jwks = (await client.get("/.well-known/jwks.json")).json()
        assert {body["kid"], old_kid} <= {key["kid"] for key in jwks["keys"]}
