"""Every registered service, served alone (distributed mode), honours the platform contract:
health endpoints, valid Prometheus metrics, valid OpenAPI, problem+json errors, declared
permissions on every route, well-formed topics. A new service passes these or does not land."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi.routing import APIRoute
from openapi_spec_validator import validate
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Platform
from vextrus.kit.app import build_app
from vextrus.kit.security import route_permissions
from vextrus.kit.service import TOPIC_PATTERN, Service, load_registry

SERVICES = list(load_registry())
SERVICE_IDS = [service.name for service in SERVICES]
REQUIRE_PROMTOOL = os.environ.get("VEXTRUS_REQUIRE_PROMTOOL", "") in ("1", "true", "yes")

pytestmark = pytest.mark.skipif(not SERVICES, reason="no service registered")


@asynccontextmanager
async def served_alone(platform: Platform, service: Service) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app([service], platform.runtime.settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app, raise_app_exceptions=False), base_url="http://service.test"
        ) as client:
            yield client


def api_routes(service: Service) -> list[APIRoute]:
    assert service.router is not None
    return [route for route in service.router.routes if isinstance(route, APIRoute)]


@pytest.mark.parametrize("service", SERVICES, ids=SERVICE_IDS)
async def test_health_contract(platform: Platform, service: Service) -> None:
    async with served_alone(platform, service) as client:
        health = await client.get("/health")
        assert health.status_code == 200
        body = health.json()
        assert body["status"] == "ok"
        assert body["service"] == service.name
        assert body["version"]
        assert dt.datetime.fromisoformat(body["timestamp"]).tzinfo is not None

        live = await client.get("/health/live")
        assert live.status_code == 200
        assert live.json()["checks"]["memory"]["status"] == "ok"

        ready = await client.get("/health/ready")
        assert ready.status_code == 200, ready.text
        checks = ready.json()["checks"]
        assert {"database", "cache", "event_bus"} <= set(checks)
        for check in service.checks:
            assert check.name in checks
        assert all(result["status"] == "ok" for result in checks.values())

        stats = (await client.get("/health/stats")).json()
        assert stats["services"] == [service.name]
        assert stats["uptime_seconds"] >= 0
        assert service.name in stats["outbox"]
        assert "pool" in stats["database"]

        dependencies = (await client.get("/health/dependencies")).json()["dependencies"]
        assert {item["name"] for item in dependencies} >= {"database", "cache", "event_bus"}
        assert all("latency_ms" in item and "status" in item for item in dependencies)


def promtool_check(text: str) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        assert not REQUIRE_PROMTOOL, "promtool is required (Debian package prometheus) but missing"
        list(text_string_to_metric_families(text))  # the parser raises on malformed exposition
        return
    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("service", SERVICES, ids=SERVICE_IDS)
async def test_metrics_are_valid_and_labelled_by_route_template(platform: Platform, service: Service) -> None:
    async with served_alone(platform, service) as client:
        await client.get("/health")
        await client.get(f"/no/such/path/{uuid.uuid4()}")
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    promtool_check(text)
    families = {family.name: family for family in text_string_to_metric_families(text)}
    requests = [
        sample
        for sample in families["http_requests"].samples
        if sample.name == "http_requests_total" and sample.labels["service"] == service.name
    ]
    routes = {sample.labels["route"] for sample in requests}
    assert "/health" in routes
    assert "<unmatched>" in routes  # raw paths never become label values
    assert not any("no/such/path" in route for route in routes)
    assert "http_request_duration_seconds" in families
    assert "db_pool_connections" in families
    assert any(sample.labels.get("service") == service.name for sample in families["outbox_backlog_events"].samples)
    assert "process_resident_memory_bytes" in text


@pytest.mark.parametrize("service", SERVICES, ids=SERVICE_IDS)
async def test_openapi_document_is_valid(platform: Platform, service: Service) -> None:
    async with served_alone(platform, service) as client:
        document = (await client.get("/openapi.json")).json()
        docs = await client.get("/api/docs")
    validate(document)
    assert docs.status_code == 200
    paths = set(document["paths"])
    for route in api_routes(service):
        if route.include_in_schema:
            assert route.path in paths


@pytest.mark.parametrize("service", SERVICES, ids=SERVICE_IDS)
async def test_errors_are_problem_json(platform: Platform, service: Service) -> None:
    async with served_alone(platform, service) as client:
        missing = await client.get(f"/api/v1/{uuid.uuid4()}", headers={"Accept-Language": "bn"})
        wrong_method = await client.delete("/health")
    for response, status in ((missing, 404), (wrong_method, 405)):
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == status
        assert body["code"]
        assert body["type"].startswith("https://")
        assert response.headers["x-request-id"] == body["request_id"]
    assert missing.json()["title"] == "পাওয়া যায়নি"


@pytest.mark.parametrize("service", SERVICES, ids=SERVICE_IDS)
def test_every_route_declares_a_permission_or_is_public(service: Service) -> None:
    if service.router is None:
        return
    for route in api_routes(service):
        permissions, public = route_permissions([route.dependant])
        assert permissions or public, f"{service.name}: {route.methods} {route.path} has no permission"
        for permission in permissions:
            assert permission in service.permissions, f"{permission} is not declared by {service.name}"
            # a service's own permissions, or platform-operator ones (never covered by a tenant's '*')
            assert permission.startswith((f"{service.schema}.", f"{service.name}.", "platform."))


@pytest.mark.parametrize("service", SERVICES, ids=SERVICE_IDS)
async def test_protected_routes_refuse_without_token_and_without_permission(
    platform: Platform, service: Service
) -> None:
    if service.router is None:
        return
    no_rights = platform.headers(uuid.uuid4(), permissions=["nothing.at.all"])
    async with served_alone(platform, service) as client:
        for route in api_routes(service):
            permissions, _ = route_permissions([route.dependant])
            if not permissions:
                continue
            path = route.path_format
            for name in route.param_convertors:
                path = path.replace("{" + name + "}", str(uuid.uuid4()))
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                anonymous = await client.request(method, path, json={})
                assert anonymous.status_code == 401, f"{method} {path}: {anonymous.status_code}"
                denied = await client.request(method, path, json={}, headers=no_rights)
                assert denied.status_code == 403, f"{method} {path}: {denied.status_code}"
                assert denied.json()["code"] == "forbidden"


@pytest.mark.parametrize("service", SERVICES, ids=SERVICE_IDS)
def test_topics_are_service_entity_action(service: Service) -> None:
    for topic in service.publishes:
        assert TOPIC_PATTERN.match(topic.name), topic.name
        assert topic.owner == service.name
        assert topic.description
    names = [topic.name for topic in service.publishes]
    assert len(names) == len(set(names))


def test_table_names_are_unique_and_prefixed_per_service() -> None:
    seen: dict[str, str] = {}
    for service in SERVICES:
        if service.metadata is None:
            continue
        prefixes = {table.name.split("_", 1)[0] for table in service.metadata.tables.values()}
        assert len(prefixes) <= 1, f"{service.name} uses several table prefixes: {prefixes}"
        for table in service.metadata.tables.values():
            assert table.schema == service.schema, f"{table.name} is not in schema {service.schema}"
            assert table.name not in seen, f"{table.name} is owned by {seen.get(table.name)} and {service.name}"
            seen[table.name] = service.name
            for key in table.foreign_keys:
                assert key.column.table.schema == service.schema, f"{table.name} references another service"


def test_ports_and_names_are_unique() -> None:
    ports = [service.port for service in SERVICES]
    assert len(ports) == len(set(ports))
    assert 4000 not in ports or any(service.name == "gateway" for service in SERVICES)
