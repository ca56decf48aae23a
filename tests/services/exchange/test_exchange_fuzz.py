"""OpenAPI fuzzing of the import-export routes (schemathesis, positive and negative cases) on a live
server with master data beside it: no generated request may answer 5xx, uploads included."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
import uvicorn
from exchange_support import SERVICES, migrate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode
from tests.conftest import make_settings

from vextrus.kit.app import build_app
from vextrus.kit.tenancy import Principal

EXAMPLES = 250


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    workdir: Path = tmp_path_factory.mktemp("exchange-fuzz")
    app_settings = make_settings(f"sqlite+aiosqlite:///{workdir / 'fuzz.db'}", workdir)
    asyncio.run(migrate(app_settings.database_url))
    app = build_app(SERVICES, app_settings, service_settings={"exchange": {"storage_dir": str(workdir / "exchange")}})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    issuer = app.state.runtime.issuer
    token = issuer.issue(Principal(subject=uuid.uuid4(), tenant_id=uuid.uuid4(), permissions=frozenset({"*"})))
    yield base, token
    server.should_exit = True
    thread.join(timeout=10)


def test_no_generated_request_causes_a_server_error(live: tuple[str, str]) -> None:
    base, token = live
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json").include(path_regex="^/api/v1/exchange")
    strategy = st.one_of(
        schema.as_strategy(generation_mode=GenerationMode.POSITIVE),
        schema.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    failures: list[str] = []
    calls: list[str] = []

    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(case=strategy)
    def call(case: schemathesis.Case) -> None:
        response = case.call(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        calls.append(f"{case.method} {case.path}")
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}")

    call()
    assert not failures, "\n".join(failures[:20])
    assert any(item.startswith("POST /api/v1/exchange/imports") for item in calls)
