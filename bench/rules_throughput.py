"""Rules engine throughput: decisions per second for a 20-row decision table.

Layers, each on the same model and the same contexts:

- **zen**: ``zen.ZenEngine({"loader": ...}).evaluate`` with a pre-compiled ``ZenDecisionContent``
  (what the verified-stack notes measured), and ``create_decision(...).evaluate`` for contrast;
- **engine**: the service's ``DecisionEngine`` (loader over the LRU of compiled models, timing,
  error capture): synchronous (holds the GIL), and asynchronous (zen's threads, no GIL) one at a
  time and 500 at a time with 16 in flight;
- **batch API**: ``POST /api/v1/rules/evaluate/batch`` through the whole app (token check,
  validation, version resolution, evaluation, one history row per decision, commit), in-process over
  ASGI and, with ``--uvicorn``, over HTTP to a live uvicorn server on loopback;
- **single API**: ``POST /api/v1/rules/{key}/evaluate`` one decision per request, for contrast.

The app serves the rules service alone on a fresh migrated database: SQLite in a temp dir, or a
throw-away PostgreSQL database with ``--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``.

Run: ``.venv/bin/python bench/rules_throughput.py [--decisions 20000] [--batch 100 500] [--uvicorn]
[--mode async|sync] [--sample-rate 0.01] [--postgres URL]``
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvicorn
import zen
from sqlalchemy.engine import make_url

from vextrus.kit.app import build_app
from vextrus.kit.migrations import trees_for, upgrade
from vextrus.kit.service import load_registry
from vextrus.kit.settings import load_settings
from vextrus.kit.tenancy import Principal
from vextrus.services.rules.engine import DecisionEngine

KEY = "bench.discount-band"
BASE = "/api/v1/rules"
CATEGORIES = ("cement", "steel", "brick", "sand")


def twenty_row_table() -> dict[str, Any]:
    """A first-hit table of 20 rows: 5 amount bands x 4 categories -> discount and approver."""
    bands = [("< 10000", 0), ("[10000..50000)", 1), ("[50000..100000)", 2), ("[100000..1000000)", 3), (">= 1000000", 4)]
    rules = []
    for band_index, (band, level) in enumerate(bands):
        for category_index, category in enumerate(CATEGORIES):
            rules.append(
                {
                    "_id": f"r{band_index}{category_index}",
                    "amount": band,
                    "category": json.dumps(category),
                    "discount": str(round(0.01 * level + 0.005 * category_index, 3)),
                    "approver": json.dumps(["clerk", "supervisor", "manager", "finance", "cfo"][level]),
                }
            )
    return {
        "contentType": "application/vnd.gorules.decision",
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}},
            {
                "id": "table",
                "type": "decisionTableNode",
                "name": "Discount band",
                "position": {"x": 250, "y": 0},
                "content": {
                    "hitPolicy": "first",
                    "inputs": [
                        {"id": "amount", "name": "Amount", "field": "amount"},
                        {"id": "category", "name": "Category", "field": "category"},
                    ],
                    "outputs": [
                        {"id": "discount", "name": "Discount", "field": "discount"},
                        {"id": "approver", "name": "Approver", "field": "approver"},
                    ],
                    "rules": rules,
                },
            },
            {"id": "out", "type": "outputNode", "name": "Response", "position": {"x": 500, "y": 0}},
        ],
        "edges": [
            {"id": "e1", "sourceId": "in", "targetId": "table", "type": "edge"},
            {"id": "e2", "sourceId": "table", "targetId": "out", "type": "edge"},
        ],
    }


def contexts(count: int) -> list[dict[str, Any]]:
    """Contexts spread over every row (the last bands make first-hit scan the whole table)."""
    amounts = (5_000, 25_000, 75_000, 500_000, 2_500_000)
    return [{"amount": amounts[index % 5], "category": CATEGORIES[(index // 5) % 4]} for index in range(count)]


# --- in-process engine ---------------------------------------------------------------------------


def bench_zen(model: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, float]:
    content = zen.ZenDecisionContent(json.dumps(model))
    engine = zen.ZenEngine({"loader": lambda key: content})
    for context in items[:1000]:
        engine.evaluate(KEY, context)
    started = time.perf_counter()
    for context in items:
        engine.evaluate(KEY, context)
    loader_rate = len(items) / (time.perf_counter() - started)
    decision = zen.ZenEngine().create_decision(json.dumps(model))
    sample = items[: max(1000, len(items) // 10)]
    started = time.perf_counter()
    for context in sample:
        decision.evaluate(context)
    create_rate = len(sample) / (time.perf_counter() - started)
    return {"zen loader": loader_rate, "zen create_decision": create_rate}


def bench_engine(model: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, float]:
    engine = DecisionEngine()
    engine.put(KEY, json.dumps(model))
    for context in items[:1000]:
        assert engine.evaluate_now(KEY, context).ok
    started = time.perf_counter()
    for context in items:
        engine.evaluate_now(KEY, context)
    sync_rate = len(items) / (time.perf_counter() - started)

    async def run_async() -> tuple[float, float]:
        sample = items[: max(1000, len(items) // 10)]
        started = time.perf_counter()
        for context in sample:
            await engine.evaluate(KEY, context)
        sequential = len(sample) / (time.perf_counter() - started)
        started = time.perf_counter()
        for start in range(0, len(items), 500):
            await engine.evaluate_many([(KEY, context) for context in items[start : start + 500]], 16)
        return sequential, len(items) / (time.perf_counter() - started)

    sequential, concurrent = asyncio.run(run_async())
    return {
        "DecisionEngine sync (evaluate_now)": sync_rate,
        "DecisionEngine async, one at a time": sequential,
        "DecisionEngine async, 500 at concurrency 16": concurrent,
    }


# --- through the API -------------------------------------------------------------------------------


async def _create_postgres(url: str) -> str:
    parsed = make_url(url)
    name = f"vextrus_bench_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return parsed.set(database=name).render_as_string(hide_password=False)


async def _drop_postgres(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    finally:
        await connection.close()


async def _prepare(client: httpx.AsyncClient, headers: dict[str, str], model: dict[str, Any]) -> None:
    created = await client.post(
        BASE,
        json={
            "key": KEY,
            "name": "Bench: discount band (20 rows)",
            "content": model,
            "tests": [
                {
                    "name": "large cement",
                    "input": {"amount": 2_500_000, "category": "cement"},
                    "expected": {"approver": "cfo"},
                }
            ],
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    published = await client.post(f"{BASE}/{KEY}/versions/1/publish", json={}, headers=headers)
    assert published.status_code == 200, published.text


async def _batches(client: httpx.AsyncClient, headers: dict[str, str], items: list[dict[str, Any]], size: int) -> float:
    chunks = [items[start : start + size] for start in range(0, len(items), size)]
    warm = {"items": [{"key": KEY, "context": context} for context in chunks[0]]}
    for _ in range(3):
        assert (await client.post(f"{BASE}/evaluate/batch", json=warm, headers=headers)).status_code == 200
    started = time.perf_counter()
    done = 0
    for chunk in chunks:
        batch = {"items": [{"key": KEY, "context": context} for context in chunk]}
        response = await client.post(f"{BASE}/evaluate/batch", json=batch, headers=headers)
        assert response.status_code == 200, response.text[:300]
        body = response.json()
        assert body["failed"] == 0, response.text[:300]
        done += body["succeeded"]
    return done / (time.perf_counter() - started)


async def _singles(client: httpx.AsyncClient, headers: dict[str, str], items: list[dict[str, Any]]) -> float:
    for context in items[:50]:
        await client.post(f"{BASE}/{KEY}/evaluate", json={"context": context}, headers=headers)
    started = time.perf_counter()
    for context in items:
        response = await client.post(f"{BASE}/{KEY}/evaluate", json={"context": context}, headers=headers)
        assert response.status_code == 200, response.text
    return len(items) / (time.perf_counter() - started)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def bench_api(
    model: dict[str, Any],
    items: list[dict[str, Any]],
    sizes: list[int],
    singles: int,
    postgres: str | None,
    live: bool,
    sample_rate: float | None,
    mode: str,
) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="rules-bench-"))
    url = await _create_postgres(postgres) if postgres else f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    settings = load_settings(
        env="test", database_url=url, signing_key_path=workdir / "key.pem", log_level="WARNING", outbox_poll_seconds=0.2
    )
    rules = load_registry().get("rules")
    rules_settings: dict[str, object] = {"evaluation_mode": mode}
    if sample_rate is not None:
        rules_settings["evaluation_event_sample_rate"] = sample_rate
    app = build_app([rules], settings, service_settings={"rules": rules_settings})
    runtime = app.state.runtime
    await upgrade(runtime.database, trees_for([rules]))
    assert runtime.issuer is not None
    principal = Principal(subject=uuid.uuid4(), tenant_id=uuid.uuid4(), permissions=frozenset({"rules.*"}))
    token = runtime.issuer.issue(principal, 7200)
    headers = {"Authorization": f"Bearer {token}"}
    results: dict[str, float] = {}
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app)
            async with httpx.AsyncClient(transport=transport, base_url="http://rules.bench", timeout=60) as client:
                await _prepare(client, headers, model)
                for size in sizes:
                    results[f"batch API, ASGI, {size}/request"] = await _batches(client, headers, items, size)
                results["single API, ASGI"] = await _singles(client, headers, items[:singles])
        if live:
            port = _free_port()
            server = uvicorn.Server(
                uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on")
            )
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                for _ in range(100):
                    try:
                        if (await client.get("/health")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        await asyncio.sleep(0.1)
                for size in sizes:
                    results[f"batch API, uvicorn HTTP, {size}/request"] = await _batches(client, headers, items, size)
                results["single API, uvicorn HTTP"] = await _singles(client, headers, items[:singles])
            server.should_exit = True
            thread.join(timeout=10)
    finally:
        await runtime.database.dispose()
        if postgres:
            await _drop_postgres(url)
    return results


# --- report ------------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    commit = git.stdout.strip()
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{os.cpu_count()} × {cpu}",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": ", ".join(
            f"{name} {package_version(name)}" for name in ("zen-engine", "fastapi", "sqlalchemy", "httpx", "uvicorn")
        ),
        "commit": commit or "unknown",
        "load": " ".join(f"{value:.2f}" for value in os.getloadavg()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=20_000, help="decisions per measured layer")
    parser.add_argument("--batch", type=int, nargs="+", default=[100, 500], help="batch sizes of the API runs")
    parser.add_argument("--singles", type=int, default=1000, help="single-evaluation requests")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the in-process layers (median reported)")
    parser.add_argument("--postgres", help="PostgreSQL server URL; a throw-away database is created on it")
    parser.add_argument("--uvicorn", action="store_true", help="also measure over HTTP against a live uvicorn")
    parser.add_argument("--mode", choices=["async", "sync"], default="async", help="VEXTRUS_RULES_EVALUATION_MODE")
    parser.add_argument(
        "--sample-rate", type=float, help="VEXTRUS_RULES_EVALUATION_EVENT_SAMPLE_RATE for the API runs (default 0.01)"
    )
    args = parser.parse_args()

    model = twenty_row_table()
    items = contexts(args.decisions)
    zen_runs = [bench_zen(model, items) for _ in range(args.repeat)]
    rates = {name: statistics.median(run[name] for run in zen_runs) for name in zen_runs[0]}
    engine_runs = [bench_engine(model, items) for _ in range(args.repeat)]
    rates.update({name: statistics.median(run[name] for run in engine_runs) for name in engine_runs[0]})
    rates.update(
        asyncio.run(
            bench_api(model, items, args.batch, args.singles, args.postgres, args.uvicorn, args.sample_rate, args.mode)
        )
    )

    info = machine()
    print("### Machine\n")
    for name, value in info.items():
        print(f"- {name}: {value}")
    database = "PostgreSQL (throw-away database)" if args.postgres else "SQLite (temp file, WAL)"
    rate = 0.01 if args.sample_rate is None else args.sample_rate
    print(
        f"\n### Results ({args.decisions:,} decisions per layer, 20-row first-hit table, {database}, "
        f"evaluation mode {args.mode}, event sample rate {rate})\n"
    )
    print("| layer | decisions/s | µs per decision |")
    print("| --- | --- | --- |")
    for name, rate in rates.items():
        print(f"| {name} | {rate:,.0f} | {1e6 / rate:,.1f} |")


if __name__ == "__main__":
    main()
