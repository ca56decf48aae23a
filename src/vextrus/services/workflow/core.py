"""What every part of the workflow engine shares: JSON columns, parsed definition versions, the
unit of work (:class:`Ctx`: one transaction, its time, and what to start once it commits) and the
history records."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.db import after_commit
from vextrus.kit.errors import not_found
from vextrus.kit.models import new_id
from vextrus.services.workflow.definitions import (
    DefinitionSpec,
)
from vextrus.services.workflow.engine import Effects, WorkflowEngine
from vextrus.services.workflow.models import Definition, HistoryEntry, Instance, Task
from vextrus.services.workflow.repository import (
    DefinitionRepository,
    HistoryRepository,
)

# --- JSON ------------------------------------------------------------------------------------------


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


_SPECS: dict[uuid.UUID, DefinitionSpec] = {}


def spec_of(definition: Definition) -> DefinitionSpec:
    """The parsed spec of an (immutable) definition version, cached by id."""
    spec = _SPECS.get(definition.id)
    if spec is None:
        if len(_SPECS) > 2000:
            _SPECS.clear()
        spec = DefinitionSpec.model_validate_json(definition.spec)
        _SPECS[definition.id] = spec
    return spec


def dump_spec(spec: DefinitionSpec) -> str:
    return dump(spec.model_dump(mode="json", by_alias=True, exclude_none=True))


# --- the unit of work ----------------------------------------------------------------------------


@dataclass
class Ctx:
    """One transaction of the engine: its session, its time, and what to do once it commits."""

    session: AsyncSession
    engine: WorkflowEngine
    now: dt.datetime
    effects: Effects = field(default_factory=Effects)
    callbacks: list[Callable[[], None]] = field(default_factory=list)

    @classmethod
    def open(cls, session: AsyncSession, engine: WorkflowEngine, now: dt.datetime | None = None) -> Ctx:
        ctx = cls(session, engine, now or engine.now())
        after_commit(session, ctx._committed)
        return ctx

    def _committed(self) -> None:
        for callback in self.callbacks:
            callback()
        self.engine.dispatch(self.effects)


def record_history(
    ctx: Ctx,
    instance: Instance,
    action: str,
    *,
    actor: uuid.UUID | None,
    task: Task | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    step: int | None = None,
    comment: str | None = None,
    data: Any = None,
    key: str | None = None,
) -> HistoryEntry:
    entry = HistoryEntry(
        id=new_id(),
        instance_id=instance.id,
        task_id=task.id if task is not None else None,
        action=action,
        actor=actor,
        from_state=from_state,
        to_state=to_state,
        step=step if step is not None else (task.step if task is not None else None),
        comment=comment,
        data=dump(data) if data is not None else None,
        idempotency_key=key,
        at=ctx.now,
    )
    HistoryRepository(ctx.session).add(entry)
    return entry


async def definition_spec(session: AsyncSession, instance: Instance) -> DefinitionSpec:
    definition = await DefinitionRepository(session).get(instance.definition_id)
    if definition is None:  # pragma: no cover - rows are never deleted
        raise not_found("Process definition", instance.definition_id)
    return spec_of(definition)
