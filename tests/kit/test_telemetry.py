"""Traces reach a real OTLP/HTTP receiver, continue the caller's W3C trace, and name spans by
route template; events recorded during a traced request carry its traceparent."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.conftest import make_settings
from vextrus.kit.app import build_app
from vextrus.kit.migrations import platform_tree, upgrade

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


class Receiver(ThreadingHTTPServer):
    requests: list[ExportTraceServiceRequest]


class OTLPHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/v1/traces":
            message = ExportTraceServiceRequest()
            message.ParseFromString(body)
            self.server.requests.append(message)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(("127.0.0.1", 0), OTLPHandler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


async def test_request_span_is_exported_over_otlp(receiver: Receiver, tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{receiver.server_address[1]}"
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 't.db'}", tmp_path, otlp_endpoint=endpoint)
    app = build_app([], settings, name="traced")
    await upgrade(app.state.runtime.database, [platform_tree()])
    traceparent = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
            assert (await client.get("/health/live", headers={"traceparent": traceparent})).status_code == 200
    # the lifespan's end flushed the batch processor
    spans = [
        (resource.resource, span)
        for request in receiver.requests
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]
    assert spans, "no span reached the OTLP receiver"
    resource, span = spans[0]
    attributes = {item.key: item.value.string_value for item in resource.attributes}
    assert attributes["service.name"] == "traced"
    assert span.name == "GET /health/live"
    assert span.trace_id.hex() == TRACE_ID  # continued the caller's trace
