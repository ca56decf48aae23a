"""The generated deployment files follow the service registry: a new service, or a new metric an
alert waits for, makes these tests fail until ``python -m vextrus.deploy render`` is run."""

from __future__ import annotations

import pytest

from tests.deploy.tools import ROOT
from vextrus import deploy
from vextrus.kit.service import Registry


def test_committed_files_are_what_the_registry_gives() -> None:
    problems = deploy.stale(ROOT)
    assert problems == [], f"stale deployment files: {problems}; run `python -m vextrus.deploy render`"


def test_every_registered_service_is_a_component_with_its_port(registry: Registry) -> None:
    by_name = {item.name: item for item in deploy.components(registry)}
    for service in registry:
        assert by_name[service.name].port == service.port
        assert by_name[service.name].registered
    assert by_name[deploy.GATEWAY].port == deploy.GATEWAY_PORT
    ports = [item.port for item in by_name.values()]
    assert len(ports) == len(set(ports)), "two components share a port"


def test_service_urls_name_every_service_but_the_gateway(registry: Registry) -> None:
    urls = deploy.service_urls(deploy.components(registry))
    assert urls == {
        service.name: f"http://{service.name}:{service.port}" for service in registry if service.name != "gateway"
    }


@pytest.mark.parametrize(
    ("expression", "metrics"),
    [
        ("up == 0", {"up"}),
        ('up{job="vextrus"} == 0', {"up"}),
        ('sum by (service) (rate(http_requests_total{status=~"5.."}[5m]))', {"http_requests_total"}),
        (
            "histogram_quantile(0.95, sum by (service, le) (rate(http_request_duration_seconds_bucket[5m]))) > 0.3",
            {"http_request_duration_seconds_bucket"},
        ),
        ("a / ignoring(x) group_left(y) b offset 5m", {"a", "b"}),
        ("deriv(max by (service, topic) (events_consumer_lag)[10m:1m]) > 0", {"events_consumer_lag"}),
        ('rate(process_cpu_seconds_total{service=~"$service"}[$__rate_interval])', {"process_cpu_seconds_total"}),
        ("label_values(http_requests_total, service)", {"http_requests_total"}),
        ('count without (le) (x_bucket{route="/api/v1/sum"}) * 1e3', {"x_bucket"}),
        ("sum(increase(finance_vat_output_bdt_total[$__range]))", {"finance_vat_output_bdt_total"}),
    ],
)
def test_promql_metrics_finds_the_metric_names(expression: str, metrics: set[str]) -> None:
    assert deploy.promql_metrics(expression) == metrics


@pytest.mark.parametrize(
    ("exposition", "names"),
    [
        ("# TYPE a_total counter\na_total 1\n", {"a_total"}),
        ("# HELP g x\n# TYPE g gauge\n", {"g"}),
        ("# TYPE h_seconds histogram\n", {"h_seconds", "h_seconds_bucket", "h_seconds_sum", "h_seconds_count"}),
        ("# TYPE s summary\n", {"s", "s_sum", "s_count"}),
        ("a_total 1\n", set()),
    ],
)
def test_exposition_names_lists_declared_series(exposition: str, names: set[str]) -> None:
    assert deploy.exposition_names(exposition) == names


def test_an_alert_waits_until_its_metric_is_exported() -> None:
    exported = deploy.exported_metrics()
    without_auth = {name for name in exported if not name.startswith("auth_")}
    _, pending = deploy.alert_rules(without_auth)
    assert "VextrusLoginFailureSpike" in {alert.name for alert in pending}
    rules, _ = deploy.alert_rules(without_auth | {"auth_login_attempts_total"})
    names = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    assert "VextrusLoginFailureSpike" in names


def test_every_pending_item_says_what_it_waits_for(registry: Registry) -> None:
    exported = deploy.exported_metrics()
    _, pending = deploy.alert_rules(exported)
    assert all(alert.waits_for for alert in pending)
    for dashboard in deploy.dashboards(registry, exported):
        assert all(panel.waits_for for panel in dashboard.pending), dashboard.uid
