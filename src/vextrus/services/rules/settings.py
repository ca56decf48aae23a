"""Settings of the rules engine (``VEXTRUS_RULES_*``), loaded once per process by the runtime."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from vextrus.kit.settings import ServiceSettings


class RulesSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="VEXTRUS_RULES_", env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True
    )

    # Share of evaluations announced as `rules.evaluation.completed` events (0 = none, 1 = all).
    # Every evaluation is recorded in the history regardless.
    evaluation_event_sample_rate: float = Field(default=0.01, ge=0.0, le=1.0)
    # async: zen evaluates on its own threads without the GIL (the event loop stays free, a timeout
    # applies); sync: on the event loop holding the GIL (fastest, but an expensive model freezes the
    # process). See docs/services/rules.md, "Engine and cache".
    evaluation_mode: Literal["async", "sync"] = "async"
    # Async mode: stop waiting for one evaluation after this long (422 evaluation_failed).
    evaluation_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    # Async mode: evaluations of one batch request in flight at once.
    batch_concurrency: int = Field(default=16, ge=1, le=256)
    # Compiled decision models kept in memory per process, keyed by (tenant, rule, version).
    engine_cache_size: int = Field(default=2000, ge=1, le=1_000_000)
    # Most decisions one batch request may ask for.
    batch_max_items: int = Field(default=500, ge=1, le=10_000)
    # Largest evaluation context (JSON bytes) and decision model accepted.
    max_context_bytes: int = Field(default=64 * 1024, ge=1024, le=16 * 1024 * 1024)
    max_model_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
