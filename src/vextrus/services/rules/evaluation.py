"""Evaluation of rules: one decision or a batch, each recorded in the history (with, sampled, a
``rules.evaluation.completed`` event) in the evaluation's own transaction; and the history itself.

An engine error (a context the model cannot evaluate) is not raised: it is recorded like any other
evaluation and returned, so the caller can answer 422 *and* commit the record.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.errors import AppError, invalid_field, not_found
from vextrus.kit.events import record_event
from vextrus.kit.models import new_id, utcnow
from vextrus.kit.pagination import Page, PageRequest
from vextrus.kit.tenancy import require_tenant_id
from vextrus.services.rules import metrics
from vextrus.services.rules.engine import Decision, RulesRuntime
from vextrus.services.rules.events import EVALUATION_COMPLETED, EvaluationCompleted
from vextrus.services.rules.models import OUTCOME_ERROR, OUTCOME_OK, Evaluation
from vextrus.services.rules.repository import (
    EvaluationFilter,
    EvaluationRepository,
    RuleRepository,
    VersionRef,
    VersionRepository,
)
from vextrus.services.rules.schemas import (
    BatchError,
    BatchItem,
    BatchOut,
    BatchResult,
    EvaluateOut,
    EvaluateRequest,
    EvaluationOut,
)
from vextrus.services.rules.service import dump_json, ensure_loaded, load_json, rule_or_404, version_not_found
from vextrus.services.rules.settings import RulesSettings


@dataclass(frozen=True)
class Evaluated:
    """One evaluation: what to answer (``out``) or the error to answer, after recording it."""

    out: EvaluateOut | None
    error: AppError | None


def _sampled(evaluation_id: uuid.UUID, rate: float) -> bool:
    """Deterministic sampling from the random tail of a UUIDv7."""
    return rate > 0 and (evaluation_id.int & 0xFFFFFFFF) / 2**32 < rate


def _no_effective_version(key: str, at: dt.datetime) -> AppError:
    return AppError(
        409,
        "no_effective_version",
        f"Rule {key} has no published version in effect at {at.isoformat()}",
        f"{at.isoformat()} সময়ে নিয়ম {key}-এর কোনো প্রকাশিত সংস্করণ কার্যকর নয়",
    )


def _evaluation_failed(key: str, version: int, message: str) -> AppError:
    return AppError(
        422,
        "evaluation_failed",
        f"Rule {key} version {version} could not be evaluated with this context: {message}",
        f"এই তথ্য দিয়ে নিয়ম {key} সংস্করণ {version} মূল্যায়ন করা যায়নি: {message}",
        extra={"engine_error": message, "key": key, "version": version},
    )


def _context_json(context: dict[str, Any], settings: RulesSettings, field: str) -> str:
    """The context as JSON text (what the history stores), refused when too large."""
    text = dump_json(context)
    if len(text.encode()) > settings.max_context_bytes:
        raise invalid_field(
            field,
            f"the context is larger than {settings.max_context_bytes} bytes",
            f"তথ্যটি {settings.max_context_bytes} বাইটের চেয়ে বড়",
            code="too_large",
        )
    return text


class _Recorder:
    """Collects the history rows (and sampled events) of one request's evaluations."""

    def __init__(self, session: AsyncSession, rules: RulesRuntime, actor: uuid.UUID | None) -> None:
        self.session = session
        self.rules = rules
        self.actor = actor
        self.rows: list[dict[str, Any]] = []
        self.now = utcnow()
        self._counters: dict[tuple[str, str], Any] = {}
        self._timers: dict[str, Any] = {}

    def _count(self, key: str, outcome: str, seconds: float) -> None:
        counter = self._counters.get((key, outcome))
        if counter is None:
            counter = self._counters[(key, outcome)] = metrics.EVALUATIONS.labels(key, outcome)
        timer = self._timers.get(key)
        if timer is None:
            timer = self._timers[key] = metrics.EVALUATION_DURATION.labels(key)
        counter.inc()
        timer.observe(seconds)

    def record(self, ref: VersionRef, context_json: str, decision: Decision, reference: str | None) -> uuid.UUID:
        evaluation_id = new_id()
        outcome = OUTCOME_OK if decision.ok else OUTCOME_ERROR
        self.rows.append(
            {
                "id": evaluation_id,
                "rule_id": ref.rule_id,
                "rule_key": ref.key,
                "version": ref.number,
                "outcome": outcome,
                "input": context_json,
                "output": dump_json(decision.output) if decision.ok else None,
                "error": decision.error,
                "duration_us": round(decision.duration_seconds * 1_000_000),
                "reference": reference,
                "actor": self.actor,
                "evaluated_at": self.now,
            }
        )
        self._count(ref.key, outcome, decision.duration_seconds)
        rate = self.rules.settings.evaluation_event_sample_rate
        if _sampled(evaluation_id, rate):
            record_event(
                self.session,
                EVALUATION_COMPLETED,
                EvaluationCompleted(
                    tenant_id=require_tenant_id(),
                    evaluation_id=evaluation_id,
                    rule_id=ref.rule_id,
                    key=ref.key,
                    version=ref.number,
                    outcome=outcome,
                    output=decision.output if decision.ok else None,
                    error=decision.error,
                    duration_ms=decision.duration_seconds * 1000,
                    reference=reference,
                    sample_rate=rate,
                    actor=self.actor,
                ),
                subject=evaluation_id,
                actor=str(self.actor) if self.actor else None,
            )
        return evaluation_id

    async def flush(self) -> None:
        await EvaluationRepository(self.session).add_many(self.rows)
        self.rows = []


async def evaluate(
    session: AsyncSession,
    rules: RulesRuntime,
    key: str,
    request: EvaluateRequest,
    *,
    actor: uuid.UUID | None = None,
) -> Evaluated:
    """Evaluate one rule; a failure of the engine is recorded and returned, not raised."""
    context_json = _context_json(request.context, rules.settings, "body.context")
    tenant = require_tenant_id()
    versions = VersionRepository(session)
    at = request.at.astimezone(dt.UTC) if request.at else utcnow()
    if request.version is not None:
        ref = await versions.ref(key, request.version)
        if ref is None:
            await rule_or_404(session, key)
            raise version_not_found(key, request.version)
    else:
        ref = (await versions.effective([key], at)).get(key)
        if ref is None:
            await rule_or_404(session, key)
            metrics.EVALUATIONS.labels(key, "no_effective_version").inc()
            raise _no_effective_version(key, at)
    engine_key = await ensure_loaded(session, rules.engine, tenant, ref)
    decision = await rules.engine.evaluate(engine_key, request.context, trace=request.trace)
    recorder = _Recorder(session, rules, actor)
    evaluation_id = recorder.record(ref, context_json, decision, request.reference)
    await recorder.flush()
    if not decision.ok:
        return Evaluated(None, _evaluation_failed(key, ref.number, decision.error or "unknown error"))
    return Evaluated(
        EvaluateOut(
            evaluation_id=evaluation_id,
            key=key,
            version=ref.number,
            result=decision.output,
            duration_ms=decision.duration_seconds * 1000,
            evaluated_at=recorder.now,
            trace=decision.trace,
        ),
        None,
    )


async def evaluate_batch(
    session: AsyncSession,
    rules: RulesRuntime,
    items: Sequence[BatchItem],
    at: dt.datetime | None = None,
    *,
    actor: uuid.UUID | None = None,
) -> BatchOut:
    """Evaluate many decisions: each item succeeds or fails on its own; all are recorded."""
    started = utcnow()
    limit = rules.settings.batch_max_items
    if len(items) > limit:
        raise invalid_field(
            "body.items", f"at most {limit} items per batch", f"প্রতি ব্যাচে সর্বোচ্চ {limit}টি", code="too_long"
        )
    texts = [
        _context_json(item.context, rules.settings, f"body.items.{index}.context") for index, item in enumerate(items)
    ]
    tenant = require_tenant_id()
    versions = VersionRepository(session)
    moment = at.astimezone(dt.UTC) if at else started
    effective = await versions.effective(sorted({item.key for item in items if item.version is None}), moment)
    pinned: dict[tuple[str, int], VersionRef | None] = {}
    for item in items:
        if item.version is not None and (item.key, item.version) not in pinned:
            pinned[(item.key, item.version)] = await versions.ref(item.key, item.version)
    unresolved = {item.key for item in items if item.version is None and item.key not in effective}
    unresolved |= {key for (key, _), ref in pinned.items() if ref is None}
    existing = await RuleRepository(session).keys(sorted(unresolved))
    # Resolve every item first (unknown rules answer at once), then evaluate the rest together.
    engine_keys: dict[uuid.UUID, str] = {}
    results: list[BatchResult | None] = []
    pending: list[tuple[int, VersionRef, str]] = []
    for index, item in enumerate(items):
        ref = effective.get(item.key) if item.version is None else pinned.get((item.key, item.version))
        if ref is None:
            if item.key not in existing:
                error = BatchError(code="not_found", detail=f"Rule {item.key} was not found")
                metrics.EVALUATIONS.labels("<unknown>", "not_found").inc()
            elif item.version is not None:
                error = BatchError(code="not_found", detail=f"Rule {item.key} has no version {item.version}")
            else:
                error = BatchError(
                    code="no_effective_version", detail=_no_effective_version(item.key, moment).detail or ""
                )
                metrics.EVALUATIONS.labels(item.key, "no_effective_version").inc()
            results.append(BatchResult(index=index, key=item.key, ok=False, error=error))
            continue
        engine_key = engine_keys.get(ref.id)
        if engine_key is None:
            engine_key = engine_keys[ref.id] = await ensure_loaded(session, rules.engine, tenant, ref)
        results.append(None)
        pending.append((index, ref, engine_key))
    decisions = await rules.engine.evaluate_many(
        [(engine_key, items[index].context) for index, _, engine_key in pending], rules.settings.batch_concurrency
    )
    recorder = _Recorder(session, rules, actor)
    for (index, ref, _), decision in zip(pending, decisions, strict=True):
        item = items[index]
        evaluation_id = recorder.record(ref, texts[index], decision, item.reference)
        results[index] = BatchResult(
            index=index,
            key=item.key,
            ok=decision.ok,
            version=ref.number,
            result=decision.output if decision.ok else None,
            error=None if decision.ok else BatchError(code="evaluation_failed", detail=decision.error or ""),
            duration_ms=decision.duration_seconds * 1000,
            evaluation_id=evaluation_id,
        )
    await recorder.flush()
    answered = [item for item in results if item is not None]
    succeeded = sum(1 for item in answered if item.ok)
    return BatchOut(
        items=answered,
        succeeded=succeeded,
        failed=len(answered) - succeeded,
        duration_ms=(utcnow() - started).total_seconds() * 1000,
    )


# --- history --------------------------------------------------------------------------------------


def evaluation_out(row: Evaluation) -> EvaluationOut:
    return EvaluationOut(
        id=row.id,
        key=row.rule_key,
        version=row.version,
        outcome=row.outcome,
        input=load_json(row.input),
        output=load_json(row.output),
        error=row.error,
        duration_ms=row.duration_us / 1000,
        reference=row.reference,
        actor=row.actor,
        evaluated_at=row.evaluated_at,
    )


async def history(session: AsyncSession, page: PageRequest, where: EvaluationFilter) -> Page[EvaluationOut]:
    rows = await EvaluationRepository(session).page(page, where)
    return Page[EvaluationOut](items=[evaluation_out(row) for row in rows.items], next_cursor=rows.next_cursor)


async def get_evaluation(session: AsyncSession, evaluation_id: uuid.UUID) -> EvaluationOut:
    row = await EvaluationRepository(session).get(evaluation_id)
    if row is None:
        raise not_found("Evaluation", evaluation_id, "মূল্যায়ন")
    return evaluation_out(row)
