"""What the gateway adds in distributed mode: the same requests through the gateway and straight
to the service, measured back to back with wrk (issue #7; target: the gateway adds < 2 ms p50).

Servers, each its own process with one worker (uvloop, httptools), on this machine:

- ``service``: the configuration service alone (``vextrus serve configuration``), SQLite, migrated;
- ``gateway``: the gateway alone (distributed mode) forwarding to it, tokens verified against the
  service's JWKS, rate limits on in memory (limits high enough never to refuse);
- ``federation``: Apollo's federation gateway (``node federation/gateway.mjs``) over the service's
  subgraph; the gateway forwards /graphql to it.

Cases: a cached REST read (``GET /api/v1/configuration/settings/localization.timezone``) direct and
through the gateway; a GraphQL query (``configurationSetting``) on the service's own /graphql,
through the federation gateway, and through gateway + federation. Each case at 1 connection (the
latency one request pays, nothing queued), 64 and 1000 connections; the direct and gateway runs of
a case are back to back, order alternating. Each run also reports every server process's CPU time
per request (the gateway's own cost, independent of how busy the machine is), and the responses
with status >= 400 (an overloaded gateway sheds load with 503s rather than queueing for ever).

    .venv/bin/python bench/gateway_overhead.py [--duration 10] [--connections 1 64 1000] [--only rest|graphql]

Needs wrk (``apt-get install wrk``), Node 20 and ``npm ci --prefix federation``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
LUA = BENCH_DIR / "gateway_wrk.lua"
FEDERATION = ROOT / "federation"
HOST = "127.0.0.1"
REST_PATH = "/api/v1/configuration/settings/localization.timezone"
GRAPHQL_BODY = json.dumps({"query": '{ configurationSetting(key: "localization.timezone") { key value } }'})
TARGET_ADDED_P50_MS = 2.0


class BenchmarkError(Exception):
    pass


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass(frozen=True)
class Case:
    name: str
    target: str  # server name
    method: str
    path: str
    body: str | None = None


CASES = {
    "rest": [
        Case("REST read, direct", "service", "GET", REST_PATH),
        Case("REST read, via gateway", "gateway", "GET", REST_PATH),
    ],
    "graphql": [
        Case("GraphQL, service's own /graphql", "service", "POST", "/graphql", GRAPHQL_BODY),
        Case("GraphQL, via federation", "federation", "POST", "/graphql", GRAPHQL_BODY),
        Case("GraphQL, via gateway + federation", "gateway", "POST", "/graphql", GRAPHQL_BODY),
    ],
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def raise_open_files_limit(connections: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections * 4 + 1024
    if soft != resource.RLIM_INFINITY and soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def vextrus(environment: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "vextrus", *args], env=environment, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise BenchmarkError(f"`vextrus {' '.join(args)}` failed: {result.stderr.strip()[-1000:]}")
    return result.stdout.strip()


def start(name: str, command: list[str], environment: dict[str, str], workdir: Path, ready: str) -> Server:
    log = workdir / f"{name}.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(command, env=environment, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT)
    port = command[command.index("--port") + 1] if "--port" in command else environment["VEXTRUS_FEDERATION_PORT"]
    server = Server(name, f"http://{HOST}:{port}", process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchmarkError(f"{name} exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(server.url + ready, timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise BenchmarkError(f"{name} not ready: {log.read_text()[-2000:]}")


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()


@contextmanager
def platform_under_test(workdir: Path) -> Iterator[tuple[dict[str, Server], str]]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("VEXTRUS_")}
    environment.update(
        VEXTRUS_DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
        VEXTRUS_SIGNING_KEY_PATH=str(workdir / "key.pem"),
        VEXTRUS_LOG_LEVEL="WARNING",
    )
    vextrus(environment, "migrate", "configuration")
    permission = "configuration.setting.read"
    token = vextrus(environment, "token", "--tenant", "meghna-group", "-p", permission, "--ttl", "7200")
    servers: dict[str, Server] = {}
    try:
        port = free_port()
        servers["service"] = start(
            "service",
            [sys.executable, "-m", "vextrus", "serve", "configuration", "--host", HOST, "--port", str(port)],
            environment,
            workdir,
            "/health",
        )
        federation_port = free_port()
        servers["federation"] = start(
            "federation",
            ["node", str(FEDERATION / "gateway.mjs")],
            {
                **environment,
                "VEXTRUS_FEDERATION_PORT": str(federation_port),
                "VEXTRUS_FEDERATION_SUBGRAPHS": json.dumps({"configuration": f"{servers['service'].url}/graphql"}),
            },
            workdir,
            "/health",
        )
        gateway_environment = {
            **environment,
            "VEXTRUS_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'gateway.db'}",
            "VEXTRUS_JWKS_URL": f"{servers['service'].url}/.well-known/jwks.json",
            "VEXTRUS_SERVICE_URLS": json.dumps({"configuration": servers["service"].url}),
            "VEXTRUS_GATEWAY_FEDERATION_URL": servers["federation"].url,
            "VEXTRUS_GATEWAY_RATE_LIMIT_USER_PER_SECOND": "1000000",
            "VEXTRUS_GATEWAY_RATE_LIMIT_USER_BURST": "1000000",
            "VEXTRUS_GATEWAY_RATE_LIMIT_TENANT_PER_SECOND": "1000000",
            "VEXTRUS_GATEWAY_RATE_LIMIT_TENANT_BURST": "1000000",
        }
        vextrus({**gateway_environment}, "migrate", "configuration")  # the platform tree (outbox) it needs
        port = free_port()
        servers["gateway"] = start(
            "gateway",
            [sys.executable, str(Path(__file__).resolve()), "--serve-gateway", "--port", str(port)],
            gateway_environment,
            workdir,
            "/health",
        )
        yield servers, token
    finally:
        for server in servers.values():
            stop(server)


def serve_gateway(port: int) -> None:
    """The gateway alone, as `vextrus serve gateway` runs it once the gateway is registered."""
    import uvicorn

    from vextrus.kit.app import build_app
    from vextrus.kit.settings import load_settings
    from vextrus.services.gateway import service

    app = build_app([service], load_settings())
    uvicorn.run(app, host=HOST, port=port, log_config=None, access_log=False, proxy_headers=True, server_header=False)


def request(server: Server, case: Case, token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return httpx.request(case.method, server.url + case.path, content=case.body, headers=headers, timeout=10)


def preflight(servers: dict[str, Server], cases: list[Case], token: str) -> None:
    answers: dict[str, Any] = {}
    for case in cases:
        response = request(servers[case.target], case, token)
        if response.status_code != 200:
            raise BenchmarkError(f"{case.name}: {response.status_code} {response.text[:300]}")
        body = response.json()
        kind = "graphql" if case.body else "rest"
        if kind in answers and answers[kind] != body:
            raise BenchmarkError(f"{case.name} answered {body}, not {answers[kind]}")
        answers[kind] = body


def wrk(
    wrk_path: str, servers: dict[str, Server], case: Case, token: str, connections: int, seconds: int
) -> dict[str, Any]:
    """One wrk run; adds each server's CPU time per request (µs) measured over the run."""
    server = servers[case.target]
    environment = {**os.environ, "WRK_BEARER_TOKEN": token, "WRK_METHOD": case.method, "WRK_BODY": case.body or ""}
    threads = 1 if connections == 1 else 2
    command = [
        wrk_path, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout=10s", "--latency",
        "-s", str(LUA), server.url + case.path,
    ]  # fmt: skip
    processes = {name: psutil.Process(item.process.pid) for name, item in servers.items()}
    before = {name: sum(process.cpu_times()[:2]) for name, process in processes.items()}
    output = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=seconds + 60).stdout
    spent = {name: sum(process.cpu_times()[:2]) - before[name] for name, process in processes.items()}
    line = next((item for item in output.splitlines() if item.startswith("WRK_RESULT ")), None)
    if line is None:
        raise BenchmarkError(f"wrk printed no result: {output[-1000:]}")
    result: dict[str, Any] = json.loads(line.removeprefix("WRK_RESULT "))
    requests = max(result["requests"], 1)
    result["cpu_us"] = {name: value / requests * 1e6 for name, value in spent.items() if value > 0.05}
    return result


def cpu_text(result: dict[str, Any]) -> str:
    return ", ".join(f"{name} {value:.0f}" for name, value in sorted(result["cpu_us"].items()))


def machine() -> dict[str, str]:
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in lines if "model name" in line), platform.processor())
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{os.cpu_count()} × {cpu}",
        "load average at start": " ".join(f"{value:.2f}" for value in os.getloadavg()),
        "python": platform.python_version(),
        "node": node,
        "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout.split("\n")[0],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per run (default 10)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 64, 1000])
    parser.add_argument("--only", choices=sorted(CASES), action="append")
    parser.add_argument("--serve-gateway", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_gateway:
        serve_gateway(args.port)
        return 0
    wrk_path = shutil.which("wrk")
    if wrk_path is None:
        print("error: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    if not (FEDERATION / "node_modules").is_dir():
        print("error: run `npm ci --prefix federation` first", file=sys.stderr)
        return 2
    raise_open_files_limit(max(args.connections))
    groups = [CASES[name] for name in (args.only or sorted(CASES, reverse=True))]
    rows: list[tuple[str, int, dict[str, Any]]] = []
    with (
        tempfile.TemporaryDirectory(prefix="vextrus-gateway-bench-") as directory,
        platform_under_test(Path(directory)) as (servers, token),
    ):
        info = machine()
        for cases in groups:
            preflight(servers, cases, token)
            for case in cases:
                wrk(wrk_path, servers, case, token, 64, args.warmup)
            for index, connections in enumerate(args.connections):
                ordered = cases if index % 2 == 0 else list(reversed(cases))
                for case in ordered:
                    result = wrk(wrk_path, servers, case, token, connections, args.duration)
                    rows.append((case.name, connections, result))
                    print(
                        f"{case.name:<36} c={connections:<5} {result['rps']:>9,.0f} req/s  p50/p95/p99 "
                        f"{result['p50_ms']:.2f}/{result['p95_ms']:.2f}/{result['p99_ms']:.2f} ms  "
                        f"errors {result['status_errors']}  CPU µs/request {cpu_text(result)}",
                        flush=True,
                    )
    print()
    print("Machine: " + ", ".join(f"{key} {value}" for key, value in info.items()))
    print()
    print("| case | conns | req/s | p50 ms | p95 ms | p99 ms | status ≥ 400 | CPU µs per request (by process) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, connections, result in rows:
        print(
            f"| {name} | {connections} | {result['rps']:,.0f} | {result['p50_ms']:.2f} | {result['p95_ms']:.2f} "
            f"| {result['p99_ms']:.2f} | {result['status_errors']} | {cpu_text(result)} |"
        )
    by_case = {(name, connections): result for name, connections, result in rows}
    print()
    for connections in args.connections:
        pairs = [
            ("REST", "REST read, direct", "REST read, via gateway"),
            ("GraphQL (gateway hop only)", "GraphQL, via federation", "GraphQL, via gateway + federation"),
            ("GraphQL (gateway + federation)", "GraphQL, service's own /graphql", "GraphQL, via gateway + federation"),
        ]
        for label, direct, via in pairs:
            if (direct, connections) in by_case and (via, connections) in by_case:
                a, b = by_case[(direct, connections)], by_case[(via, connections)]
                if not a["requests"] or not b["requests"]:
                    print(f"{label} at {connections} connections: a run completed no request")
                    continue
                added = b["p50_ms"] - a["p50_ms"]
                verdict = "meets" if added < TARGET_ADDED_P50_MS else "misses"
                gateway_cpu = b["cpu_us"].get("gateway", 0.0)
                print(
                    f"{label} at {connections} connections: +{added:.2f} ms p50 ({verdict} the < 2 ms target), "
                    f"throughput {b['rps'] / a['rps']:.2f}× direct, gateway CPU {gateway_cpu:.0f} µs/request"
                )
    print(f"\nload average at the end: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchmarkError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
