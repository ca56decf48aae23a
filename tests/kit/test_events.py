"""Outbox, relay and consumers on the memory bus, on SQLite and PostgreSQL: events commit with the
change or not at all, reach every consumer with their tenant and trace, are retried in place, keep
per-aggregate order, have their effects exactly once, end as dead letters (and in ``<topic>.dlq``)
after the last attempt, and can be requeued and replayed through the outbox."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from opentelemetry import context as otel_context
from opentelemetry import propagate
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY
from pydantic import BaseModel
from sqlalchemy import func, select

from tests.conftest import make_settings
from tests.kafka_broker import ItemCreated, Probe, eventually, make_probe
from vextrus.kit.events import Envelope, record_event
from vextrus.kit.events import headers as h
from vextrus.kit.events.models import DEAD, SENT, OutboxEvent
from vextrus.kit.events.operations import (
    DeadLetterStateError,
    discard_dead_letters,
    list_dead_letters,
    open_dead_letters,
    outbox_history,
    parse_start,
    queue_replay,
    requeue_dead_letters,
)
from vextrus.kit.events.transport import MemoryTransport, Outgoing
from vextrus.kit.migrations import platform_tree, upgrade
from vextrus.kit.runtime import Runtime
from vextrus.kit.tenancy import Principal, acting_as

BACKENDS = pytest.mark.parametrize("fresh_database_url", ["sqlite", "postgresql"], indirect=True)

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture
async def probe(fresh_database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Runtime, Probe]]:
    probe = make_probe()
    settings = make_settings(
        fresh_database_url,
        tmp_path,
        outbox_max_attempts=3,
        outbox_retry_base_seconds=0.01,
        consumer_max_attempts=3,
        consumer_retry_base_seconds=0.01,
    )
    runtime = Runtime(settings, [probe.service], probe.name)
    await upgrade(runtime.database, [platform_tree()])
    try:
        yield runtime, probe
    finally:
        await runtime.stop()


@contextmanager
def traced(traceparent: str) -> Iterator[None]:
    token = otel_context.attach(propagate.extract({"traceparent": traceparent}))
    try:
        yield
    finally:
        otel_context.detach(token)


async def create_item(runtime: Runtime, probe: Probe, name: str, *, key: str | None = None) -> Envelope:
    async with runtime.database.transaction() as session:
        return record_event(session, probe.topic, ItemCreated(item_id=key or name, name=name), subject=key or name)


async def statuses(runtime: Runtime) -> dict[tuple[str, str], int]:
    async with runtime.database.transaction() as session:
        rows = await session.execute(
            select(OutboxEvent.topic, OutboxEvent.status, func.count()).group_by(OutboxEvent.topic, OutboxEvent.status)
        )
        return {(topic, status): count for topic, status, count in rows.all()}


def handled(consumer: str, topic: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "events_handled_total", {"consumer": consumer, "topic": topic, "outcome": outcome}
    )
    return value or 0.0


@BACKENDS
async def test_committed_event_reaches_every_consumer_with_its_envelope_tenant_and_trace(
    probe: tuple[Runtime, Probe],
) -> None:
    runtime, probe_ = probe
    tenant, user = uuid.uuid4(), uuid.uuid4()
    with acting_as(Principal(subject=user, tenant_id=tenant)), traced(TRACEPARENT):
        recorded = await create_item(runtime, probe_, "cement")
    await runtime.relay.drain()
    assert probe_.seen("audit") == ["cement"]
    assert probe_.seen("mailer") == ["cement"]
    delivered = probe_.envelopes[0]
    assert delivered == recorded
    assert delivered.specversion == "1.0"
    assert delivered.type == probe_.topic.name
    assert delivered.source == f"/vextrus/{probe_.name}"
    assert delivered.subject == "cement"
    assert delivered.tenantid == tenant
    assert delivered.actor == str(user)
    assert delivered.traceparent == TRACEPARENT
    assert delivered.time.tzinfo is not None
    # The handler ran as the event's tenant, inside the event's trace.
    assert probe_.contexts[f"{probe_.consumer('audit')}:cement"] == (tenant, TRACEPARENT)
    assert await statuses(runtime) == {(probe_.topic.name, SENT): 1}


@BACKENDS
async def test_consumers_record_spans_in_the_trace_of_the_event(probe: tuple[Runtime, Probe]) -> None:
    runtime, probe_ = probe
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    runtime.dispatcher.use_tracer_provider(provider)
    with traced(TRACEPARENT):
        await create_item(runtime, probe_, "rebar")
    await runtime.relay.drain()
    spans = [span for span in exporter.get_finished_spans() if span.kind == SpanKind.CONSUMER]
    assert {span.name for span in spans} == {f"{probe_.topic.name} process"}
    assert len(spans) == 2  # one per consumer
    for span in spans:
        assert format(span.context.trace_id, "032x") == TRACEPARENT.split("-")[1]
        assert span.parent is not None
        assert format(span.parent.span_id, "016x") == TRACEPARENT.split("-")[2]
    provider.shutdown()


@BACKENDS
async def test_rolled_back_change_publishes_nothing(probe: tuple[Runtime, Probe]) -> None:
    runtime, probe_ = probe
    with pytest.raises(RuntimeError, match="business rule"):
        async with runtime.database.transaction() as session:
            record_event(session, probe_.topic, ItemCreated(item_id="x", name="steel"), subject="x")
            raise RuntimeError("business rule failed after the event was staged")
    await runtime.relay.drain()
    assert probe_.effects == {}
    assert await statuses(runtime) == {}


@BACKENDS
async def test_wrong_payload_type_is_refused(probe: tuple[Runtime, Probe]) -> None:
    runtime, probe_ = probe

    class Other(BaseModel):
        x: int

    async with runtime.database.transaction() as session:
        with pytest.raises(TypeError, match="expects ItemCreated"):
            record_event(session, probe_.topic, Other(x=1), subject="x")


@BACKENDS
async def test_failing_handler_is_retried_in_place_and_others_do_not_repeat(probe: tuple[Runtime, Probe]) -> None:
    runtime, probe_ = probe
    probe_.fail["bricks"] = 2  # the first consumer fails twice, succeeds on its third (last) attempt
    await create_item(runtime, probe_, "bricks")
    await runtime.relay.drain()
    assert probe_.seen("audit") == ["bricks"]
    assert probe_.seen("mailer") == ["bricks"]
    assert handled(probe_.consumer("audit"), probe_.topic.name, "error") == 2
    assert await statuses(runtime) == {(probe_.topic.name, SENT): 1}
    assert await list_dead_letters(runtime.database) == []


@BACKENDS
async def test_redelivery_of_the_same_event_has_one_effect(probe: tuple[Runtime, Probe]) -> None:
    runtime, probe_ = probe
    envelope = await create_item(runtime, probe_, "sand")
    await runtime.relay.drain()
    copy = Outgoing(probe_.topic.name, "sand", envelope.model_dump_json(), envelope)
    for _ in range(3):  # what a relay killed before marking the row would do after its lease
        assert await runtime.transport.publish([copy]) == [None]
    assert probe_.seen("audit") == ["sand"]
    assert probe_.seen("mailer") == ["sand"]
    assert handled(probe_.consumer("audit"), probe_.topic.name, "duplicate") == 3


@BACKENDS
async def test_events_of_one_aggregate_keep_their_order(probe: tuple[Runtime, Probe]) -> None:
    runtime, probe_ = probe
    probe_.fail["rod-v1"] = 1
    await create_item(runtime, probe_, "rod-v1", key="rod")
    await create_item(runtime, probe_, "rod-v2", key="rod")
    await create_item(runtime, probe_, "cement-v1", key="cement")
    await runtime.relay.drain()
    assert probe_.seen("audit") == ["rod-v1", "rod-v2", "cement-v1"]
    assert probe_.seen("mailer") == ["rod-v1", "rod-v2", "cement-v1"]


@BACKENDS
async def test_handler_that_always_fails_ends_in_the_dlq_and_can_be_requeued(probe: tuple[Runtime, Probe]) -> None:
    runtime, probe_ = probe
    probe_.fail["gravel"] = -1  # both consumers fail on every attempt
    envelope = await create_item(runtime, probe_, "gravel")
    await runtime.relay.drain()
    dead = await list_dead_letters(runtime.database)
    assert {item.consumer for item in dead} == {probe_.consumer("audit"), probe_.consumer("mailer")}
    letter = next(item for item in dead if item.consumer == probe_.consumer("audit"))
    assert letter.event_id == envelope.id
    assert letter.state == "dead"
    assert letter.attempts == 3
    assert letter.tenant_id == envelope.tenantid
    assert "RuntimeError: " in letter.error
    assert "cannot take gravel" in letter.error
    assert Envelope.model_validate_json(letter.envelope) == envelope
    assert probe_.effects == {}
    # The event itself was delivered (sent); the dead letters went to <topic>.dlq through the outbox.
    dlq_topic = probe_.topic.name + ".dlq"
    assert await statuses(runtime) == {(probe_.topic.name, SENT): 1, (dlq_topic, SENT): 2}
    assert isinstance(runtime.transport, MemoryTransport)
    carried = [message for message in runtime.transport.dead_letters if message.topic == dlq_topic]
    assert {message.headers[h.DLQ_CONSUMER] for message in carried} == {
        probe_.consumer("audit"),
        probe_.consumer("mailer"),
    }
    assert all("cannot take gravel" in message.headers[h.DLQ_ERROR] for message in carried)
    assert all(message.headers[h.DLQ_ATTEMPTS] == "3" for message in carried)
    assert await open_dead_letters(runtime.database, [probe_.consumer("audit")]) == {
        (probe_.consumer("audit"), probe_.topic.name): 1
    }

    probe_.fail.pop("gravel")  # the bug is fixed
    await requeue_dead_letters(runtime.database, [letter.id])
    await runtime.relay.drain()
    # The requeued copy reached both consumers (same event id): each handled it exactly once.
    assert probe_.seen("audit") == ["gravel"]
    assert probe_.seen("mailer") == ["gravel"]
    assert await list_dead_letters(runtime.database) == []
    closed = await list_dead_letters(runtime.database, include_closed=True)
    assert {item.state for item in closed} == {"resolved"}
    await runtime.relay.drain()
    assert probe_.seen("audit") == ["gravel"]


@BACKENDS
async def test_discarded_dead_letters_leave_the_open_list_and_cannot_be_requeued(probe: tuple[Runtime, Probe]) -> None:
    runtime, probe_ = probe
    probe_.fail["shards"] = -1
    await create_item(runtime, probe_, "shards")
    await runtime.relay.drain()
    letters = {item.consumer: item for item in await list_dead_letters(runtime.database)}
    discarded = letters[probe_.consumer("mailer")]
    assert await discard_dead_letters(runtime.database, [discarded.id]) == 1
    assert [item.consumer for item in await list_dead_letters(runtime.database)] == [probe_.consumer("audit")]
    consumers = [probe_.consumer("audit"), probe_.consumer("mailer")]
    assert await open_dead_letters(runtime.database, consumers) == {(probe_.consumer("audit"), probe_.topic.name): 1}
    closed = {item.consumer: item.state for item in await list_dead_letters(runtime.database, include_closed=True)}
    assert closed == {probe_.consumer("audit"): "dead", probe_.consumer("mailer"): "discarded"}
    with pytest.raises(DeadLetterStateError, match="discarded"):
        await requeue_dead_letters(runtime.database, [discarded.id, letters[probe_.consumer("audit")].id])
    # Refused as a whole: the other one was not requeued either.
    assert [item.state for item in await list_dead_letters(runtime.database)] == ["dead"]
    with pytest.raises(LookupError):
        await discard_dead_letters(runtime.database, [uuid.uuid4()])


@BACKENDS
async def test_replay_through_the_outbox_keeps_effects_single_unless_bypassed(probe: tuple[Runtime, Probe]) -> None:
    runtime, probe_ = probe
    for name in ("v1", "v2", "v3"):
        await create_item(runtime, probe_, name)
    await runtime.relay.drain()
    history = await outbox_history(runtime.database, probe_.topic.name, 1)
    assert [Envelope.model_validate_json(item.body).data["name"] for item in history] == ["v2", "v3"]
    assert [item.offset for item in history] == [1, 2]

    await queue_replay(runtime.database, probe_.topic.name, history)
    await runtime.relay.drain()
    assert probe_.seen("audit") == ["v1", "v2", "v3"]  # the inbox dropped the copies

    await queue_replay(runtime.database, probe_.topic.name, history, bypass_inbox=[probe_.consumer("audit")])
    await runtime.relay.drain()
    assert probe_.seen("audit") == ["v1", "v2", "v3", "v2", "v3"]
    assert probe_.seen("mailer") == ["v1", "v2", "v3"]
    # A replay reads original events only, never earlier copies.
    assert len(await outbox_history(runtime.database, probe_.topic.name, 0)) == 3


@BACKENDS
async def test_outbox_row_that_is_no_envelope_is_dead_at_once(probe: tuple[Runtime, Probe]) -> None:
    runtime, probe_ = probe
    async with runtime.database.transaction() as session:
        session.add(OutboxEvent(service=probe_.name, topic=probe_.topic.name, key="k", envelope="{not json"))
    await runtime.relay.drain()
    assert await statuses(runtime) == {(probe_.topic.name, DEAD): 1}
    backlog = await runtime.relay.backlog()
    assert backlog[probe_.name]["dead"] == 1


@BACKENDS
async def test_background_relay_delivers_after_commit(probe: tuple[Runtime, Probe]) -> None:
    runtime, probe_ = probe
    await runtime.start()
    await create_item(runtime, probe_, "tiles")
    await eventually(lambda: probe_.seen("mailer") == ["tiles"], within=5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("1500", 1500),
        (" 42 ", 42),
        ("2026-11-25T10:00:00+06:00", dt.datetime(2026, 11, 25, 4, 0, tzinfo=dt.UTC)),
        ("2026-11-25T04:00:00Z", dt.datetime(2026, 11, 25, 4, 0, tzinfo=dt.UTC)),
    ],
)
def test_replay_start_is_an_offset_or_a_time_with_its_timezone(text: str, expected: object) -> None:
    assert parse_start(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [("2026-11-25T10:00:00", "no timezone"), ("-1", "neither"), ("yesterday", "neither"), ("", "neither")],
)
def test_replay_start_refuses_what_it_cannot_place(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_start(text)


def vextrus_cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("VEXTRUS_")}
    env.update(VEXTRUS_DATABASE_URL=database_url, VEXTRUS_LOG_LEVEL="WARNING")
    return subprocess.run(
        [sys.executable, "-m", "vextrus", "events", *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("fresh_database_url", ["sqlite"], indirect=True)  # the queries run on both elsewhere
async def test_cli_lists_dead_letters_and_replays_from_the_outbox(
    probe: tuple[Runtime, Probe], fresh_database_url: str
) -> None:
    runtime, probe_ = probe
    probe_.fail["slab"] = -1
    await create_item(runtime, probe_, "ok-1")
    await create_item(runtime, probe_, "slab")
    await runtime.relay.drain()

    listed = await asyncio.to_thread(vextrus_cli, fresh_database_url, "dlq", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {row["consumer"] for row in rows} == {probe_.consumer("audit"), probe_.consumer("mailer")}
    assert all(row["state"] == "dead" and "cannot take slab" in row["error"] for row in rows)

    dry = await asyncio.to_thread(
        vextrus_cli, fresh_database_url, "replay", "--topic", probe_.topic.name, "--from", "0", "--dry-run"
    )
    assert dry.returncode == 0, dry.stderr
    assert "2 events" in dry.stdout.splitlines()[-1]
    assert "not a registered topic" in dry.stderr

    probe_.fail.pop("slab")
    requeued = await asyncio.to_thread(vextrus_cli, fresh_database_url, "dlq", "requeue", "--all")
    assert requeued.returncode == 0, requeued.stderr
    assert "2 dead letters requeued" in requeued.stdout
    await runtime.relay.drain()
    assert sorted(probe_.seen("audit")) == ["ok-1", "slab"]
    again = await asyncio.to_thread(vextrus_cli, fresh_database_url, "dlq", "requeue", rows[0]["id"])
    assert again.returncode == 1
    assert "resolved" in again.stderr
