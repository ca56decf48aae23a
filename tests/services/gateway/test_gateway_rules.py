"""The gateway's rules as data: circuit-breaker transitions, GraphQL operation types, event
sampling, the route table built from the services' routers, and its settings."""

from __future__ import annotations

import pytest
from fastapi import APIRouter
from pydantic import ValidationError

from vextrus.kit.security import PUBLIC, require
from vextrus.kit.service import Service, load_registry
from vextrus.kit.settings import SettingsError, load_service_settings
from vextrus.services.gateway.breaker import CircuitBreaker, State
from vextrus.services.gateway.events import EventSampler
from vextrus.services.gateway.operations import from_body, from_query_string, operation_type, operations
from vextrus.services.gateway.proxy import IDEMPOTENT_METHODS
from vextrus.services.gateway.routes import build_route_table
from vextrus.services.gateway.settings import GatewaySettings


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


# Steps: "ok" / "fail" (an outcome of an allowed request), "allow" (expect allowed), "deny"
# (expect refused), "+N" (time passes), then the expected state after the steps.
@pytest.mark.parametrize(
    ("steps", "state"),
    [
        ([], State.CLOSED),
        (["fail", "fail"], State.CLOSED),
        (["fail", "fail", "fail"], State.OPEN),
        (["fail", "fail", "ok", "fail", "fail"], State.CLOSED),  # consecutive failures only
        (["fail", "fail", "fail", "deny", "+9"], State.OPEN),
        (["fail", "fail", "fail", "+10"], State.HALF_OPEN),
        (["fail", "fail", "fail", "+10", "allow", "deny"], State.HALF_OPEN),  # one trial at a time
        (["fail", "fail", "fail", "+10", "allow", "ok"], State.CLOSED),
        (["fail", "fail", "fail", "+10", "allow", "fail", "deny"], State.OPEN),  # open again, for 10 s more
        (["fail", "fail", "fail", "+10", "allow", "fail", "+10", "allow", "ok", "allow", "allow"], State.CLOSED),
        (["fail", "fail", "fail", "+10", "allow", "release", "allow"], State.HALF_OPEN),  # no verdict: next trial
    ],
)
def test_circuit_breaker_transitions(steps: list[str], state: State) -> None:
    clock = Clock()
    changes: list[State] = []
    breaker = CircuitBreaker(threshold=3, open_seconds=10, clock=clock, on_change=changes.append)
    for step in steps:
        if step.startswith("+"):
            clock.now += float(step[1:])
        elif step == "allow":
            assert breaker.allow()
        elif step == "deny":
            assert not breaker.allow()
        elif step == "ok":
            breaker.success()
        elif step == "fail":
            breaker.failure()
        elif step == "release":
            breaker.release()
    assert breaker.state is state
    if state is State.OPEN:
        assert 0 < breaker.retry_after() <= 10


def test_idempotent_methods_are_rfc_9110s() -> None:
    assert frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"}) == IDEMPOTENT_METHODS


@pytest.mark.parametrize(
    ("document", "name", "expected"),
    [
        ("{ a }", None, "query"),
        ("query { a }", None, "query"),
        ("mutation Pay($amount: Decimal!) { pay(amount: $amount) { id } }", None, "mutation"),
        ("subscription OnTask { taskChanged { id } }", None, "subscription"),
        ("query A { a } mutation B { b }", "B", "mutation"),
        ("query A { a } mutation B { b }", "A", "query"),
        ("query A { a } mutation B { b }", None, "unknown"),  # ambiguous without a name
        ("query A { a }", "Z", "unknown"),
        ("fragment F on Query { a } mutation M { ...F }", None, "mutation"),
        ('query Q($x: In = {a: "}"}) @cached { a }', None, "query"),
        ('# mutation { x }\n"""a {block} string""" query Q { a(s: "mutation {") }', None, "query"),
        ("", None, "unknown"),
        (None, None, "unknown"),
    ],
)
def test_operation_type(document: str | None, name: str | None, expected: str) -> None:
    assert operation_type(document, name) == expected


def test_operations_lists_every_operation() -> None:
    document = "query A { a } fragment F on T { x } mutation { m } subscription S { s }"
    assert operations(document) == [("query", "A"), ("mutation", None), ("subscription", "S")]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"query": "mutation { m }"}', "mutation"),
        (b'{"query": "query A { a } query B { b }", "operationName": "B"}', "query"),
        (b'[{"query": "{ a }"}, {"query": "{ b }"}]', "batch"),
        (b"not json", "unknown"),
        (b'{"query": 5}', "unknown"),
        (b'"just a string"', "unknown"),
    ],
)
def test_operation_type_of_a_post_body(body: bytes, expected: str) -> None:
    assert from_body(body) == expected


def test_operation_type_of_a_get() -> None:
    assert from_query_string(b"query=mutation%20%7B%20m%20%7D") == "mutation"
    assert from_query_string(b"operationName=B&query=query%20A%7Ba%7D%20query%20B%7Bb%7D") == "query"


# (time, key) occurrences -> the counts the events carry (None: no event)
@pytest.mark.parametrize(
    ("occurrences", "per_minute", "expected"),
    [
        ([(0, "a"), (1, "a"), (2, "a")], 60, [1, None, None]),
        ([(0, "a"), (1, "a"), (61, "a")], 60, [1, None, 2]),  # the next event counts the one in between
        ([(0, "a"), (0, "b"), (0, "c")], 60, [1, 1, 1]),
        ([(0, "a"), (0, "b"), (0, "c")], 2, [1, 1, None]),  # the global budget
        ([(0, "a"), (0, "b"), (0, "c"), (30, "c")], 2, [1, 1, None, 2]),  # budget refilled: c reported
        ([(0, "a")], 0, [None]),
    ],
)
def test_event_sampling(occurrences: list[tuple[float, str]], per_minute: int, expected: list[int | None]) -> None:
    sampler = EventSampler(window_seconds=60, per_minute=per_minute, clock=lambda: 0.0)
    assert [sampler.admit("gateway.rate.limited", key, now=float(now)) for now, key in occurrences] == expected


def test_the_route_table_knows_every_registered_service_and_which_routes_need_credentials() -> None:
    registry = load_registry()
    table = build_route_table(registry)
    owners = set(table.owners.values())
    assert {service.name for service in registry if service.router is not None} == owners
    assert table.owner("/api/v1/configuration") == "configuration"
    assert table.requires_credentials("/api/v1/configuration", "GET", "/api/v1/configuration/settings")
    assert not table.requires_credentials("/api/v1/configuration", "GET", "/api/v1/configuration/nothing-here")


def _router(prefix: str) -> APIRouter:
    router = APIRouter(prefix=prefix)

    @router.get("/open")
    async def open_route(_: object = PUBLIC) -> None:
        return None

    @router.post("/closed")
    async def closed_route(_: object = require("x.y.z")) -> None:
        return None

    return router


def test_the_route_table_reads_public_and_protected_routes_and_refuses_a_shared_key() -> None:
    one = Service(name="one", port=39201, title="One", router=_router("/api/v1/shared"))
    table = build_route_table([one], {"/api/v1/legacy": "legacy"})
    assert table.owner("/api/v1/legacy") == "legacy"
    assert not table.requires_credentials("/api/v1/shared", "GET", "/api/v1/shared/open")
    assert not table.requires_credentials("/api/v1/shared", "HEAD", "/api/v1/shared/open")
    assert table.requires_credentials("/api/v1/shared", "POST", "/api/v1/shared/closed")
    assert not table.requires_credentials("/api/v1/shared", "GET", "/api/v1/shared/closed")  # a 405 anyway
    two = Service(name="two", port=39202, title="Two", router=_router("/api/v1/shared"))
    with pytest.raises(ValueError, match="claimed by both one and two"):
        build_route_table([one, two])
    with pytest.raises(ValueError, match="no fixed prefix"):
        build_route_table([Service(name="three", port=39203, title="Three", router=_router("/api/v1/{x}"))])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("routes", {"/api/v1/files/upload": "files"}),
        ("routes", {"api/v1/files": "files"}),
        ("body_limits", {"/api/v1/files/": 1}),
        ("rate_limit_user_per_second", -1),
        ("breaker_failure_threshold", 0),
        ("upstream_read_timeout_seconds", 0),
    ],
)
def test_invalid_settings_are_one_line_naming_the_variable(field: str, value: object) -> None:
    with pytest.raises(SettingsError) as raised:
        load_service_settings(GatewaySettings, {field: value})
    assert f"VEXTRUS_GATEWAY_{field.upper()}" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_stripped_header_names_are_normalised() -> None:
    settings = GatewaySettings(strip_headers=[" X-Custom-Identity ", ""])
    assert settings.strip_headers == ["x-custom-identity"]
    with pytest.raises(ValidationError):
        GatewaySettings(events_per_minute=-1)
