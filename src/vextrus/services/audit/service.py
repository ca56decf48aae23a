"""Business logic of the audit service: appending to a tenant's hash chain, queries, verification,
retention (archive, checkpoint, purge). No HTTP here; SQL lives in the repository."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.db import Database, after_commit
from vextrus.kit.errors import invalid_field, not_found
from vextrus.kit.events.envelope import Envelope
from vextrus.kit.models import new_id, utcnow
from vextrus.kit.pagination import Page, PageRequest, paginate
from vextrus.kit.tenancy import acting_as, cross_tenant, require_tenant_id
from vextrus.services.audit import metrics
from vextrus.services.audit import repository as repo
from vextrus.services.audit.chain import (
    CHECKPOINT_TYPE,
    GENESIS,
    BrokenLink,
    ChainFields,
    ChainWalker,
    canonical_json,
    entity_of,
    fields_of,
    format_time,
)
from vextrus.services.audit.models import (
    ACTOR_LENGTH,
    ENTITY_TYPE_LENGTH,
    SOURCE_LENGTH,
    SUBJECT_LENGTH,
    TRACE_LENGTH,
    TYPE_LENGTH,
    AuditRecord,
    ChainHead,
    RetentionPolicy,
)
from vextrus.services.audit.schemas import AuditEventOut, BrokenLinkOut, PurgeOut, RetentionOut, VerifyOut
from vextrus.services.audit.settings import AuditSettings

if TYPE_CHECKING:
    from vextrus.kit.runtime import Runtime

log = structlog.get_logger("vextrus.audit")

# Events that belong to no tenant (platform-wide definitions, tokens whose tenant is unknown) are
# recorded in the chain of this reserved tenant id.
PLATFORM_TENANT = uuid.UUID(int=0)
SERVICE_SOURCE = "/vextrus/audit"
_LOCKED_HEADS = "audit_locked_heads"
CSV_COLUMNS = (
    "seq", "id", "event_id", "type", "source", "actor", "subject", "entity_type", "entity_id",
    "occurred_at", "recorded_at", "trace", "payload", "prev_hash", "hash",
)  # fmt: skip


def _clip(value: str | None, length: int) -> str | None:
    return None if value is None else value[:length]


@dataclass(frozen=True)
class Entry:
    """What one audit record says, before it is chained."""

    event_id: str
    type: str
    source: str
    actor: str | None
    subject: str | None
    entity_type: str | None
    entity_id: str | None
    occurred_at: dt.datetime
    trace: str | None
    payload: dict[str, Any]


def entry_of(envelope: Envelope) -> Entry:
    entity_type, entity_id = entity_of(envelope.type, envelope.subject)
    trace = envelope.traceparent if envelope.traceparent and len(envelope.traceparent) <= TRACE_LENGTH else None
    return Entry(
        event_id=envelope.id[:64],
        type=envelope.type[:TYPE_LENGTH],
        source=envelope.source[:SOURCE_LENGTH],
        actor=_clip(envelope.actor, ACTOR_LENGTH),
        subject=_clip(envelope.subject, SUBJECT_LENGTH),
        entity_type=_clip(entity_type, ENTITY_TYPE_LENGTH),
        entity_id=_clip(entity_id, SUBJECT_LENGTH),
        occurred_at=envelope.time if envelope.time.tzinfo else envelope.time.replace(tzinfo=dt.UTC),
        trace=trace,
        payload=envelope.data,
    )


async def append(session: AsyncSession, tenant_id: uuid.UUID, entry: Entry) -> AuditRecord:
    """Chain ``entry`` to the tenant's last record. Locks the tenant's head until the commit, so
    concurrent appends of one tenant queue up and the chain never forks."""
    heads: dict[uuid.UUID, ChainHead] = session.info.setdefault(_LOCKED_HEADS, {})
    head = heads.get(tenant_id)
    if head is None:  # locked once per transaction; later appends in it reuse the row
        head = heads[tenant_id] = await repo.lock_head(session, tenant_id)
    record = AuditRecord(
        id=new_id(),
        tenant_id=tenant_id,
        seq=head.last_seq + 1,
        event_id=entry.event_id,
        type=entry.type,
        source=entry.source,
        actor=entry.actor,
        subject=entry.subject,
        entity_type=entry.entity_type,
        entity_id=entry.entity_id,
        occurred_at=entry.occurred_at,
        recorded_at=utcnow(),
        trace=entry.trace,
        payload=canonical_json(entry.payload),
        prev_hash=head.last_hash,
        hash="",
    )
    record.hash = fields_of(record).digest()
    session.add(record)
    head.last_seq, head.last_hash, head.updated_at = record.seq, record.hash, record.recorded_at
    after_commit(session, metrics.EVENTS.labels(entry.type).inc)
    return record


async def record_envelope(envelope: Envelope, session: AsyncSession) -> None:
    """The handler of every topic: one record per event (an event already recorded is skipped)."""
    tenant_id = envelope.tenantid or PLATFORM_TENANT
    if envelope.tenantid is None:
        await repo.set_rls_tenant(session, PLATFORM_TENANT)
    if await repo.has_event(session, tenant_id, envelope.id[:64]):
        return  # a replay that bypassed the inbox: the trail keeps one record per event
    await append(session, tenant_id, entry_of(envelope))


# -- queries --------------------------------------------------------------------------------------


def check_range(occurred_from: dt.datetime | None, occurred_to: dt.datetime | None) -> None:
    if occurred_from is not None and occurred_to is not None and occurred_from >= occurred_to:
        raise invalid_field("query.from", "must be before 'to'", "'to'-এর আগে হতে হবে")


async def list_events(session: AsyncSession, where: repo.EventFilter, page: PageRequest) -> Page[AuditEventOut]:
    check_range(where.occurred_from, where.occurred_to)
    return await paginate(session, repo.records(where), [AuditRecord.seq], page, AuditEventOut.of, descending=True)


async def get_event(session: AsyncSession, record_id: uuid.UUID) -> AuditEventOut:
    record = await repo.get(session, record_id)
    if record is None:
        raise not_found("AuditEvent", record_id, "অডিট ঘটনা")
    return AuditEventOut.of(record)


async def export_csv(
    database: Database, tenant_id: uuid.UUID, where: repo.EventFilter, batch_size: int
) -> AsyncIterator[str]:
    """The matching records as CSV (oldest first), read in short transactions of ``batch_size``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    after = 0
    while True:
        with acting_as(tenant_id=tenant_id):
            async with database.transaction() as session:
                rows = await repo.batch(session, where, batch_size, after_seq=after)
        if not rows:
            return
        buffer.seek(0)
        buffer.truncate()
        for row in rows:
            writer.writerow(
                [
                    row.seq, row.id, row.event_id, row.type, row.source, row.actor or "", row.subject or "",
                    row.entity_type or "", row.entity_id or "", format_time(row.occurred_at),
                    format_time(row.recorded_at), row.trace or "", row.payload, row.prev_hash, row.hash,
                ]
            )  # fmt: skip
        yield buffer.getvalue()
        after = rows[-1].seq


# -- verification ---------------------------------------------------------------------------------


async def verify(database: Database, tenant_id: uuid.UUID, batch_size: int) -> VerifyOut:
    """Recompute the tenant's chain up to its head as it was when verification began."""
    started = time.perf_counter()
    with acting_as(tenant_id=tenant_id):
        async with database.transaction() as session:
            chain_head = await repo.head(session, tenant_id)
            low, _ = await repo.seq_bounds(session, tenant_id)
            last_seq = chain_head.last_seq if chain_head else 0
            head_hash = chain_head.last_hash if chain_head else GENESIS
            start_prev: str | None = GENESIS
            if low is not None and low > 1:
                start_prev = await repo.checkpoint_hash(session, tenant_id, low - 1)
        walker = ChainWalker(start_prev or GENESIS, low or 1)
        if low is None and last_seq > 0:
            walker.broken = _missing_checkpoint(last_seq)
        elif low is not None and start_prev is None:
            walker.broken = _missing_checkpoint(low - 1)
        after = (low or 1) - 1
        while walker.broken is None and after < last_seq:
            async with database.transaction() as session:
                rows = await repo.chain_batch(session, tenant_id, after, last_seq, batch_size)
            if not rows:
                break
            for row in rows:
                if not walker.feed(row):
                    break
            after = rows[-1].seq
        if walker.broken is None and (walker.expected_seq - 1 != last_seq or walker.expected_prev != head_hash):
            walker.broken = _head_mismatch(walker, last_seq, head_hash)
    elapsed = time.perf_counter() - started
    metrics.VERIFY_DURATION.observe(elapsed)
    if walker.broken is not None:
        metrics.VERIFY_BROKEN.inc()
        log.warning("audit_chain_broken", tenant=str(tenant_id), seq=walker.broken.seq, reason=walker.broken.reason)
    broken = walker.broken
    return VerifyOut(
        ok=broken is None,
        records_checked=walker.checked,
        first_seq=low,
        last_seq=last_seq,
        head_hash=head_hash,
        starts_after_checkpoint=bool(low and low > 1),
        broken=None if broken is None else BrokenLinkOut(**broken.__dict__),
        duration_ms=round(elapsed * 1000, 3),
    )


def _missing_checkpoint(seq: int) -> BrokenLink:
    return BrokenLink(seq, None, "missing_checkpoint", "a checkpoint covering the purged records", None)


def _head_mismatch(walker: ChainWalker, last_seq: int, head_hash: str) -> BrokenLink:
    """The records end before the head says (records at the end are missing)."""
    found = f"{walker.expected_seq - 1}:{walker.expected_prev}"
    return BrokenLink(walker.expected_seq, None, "head_mismatch", f"{last_seq}:{head_hash}", found)


# -- retention ------------------------------------------------------------------------------------


async def get_retention(session: AsyncSession, settings: AuditSettings) -> RetentionOut:
    found = await repo.policy(session)
    if found is None:
        return RetentionOut(retention_days=settings.default_retention_days, default=True, updated_at=None)
    return RetentionOut(retention_days=found.retention_days, default=False, updated_at=found.updated_at)


async def set_retention(session: AsyncSession, settings: AuditSettings, days: int, actor: uuid.UUID) -> RetentionOut:
    if days < settings.min_retention_days:
        minimum = settings.min_retention_days
        raise invalid_field("body.retention_days", f"must be at least {minimum}", f"কমপক্ষে {minimum} হতে হবে")
    found = await repo.policy(session)
    now = utcnow()
    if found is None:
        found = RetentionPolicy(tenant_id=require_tenant_id(), retention_days=days, updated_by=actor, updated_at=now)
        session.add(found)
    else:
        found.retention_days, found.updated_by, found.updated_at = days, actor, now
    await session.flush()
    return RetentionOut(retention_days=days, default=False, updated_at=now)


def _archive(tenant_id: uuid.UUID, rows: list[Any], cutoff: dt.datetime) -> bytes:
    document = {
        "kind": "vextrus.audit.archive",
        "serialization": 1,
        "tenant_id": str(tenant_id),
        "from_seq": rows[0].seq,
        "through_seq": rows[-1].seq,
        "cutoff": format_time(cutoff),
        "records": [
            {**{key: value for key, value in _chain_dict(fields_of(row)).items()}, "hash": row.hash} for row in rows
        ],
    }
    return canonical_json(document).encode("utf-8")


def _chain_dict(fields: ChainFields) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(fields.canonical())
    return result


async def purge_tenant(runtime: Runtime, tenant_id: uuid.UUID, actor: uuid.UUID | None = None) -> PurgeOut:
    """Archive (to the file service), checkpoint and delete the tenant's records past retention,
    oldest first, ``purge_batch_size`` per step. Records are purged only as a prefix of the chain:
    the first record still within retention stops the purge."""
    from vextrus.services.files.client import FilesClient, as_files_user

    settings = runtime.settings_of(AuditSettings)
    database = runtime.database
    purged, archives, checkpoints = 0, [], []
    with acting_as(tenant_id=tenant_id):
        async with database.transaction() as session:
            found = await repo.policy(session)
        days = found.retention_days if found else settings.default_retention_days
        cutoff = utcnow() - dt.timedelta(days=days)
        while True:
            async with database.transaction() as session:
                low, _ = await repo.seq_bounds(session, tenant_id)
                recent = await repo.first_recent_seq(session, tenant_id, cutoff)
                chain_head = await repo.head(session, tenant_id)
                if low is None or chain_head is None:
                    break
                through = min(
                    (recent - 1) if recent is not None else chain_head.last_seq, low + settings.purge_batch_size - 1
                )
                if through < low:
                    break
                rows = list(await repo.chain_batch(session, tenant_id, low - 1, through, settings.purge_batch_size))
            if not rows:
                break
            content = _archive(tenant_id, rows, cutoff)
            stored = await FilesClient(runtime).store(
                content,
                name=f"audit-archive-{rows[0].seq}-{rows[-1].seq}.json",
                content_type="application/json",
                principal=as_files_user(tenant_id, actor or PLATFORM_TENANT),
                entity_type="audit.archive",
                entity_id=str(tenant_id),
            )
            async with database.transaction() as session:
                low_now, _ = await repo.seq_bounds(session, tenant_id)
                if low_now != low:
                    break  # another purge ran meanwhile
                checkpoint = await append(
                    session,
                    tenant_id,
                    Entry(
                        event_id=str(new_id()),
                        type=CHECKPOINT_TYPE,
                        source=SERVICE_SOURCE,
                        actor=str(actor) if actor else None,
                        subject=str(tenant_id),
                        entity_type="audit.chain",
                        entity_id=str(tenant_id),
                        occurred_at=utcnow(),
                        trace=None,
                        payload={
                            "purged_from_seq": rows[0].seq,
                            "purged_through_seq": rows[-1].seq,
                            "purged_through_hash": rows[-1].hash,
                            "records": len(rows),
                            "archive_file_id": str(stored.id),
                            "archive_sha256": hashlib.sha256(content).hexdigest(),
                            "cutoff": format_time(cutoff),
                            "retention_days": days,
                        },
                    ),
                )
                deleted = await repo.delete_through(session, tenant_id, rows[-1].seq)
            metrics.PURGED.inc(deleted)
            purged += deleted
            archives.append(stored.id)
            checkpoints.append(checkpoint.seq)
            log.info(
                "audit_purged", tenant=str(tenant_id), through=rows[-1].seq, records=deleted, archive=str(stored.id)
            )
    return PurgeOut(purged=purged, archives=archives, checkpoint_seqs=checkpoints, cutoff=cutoff)


async def purge_all(runtime: Runtime) -> int:
    """The retention purge of every tenant (the periodic job); returns records purged."""
    with cross_tenant():
        async with runtime.database.transaction() as session:
            tenants = await repo.tenants_with_records(session)
    total = 0
    for tenant_id in tenants:
        try:
            total += (await purge_tenant(runtime, tenant_id)).purged
        except Exception:
            log.exception("audit_purge_failed", tenant=str(tenant_id))
    return total
