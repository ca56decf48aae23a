"""The hash chain: canonical serialization of a record and its hash (pure functions).

Each tenant's records form one chain ordered by ``seq`` (1, 2, 3 ...). A record's hash is

    hash = lowercase hex SHA-256 of the UTF-8 bytes of canonical_json(fields)

where ``canonical_json`` is JSON with keys sorted, no insignificant whitespace (separators ``,``
and ``:``), non-ASCII characters written as themselves (not ``\\u`` escapes), and ``fields`` is
this object (every key always present, ``null`` when absent):

    {"v": 1,                          # version of this serialization
     "tenant_id": "<uuid, lower-case, hyphenated>",
     "seq": <integer>,
     "prev_hash": "<64 hex: the previous record's hash; GENESIS for seq 1>",
     "id": "<record uuid>",
     "event_id": "<the event's id>",
     "type": "<topic, e.g. master-data.customer.created>",
     "source": "<CloudEvents source>",
     "actor": <string|null>, "subject": <string|null>,
     "entity_type": <string|null>, "entity_id": <string|null>,
     "occurred_at": "<UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ (always 6 fraction digits)>",
     "recorded_at": "<same format>",
     "trace": <string|null>,
     "payload": "<the stored payload text itself, as a JSON string>"}

The payload is stored as canonical JSON text and enters the hash as that string, so a verifier in
any language needs no JSON number formatting rules beyond its own string escaping.

The first record a tenant still holds after a purge links to the hash carried by the checkpoint
record that the purge appended (``purged_through_hash``), so the chain stays verifiable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

SERIALIZATION_VERSION = 1
GENESIS = "0" * 64
CHECKPOINT_TYPE = "audit.chain.checkpoint"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def format_time(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime in the audit chain")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class ChainFields:
    tenant_id: uuid.UUID
    seq: int
    prev_hash: str
    id: uuid.UUID
    event_id: str
    type: str
    source: str
    actor: str | None
    subject: str | None
    entity_type: str | None
    entity_id: str | None
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    trace: str | None
    payload: str

    def canonical(self) -> str:
        return canonical_json(
            {
                "v": SERIALIZATION_VERSION,
                "tenant_id": str(self.tenant_id),
                "seq": self.seq,
                "prev_hash": self.prev_hash,
                "id": str(self.id),
                "event_id": self.event_id,
                "type": self.type,
                "source": self.source,
                "actor": self.actor,
                "subject": self.subject,
                "entity_type": self.entity_type,
                "entity_id": self.entity_id,
                "occurred_at": format_time(self.occurred_at),
                "recorded_at": format_time(self.recorded_at),
                "trace": self.trace,
                "payload": self.payload,
            }
        )

    def digest(self) -> str:
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()


def fields_of(record: Any) -> ChainFields:
    """The chained fields of a stored record (anything with the record's attributes)."""
    return ChainFields(
        tenant_id=record.tenant_id,
        seq=record.seq,
        prev_hash=record.prev_hash,
        id=record.id,
        event_id=record.event_id,
        type=record.type,
        source=record.source,
        actor=record.actor,
        subject=record.subject,
        entity_type=record.entity_type,
        entity_id=record.entity_id,
        occurred_at=record.occurred_at,
        recorded_at=record.recorded_at,
        trace=record.trace,
        payload=record.payload,
    )


@dataclass(frozen=True)
class BrokenLink:
    seq: int
    record_id: uuid.UUID | None
    reason: str  # hash_mismatch | prev_hash_mismatch | gap | missing_checkpoint | head_mismatch
    expected: str | None
    found: str | None


class ChainWalker:
    """Checks records fed in ``seq`` order; remembers the first broken link."""

    def __init__(self, first_prev_hash: str, first_seq: int) -> None:
        self.expected_prev = first_prev_hash
        self.expected_seq = first_seq
        self.checked = 0
        self.broken: BrokenLink | None = None

    def feed(self, record: Any) -> bool:
        """Check one record; False once the chain is broken (stop feeding)."""
        if self.broken is not None:
            return False
        if record.seq != self.expected_seq:
            self.broken = BrokenLink(self.expected_seq, None, "gap", str(self.expected_seq), str(record.seq))
            return False
        if record.prev_hash != self.expected_prev:
            self.broken = BrokenLink(record.seq, record.id, "prev_hash_mismatch", self.expected_prev, record.prev_hash)
            return False
        computed = fields_of(record).digest()
        if computed != record.hash:
            self.broken = BrokenLink(record.seq, record.id, "hash_mismatch", computed, record.hash)
            return False
        self.checked += 1
        self.expected_prev = record.hash
        self.expected_seq = record.seq + 1
        return True


def entity_of(topic: str, subject: str | None) -> tuple[str | None, str | None]:
    """``service.entity.action`` about ``subject`` -> (``service.entity``, subject)."""
    parts = topic.split(".")
    if len(parts) < 3 or not subject:
        return None, subject
    return f"{parts[0]}.{parts[1]}", subject
