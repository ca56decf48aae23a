"""Rate limits in distributed mode are shared: two gateway instances on one Redis refuse a user
once the user's burst is spent across both; with in-process memory each instance counts alone."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest
from gateway_support import PROBE_KEY, Process, bearer, gateway

from vextrus.kit.security import TokenIssuer

REDIS_URL = "redis://127.0.0.1:6379/12"


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.parametrize(("cache_url", "expected"), [(REDIS_URL, [200] * 4 + [429] * 4), ("memory://", [200] * 8)])
async def test_two_gateways_share_the_buckets_in_redis(
    tmp_path: Path, probe: Process, issuer: TokenIssuer, cache_url: str, expected: list[int]
) -> None:
    if cache_url.startswith("redis") and not redis_available():
        pytest.fail("Redis is required on 127.0.0.1:6379 for the distributed rate-limit test")
    settings = {
        "gateway_settings": {
            "routes": {PROBE_KEY: "probe"},
            "rate_limit_user_per_second": 0.01,
            "rate_limit_user_burst": 4,
        },
        "service_urls": {"probe": probe.url},
        "jwks_url": f"{probe.url}/.well-known/jwks.json",
        "cache_url": cache_url,
    }
    user = bearer(issuer, uuid.uuid4(), subject=uuid.uuid4())
    async with gateway(tmp_path / "a", **settings) as first, gateway(tmp_path / "b", **settings) as second:
        statuses = []
        for instance in (first, second, first, second, first, second, first, second):
            response = await instance.client.get(f"{PROBE_KEY}/echo", headers=user)
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert int(response.headers["retry-after"]) >= 60
                assert response.json()["limit"] == "user"
        other_user = await first.client.get(f"{PROBE_KEY}/echo", headers=bearer(issuer, uuid.uuid4()))
    assert statuses == expected
    assert other_user.status_code == 200
