"""Starting and stopping the workflow engine with the process.

The durable runtime must run from process start (it recovers timers and system steps a crash
interrupted): the kit calls :func:`on_start` and :func:`on_stop` (the service's lifecycle hooks)
when the process starts and stops. A request, the readiness probe or the seed also starts an engine
that is not running.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vextrus.services.workflow.engine import engine_for

if TYPE_CHECKING:
    from vextrus.kit.runtime import Runtime


async def on_start(runtime: Runtime) -> None:
    await engine_for(runtime).ensure_started()


async def on_stop(runtime: Runtime) -> None:
    await engine_for(runtime).stop()


async def durable_check(runtime: Runtime) -> dict[str, Any]:
    """Readiness: the durable runtime is up (started here if it was not)."""
    from vextrus.services.workflow import durable

    engine = engine_for(runtime)
    await engine.ensure_started()
    return {
        "system_database": durable.system_database_url(runtime.settings, engine.settings)
        .split("@")[-1]
        .split("///")[-1]
    }
