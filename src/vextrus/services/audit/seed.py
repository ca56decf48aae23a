"""Demo data: a short history in Meghna Construction Group's audit trail (a month of logins,
customer and vendor changes, an approval, a refused access), appended through the same chain as
live events, and the 7-year retention set explicitly. Everything the other services' seeds do
after this arrives as events and is audited live.

Idempotent: each demo record has a fixed event id and is appended only once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from vextrus.bd import DHAKA
from vextrus.demo import demo_id
from vextrus.kit.service import SeedContext
from vextrus.kit.tenancy import acting_as
from vextrus.services.audit import repository as repo
from vextrus.services.audit import service
from vextrus.services.audit.chain import entity_of
from vextrus.services.audit.models import RetentionPolicy

TENANT = "meghna-group"
SEVEN_YEARS_DAYS = 2557

# (days ago, Dhaka time, topic, actor user key, subject key, payload)
HISTORY: list[tuple[int, str, str, str | None, str, dict[str, Any]]] = [
    (30, "09:05", "auth.user.login", "meghna-accountant", "meghna-accountant",
     {"email": "shirin.akter@meghna.com.bd", "ip": "103.4.145.20", "method": "password+totp"}),
    (30, "09:40", "master-data.customer.created", "meghna-accountant", "customer:bashundhara",
     {"code": "CUST-0107", "name": "Bashundhara Housing Ltd.", "tin": "458796321045", "district": "Dhaka"}),
    (29, "11:15", "master-data.vendor.created", "meghna-procurement", "vendor:akij-cement",
     {"code": "VEND-0042", "name": "Akij Cement Company Ltd.", "bin": "000123456-0101", "district": "Narayanganj"}),
    (21, "15:30", "workflow.task.completed", "meghna-cfo", "task:po-2025-26-000042",
     {"document": "PO-2025-26-000042", "decision": "approved", "amount": "185000.00", "currency": "BDT"}),
    (14, "10:02", "platform.access.denied", "meghna-engineer", "meghna-engineer",
     {"reason": "missing_permission", "permission": "finance.invoice.post", "method": "POST",
      "route": "/api/v1/finance/invoices/{invoice_id}/post", "service": "gateway", "count": 1}),
    (7, "16:45", "master-data.customer.updated", "meghna-accountant", "customer:bashundhara",
     {"code": "CUST-0107", "changed": {"credit_limit": {"from": "5000000.00", "to": "7500000.00"}}}),
    (2, "08:55", "auth.user.login", "meghna-pm", "meghna-pm",
     {"email": "kamrul.hasan@meghna.com.bd", "ip": "103.4.145.31", "method": "password"}),
]  # fmt: skip


async def seed(ctx: SeedContext) -> None:
    tenant_id = demo_id("tenant", TENANT)
    today = dt.datetime.now(DHAKA).date()
    with acting_as(tenant_id=tenant_id):
        async with ctx.runtime.database.transaction() as session:
            if await repo.policy(session) is None:
                session.add(RetentionPolicy(tenant_id=tenant_id, retention_days=SEVEN_YEARS_DAYS))
            for days_ago, clock, topic, actor, subject_key, payload in HISTORY:
                event_id = str(demo_id("audit-event", f"{topic}:{days_ago}:{subject_key}"))
                if await repo.has_event(session, tenant_id, event_id):
                    continue
                hour, minute = (int(part) for part in clock.split(":"))
                day = today - dt.timedelta(days=days_ago)
                occurred = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=DHAKA)
                kind, _, key = subject_key.rpartition(":")
                subject = str(demo_id(kind or "user", key))
                entity_type, entity_id = entity_of(topic, subject)
                await service.append(
                    session,
                    tenant_id,
                    service.Entry(
                        event_id=event_id,
                        type=topic,
                        source=f"/vextrus/{topic.split('.', 1)[0]}",
                        actor=str(demo_id("user", actor)) if actor else None,
                        subject=subject,
                        entity_type=entity_type,
                        entity_id=entity_id,
                        occurred_at=occurred.astimezone(dt.UTC),
                        trace=None,
                        payload=payload,
                    ),
                )
