"""A process killed (SIGKILL) in the middle of a durable sleep resumes when the service starts
again: the finished step is not run again, the sleep keeps its deadline, the rest runs."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from tests.conftest import BACKENDS, PostgresServer

SCRIPT = Path(__file__).with_name("crash_process.py")
ROOT = Path(__file__).resolve().parents[3]


async def _spawn(*arguments: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        *arguments,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )


async def _first_line(process: asyncio.subprocess.Process, seconds: float) -> dict[str, Any]:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), seconds)
    assert line, "the process ended without reporting"
    result: dict[str, Any] = json.loads(line)
    return result


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_killed_process_resumes_at_the_right_step(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    server: PostgresServer | None = None
    urls: list[str] = []
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'vextrus.db'}"
    else:
        server = request.getfixturevalue("postgres_server")
        url = await server.create("vextrus_crash")
        urls = [url, await server.create_named(f"{make_url(url).database}_dbos")]
    try:
        first = await _spawn("start", url, str(tmp_path))
        started = await _first_line(first, 60)
        # Kill it late in its 8 s sleep: were the sleep to start afresh after the relaunch, it would
        # end 8 s after it; kept, it ends at (or just after) the original deadline.
        sleep_started = dt.datetime.fromisoformat(started["sleep_started_at"])
        wait = (sleep_started + dt.timedelta(seconds=6) - dt.datetime.now(dt.UTC)).total_seconds()
        await asyncio.sleep(max(0.0, wait))
        first.send_signal(signal.SIGKILL)  # mid-sleep: no shutdown, no cleanup
        await first.wait()
        assert first.returncode == -signal.SIGKILL

        second = await _spawn("resume", url, str(tmp_path), started["tenant"], started["instance"])
        body = await _first_line(second, 60)
        await second.wait()
    finally:
        if server is not None:
            for item in reversed(urls):
                await server.drop(item)
    assert body["status"] == "completed", body
    steps = {run["name"]: run for run in body["system_steps"]}
    assert steps["welcome-employee"]["executions"] == 1  # finished before the crash: not run again
    assert steps["first-day"]["status"] == "completed"
    assert steps["check-in"]["status"] == "completed"
    sleep = steps["first-day"]
    started_sleep = dt.datetime.fromisoformat(sleep["started_at"])
    finished_sleep = dt.datetime.fromisoformat(sleep["finished_at"])
    relaunched = dt.datetime.fromisoformat(body["relaunched_at"])
    assert finished_sleep - started_sleep >= dt.timedelta(seconds=7.9)  # the whole sleep, across the crash
    # it kept its original deadline (allowing for the durable queue picking the process up again)
    deadline = started_sleep + dt.timedelta(seconds=8)
    assert finished_sleep < max(deadline, relaunched) + dt.timedelta(seconds=6)
    assert finished_sleep < relaunched + dt.timedelta(seconds=8)
    assert [entry["action"] for entry in body["history"]].count("step-completed") == 3
