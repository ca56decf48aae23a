"""Starting and stopping the scheduler's runner with the process.

The kit calls :func:`on_start` and :func:`on_stop` (the service's lifecycle hooks) when the process
starts and stops; a request or the readiness probe also starts a runner that is not running.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vextrus.services.scheduler.runner import runner_for

if TYPE_CHECKING:
    from vextrus.kit.runtime import Runtime


async def on_start(runtime: Runtime) -> None:
    runner_for(runtime).ensure_started()


async def on_stop(runtime: Runtime) -> None:
    await runner_for(runtime).stop()


async def runner_check(runtime: Runtime) -> dict[str, Any]:
    """Readiness: the runner loop is running in this process (started here if it was not)."""
    runner = runner_for(runtime)
    runner.ensure_started()
    return {"runner": "running" if runner.settings.runner_enabled else "disabled"}
