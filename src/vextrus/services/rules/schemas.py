"""Pydantic input and output models of the rules API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from vextrus.services.rules.models import (
    DESCRIPTION_LENGTH,
    KEY_LENGTH,
    NAME_LENGTH,
    REFERENCE_LENGTH,
    TEST_NAME_LENGTH,
)

# Rule keys: dotted lower-case words with hyphens, e.g. `bd.vat.rate`, `approval.purchase-order`.
RULE_KEY_PATTERN = r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)*$"
# Words the API uses at /api/v1/rules/<word>: never rule keys.
RESERVED_KEYS = frozenset({"templates", "evaluations", "evaluate"})
TEST_NAME_PATTERN = r"^[^\x00-\x1f/]+$"
MAX_REVISION = 2**31 - 1
MAX_VERSION = 2**31 - 1

Status = Literal["draft", "published", "superseded"]
Outcome = Literal["ok", "error"]


def _printable(value: str) -> str:
    if any(ord(char) < 32 and char not in "\t\n\r" for char in value):
        raise ValueError("must not contain control characters")
    return value


def _not_reserved(value: str) -> str:
    if value in RESERVED_KEYS:
        raise ValueError(f"{value!r} is reserved by the API")
    return value


SafeText = Annotated[str, AfterValidator(_printable)]
RuleKey = Annotated[
    str, Field(min_length=2, max_length=KEY_LENGTH, pattern=RULE_KEY_PATTERN), AfterValidator(_not_reserved)
]
TestName = Annotated[str, Field(min_length=1, max_length=TEST_NAME_LENGTH, pattern=TEST_NAME_PATTERN)]
Reference = Annotated[SafeText, Field(min_length=1, max_length=REFERENCE_LENGTH)]
Revision = Annotated[int, Field(ge=1, le=MAX_REVISION)]
JsonObject = dict[str, Any]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- rules and versions -----------------------------------------------------------------------


class TestCaseIn(_Input):
    name: TestName
    description: Annotated[SafeText, Field(max_length=500)] | None = None
    input: JsonObject = Field(description="The context to evaluate")
    expected: Any = Field(description="The output expected; an object checks only the fields it names")


class RuleCreate(_Input):
    key: RuleKey
    name: Annotated[SafeText, Field(min_length=1, max_length=NAME_LENGTH)]
    description: Annotated[SafeText, Field(max_length=DESCRIPTION_LENGTH)] | None = None
    content: JsonObject = Field(description="The first version's GoRules JDM document (a draft)")
    comment: Annotated[SafeText, Field(max_length=500)] | None = None
    tests: list[TestCaseIn] = Field(default_factory=list, max_length=500)


class RulePatch(_Input):
    name: Annotated[SafeText, Field(min_length=1, max_length=NAME_LENGTH)] | None = None
    description: Annotated[SafeText, Field(max_length=DESCRIPTION_LENGTH)] | None = None
    expected_revision: Revision | None = None


class VersionCreate(_Input):
    content: JsonObject | None = Field(
        default=None, description="The JDM document; omitted: a copy of `from_version` (default: the latest)"
    )
    from_version: Annotated[int, Field(ge=1, le=MAX_VERSION)] | None = None
    comment: Annotated[SafeText, Field(max_length=500)] | None = None


class DraftUpdate(_Input):
    content: JsonObject
    comment: Annotated[SafeText, Field(max_length=500)] | None = None
    expected_revision: Revision | None = Field(
        default=None, description="Refuse (409 version_conflict) unless the draft is at this revision"
    )


class PublishRequest(_Input):
    effective_from: AwareDatetime | None = Field(default=None, description="Default: now")
    effective_to: AwareDatetime | None = None
    expected_revision: Revision | None = None


class RuleVersionSummary(BaseModel):
    version: int
    status: Status
    content_hash: str
    comment: str | None
    effective_from: dt.datetime | None
    effective_to: dt.datetime | None
    published_at: dt.datetime | None
    published_by: uuid.UUID | None
    revision: int
    created_at: dt.datetime
    updated_at: dt.datetime


class RuleVersionOut(RuleVersionSummary):
    key: str
    content: JsonObject


class RuleOut(BaseModel):
    id: uuid.UUID
    key: str
    name: str
    description: str | None
    source: Literal["custom", "template"]
    latest_version: int
    published_version: int | None = Field(description="The newest published version (null: none yet)")
    revision: int
    created_at: dt.datetime
    updated_at: dt.datetime


class RuleDetail(RuleOut):
    versions: list[RuleVersionSummary]
    test_count: int


# --- test cases ----------------------------------------------------------------------------------


class TestCaseUpdate(_Input):
    description: Annotated[SafeText, Field(max_length=500)] | None = None
    input: JsonObject
    expected: Any
    expected_revision: Revision | None = None


class TestCaseOut(BaseModel):
    name: str
    description: str | None
    input: JsonObject
    expected: Any
    revision: int
    updated_at: dt.datetime


class TestCaseList(BaseModel):
    items: list[TestCaseOut]


class TestRunRequest(_Input):
    version: Annotated[int, Field(ge=1, le=MAX_VERSION)] | None = Field(
        default=None, description="The version to test (default: the latest)"
    )


class TestCaseResult(BaseModel):
    name: str
    passed: bool
    expected: Any
    actual: Any = None
    error: str | None = None
    mismatches: list[str] = Field(default_factory=list)


class TestRunOut(BaseModel):
    key: str
    version: int
    passed: bool
    total: int
    failed: int
    results: list[TestCaseResult]


# --- evaluation ----------------------------------------------------------------------------------


class EvaluateRequest(_Input):
    context: JsonObject = Field(description="The decision's input")
    version: Annotated[int, Field(ge=1, le=MAX_VERSION)] | None = Field(
        default=None, description="Evaluate this version (any status); default: the one effective at `at`"
    )
    at: AwareDatetime | None = Field(default=None, description="Pick the version effective at this time (default: now)")
    reference: Reference | None = Field(default=None, description="The caller's document, e.g. PO-2025-26-000123")
    trace: bool = Field(default=False, description="Return zen-engine's trace of every node")


class EvaluateOut(BaseModel):
    evaluation_id: uuid.UUID
    key: str
    version: int
    result: Any
    duration_ms: float
    evaluated_at: dt.datetime
    trace: JsonObject | None = None


class BatchItem(_Input):
    key: Annotated[str, Field(min_length=1, max_length=KEY_LENGTH)]
    context: JsonObject
    version: Annotated[int, Field(ge=1, le=MAX_VERSION)] | None = None
    reference: Reference | None = None


class BatchRequest(_Input):
    items: list[BatchItem] = Field(min_length=1, description="At most VEXTRUS_RULES_BATCH_MAX_ITEMS (500)")
    at: AwareDatetime | None = None


class BatchError(BaseModel):
    code: str
    detail: str


class BatchResult(BaseModel):
    index: int
    key: str
    ok: bool
    version: int | None = None
    result: Any = None
    error: BatchError | None = None
    duration_ms: float | None = None
    evaluation_id: uuid.UUID | None = None


class BatchOut(BaseModel):
    items: list[BatchResult]
    succeeded: int
    failed: int
    duration_ms: float


class EvaluationOut(BaseModel):
    id: uuid.UUID
    key: str
    version: int
    outcome: Outcome
    input: Any
    output: Any
    error: str | None
    duration_ms: float
    reference: str | None
    actor: uuid.UUID | None
    evaluated_at: dt.datetime


# --- templates -----------------------------------------------------------------------------------


class TemplateOut(BaseModel):
    key: str
    name: str
    name_bn: str
    description: str
    test_count: int
    installed: bool


class TemplateList(BaseModel):
    items: list[TemplateOut]


class TemplateInstall(_Input):
    keys: list[Annotated[str, Field(min_length=1, max_length=KEY_LENGTH)]] | None = Field(
        default=None, description="Templates to install (default: all)", max_length=50
    )


class TemplateInstallResult(BaseModel):
    key: str
    status: Literal["installed", "exists"]
    version: int | None


class TemplateInstallOut(BaseModel):
    items: list[TemplateInstallResult]
