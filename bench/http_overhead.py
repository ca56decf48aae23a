"""Kit HTTP overhead: the embedded Vextrus server against a bare Starlette app returning the same JSON.

Measures requests/s and p50/p95/p99 latency with wrk for ``GET /health`` and a cached configuration
read (``GET /api/v1/configuration/settings/localization.timezone``) at 64 and 1000 connections, kit
and bare alternating so drift hits both, only one server under load at any moment.

    .venv/bin/python bench/http_overhead.py [--duration 15] [--only health|config] [--write-docs]

Needs wrk (``apt-get install wrk``). Results and method: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import httpx
import psutil

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DOCS = ROOT / "docs" / "benchmarks.md"
LUA_SCRIPT = BENCH_DIR / "wrk_report.lua"
SECTION_TITLE = "## Kit HTTP overhead (issue #2)"
HOST = "127.0.0.1"
TENANT = "meghna-group"
PERMISSION = "configuration.setting.read"
SETTING_KEY = "localization.timezone"
TOKEN_TTL_SECONDS = 7200
TARGET_OVERHEAD_PERCENT = 30.0
UVICORN_OPTIONS = ["--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]
TARGETS = ("kit", "bare")


class BenchmarkError(Exception):
    """The run cannot produce meaningful numbers; the message says why."""


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    authenticated: bool


ENDPOINTS = {
    "health": Endpoint("health", "/health", authenticated=False),
    "config": Endpoint("config", f"/api/v1/configuration/settings/{SETTING_KEY}", authenticated=True),
}


@dataclass(frozen=True)
class Server:
    target: str
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    command: list[str]


@dataclass(frozen=True)
class Measurement:
    target: str
    endpoint: str
    connections: int
    wrk: dict[str, float]
    server_cpu_percent: float
    idle_peer_cpu_percent: float

    @property
    def socket_errors(self) -> int:
        keys = ("connect_errors", "read_errors", "write_errors", "timeout_errors")
        return int(sum(self.wrk[key] for key in keys))


@dataclass
class Row:
    endpoint: str
    connections: int
    kit: dict[str, float] = field(default_factory=dict)
    bare: dict[str, float] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.kit["rps"] / self.bare["rps"]

    @property
    def overhead_percent(self) -> float:
        """Extra server time per request: bare rps / kit rps - 1."""
        return (self.bare["rps"] / self.kit["rps"] - 1) * 100


# --- command line ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured wrk run (default 15)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per server and endpoint (default 3)")
    parser.add_argument("--connections", type=int, nargs="+", default=[64, 1000], help="default: 64 1000")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--timeout", type=int, default=10, help="wrk socket timeout in seconds (default 10)")
    parser.add_argument("--repeat", type=int, default=1, help="measured runs per cell; medians are reported")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds of rest between runs (default 1)")
    parser.add_argument("--only", choices=sorted(ENDPOINTS), action="append", help="endpoint(s) to measure")
    parser.add_argument("--write-docs", action="store_true", help=f"write the results into {DOCS.relative_to(ROOT)}")
    return parser.parse_args(argv)


def find_wrk() -> str:
    wrk = shutil.which("wrk") or ("/usr/bin/wrk" if Path("/usr/bin/wrk").exists() else None)
    if wrk is None:
        print("error: wrk is not installed; `apt-get install wrk` is needed", file=sys.stderr)
        raise SystemExit(2)
    return wrk


def raise_open_files_limit(connections: int) -> int:
    """Raise the soft RLIMIT_NOFILE (inherited by wrk and both servers) to fit the connections."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections * 2 + 1024
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new_soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new_soft, hard))
        soft = new_soft
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raise BenchmarkError(f"open files limit {soft} is below {wanted}; raise the hard limit (ulimit -Hn)")
    return soft


# --- processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def bench_environment(workdir: Path) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("VEXTRUS_")}
    environment.update(
        VEXTRUS_DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
        VEXTRUS_SIGNING_KEY_PATH=str(workdir / "key.pem"),
        VEXTRUS_LOG_LEVEL="WARNING",
    )
    return environment


def vextrus(environment: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "vextrus", *args], env=environment, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise BenchmarkError(f"`vextrus {' '.join(args)}` failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout.strip()


def prepare_database(environment: dict[str, str], need_demo_data: bool) -> tuple[str, bool]:
    """Migrate, seed the demo tenants; a token that outlives the run and whether seeding worked."""
    vextrus(environment, "migrate")
    seeded = True
    try:
        vextrus(environment, "seed", "demo")
    except BenchmarkError as error:
        if need_demo_data:
            raise
        print(f"warning: {error}\nwarning: /health needs no demo data; going on", file=sys.stderr, flush=True)
        seeded = False
    token = vextrus(environment, "token", "--tenant", TENANT, "-p", PERMISSION, "--ttl", str(TOKEN_TTL_SECONDS))
    return token, seeded


def kit_command(port: int) -> list[str]:
    return [sys.executable, "-m", "vextrus", "serve", "--host", HOST, "--port", str(port)]


def bare_command(port: int) -> list[str]:
    app = ["--app-dir", str(BENCH_DIR), "bare_app:app", "--host", HOST, "--port", str(port)]
    return [sys.executable, "-m", "uvicorn", *app, *UVICORN_OPTIONS, "--workers", "1", "--no-server-header"]


def start_server(target: str, command: list[str], environment: dict[str, str], workdir: Path) -> Server:
    log_path = workdir / f"{target}.log"
    with log_path.open("wb") as log:  # a file, not a pipe: an unread pipe would stall the server
        process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    port = command[command.index("--port") + 1]
    server = Server(target, f"http://{HOST}:{port}", process, log_path, command)
    wait_ready(server)
    return server


def wait_ready(server: Server, timeout_seconds: float = 60) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchmarkError(f"{server.target} server exited: {log_tail(server)}")
        try:
            if httpx.get(f"{server.base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise BenchmarkError(f"{server.target} server not ready after {timeout_seconds:g}s: {log_tail(server)}")


def log_tail(server: Server, characters: int = 2000) -> str:
    return server.log_path.read_text(errors="replace")[-characters:] if server.log_path.exists() else ""


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@contextmanager
def running(servers: list[Server]) -> Iterator[list[Server]]:
    try:
        yield servers
    finally:
        for server in servers:
            stop_server(server)


# --- fixture and pre-flight -----------------------------------------------------------------


def get(base_url: str, endpoint: Endpoint, token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if endpoint.authenticated else {}
    return httpx.get(f"{base_url}{endpoint.path}", headers=headers, timeout=10)


def fetch_fixture(kit: Server, token: str, endpoints: list[Endpoint]) -> dict[str, Any]:
    """What the real server answers, for the bare app to serve from memory."""
    health = get(kit.base_url, ENDPOINTS["health"], token).json()
    fixture: dict[str, Any] = {"service": health["service"], "version": health["version"], "settings": {}}
    if ENDPOINTS["config"] in endpoints:
        response = get(kit.base_url, ENDPOINTS["config"], token)
        if response.status_code != 200:
            raise BenchmarkError(
                f"the configuration read answered {response.status_code}, not 200: {response.text[:300]}; "
                "measure the health endpoint alone with --only health"
            )
        fixture["settings"][SETTING_KEY] = {"body": response.json(), "etag": response.headers.get("etag")}
    return fixture


def comparable(endpoint: Endpoint, body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if not (endpoint.name == "health" and key == "timestamp")}


def preflight(servers: list[Server], endpoints: list[Endpoint], token: str) -> None:
    """Every server answers 200 and the same JSON (but the timestamp) on every endpoint."""
    for endpoint in endpoints:
        bodies = []
        for server in servers:
            response = get(server.base_url, endpoint, token)
            if response.status_code != 200:
                raise BenchmarkError(f"{server.target} {endpoint.path} answered {response.status_code}")
            bodies.append(comparable(endpoint, response.json()))
        if any(body != bodies[0] for body in bodies):
            raise BenchmarkError(f"{endpoint.path}: kit and bare bodies differ: {bodies}")


# --- wrk ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkRun:
    wrk: str
    threads: int
    timeout: int
    token: str

    def command(self, url: str, connections: int, duration: int) -> list[str]:
        threads = min(self.threads, connections)
        return [
            self.wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}s", f"--timeout={self.timeout}s",
            "--latency", "-s", str(LUA_SCRIPT), url,
        ]  # fmt: skip

    def run(self, url: str, connections: int, duration: int, authenticated: bool) -> dict[str, float]:
        environment = {**os.environ, "WRK_BEARER_TOKEN": self.token if authenticated else ""}
        result = subprocess.run(
            self.command(url, connections, duration),
            env=environment,
            capture_output=True,
            text=True,
            timeout=duration + 120,
        )
        match = re.search(r"^WRK_RESULT (\{.*\})$", result.stdout, re.MULTILINE)
        if result.returncode != 0 or match is None:
            raise BenchmarkError(f"wrk failed ({result.returncode}): {result.stdout}{result.stderr}")
        parsed: dict[str, float] = json.loads(match.group(1))
        return parsed


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def measure(
    wrk: WrkRun, server: Server, peer: Server | None, endpoint: Endpoint, connections: int, duration: int
) -> Measurement:
    """One wrk run against ``server`` while ``peer`` idles; fails on any response with status >= 400."""
    loaded = psutil.Process(server.process.pid)
    idle = psutil.Process(peer.process.pid) if peer else None
    loaded_cpu, idle_cpu, started = cpu_seconds(loaded), cpu_seconds(idle) if idle else 0.0, time.monotonic()
    result = wrk.run(f"{server.base_url}{endpoint.path}", connections, duration, endpoint.authenticated)
    elapsed = time.monotonic() - started
    server_cpu = (cpu_seconds(loaded) - loaded_cpu) / elapsed * 100
    peer_cpu = (cpu_seconds(idle) - idle_cpu) / elapsed * 100 if idle else 0.0
    if result["status_errors"]:
        raise BenchmarkError(
            f"{server.target} {endpoint.path} at {connections} connections: "
            f"{int(result['status_errors'])} responses with status >= 400; server log:\n{log_tail(server)}"
        )
    if not result["requests"]:
        raise BenchmarkError(f"{server.target} {endpoint.path} at {connections} connections: no responses")
    return Measurement(server.target, endpoint.name, connections, result, server_cpu, peer_cpu)


def schedule(endpoints: list[Endpoint], connections: list[int], repeat: int) -> list[tuple[Endpoint, int, str]]:
    """Every cell kit and bare back to back, the order alternating (ABBA) so drift hits both alike."""
    cells = [(endpoint, count) for _ in range(repeat) for endpoint in endpoints for count in connections]
    plan: list[tuple[Endpoint, int, str]] = []
    for index, (endpoint, count) in enumerate(cells):
        order = TARGETS if index % 2 == 0 else TARGETS[::-1]
        plan.extend((endpoint, count, target) for target in order)
    return plan


def warm_up(wrk: WrkRun, servers: list[Server], endpoints: list[Endpoint], seconds: int) -> None:
    for endpoint in endpoints:
        for server in servers:
            print(f"warm-up  {server.target:<4} {endpoint.name:<6} {seconds}s", flush=True)
            wrk.run(f"{server.base_url}{endpoint.path}", 64, seconds, endpoint.authenticated)


def run_plan(
    wrk: WrkRun, servers: dict[str, Server], plan: list[tuple[Endpoint, int, str]], duration: int, pause: float
) -> list[Measurement]:
    measurements = []
    for step, (endpoint, connections, target) in enumerate(plan, start=1):
        peer = next(server for name, server in servers.items() if name != target)
        time.sleep(pause)
        result = measure(wrk, servers[target], peer, endpoint, connections, duration)
        measurements.append(result)
        print(
            f"[{step:>2}/{len(plan)}] {target:<4} {endpoint.name:<6} c={connections:<5} "
            f"{result.wrk['rps']:>9.0f} req/s  p50 {result.wrk['p50_ms']:.2f} ms  p99 {result.wrk['p99_ms']:.2f} ms  "
            f"server cpu {result.server_cpu_percent:.0f}%  idle peer cpu {result.idle_peer_cpu_percent:.1f}%  "
            f"socket errors {result.socket_errors}",
            flush=True,
        )
    return measurements


# --- results --------------------------------------------------------------------------------

SUMMARY_KEYS = ("rps", "p50_ms", "p95_ms", "p99_ms", "server_cpu_percent", "idle_peer_cpu_percent")


def summarise(measurements: list[Measurement]) -> list[Row]:
    """Medians over repeats of each (endpoint, connections, target)."""
    rows: dict[tuple[str, int], Row] = {}
    for endpoint, connections in dict.fromkeys((m.endpoint, m.connections) for m in measurements):
        row = rows.setdefault((endpoint, connections), Row(endpoint, connections))
        for target in TARGETS:
            runs = [m for m in measurements if (m.endpoint, m.connections, m.target) == (endpoint, connections, target)]
            values: dict[str, list[float]] = {key: [] for key in SUMMARY_KEYS}
            for run in runs:
                for key in ("rps", "p50_ms", "p95_ms", "p99_ms"):
                    values[key].append(run.wrk[key])
                values["server_cpu_percent"].append(run.server_cpu_percent)
                values["idle_peer_cpu_percent"].append(run.idle_peer_cpu_percent)
            summary = {key: statistics.median(series) for key, series in values.items()}
            summary["socket_errors"] = sum(run.socket_errors for run in runs)
            setattr(row, target, summary)
    return list(rows.values())


TABLE_HEADER = [
    "endpoint", "conns", "kit req/s", "bare req/s", "kit/bare", "overhead",
    "kit p50/p95/p99 ms", "bare p50/p95/p99 ms", "kit/bare server CPU", "socket errors kit/bare",
]  # fmt: skip


def percentiles(values: dict[str, float]) -> str:
    return f"{values['p50_ms']:.2f} / {values['p95_ms']:.2f} / {values['p99_ms']:.2f}"


def table_cells(row: Row) -> list[str]:
    return [
        row.endpoint,
        str(row.connections),
        f"{row.kit['rps']:,.0f}",
        f"{row.bare['rps']:,.0f}",
        f"{row.ratio:.2f}",
        f"{row.overhead_percent:+.0f}%",
        percentiles(row.kit),
        percentiles(row.bare),
        f"{row.kit['server_cpu_percent']:.0f}% / {row.bare['server_cpu_percent']:.0f}%",
        f"{row.kit['socket_errors']:.0f} / {row.bare['socket_errors']:.0f}",
    ]


def text_table(rows: list[Row]) -> str:
    lines = [TABLE_HEADER, *(table_cells(row) for row in rows)]
    widths = [max(len(line[column]) for line in lines) for column in range(len(TABLE_HEADER))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def markdown_table(rows: list[Row]) -> str:
    lines = [TABLE_HEADER, ["---"] * len(TABLE_HEADER), *(table_cells(row) for row in rows)]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def verdict(rows: list[Row], endpoints: list[Endpoint]) -> str:
    missed = [row for row in rows if row.overhead_percent > TARGET_OVERHEAD_PERCENT]
    worst = max(rows, key=lambda row: row.overhead_percent)
    measured = ", ".join(endpoint.path for endpoint in endpoints)
    if missed:
        cells = "; ".join(
            f"{row.endpoint} at {row.connections} connections {row.overhead_percent:+.0f}%" for row in missed
        )
        text = f"**Target missed** (overhead <= {TARGET_OVERHEAD_PERCENT:.0f}%): {cells}."
    else:
        text = (
            f"**Target met** (overhead <= {TARGET_OVERHEAD_PERCENT:.0f}%) on every measured row; worst: "
            f"{worst.endpoint} at {worst.connections} connections, {worst.overhead_percent:+.0f}%."
        )
    text += f" Measured: {measured}."
    if len(endpoints) < len(ENDPOINTS):
        text += " Not every endpoint of the target was measured in this run: the verdict is partial."
    errors = sum(row.kit["socket_errors"] + row.bare["socket_errors"] for row in rows)
    if errors:
        text += f" wrk reported {errors:.0f} socket errors (connect/read/write/timeout): see the table."
    return text


# --- machine and docs -----------------------------------------------------------------------


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def command_output(*command: str) -> str:
    """First line a command prints (wrk -v prints to stdout and exits 1)."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10, cwd=ROOT)
    except OSError:
        return "unknown"
    lines = (result.stdout + result.stderr).strip().splitlines()
    return lines[0] if lines else "unknown"


def uncommitted_changes() -> bool:
    result = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, timeout=10, cwd=ROOT)
    return bool(result.stdout.strip())


def machine_info(wrk: str) -> dict[str, str]:
    commit = command_output("git", "rev-parse", "--short", "HEAD")
    if uncommitted_changes():
        commit += " (with uncommitted changes)"
    packages = ("uvicorn", "fastapi", "starlette", "uvloop", "httptools", "pydantic")
    return {
        "Date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "CPU": f"{os.cpu_count()} × {cpu_model()} (nproc {len(os.sched_getaffinity(0))})",
        "RAM": f"{memory_gib():.1f} GiB",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "Packages": ", ".join(f"{name} {package_version(name)}" for name in packages),
        "wrk": command_output(wrk, "-v"),
        "Commit": commit,
    }


def shell(command: list[str]) -> str:
    shown = ["python" if part == sys.executable else part for part in command]
    return " ".join(str(Path(part).relative_to(ROOT)) if part.startswith(str(ROOT)) else part for part in shown)


def rerun_command(args: argparse.Namespace) -> str:
    parts = ["python bench/http_overhead.py", f"--duration {args.duration}"]
    if args.repeat > 1:
        parts.append(f"--repeat {args.repeat}")
    parts.extend(f"--only {name}" for name in args.only or [])
    return " ".join([*parts, "--write-docs"])


def render_section(
    args: argparse.Namespace, machine: dict[str, str], servers: dict[str, Server], endpoints: list[Endpoint],
    rows: list[Row], wrk: WrkRun, seeded: bool,
) -> str:  # fmt: skip
    load = ["wrk", *wrk.command("http://127.0.0.1:PORT/PATH", max(args.connections), args.duration)[1:]]
    load[2] = "-c" + "|".join(str(count) for count in args.connections)
    machine_lines = "\n".join(f"- {key}: {value}" for key, value in machine.items())
    database = "migrated and seeded (`vextrus migrate`, `vextrus seed demo`)"
    if not seeded:
        database = "migrated (`vextrus migrate`); `vextrus seed demo` failed, which /health does not need"
    runs = f"{args.repeat} runs per cell, medians reported" if args.repeat > 1 else "one run per cell"
    cores = len(os.sched_getaffinity(0))
    return f"""{SECTION_TITLE}

Does the kit (FastAPI, its request middleware, security, tenancy, the configuration service's cache) cost
more than {TARGET_OVERHEAD_PERCENT:.0f}% over a bare Starlette app returning the same JSON?
Produced by `{rerun_command(args)}`.

### Machine

{machine_lines}

### Method

```sh
{shell(servers["kit"].command)}   # kit
{shell(servers["bare"].command)}   # bare
{shell(load)}
```

- Kit: the embedded server (every service in one process), one uvicorn worker; `vextrus serve` lets
  uvicorn pick uvloop and httptools and turns the access log off. SQLite in a temp dir, {database};
  `VEXTRUS_LOG_LEVEL=WARNING`.
- Bare: `bench/bare_app.py`, Starlette with two routes and no middleware, one uvicorn worker with the same
  loop and parser, serving from memory the JSON the kit answered at the start of the run.
- Endpoints: {", ".join(f"`GET {endpoint.path}`" for endpoint in endpoints)}. The configuration read carries
  `Authorization: Bearer <token>` from `vextrus token --tenant {TENANT} -p {PERMISSION} --ttl {TOKEN_TTL_SECONDS}`:
  one token for the whole run, so the kit verifies it once and then hits its verified-token cache, and the
  setting comes from the configuration cache. The bare app checks nothing.
- wrk {args.threads} threads, {args.duration} s per run, {runs}, {args.pause:g} s rest between runs, after a
  {args.warmup} s warm-up of each server on each endpoint at 64 connections. `bench/wrk_report.lua` prints
  requests/s and the percentiles of wrk's latency histogram.
- Kit and bare are measured back to back for each cell, the order alternating (ABBA) so drift affects both.
  Both servers stay up, only one under load at any moment (the kit's outbox relay polls once a second while
  idle; the idle server's CPU is recorded by the script).
- Pre-flight: both answer 200 and the same JSON (but the health timestamp). Any response with status >= 400
  during a run aborts the benchmark (wrk counts those as status errors).
- Everything, wrk included, runs on the same {cores} cores: the numbers compare kit and bare on one machine,
  they are not the platform's capacity.
- Overhead = bare req/s ÷ kit req/s − 1, the extra server time per request; kit/bare is the throughput ratio
  (0.77 is the {TARGET_OVERHEAD_PERCENT:.0f}% limit). Server CPU = the loaded server's CPU time over the
  run's wall time (100% is one core, where a single worker saturates).

### Results

{markdown_table(rows)}

{verdict(rows, endpoints)}
"""


def write_docs(section: str, path: Path = DOCS) -> None:
    """Insert or replace this benchmark's section, keeping every other section of the file."""
    header = (
        "# Benchmarks\n\nMeasured with the scripts in `bench/` (see `bench/README.md`); never timed unit tests.\n"
        "Each section names its machine, method and numbers. Re-run a benchmark to refresh its section.\n"
    )
    text = path.read_text(encoding="utf-8") if path.exists() else header
    start = text.find(SECTION_TITLE)
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        following = text.find("\n## ", start + len(SECTION_TITLE))
        end = len(text) if following == -1 else following + 1
        text = text[:start] + section + ("\n" + text[end:] if following != -1 else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


# --- main -----------------------------------------------------------------------------------


def benchmark(args: argparse.Namespace, wrk_path: str, workdir: Path) -> None:
    endpoints = [ENDPOINTS[name] for name in (args.only or ENDPOINTS)]
    environment = bench_environment(workdir)
    print("preparing the database (migrate, seed demo, token)", flush=True)
    token, seeded = prepare_database(environment, need_demo_data=ENDPOINTS["config"] in endpoints)
    wrk = WrkRun(wrk_path, args.threads, args.timeout, token)
    kit = start_server("kit", kit_command(free_port()), environment, workdir)
    with running([kit]):
        fixture_path = workdir / "fixture.json"
        fixture_path.write_text(json.dumps(fetch_fixture(kit, token, endpoints)), encoding="utf-8")
        bare_environment = {**environment, "VEXTRUS_BENCH_FIXTURE": str(fixture_path)}
        bare = start_server("bare", bare_command(free_port()), bare_environment, workdir)
        with running([bare]):
            servers = {"kit": kit, "bare": bare}
            preflight([kit, bare], endpoints, token)
            warm_up(wrk, [kit, bare], endpoints, args.warmup)
            plan = schedule(endpoints, args.connections, args.repeat)
            measurements = run_plan(wrk, servers, plan, args.duration, args.pause)
    rows = summarise(measurements)
    print()
    print(text_table(rows))
    print()
    print(verdict(rows, endpoints).replace("**", ""))
    if args.write_docs:
        write_docs(render_section(args, machine_info(wrk_path), servers, endpoints, rows, wrk, seeded))
        print(f"wrote {DOCS.relative_to(ROOT)}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wrk_path = find_wrk()
    try:
        limit = raise_open_files_limit(max(args.connections))
        print(f"open files limit: {limit}", flush=True)
        with tempfile.TemporaryDirectory(prefix="vextrus-bench-") as workdir:
            benchmark(args, wrk_path, Path(workdir))
    except BenchmarkError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
