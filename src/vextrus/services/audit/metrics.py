"""Business metrics of the audit service."""

from __future__ import annotations

from vextrus.kit.metrics import counter, histogram

EVENTS = counter("audit_events_total", "Events recorded in the audit trail, by event type (topic)", ["type"])
VERIFY_DURATION = histogram(
    "audit_chain_verify_duration_seconds",
    "Time to recompute one tenant's hash chain (GET /api/v1/audit/verify)",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)
VERIFY_BROKEN = counter("audit_chain_broken_total", "Chain verifications that found a broken link")
PURGED = counter("audit_records_purged_total", "Records archived and purged after their retention")
