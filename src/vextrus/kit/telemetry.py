"""OpenTelemetry tracing: a server span per request, exported over OTLP/HTTP when configured.

With no ``VEXTRUS_OTLP_ENDPOINT`` nothing is installed and requests pay nothing for tracing.
The W3C ``traceparent`` of the current span travels in event envelopes.
"""

from __future__ import annotations

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor


def configure_tracing(service_name: str, otlp_endpoint: str | None, version: str) -> TracerProvider | None:
    """Install a tracer provider exporting to ``otlp_endpoint`` (e.g. http://collector:4318)."""
    if not otlp_endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = TracerProvider(resource=Resource.create({"service.name": service_name, "service.version": version}))
    provider.add_span_processor(
        BatchSpanProcessor(
            OTLPSpanExporter(endpoint=otlp_endpoint.rstrip("/") + "/v1/traces"), schedule_delay_millis=500
        )
    )
    return provider


def current_traceparent() -> str | None:
    """The W3C traceparent of the active span, if any (carried by events)."""
    span = trace.get_current_span()
    if not span.get_span_context().is_valid:
        return None
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")
