"""deploy/helm/vextrus: linted and rendered offline (helm-python-sdk) with each environment's values,
every manifest validated by kubernetes-validate --strict, and read for what the platform needs."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.deploy.tools import (
    CHART,
    CUSTOM_RESOURCES,
    ENVIRONMENTS,
    KUBERNETES_VERSION,
    cli_command_exists,
    environment_values,
    module,
)
from vextrus import deploy
from vextrus.kit.service import Registry
from vextrus.kit.settings import Settings, load_settings, service_env_prefix

RELEASE = "vextrus"


class _StrictLoader(yaml.SafeLoader):  # type: ignore[misc]
    """Refuses a mapping with a key twice (the API server's strict decoding does; PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        duplicates = {key for key in keys if keys.count(key) > 1}
        if duplicates:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate keys {duplicates}", node.start_mark)
        return dict(super().construct_mapping(node, deep=deep))


def render(values: dict[str, Any], *, upgrade: bool = False) -> list[dict[str, Any]]:
    helm = module("helm_python", "helm-python-sdk")
    with helm.Chart.load(CHART) as chart:
        manifests = chart.render(values, name=RELEASE, namespace="vextrus", is_install=not upgrade, is_upgrade=upgrade)
    documents: list[dict[str, Any]] = []
    for path, text in manifests.items():
        if path.endswith(".txt"):
            continue
        documents.extend(doc for doc in yaml.load_all(text, Loader=_StrictLoader) if doc)
    return documents


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def environment(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def manifests(environment: str) -> list[dict[str, Any]]:
    return render(environment_values(environment))


def of_kind(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == kind}


def name_of(service: str) -> str:
    return f"{RELEASE}-{service}"


def platform_deployments(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The Deployments running the Vextrus image (every one but the Node federation gateway's)."""
    deployments = of_kind(documents, "Deployment")
    deployments.pop(name_of(deploy.FEDERATION), None)
    return deployments


def containers(deployment: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = deployment["spec"]["template"]["spec"]
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def test_helm_lint_is_clean(environment: str) -> None:
    helm = module("helm_python", "helm-python-sdk")
    report = helm.lint(
        str(CHART),
        environment_values(environment),
        strict=True,
        namespace="vextrus",
        kube_version=f"v{KUBERNETES_VERSION}.0",
    )
    problems = [message for message in report["messages"] if message["severity"] >= 2]
    assert not problems, report
    assert not report["errors"], report


def test_every_manifest_validates_strictly(manifests: list[dict[str, Any]]) -> None:
    validator = module("kubernetes_validate", "kubernetes-validate")
    for document in manifests:
        if document["kind"] in CUSTOM_RESOURCES:
            continue
        try:
            validator.validate(document, KUBERNETES_VERSION, strict=True)
        except validator.ValidationError as error:
            pytest.fail(f"{document['kind']}/{document['metadata']['name']}: {error.message} at {list(error.path)}")


def test_one_deployment_and_service_per_registered_service(manifests: list[dict[str, Any]], registry: Registry) -> None:
    deployments, services = of_kind(manifests, "Deployment"), of_kind(manifests, "Service")
    expected = {name_of(item.name) for item in deploy.running(registry)}
    if any(item.is_gateway for item in deploy.running(registry)):
        expected.add(name_of(deploy.FEDERATION))  # the gateway sends /graphql to the federation gateway
    assert set(deployments) == expected
    assert set(services) == expected
    for item in deploy.running(registry):
        container = deployments[name_of(item.name)]["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == item.command
        assert container["ports"] == [{"name": "http", "containerPort": item.port, "protocol": "TCP"}]
        assert {"name": "VEXTRUS_PORT", "value": str(item.port)} in container["env"]
        assert services[name_of(item.name)]["spec"]["ports"][0]["port"] == item.port


def test_probes_watch_the_health_endpoints(manifests: list[dict[str, Any]]) -> None:
    for deployment in platform_deployments(manifests).values():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["startupProbe"]["httpGet"]["path"] == "/health/live"
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        assert container["resources"]["requests"]
        assert container["resources"]["limits"]
    federation = of_kind(manifests, "Deployment").get(name_of(deploy.FEDERATION))
    if federation is not None:  # the Node gateway has one health endpoint (federation/gateway.mjs)
        container = federation["spec"]["template"]["spec"]["containers"][0]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert container[probe]["httpGet"]["path"] == "/health"
        assert container["resources"]["limits"]


def test_pods_run_non_root_read_only_without_capabilities(manifests: list[dict[str, Any]]) -> None:
    pods = [doc["spec"]["template"] for doc in manifests if doc["kind"] in ("Deployment", "Job")]
    assert pods
    for pod in pods:
        spec = pod["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["automountServiceAccountToken"] is False
        volumes = {volume["name"]: volume for volume in spec["volumes"]}
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            for mount in container["volumeMounts"]:
                volume = volumes[mount["name"]]
                assert "emptyDir" in volume or "persistentVolumeClaim" in volume or mount.get("readOnly"), mount
        main = spec["containers"][0]
        writable = {mount["mountPath"] for mount in main["volumeMounts"]}
        component = pod["metadata"]["labels"].get("app.kubernetes.io/component")
        assert ({"/tmp"} if component == deploy.FEDERATION else {"/tmp", "/app/var"}) <= writable


def test_auth_signs_with_a_writable_key_volume_and_the_others_use_its_jwks(
    manifests: list[dict[str, Any]], registry: Registry
) -> None:
    if deploy.TOKEN_ISSUER not in registry.names():
        pytest.skip("no auth service registered")
    deployments = platform_deployments(manifests)
    auth = deployments[name_of(deploy.TOKEN_ISSUER)]
    container = auth["spec"]["template"]["spec"]["containers"][0]
    key_path = next(item["value"] for item in container["env"] if item["name"] == "VEXTRUS_SIGNING_KEY_PATH")
    mounts = {mount["mountPath"]: mount for mount in container["volumeMounts"]}
    key_dir = key_path.rsplit("/", 1)[0]
    assert key_dir in mounts
    assert not mounts[key_dir].get("readOnly")
    port = registry.get(deploy.TOKEN_ISSUER).port
    jwks = f"http://{name_of(deploy.TOKEN_ISSUER)}:{port}/.well-known/jwks.json"
    for name, deployment in deployments.items():
        if name != name_of(deploy.TOKEN_ISSUER):
            env = {
                item["name"]: item.get("value")
                for item in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
            }
            assert env["VEXTRUS_JWKS_URL"] == jwks
            assert "VEXTRUS_SIGNING_KEY_PATH" not in env


def test_autoscaling_on_cpu_and_memory_and_disruption_budgets(
    manifests: list[dict[str, Any]], environment: str, registry: Registry
) -> None:
    values = environment_values(environment)
    hpas, pdbs = of_kind(manifests, "HorizontalPodAutoscaler"), of_kind(manifests, "PodDisruptionBudget")
    deployments = of_kind(manifests, "Deployment")
    for hpa in hpas.values():
        resources = {metric["resource"]["name"] for metric in hpa["spec"]["metrics"]}
        assert resources == {"cpu", "memory"}
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
        assert "replicas" not in deployments[hpa["spec"]["scaleTargetRef"]["name"]]["spec"]
    if values["defaults"]["autoscaling"]["enabled"]:
        assert hpas, environment
    if values["defaults"]["pdb"]["enabled"]:
        assert set(pdbs) == set(deployments)
        for pdb in pdbs.values():
            assert (
                pdb["spec"]["selector"]["matchLabels"]
                == deployments[pdb["metadata"]["name"]]["spec"]["selector"]["matchLabels"]
            )


def test_network_policy_denies_by_default_and_opens_what_is_needed(manifests: list[dict[str, Any]]) -> None:
    policies = of_kind(manifests, "NetworkPolicy")
    deny = policies[f"{RELEASE}-default-deny"]["spec"]
    assert deny["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in deny
    assert "egress" not in deny
    deployments = of_kind(manifests, "Deployment")
    for name, deployment in deployments.items():
        ingress = policies[f"{name}-ingress"]["spec"]
        assert ingress["podSelector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
        sources = [peer for rule in ingress["ingress"] for peer in rule["from"]]
        component = deployment["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"]
        if component != deploy.GATEWAY:
            gateway_peers = [
                peer
                for peer in sources
                if peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/component")
                == deploy.GATEWAY
            ]
            assert gateway_peers, f"{name}: the gateway cannot reach it"
    egress = policies[f"{RELEASE}-egress"]["spec"]["egress"]
    for rule in egress:
        assert rule.get("to"), "an egress rule without peers would allow every destination"
    ports = {port["port"] for rule in egress for port in rule["ports"]}
    assert 53 in ports  # DNS
    assert {5432, 9092, 6379} <= ports  # the datastores


def test_migrations_run_as_a_pre_install_and_pre_upgrade_hook(manifests: list[dict[str, Any]]) -> None:
    jobs = of_kind(manifests, "Job")
    job = jobs[f"{RELEASE}-migrate"]
    annotations = job["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["migrate"]
    env = {item["name"]: item for item in container["env"]}
    assert env["VEXTRUS_DATABASE_APP_ROLE"]["value"]
    assert env["VEXTRUS_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == "owner-url"


def test_topics_are_created_by_a_hook_after_the_migration(manifests: list[dict[str, Any]]) -> None:
    jobs = of_kind(manifests, "Job")
    topics = jobs[f"{RELEASE}-create-topics"]
    annotations = topics["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    migrate = jobs[f"{RELEASE}-migrate"]["metadata"]["annotations"]
    assert int(annotations["helm.sh/hook-weight"]) > int(migrate["helm.sh/hook-weight"])
    assert topics["spec"]["template"]["spec"]["containers"][0]["args"][:2] == ["events", "create-topics"]


def test_every_command_the_pods_run_exists(manifests: list[dict[str, Any]]) -> None:
    for document in manifests:
        if document["kind"] in ("Deployment", "Job"):
            for container in containers(document):
                if "args" in container and not container.get("command"):
                    assert cli_command_exists(container["args"]), container["args"]


def test_secrets_are_referenced_not_written(manifests: list[dict[str, Any]], environment: str) -> None:
    values = environment_values(environment)
    secrets = of_kind(manifests, "Secret")
    if environment != "dev":
        assert not secrets, f"{environment} must reference Secrets, not carry them"
    referenced = set()
    for document in manifests:
        if document["kind"] in ("Deployment", "Job"):
            for container in containers(document):
                for item in container.get("env", []):
                    if "valueFrom" in item:
                        referenced.add(item["valueFrom"]["secretKeyRef"]["name"])
    database = values.get("database", {}).get("existingSecret", "vextrus-database")
    redis = values.get("redis", {}).get("existingSecret", "vextrus-redis")
    kafka = values.get("kafka", {}).get("configSecret")
    assert referenced == {database, redis} | ({kafka} if kafka else set())


def test_service_monitor_scrapes_every_service_as_job_vextrus(
    manifests: list[dict[str, Any]], environment: str
) -> None:
    monitors = of_kind(manifests, "ServiceMonitor")
    if not environment_values(environment).get("serviceMonitor", {}).get("enabled", True):
        assert not monitors
        return
    (monitor,) = monitors.values()
    spec = monitor["spec"]
    endpoint = spec["endpoints"][0]
    assert (endpoint["path"], endpoint["port"], endpoint["honorLabels"]) == ("/metrics", "http", True)
    assert endpoint["relabelings"][0]["targetLabel"] == "service"
    services = of_kind(manifests, "Service")
    services.pop(name_of(deploy.FEDERATION), None)  # no /metrics (see the federation test below)
    for service in services.values():
        labels = service["metadata"]["labels"]
        assert all(labels.get(key) == value for key, value in spec["selector"]["matchLabels"].items())
        assert labels[spec["jobLabel"]] == deploy.JOB


def test_prometheus_rule_and_dashboards_are_the_generated_ones(
    manifests: list[dict[str, Any]], environment: str
) -> None:
    rules = of_kind(manifests, "PrometheusRule")
    if environment_values(environment).get("prometheusRule", {}).get("enabled"):
        (rule,) = rules.values()
        generated = yaml.safe_load((CHART / "files" / "alerts.yml").read_text())
        assert rule["spec"] == generated
    if environment_values(environment).get("grafanaDashboards", {}).get("enabled"):
        maps = [
            doc for doc in manifests if doc["kind"] == "ConfigMap" and "grafana_dashboard" in doc["metadata"]["labels"]
        ]
        assert {key for doc in maps for key in doc["data"]} == {
            path.name for path in (CHART / "files" / "dashboards").glob("*.json")
        }


def test_a_service_can_be_switched_off(registry: Registry) -> None:
    values = copy.deepcopy(environment_values("production"))
    victim = next(item.name for item in deploy.running(registry) if not item.issues_tokens)
    values.setdefault("services", {}).setdefault(victim, {})["enabled"] = False
    documents = render(values, upgrade=True)
    names = {doc["metadata"]["name"] for doc in documents}
    assert not any(name.startswith(name_of(victim)) for name in names)
    config = of_kind(documents, "ConfigMap")[f"{RELEASE}-config"]
    assert victim not in config["data"]["VEXTRUS_SERVICE_URLS"]


def test_values_files_name_only_known_services(registry: Registry) -> None:
    known = {item.name for item in deploy.components(registry)}
    for environment in ENVIRONMENTS:
        assert set(environment_values(environment).get("services", {})) <= known, environment


def test_production_refuses_inline_secrets() -> None:
    helm = module("helm_python", "helm-python-sdk")
    values = copy.deepcopy(environment_values("production"))
    values["devSecrets"] = {"create": True, "databaseUrl": "x", "databaseOwnerUrl": "y", "redisUrl": "z"}
    with pytest.raises(helm.HelmError, match="devSecrets"):
        render(values)


def test_with_the_gateway_the_federation_gateway_composes_every_subgraph(registry: Registry) -> None:
    validator = module("kubernetes_validate", "kubernetes-validate")
    values = copy.deepcopy(environment_values("production"))
    values.setdefault("services", {}).setdefault(deploy.GATEWAY, {})["enabled"] = True
    documents = render(values)
    for document in documents:
        if document["kind"] not in CUSTOM_RESOURCES:
            validator.validate(document, KUBERNETES_VERSION, strict=True)
    deployments = of_kind(documents, "Deployment")
    federation = deployments[name_of(deploy.FEDERATION)]["spec"]["template"]["spec"]["containers"][0]
    env = {item["name"]: item.get("value") for item in federation["env"]}
    expected = {
        service.name: f"http://{name_of(service.name)}:{service.port}/graphql"
        for service in registry
        if service.graphql
    }
    assert json.loads(env["VEXTRUS_FEDERATION_SUBGRAPHS"]) == expected
    gateway = deployments[name_of(deploy.GATEWAY)]["spec"]["template"]["spec"]["containers"][0]
    gateway_env = {item["name"]: item.get("value") for item in gateway["env"]}
    assert (
        gateway_env["VEXTRUS_GATEWAY_FEDERATION_URL"] == f"http://{name_of(deploy.FEDERATION)}:{deploy.FEDERATION_PORT}"
    )
    ingress = of_kind(documents, "Ingress")[name_of(deploy.GATEWAY)]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": name_of(deploy.GATEWAY), "port": {"number": deploy.GATEWAY_PORT}}
    policies = of_kind(documents, "NetworkPolicy")
    assert f"{name_of(deploy.FEDERATION)}-ingress" in policies
    monitor = next(iter(of_kind(documents, "ServiceMonitor").values()))
    selector = monitor["spec"]["selector"]["matchLabels"]
    federation_service = of_kind(documents, "Service")[name_of(deploy.FEDERATION)]
    assert any(federation_service["metadata"]["labels"].get(key) != value for key, value in selector.items()), (
        "the federation gateway has no /metrics: the ServiceMonitor must not select it"
    )


SECRET_STANDINS = {
    "VEXTRUS_DATABASE_URL": "postgresql+asyncpg://vextrus_app:secret@db:5432/vextrus",
    "VEXTRUS_CACHE_URL": "redis://redis:6379/0",
    "VEXTRUS_KAFKA_CONFIG": '{"security.protocol": "SASL_SSL"}',
}


def test_every_pod_environment_is_one_the_platform_accepts(
    manifests: list[dict[str, Any]], registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ConfigMap and each Deployment's env, read by the real settings models (Secrets stood in)."""
    known = {f"VEXTRUS_{name.upper()}" for name in Settings.model_fields}
    for service in registry:
        if service.settings is not None:
            prefix = service_env_prefix(service.settings)
            known |= {f"{prefix}{name.upper()}" for name in service.settings.model_fields}
    if deploy.GATEWAY not in registry.names():
        known.add("VEXTRUS_GATEWAY_FEDERATION_URL")
    config = of_kind(manifests, "ConfigMap")[f"{RELEASE}-config"]["data"]
    for name, deployment in platform_deployments(manifests).items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        env = dict(config)
        for item in container["env"]:
            env[item["name"]] = item["value"] if "value" in item else SECRET_STANDINS[item["name"]]
        assert set(env) <= known, f"{name}: unknown settings {set(env) - known}"
        with monkeypatch.context() as patch:
            for key, value in env.items():
                patch.setenv(key, value)
            settings = load_settings()
        assert settings.event_bus.startswith("kafka://")
        assert settings.port == int(container["ports"][0]["containerPort"])
