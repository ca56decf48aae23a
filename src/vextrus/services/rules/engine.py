"""The decision engine of one process: one ``zen.ZenEngine`` whose loader serves compiled models
from memory, and the per-process state of the rules engine.

zen-engine 2.1 calls the loader on *every* evaluation (it keeps nothing itself), so the loader
reads a bounded LRU of pre-compiled ``ZenDecisionContent`` keyed by tenant, rule, version and
content hash. The service checks :meth:`DecisionEngine.has` before evaluating and fills a miss
from the database; a published version never changes, and a draft's key changes with its content.

Two ways to evaluate, observed on zen-engine 2.1.3:

- ``ZenEngine.evaluate`` is synchronous and **holds the GIL** for the whole evaluation: ~20-50 µs
  for a 20-row table, but a model with an expensive expression (``map`` over a large range)
  freezes the event loop, and every tenant with it, for as long as it runs; a thread does not help.
- ``ZenEngine.async_evaluate`` runs on zen's own threads **without the GIL**: the loop stays free
  and a timeout can stop waiting; it costs ~0.5-1 ms of latency per call, and concurrent calls
  reach ~6-10k decisions/s on two cores.

``VEXTRUS_RULES_EVALUATION_MODE`` picks one: ``async`` (default: safe for models written by
tenants) or ``sync`` (fastest; only for models you trust to be cheap).
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import zen

from vextrus.services.rules import metrics
from vextrus.services.rules.jdm import engine_message
from vextrus.services.rules.settings import RulesSettings

if TYPE_CHECKING:
    from vextrus.kit.runtime import Runtime

_PERFORMANCE = re.compile(r"^\s*([0-9.]+)\s*(ns|µs|us|ms|s)\s*$")
_UNITS = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}


@dataclass(frozen=True)
class Decision:
    """The outcome of one evaluation: the output, or zen's error message; always the duration."""

    output: Any
    error: str | None
    duration_seconds: float
    trace: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class ModelLoadError(Exception):
    """A stored decision model zen-engine cannot load (e.g. after an engine upgrade)."""


def cache_key(tenant_id: uuid.UUID, rule_key: str, version: int, content_hash: str) -> str:
    return f"{tenant_id}/{rule_key}/{version}/{content_hash[:16]}"


def engine_seconds(performance: Any, fallback: float) -> float:
    """zen's own measure of an evaluation (``"154.9µs"``), without the thread hops around it."""
    match = _PERFORMANCE.match(performance) if isinstance(performance, str) else None
    return float(match.group(1)) * _UNITS[match.group(2)] if match else fallback


class DecisionEngine:
    def __init__(self, max_entries: int = 2000, *, mode: str = "async", timeout_seconds: float = 5.0) -> None:
        self._max_entries = max_entries
        self.mode = mode
        self.timeout_seconds = timeout_seconds
        self._contents: OrderedDict[str, zen.ZenDecisionContent] = OrderedDict()
        self._lock = threading.Lock()  # in async mode the loader runs on zen's threads
        self._engine = zen.ZenEngine({"loader": self._load})

    def _load(self, key: str) -> zen.ZenDecisionContent:
        with self._lock:
            content = self._contents.get(key)
        if content is None:  # evicted between has() and evaluate(): only under extreme cache pressure
            raise LookupError(f"decision model {key} is not loaded")
        return content

    def __len__(self) -> int:
        return len(self._contents)

    def has(self, key: str) -> bool:
        """Whether the compiled model is in memory (counted as a cache hit or miss)."""
        with self._lock:
            found = key in self._contents
            if found:
                self._contents.move_to_end(key)
        (metrics.CACHE_HITS if found else metrics.CACHE_MISSES).inc()
        return found

    def put(self, key: str, content: str) -> None:
        """Compile a JDM document (JSON text) and keep it under ``key``."""
        try:
            compiled = zen.ZenDecisionContent(content)
        except Exception as error:  # the binding raises RuntimeError with the parser's message
            raise ModelLoadError(engine_message(error)) from None
        with self._lock:
            self._contents[key] = compiled
            self._contents.move_to_end(key)
            while len(self._contents) > self._max_entries:
                self._contents.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._contents.clear()

    def evaluate_now(self, key: str, context: dict[str, Any], *, trace: bool = False) -> Decision:
        """Synchronous evaluation on the calling thread (holds the GIL); errors are returned."""
        started = time.perf_counter()
        try:
            response = self._engine.evaluate(key, context, {"trace": True} if trace else None)
        except Exception as error:  # zen raises RuntimeError carrying its JSON error
            return Decision(None, engine_message(error), time.perf_counter() - started)
        elapsed = engine_seconds(response.get("performance"), time.perf_counter() - started)
        return Decision(response.get("result"), None, elapsed, response.get("trace") if trace else None)

    async def evaluate(self, key: str, context: dict[str, Any], *, trace: bool = False) -> Decision:
        """Evaluate the model under ``key`` in the configured mode; errors and timeouts are returned."""
        if self.mode == "sync":
            return self.evaluate_now(key, context, trace=trace)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout_seconds):
                response = await self._engine.async_evaluate(key, context, {"trace": True} if trace else None)
        except TimeoutError:
            message = f"the evaluation took longer than {self.timeout_seconds:g} s and was abandoned"
            return Decision(None, message, time.perf_counter() - started)
        except Exception as error:
            return Decision(None, engine_message(error), time.perf_counter() - started)
        elapsed = engine_seconds(response.get("performance"), time.perf_counter() - started)
        return Decision(response.get("result"), None, elapsed, response.get("trace") if trace else None)

    async def evaluate_many(self, requests: Sequence[tuple[str, dict[str, Any]]], concurrency: int) -> list[Decision]:
        """Evaluate ``(key, context)`` pairs, in order of the answers; async mode runs them concurrently."""
        if self.mode == "sync":
            return [self.evaluate_now(key, context) for key, context in requests]
        gate = asyncio.Semaphore(concurrency)

        async def one(key: str, context: dict[str, Any]) -> Decision:
            async with gate:
                return await self.evaluate(key, context)

        return list(await asyncio.gather(*(one(key, context) for key, context in requests)))


# --- per-process state --------------------------------------------------------------------------


@dataclass(frozen=True)
class RulesRuntime:
    """What the rules engine keeps per process: its settings and its decision engine."""

    settings: RulesSettings
    engine: DecisionEngine


_RUNTIMES: weakref.WeakKeyDictionary[Runtime, RulesRuntime] = weakref.WeakKeyDictionary()


def rules_runtime(runtime: Runtime) -> RulesRuntime:
    existing = _RUNTIMES.get(runtime)
    if existing is None:
        settings = runtime.settings_of(RulesSettings)
        engine = DecisionEngine(
            settings.engine_cache_size,
            mode=settings.evaluation_mode,
            timeout_seconds=settings.evaluation_timeout_seconds,
        )
        existing = _RUNTIMES[runtime] = RulesRuntime(settings, engine)
    return existing
