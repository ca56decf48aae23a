"""Events the configuration service publishes (it consumes none)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel

from vextrus.kit.service import Consumer, Topic


class SettingUpdated(BaseModel):
    """A tenant's setting changed (set, changed or reset to its default)."""

    tenant_id: uuid.UUID
    key: str
    old_value: Any
    new_value: Any
    source: Literal["tenant", "default"]
    version: int
    action: Literal["updated", "reset"]
    actor: uuid.UUID | None


class FieldChange(BaseModel):
    old: Any
    new: Any


class FlagUpdated(BaseModel):
    """A feature flag was created or changed, or a tenant's override of it was set or removed."""

    flag_key: str
    action: Literal["created", "updated", "override_set", "override_removed"]
    changes: dict[str, FieldChange]
    tenant_id: uuid.UUID | None = None
    version: int
    actor: uuid.UUID | None


SETTING_UPDATED = Topic(
    "configuration.setting.updated",
    SettingUpdated,
    "A tenant setting changed; subject is the setting row id. Consumers drop cached copies.",
)
FLAG_UPDATED = Topic(
    "configuration.flag.updated",
    FlagUpdated,
    "A feature flag definition or a tenant override changed; subject is the flag key.",
)

PUBLISHES: tuple[Topic, ...] = (SETTING_UPDATED, FLAG_UPDATED)
HANDLERS: tuple[Consumer, ...] = ()
