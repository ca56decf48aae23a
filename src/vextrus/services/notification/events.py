"""Events the notification service follows. It publishes none.

Each handler only records the notification and its deliveries (in the consumer's transaction,
with the kit's inbox row): nothing is sent here, so a redelivered event has no second effect and
a slow SMTP server never holds a consumer. The envelope id is the notification's ``event_id``.

- ``workflow.task.assigned`` → the approver (a user: in-app and e-mail by default; a role: in-app
  for everyone holding it). The assignee is remembered for the task's SLA breach.
- ``workflow.sla.breached`` → the approver the task was assigned to.
- ``auth.password.reset_requested`` → that user, by e-mail, at once (urgent: no quiet hours).
- ``finance.invoice.posted`` → the customer's e-mail with the Mushak-6.3 PDF attached
  (:data:`INVOICE_CONSUMER`; registered once the finance service publishes the topic).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.events.envelope import Envelope
from vextrus.kit.service import Consumer, Topic
from vextrus.services.auth.events import PasswordResetRequested
from vextrus.services.notification.models import TaskAssignee
from vextrus.services.notification.repository import TaskAssigneeRepository
from vextrus.services.notification.service import AttachmentRef, Recipient, Request, intake
from vextrus.services.workflow.events import SlaBreached, TaskAssigned


async def on_task_assigned(envelope: Envelope, session: AsyncSession) -> None:
    payload = TaskAssigned.model_validate(envelope.data)
    assignees = TaskAssigneeRepository(session)
    known = await assignees.of_task(payload.task_id)
    if known is None:
        assignees.add(
            TaskAssignee(
                task_id=payload.task_id,
                user_id=payload.assignee_user_id,
                role=payload.assignee_role,
                business_key=payload.business_key,
                document_type=payload.document_type,
            )
        )
    else:  # delegated or escalated: the breach goes to whoever holds it now
        known.user_id, known.role = payload.assignee_user_id, payload.assignee_role
    recipient = _assignee(payload.assignee_user_id, payload.assignee_role)
    if recipient is None:
        return
    await intake(
        session,
        Request(
            event="workflow.task.assigned",
            event_id=envelope.id,
            source="event",
            data=payload.model_dump(mode="json"),
            recipients=[recipient],
        ),
    )


async def on_sla_breached(envelope: Envelope, session: AsyncSession) -> None:
    payload = SlaBreached.model_validate(envelope.data)
    known = await TaskAssigneeRepository(session).of_task(payload.task_id)
    recipient = _assignee(known.user_id, known.role) if known is not None else None
    await intake(
        session,
        Request(
            event="workflow.sla.breached",
            event_id=envelope.id,
            source="event",
            data=payload.model_dump(mode="json"),
            recipients=[recipient] if recipient is not None else [],
        ),
    )


async def on_password_reset(envelope: Envelope, session: AsyncSession) -> None:
    payload = PasswordResetRequested.model_validate(envelope.data)
    await intake(
        session,
        Request(
            event="auth.password.reset_requested",
            event_id=envelope.id,
            source="event",
            data=payload.model_dump(mode="json"),
            recipients=[Recipient(user_id=payload.user_id, email=payload.email, language=payload.preferred_language)],
            channels=["email"],
            priority="urgent",
        ),
    )


class _Customer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    name: str
    email: str | None = None


class InvoicePosted(BaseModel):
    """The fields of ``finance.invoice.posted`` this service reads (finance owns the full payload)."""

    model_config = ConfigDict(extra="ignore")

    invoice_id: uuid.UUID
    number: str
    customer: _Customer
    date: dt.date
    due_date: dt.date
    currency: str
    total: Decimal
    vat: Decimal
    mushak_63_path: str


async def on_invoice_posted(envelope: Envelope, session: AsyncSession) -> None:
    payload = InvoicePosted.model_validate(envelope.data)
    recipients = [Recipient(email=payload.customer.email)] if payload.customer.email else []
    await intake(
        session,
        Request(
            event="finance.invoice.posted",
            event_id=envelope.id,
            source="event",
            data=envelope.data,
            recipients=recipients,
            attachments=[AttachmentRef(payload.mushak_63_path, f"Mushak-6.3-{payload.number}.pdf".replace("/", "-"))],
        ),
    )


def _assignee(user_id: uuid.UUID | None, role: str | None) -> Recipient | None:
    if user_id is not None:
        return Recipient(user_id=user_id)
    if role is not None:
        return Recipient(role=role)
    return None


INVOICE_CONSUMER = Consumer("finance.invoice.posted", on_invoice_posted, "notification.invoice-posted")
TASK_ASSIGNED_CONSUMER = Consumer("workflow.task.assigned", on_task_assigned, "notification.task-assigned")

PUBLISHES: tuple[Topic, ...] = ()
HANDLERS: tuple[Consumer, ...] = (
    TASK_ASSIGNED_CONSUMER,
    Consumer("workflow.sla.breached", on_sla_breached, "notification.sla-breached"),
    Consumer("auth.password.reset_requested", on_password_reset, "notification.password-reset"),
    INVOICE_CONSUMER,
)
