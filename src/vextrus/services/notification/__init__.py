"""Notification service (port 3003): tells people things by e-mail (SMTP), SMS (BulkSMSBD) and
in-app inbox; templates per event and language (English/Bengali), user preferences (channels,
language, quiet hours in Asia/Dhaka, daily digest), durable deliveries with retries and backoff,
idempotent per event id. Follows workflow tasks and SLA breaches, password resets and posted
invoices (the customer receives the Mushak-6.3 PDF)."""

from __future__ import annotations

from pathlib import Path

from vextrus.kit.service import ReadinessCheck, Service
from vextrus.services.notification import api, events, models
from vextrus.services.notification.seed import seed
from vextrus.services.notification.settings import NotificationSettings
from vextrus.services.notification.worker import on_start, on_stop, worker_check

service = Service(
    name="notification",
    port=3003,
    title="Notification service",
    description=(
        "E-mail (SMTP), SMS (BulkSMSBD) and in-app notifications from templates per event and language "
        "(English/Bengali); user preferences with quiet hours (Asia/Dhaka) and a daily digest; durable deliveries "
        "with retries and exponential backoff, status per recipient; follows workflow tasks and SLA breaches, "
        "password resets and posted invoices."
    ),
    router=api.router,
    metadata=models.Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    publishes=events.PUBLISHES,
    consumes=events.HANDLERS,
    checks=[ReadinessCheck("delivery_worker", worker_check)],
    permissions=api.PERMISSIONS,
    seed=seed,
    on_start=on_start,
    on_stop=on_stop,
    settings=NotificationSettings,
)

__all__ = ["service"]
