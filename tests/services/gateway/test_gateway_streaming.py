"""Uploads and exports stream through the gateway: 256 MiB each way pass through a gateway process
whose resident memory barely moves (it would grow by the body's size if it buffered)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections.abc import AsyncIterator, Iterator

import httpx
import psutil
import pytest
from gateway_support import PROBE_KEY, Process, gateway_process

MIB = 1024 * 1024
BODY_MIB = 256
GROWTH_LIMIT = 64 * MIB  # far below the body: the gateway may not hold it


@pytest.fixture(scope="module")
def streaming_gateway(tmp_path_factory: pytest.TempPathFactory, probe_server: Process) -> Iterator[Process]:
    env = {
        "VEXTRUS_SERVICE_URLS": json.dumps({"probe": probe_server.url}),
        "VEXTRUS_JWKS_URL": f"{probe_server.url}/.well-known/jwks.json",
        "VEXTRUS_GATEWAY_ROUTES": json.dumps({PROBE_KEY: "probe"}),
        "VEXTRUS_GATEWAY_BODY_LIMITS": json.dumps({PROBE_KEY: 4096 * MIB}),
        "VEXTRUS_SIGNING_KEY_PATH": str(tmp_path_factory.mktemp("gateway-keys") / "unused.pem"),
    }
    server = gateway_process(tmp_path_factory.mktemp("streaming-gateway"), env).start()
    yield server
    server.stop()


class PeakMemory:
    """Samples a process's resident memory every 10 ms while active."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.baseline = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            self._stop.wait(0.01)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth(self) -> int:
        return self.peak - self.baseline


async def test_a_large_upload_streams_through_without_being_held(streaming_gateway: Process) -> None:
    chunk = bytes(range(256)) * 256  # 64 KiB
    expected = hashlib.sha256()
    count = BODY_MIB * 16
    for _ in range(count):
        expected.update(chunk)

    async def body() -> AsyncIterator[bytes]:
        for _ in range(count):
            yield chunk

    async with httpx.AsyncClient(base_url=streaming_gateway.url, timeout=120) as client:
        assert (await client.post(f"{PROBE_KEY}/upload", content=b"warm-up")).status_code == 200
        with PeakMemory(streaming_gateway.pid) as memory:
            response = await client.post(f"{PROBE_KEY}/upload", content=body())  # chunked, no length
    assert response.status_code == 200, response.text
    assert response.json() == {"bytes": BODY_MIB * MIB, "sha256": expected.hexdigest()}
    assert memory.growth < GROWTH_LIMIT, f"gateway grew by {memory.growth / MIB:.0f} MiB"


async def test_a_large_export_streams_through_without_being_held(streaming_gateway: Process) -> None:
    async with httpx.AsyncClient(base_url=streaming_gateway.url, timeout=120) as client:
        assert (await client.get(f"{PROBE_KEY}/download", params={"megabytes": 1})).status_code == 200
        received = 0
        with PeakMemory(streaming_gateway.pid) as memory:
            async with client.stream("GET", f"{PROBE_KEY}/download", params={"megabytes": BODY_MIB}) as response:
                assert response.status_code == 200
                assert "content-length" not in response.headers  # streamed by the service, streamed on
                async for part in response.aiter_raw():
                    received += len(part)
    assert received == BODY_MIB * MIB
    assert memory.growth < GROWTH_LIMIT, f"gateway grew by {memory.growth / MIB:.0f} MiB"


async def test_a_client_leaving_mid_export_stops_the_transfer(streaming_gateway: Process) -> None:
    """The gateway stops reading the service's answer when its client goes away (2 GiB would
    keep it busy for seconds)."""
    gateway = psutil.Process(streaming_gateway.pid)
    async with httpx.AsyncClient(base_url=streaming_gateway.url, timeout=120) as client:
        async with client.stream("GET", f"{PROBE_KEY}/download", params={"megabytes": 2048}) as response:
            async for _ in response.aiter_raw():
                break  # leave after the first chunk
        await asyncio.sleep(0.5)
        before = sum(gateway.cpu_times()[:2])
        await asyncio.sleep(1.0)
        busy = sum(gateway.cpu_times()[:2]) - before
        health = await client.get("/health")
    assert health.status_code == 200
    assert busy < 0.3, f"the gateway kept working for {busy:.2f} s of CPU after the client left"
