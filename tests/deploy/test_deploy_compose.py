"""deploy/compose.yaml: the datastores, observability, the migration job and every registered
service on its port with a healthcheck, parsed and checked (no container engine runs here)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.deploy.tools import DEPLOY, cli_command_exists, interpolate, load_yaml
from vextrus import deploy
from vextrus.kit.service import Registry
from vextrus.kit.settings import Settings, load_settings, service_env_prefix

INFRASTRUCTURE = ("postgres", "redis", "kafka", "otel-collector", "prometheus", "grafana", "migrate", "create-topics")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(DEPLOY / "compose.yaml")
    return data


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {key: interpolate(str(value)) for key, value in container.get("environment", {}).items()}


def test_every_registered_service_runs_on_its_port_with_a_healthcheck(
    compose: dict[str, Any], registry: Registry
) -> None:
    services = compose["services"]
    for service in registry:
        container = services[service.name]
        port = str(service.port)
        assert container["image"] == deploy.VEXTRUS_IMAGE
        assert container["command"] == ["serve", service.name, "--host", "0.0.0.0", "--port", port]
        assert container["ports"] == [f"{port}:{port}"]
        assert _env(container)["VEXTRUS_PORT"] == port
        check = container["healthcheck"]
        assert check["test"][0] == "CMD"
        assert f"http://127.0.0.1:{port}/health/live" in " ".join(check["test"])
        assert {"interval", "timeout", "retries"} <= check.keys()
        assert container["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        for store in ("postgres", "redis", "kafka"):
            assert container["depends_on"][store] == {"condition": "service_healthy"}
        assert container["read_only"] is True
        assert "profiles" not in container


def test_the_gateway_fronts_every_service_on_4000(compose: dict[str, Any], registry: Registry) -> None:
    gateway = compose["services"]["gateway"]
    assert gateway["ports"] == ["4000:4000"]
    assert gateway["command"][:2] == ["serve", "gateway"]
    for service in registry:
        if service.name != "gateway":
            assert gateway["depends_on"][service.name] == {"condition": "service_healthy"}
    # Until the gateway service is registered, it starts only when asked for by profile.
    assert ("profiles" in gateway) == ("gateway" not in registry.names())


def test_the_federation_gateway_composes_every_subgraph(compose: dict[str, Any], registry: Registry) -> None:
    federation = compose["services"][deploy.FEDERATION]
    env = _env(federation)
    expected = {
        service.name: f"http://{service.name}:{service.port}/graphql" for service in registry if service.graphql
    }
    assert json.loads(env["VEXTRUS_FEDERATION_SUBGRAPHS"]) == expected
    assert env["VEXTRUS_FEDERATION_PORT"] == str(deploy.FEDERATION_PORT)
    assert set(federation["depends_on"]) == set(expected)
    assert "/health" in " ".join(federation["healthcheck"]["test"])
    gateway = _env(compose["services"][deploy.GATEWAY])
    assert gateway["VEXTRUS_GATEWAY_FEDERATION_URL"] == f"http://{deploy.FEDERATION}:{deploy.FEDERATION_PORT}"


def test_infrastructure_is_there_with_healthchecks_and_named_volumes(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in INFRASTRUCTURE:
        assert name in services, name
    for name in ("postgres", "redis", "kafka", "prometheus", "grafana"):
        assert "healthcheck" in services[name], name
    kafka = _env(services["kafka"])
    assert kafka["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, single node, no ZooKeeper
    assert "zookeeper" not in json.dumps(compose).lower()
    declared = set(compose["volumes"])
    used = set()
    for container in services.values():
        for volume in container.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"bind mount {source} missing under deploy/"
            else:
                used.add(source)
    assert used == declared


def test_migrations_run_once_as_the_owner_and_grant_the_app_role(compose: dict[str, Any]) -> None:
    migrate = compose["services"]["migrate"]
    assert migrate["command"] == ["migrate"]
    assert migrate["restart"] == "no"
    env = _env(migrate)
    assert make_url(env["VEXTRUS_DATABASE_URL"]).username == "vextrus"
    assert env["VEXTRUS_DATABASE_APP_ROLE"] == "vextrus_app"
    init = (DEPLOY / "postgres" / "initdb" / "10-app-role.sh").read_text()
    assert "CREATE ROLE vextrus_app LOGIN NOSUPERUSER NOBYPASSRLS" in init


def test_services_run_as_the_app_role_and_find_each_other(compose: dict[str, Any], registry: Registry) -> None:
    expected_urls = deploy.service_urls(deploy.components(registry))
    for service in registry:
        env = _env(compose["services"][service.name])
        assert make_url(env["VEXTRUS_DATABASE_URL"]).username == "vextrus_app"
        assert json.loads(env["VEXTRUS_SERVICE_URLS"]) == expected_urls
        assert env["VEXTRUS_EVENT_BUS"] == "kafka://kafka:9092"
        assert env["VEXTRUS_OTLP_ENDPOINT"] == "http://otel-collector:4318"


def test_auth_keeps_its_keys_in_a_volume_and_the_others_verify_with_its_jwks(
    compose: dict[str, Any], registry: Registry
) -> None:
    if deploy.TOKEN_ISSUER not in registry.names():
        pytest.skip("no auth service registered")
    auth = compose["services"][deploy.TOKEN_ISSUER]
    assert _env(auth)["VEXTRUS_SIGNING_KEY_PATH"].startswith(deploy.KEYS_DIR + "/")
    assert f"auth-keys:{deploy.KEYS_DIR}" in auth["volumes"]
    port = registry.get(deploy.TOKEN_ISSUER).port
    for service in registry:
        if service.name != deploy.TOKEN_ISSUER:
            env = _env(compose["services"][service.name])
            assert env["VEXTRUS_JWKS_URL"] == f"http://auth:{port}/.well-known/jwks.json"
            assert "VEXTRUS_SIGNING_KEY_PATH" not in env


def test_every_vextrus_setting_is_one_the_platform_accepts(
    compose: dict[str, Any], registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real settings models (the platform's and the services' own) read each Vextrus
    container's VEXTRUS_* environment: no misspelt variable survives."""
    known = {f"VEXTRUS_{name.upper()}" for name in Settings.model_fields}
    for service in registry:
        if service.settings is not None:
            prefix = service_env_prefix(service.settings)
            known |= {f"{prefix}{name.upper()}" for name in service.settings.model_fields}
    if deploy.GATEWAY not in registry.names():
        known.add("VEXTRUS_GATEWAY_FEDERATION_URL")  # read by the gateway service once it is registered
    for name, container in compose["services"].items():
        if container.get("image") != deploy.VEXTRUS_IMAGE:
            continue
        env = {key: value for key, value in _env(container).items() if key.startswith("VEXTRUS_")}
        assert set(env) <= known, f"{name}: unknown settings {set(env) - known}"
        with monkeypatch.context() as patch:
            for key, value in env.items():
                patch.setenv(key, value)
            settings = load_settings()
        if "VEXTRUS_DATABASE_URL" in env:
            assert settings.database_url.startswith("postgresql+asyncpg://"), name
        if "VEXTRUS_SERVICE_URLS" in env:
            assert settings.service_urls == json.loads(env["VEXTRUS_SERVICE_URLS"])


def test_every_command_the_containers_run_exists(compose: dict[str, Any]) -> None:
    for name, container in compose["services"].items():
        if container.get("image") == deploy.VEXTRUS_IMAGE:
            assert cli_command_exists(container["command"]), f"{name}: vextrus {' '.join(container['command'])}"


def test_topics_exist_before_the_services_start(compose: dict[str, Any], registry: Registry) -> None:
    topics = compose["services"]["create-topics"]
    assert topics["command"][:2] == ["events", "create-topics"]
    assert topics["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    for service in registry:
        assert compose["services"][service.name]["depends_on"]["create-topics"] == {
            "condition": "service_completed_successfully"
        }
