"""The event envelope: CloudEvents 1.0 attributes plus tenant, actor, trace and schema version."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from vextrus.kit.models import new_id, utcnow


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    specversion: str = "1.0"
    id: str = Field(default_factory=lambda: str(new_id()))
    source: str
    type: str
    subject: str | None = None
    time: dt.datetime = Field(default_factory=utcnow)
    datacontenttype: str = "application/json"
    dataschemaversion: int = 1
    tenantid: uuid.UUID | None = None
    actor: str | None = None
    traceparent: str | None = None
    data: dict[str, Any]

    @property
    def topic(self) -> str:
        return self.type
