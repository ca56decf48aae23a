"""Pydantic input and output models of the configuration API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from vextrus.services.configuration.models import KEY_LENGTH

# Flag keys: `area.name` in lower case with hyphens, e.g. `finance.mushak-pdf-v2`.
FLAG_KEY_PATTERN = r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)+$"
# Any key the history can be filtered by: setting keys (with `_`) and flag keys.
ANY_KEY_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
MAX_VERSION = 2**31 - 1


def _printable(value: str) -> str:
    if any(ord(char) < 32 and char not in "\t\n\r" for char in value):
        raise ValueError("must not contain control characters")
    return value


SafeText = Annotated[str, AfterValidator(_printable)]
FlagKey = Annotated[str, Field(min_length=3, max_length=KEY_LENGTH, pattern=FLAG_KEY_PATTERN)]
SettingSource = Literal["tenant", "default"]
FlagReason = Literal["override", "disabled", "rollout", "not_in_rollout"]
ChangeKind = Literal["setting", "flag", "override"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# --- settings --------------------------------------------------------------------------------


class SettingOut(BaseModel):
    key: str
    value: Any
    default: Any
    source: SettingSource = Field(description="`tenant` when the tenant set the value, else `default`")
    version: int = Field(description="0 while never set; grows with every change (optimistic locking)")
    updated_at: dt.datetime | None = None
    updated_by: uuid.UUID | None = None


class SettingList(BaseModel):
    items: list[SettingOut]


class SettingUpdate(_Input):
    value: Any = Field(description="The new value; its type and rule are in GET /schema")
    expected_version: int | None = Field(
        default=None,
        ge=0,
        le=MAX_VERSION,
        description="Refuse the change (409 version_conflict) unless the setting is at this version",
    )


class LocalizedText(BaseModel):
    en: str
    bn: str


class SettingDefinitionOut(BaseModel):
    key: str
    group: str
    type: str
    default: Any
    choices: list[str] | None = None
    label: LocalizedText
    description: LocalizedText
    json_schema: dict[str, Any]


class SettingSchema(BaseModel):
    items: list[SettingDefinitionOut]


# --- feature flags -----------------------------------------------------------------------------


class FlagCreate(_Input):
    key: FlagKey
    description: Annotated[SafeText, Field(min_length=1, max_length=500)]
    description_bn: Annotated[SafeText, Field(min_length=1, max_length=500)] | None = None
    enabled: bool = False
    rollout_percentage: int = Field(default=100, ge=0, le=100)


class FlagPatch(_Input):
    description: Annotated[SafeText, Field(min_length=1, max_length=500)] | None = None
    description_bn: Annotated[SafeText, Field(min_length=1, max_length=500)] | None = None
    enabled: bool | None = None
    rollout_percentage: int | None = Field(default=None, ge=0, le=100)
    expected_version: int | None = Field(default=None, ge=0, le=MAX_VERSION)


class FlagEvaluationOut(BaseModel):
    key: str
    enabled: bool
    reason: FlagReason
    bucket: int | None = Field(default=None, description="0-99 rollout bucket, when the rollout decided")
    subject: str | None = None


class FlagOut(BaseModel):
    key: str
    description: str
    description_bn: str | None
    enabled: bool
    rollout_percentage: int
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    updated_by: uuid.UUID | None
    override: bool | None = Field(description="This tenant's override (null: none)")
    evaluation: FlagEvaluationOut = Field(description="The flag's state for this tenant")


class OverrideSet(_Input):
    enabled: bool


class OverrideOut(BaseModel):
    flag_key: str
    enabled: bool
    version: int
    updated_at: dt.datetime
    updated_by: uuid.UUID | None


# --- history -----------------------------------------------------------------------------------


class ChangeOut(BaseModel):
    id: uuid.UUID
    kind: ChangeKind
    key: str
    action: str
    old_value: Any
    new_value: Any
    version: int | None
    actor: uuid.UUID | None
    changed_at: dt.datetime
    tenant_id: uuid.UUID | None = Field(description="null for platform-wide flag changes")
