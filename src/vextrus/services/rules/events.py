"""Events the rules engine publishes (it consumes none)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel

from vextrus.kit.service import Consumer, Topic


class RuleCreated(BaseModel):
    tenant_id: uuid.UUID
    rule_id: uuid.UUID
    key: str
    name: str
    source: Literal["custom", "template"]
    version: int
    actor: uuid.UUID | None


class RuleUpdated(BaseModel):
    """A rule's metadata, a draft version or its test cases changed (``change`` says which)."""

    tenant_id: uuid.UUID
    rule_id: uuid.UUID
    key: str
    change: Literal[
        "metadata",
        "version_created",
        "draft_updated",
        "draft_deleted",
        "test_added",
        "test_updated",
        "test_deleted",
        "deleted",
    ]
    version: int | None = None
    test: str | None = None
    actor: uuid.UUID | None


class RulePublished(BaseModel):
    tenant_id: uuid.UUID
    rule_id: uuid.UUID
    key: str
    version: int
    previous_version: int | None
    effective_from: dt.datetime
    effective_to: dt.datetime | None
    content_hash: str
    actor: uuid.UUID | None


class EvaluationCompleted(BaseModel):
    """One evaluation (a sample of them: VEXTRUS_RULES_EVALUATION_EVENT_SAMPLE_RATE)."""

    tenant_id: uuid.UUID
    evaluation_id: uuid.UUID
    rule_id: uuid.UUID
    key: str
    version: int
    outcome: Literal["ok", "error"]
    output: Any = None
    error: str | None = None
    duration_ms: float
    reference: str | None
    sample_rate: float
    actor: uuid.UUID | None


RULE_CREATED = Topic(
    "rules.rule.created", RuleCreated, "A rule was created (custom or from a template); subject is the rule id."
)
RULE_UPDATED = Topic(
    "rules.rule.updated",
    RuleUpdated,
    "A rule's name, a draft or a test case changed, or an unpublished rule was deleted; subject: the rule id.",
)
RULE_PUBLISHED = Topic(
    "rules.rule.published",
    RulePublished,
    "A version was published: evaluations use it from effective_from; subject is the rule id. Drop cached results.",
)
EVALUATION_COMPLETED = Topic(
    "rules.evaluation.completed",
    EvaluationCompleted,
    "A sampled evaluation finished (ok or error); subject is the evaluation id. The full record is in the history API.",
)

PUBLISHES: tuple[Topic, ...] = (RULE_CREATED, RULE_UPDATED, RULE_PUBLISHED, EVALUATION_COMPLETED)
HANDLERS: tuple[Consumer, ...] = ()
