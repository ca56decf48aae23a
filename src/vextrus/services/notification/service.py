"""Business logic of the notification service (no HTTP, no SQL strings).

Intake (:func:`intake`) turns an event or a direct request into a notification and one delivery
per recipient and channel, in the caller's transaction: nothing is sent here. The delivery worker
(:mod:`vextrus.services.notification.worker`) sends them. Idempotent per ``event_id``: a repeated
event or request finds the notification it created the first time.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.errors import AppError, invalid_field, not_found
from vextrus.kit.models import utcnow
from vextrus.kit.pagination import Page, PageRequest
from vextrus.kit.tenancy import Principal
from vextrus.services.notification import templates as tpl
from vextrus.services.notification.models import Delivery, InboxItem, Notification, Preference, Template
from vextrus.services.notification.repository import (
    DeliveryRepository,
    InboxRepository,
    NotificationRepository,
    PreferenceRepository,
    TemplateRepository,
)
from vextrus.services.notification.rules import next_digest_at, parse_hhmm, send_not_before
from vextrus.services.notification.schemas import (
    DeliveryOut,
    EventList,
    EventOut,
    InboxItemOut,
    InboxPage,
    NotificationOut,
    NotificationSummary,
    PreferenceIn,
    PreferenceOut,
    SendIn,
    TemplateIn,
    TemplateList,
    TemplateOut,
)

# Fields of event data never shown by the API (they stay only as long as delivery needs them).
SECRET_FIELDS = frozenset({"reset_token"})
MAX_DATA_BYTES = 64 * 1024


@dataclass(frozen=True)
class Recipient:
    user_id: uuid.UUID | None = None
    email: str | None = None
    phone: str | None = None
    role: str | None = None
    language: str | None = None  # a hint from the event (the user's own preference wins)


@dataclass(frozen=True)
class AttachmentRef:
    """A file fetched at send time: an API path of the platform (``/api/v1/files/<id>/content``)."""

    path: str
    name: str


@dataclass
class Request:
    event: str
    event_id: str
    source: str
    data: dict[str, Any]
    recipients: Sequence[Recipient]
    channels: Sequence[str] | None = None
    language: str | None = None
    priority: str = "normal"
    attachments: Sequence[AttachmentRef] = field(default_factory=tuple)
    requested_by: uuid.UUID | None = None


def _wants(preference: Preference | None, request: Request, default: Sequence[str]) -> list[str]:
    if request.channels:
        return list(dict.fromkeys(request.channels))
    if preference is not None and request.priority != "urgent":
        return [channel for channel in preference.channels.split(",") if channel]
    return list(default)


async def intake(session: AsyncSession, request: Request, now: dt.datetime | None = None) -> tuple[Notification, bool]:
    """The notification for ``request.event_id`` and whether it was created now (False: a repeat)."""
    moment = now or utcnow()
    notifications = NotificationRepository(session)
    existing = await notifications.by_event_id(request.event_id)
    if existing is not None:
        return existing, False
    spec = tpl.EVENTS.get(request.event)
    default_channels: Sequence[str] = spec.channels if spec else ("in_app", "email")
    notification = notifications.add(
        Notification(
            event_id=request.event_id,
            event=request.event,
            source=request.source,
            priority=request.priority,
            data=json.dumps(request.data, ensure_ascii=False, default=str),
            attachments=json.dumps([{"path": item.path, "name": item.name} for item in request.attachments])
            if request.attachments
            else None,
            requested_by=request.requested_by,
            created_at=moment,
        )
    )
    await session.flush()
    preferences = PreferenceRepository(session)
    deliveries = DeliveryRepository(session)
    for recipient in request.recipients:
        await _add_deliveries(preferences, deliveries, notification.id, recipient, request, default_channels, moment)
    await session.flush()
    return notification, True


async def _add_deliveries(
    preferences: PreferenceRepository,
    deliveries: DeliveryRepository,
    notification_id: uuid.UUID,
    recipient: Recipient,
    request: Request,
    default_channels: Sequence[str],
    moment: dt.datetime,
) -> int:
    """One delivery per channel the recipient gets (a user: by their preferences); how many."""
    rows: list[tuple[str, str | None]] = []  # (channel, address)
    preference: Preference | None = None
    if recipient.user_id is not None:
        preference = await preferences.of_user(recipient.user_id)
        for channel in _wants(preference, request, default_channels):
            address = None
            if channel == "email":
                address = recipient.email or (preference.email if preference else None)
            elif channel == "sms":
                address = recipient.phone or (preference.phone if preference else None)
            rows.append((channel, address))
    elif recipient.email is not None:
        rows.append(("email", recipient.email))
    elif recipient.phone is not None:
        rows.append(("sms", recipient.phone))
    elif recipient.role is not None:
        rows.append(("in_app", None))
    language = (
        request.language or (preference.language if preference is not None else None) or _language(recipient.language)
    )
    for channel, address in rows:
        status, due, digest = _schedule(moment, channel, request.priority, preference)
        deliveries.add(
            Delivery(
                notification_id=notification_id,
                channel=channel,
                user_id=recipient.user_id,
                role=recipient.role,
                address=address,
                language=language,
                status=status,
                digest=digest,
                attempts=0,
                next_attempt_at=due,
            )
        )
    return len(rows)


# Events whose role recipient is expanded, when delivered, into the users holding the role.
ROLE_FAN_OUT_EVENTS = frozenset({"workflow.task.assigned", "workflow.sla.breached"})


async def fan_out(
    session: AsyncSession,
    notification: Notification,
    role_delivery: Delivery,
    holders: Sequence[Recipient],
    now: dt.datetime | None = None,
) -> int:
    """Per-user deliveries of a role's notification, one set per holder (by their own preferences),
    remembering the role they got it through. Idempotent per notification and user: a holder who
    already has deliveries of this notification (a repeated expansion) gets none. How many were added."""
    moment = now or utcnow()
    deliveries = DeliveryRepository(session)
    served = {row.user_id for row in await deliveries.of_notification(notification.id) if row.user_id is not None}
    request = Request(
        event=notification.event,
        event_id=notification.event_id,
        source=notification.source,
        data={},
        recipients=(),
        priority=notification.priority,
    )
    spec = tpl.EVENTS.get(notification.event)
    default_channels: Sequence[str] = spec.channels if spec else ("in_app", "email")
    preferences = PreferenceRepository(session)
    added = 0
    for holder in holders:
        if holder.user_id is None or holder.user_id in served:
            continue
        served.add(holder.user_id)
        recipient = Recipient(user_id=holder.user_id, role=role_delivery.role, language=holder.language)
        added += await _add_deliveries(
            preferences, deliveries, notification.id, recipient, request, default_channels, moment
        )
    await session.flush()
    return added


def _language(value: str | None) -> str | None:
    if value is None:
        return None
    code = value.split("-", 1)[0].lower()
    return code if code in tpl.LANGUAGES else None


def _schedule(
    moment: dt.datetime, channel: str, priority: str, preference: Preference | None
) -> tuple[str, dt.datetime, bool]:
    """(status, first attempt, digest?) of a new delivery: at once, after quiet hours, or in the digest."""
    urgent = priority == "urgent"
    start = parse_hhmm(preference.quiet_start) if preference and preference.quiet_start else None
    end = parse_hhmm(preference.quiet_end) if preference and preference.quiet_end else None
    if preference is not None and preference.digest == "daily" and channel == "email" and not urgent:
        at = next_digest_at(moment, preference.digest_hour)
        later = send_not_before(at, urgent=False, channel=channel, start=start, end=end)
        return "digest", later or at, True
    deferred = send_not_before(moment, urgent=urgent, channel=channel, start=start, end=end)
    if deferred is not None:
        return "deferred", deferred, False
    return "pending", moment, False


# --- direct sending (API) -----------------------------------------------------------------------


async def send(session: AsyncSession, principal: Principal, body: SendIn) -> tuple[NotificationOut, bool]:
    if body.event not in tpl.EVENTS and not await TemplateRepository(session).of_event(body.event):
        raise invalid_field(
            "body.event",
            "unknown event: use a built-in event or save a template for it first",
            "অজানা ইভেন্ট: আগে এর জন্য একটি টেমপ্লেট সংরক্ষণ করুন",
            code="unknown_event",
        )
    if len(json.dumps(body.data, default=str).encode()) > MAX_DATA_BYTES:
        raise invalid_field(
            "body.data", f"larger than {MAX_DATA_BYTES} bytes", f"{MAX_DATA_BYTES} বাইটের বেশি", "too_large"
        )
    if body.event == "notification.message":
        for key in ("subject", "body"):
            if not isinstance(body.data.get(key), str) or not body.data[key].strip():
                raise invalid_field(
                    f"body.data.{key}", "a direct message needs text here", "সরাসরি বার্তায় এটি প্রয়োজন", "missing"
                )
    request = Request(
        event=body.event,
        event_id=body.event_id or f"api:{uuid.uuid4()}",
        source="api",
        data=body.data,
        recipients=[
            Recipient(user_id=item.user_id, email=item.email, phone=item.phone, role=item.role)
            for item in body.recipients
        ],
        channels=body.channels,
        language=body.language,
        priority=body.priority,
        attachments=[
            AttachmentRef(f"/api/v1/files/{item.file_id}/content", item.name or f"{item.file_id}")
            for item in body.attachments
        ],
        requested_by=principal.subject,
    )
    notification, created = await intake(session, request)
    return await notification_out(session, notification), created


async def notification_out(session: AsyncSession, notification: Notification) -> NotificationOut:
    deliveries = await DeliveryRepository(session).of_notification(notification.id)
    data = json.loads(notification.data or "{}")
    return NotificationOut(
        id=notification.id,
        event_id=notification.event_id,
        event=notification.event,
        source=notification.source,
        priority=notification.priority,
        created_at=notification.created_at,
        data={key: ("***" if key in SECRET_FIELDS else value) for key, value in data.items()},
        deliveries=[delivery_out(row) for row in deliveries],
    )


def delivery_out(row: Delivery) -> DeliveryOut:
    finished = row.status in ("sent", "failed", "expanded")
    return DeliveryOut(
        id=row.id,
        channel=cast(Any, row.channel),
        user_id=row.user_id,
        role=row.role,
        address=row.address,
        language=row.language,
        status=cast(Any, row.status),
        attempts=row.attempts,
        next_attempt_at=None if finished else row.next_attempt_at,
        error_reason=row.error_reason,
        error_detail=row.error_detail,
        provider_message_id=row.provider_message_id,
        sent_at=row.sent_at,
    )


async def get_notification(session: AsyncSession, notification_id: uuid.UUID) -> NotificationOut:
    notification = await NotificationRepository(session).get(notification_id)
    if notification is None:
        raise not_found("Notification", notification_id, "বিজ্ঞপ্তি")
    return await notification_out(session, notification)


async def list_notifications(session: AsyncSession, page: PageRequest, event: str | None) -> Page[NotificationSummary]:
    result = await NotificationRepository(session).page(page, event)
    return Page[NotificationSummary](
        items=[
            NotificationSummary(
                id=row.id,
                event_id=row.event_id,
                event=row.event,
                source=row.source,
                priority=row.priority,
                created_at=row.created_at,
            )
            for row in result.items
        ],
        next_cursor=result.next_cursor,
    )


# --- templates ----------------------------------------------------------------------------------


def events() -> EventList:
    return EventList(
        items=[
            EventOut(
                event=spec.event, description=spec.description, channels=list(spec.channels), priority=spec.priority
            )
            for spec in tpl.EVENTS.values()
        ]
    )


def _template_out(event: str, channel: str, language: str, wording: tpl.Wording, version: int | None) -> TemplateOut:
    """A template as the API shows it; ``version`` None: the built-in wording."""
    return TemplateOut(
        event=event,
        channel=cast(Any, channel),
        language=cast(Any, language),
        subject=wording.subject,
        body=wording.body,
        source="builtin" if version is None else "tenant",
        version=version or 0,
    )


async def templates_of(session: AsyncSession, event: str) -> TemplateList:
    own = {(row.channel, row.language): row for row in await TemplateRepository(session).of_event(event)}
    spec = tpl.EVENTS.get(event)
    if spec is None and not own:
        raise not_found("Event", event, "ইভেন্ট")
    items: list[TemplateOut] = []
    for channel, language in sorted(set(spec.wording if spec else ()) | set(own)):
        row = own.get((channel, language))
        if row is not None:
            items.append(_template_out(event, channel, language, tpl.Wording(row.subject, row.body), row.version))
        elif spec is not None:
            items.append(_template_out(event, channel, language, spec.wording[cast(Any, (channel, language))], None))
    return TemplateList(items=items)


async def put_template(
    session: AsyncSession,
    principal: Principal,
    event: str,
    channel: str,
    language: str,
    body: TemplateIn,
    max_chars: int,
) -> TemplateOut:
    if len(body.body) > max_chars:
        raise invalid_field("body.body", f"longer than {max_chars} characters", f"{max_chars} অক্ষরের বেশি", "too_long")
    if channel != "sms" and body.subject is None:
        raise invalid_field("body.subject", "e-mail and in-app messages need a subject", "বিষয় প্রয়োজন", "missing")
    for name, source in (("subject", body.subject), ("body", body.body)):
        if source is None:
            continue
        try:
            tpl.check(source)
        except tpl.TemplateProblem as error:
            raise invalid_field(
                f"body.{name}", f"template error: {error}", f"টেমপ্লেটে ত্রুটি: {error}", "template_error"
            ) from None
    repository = TemplateRepository(session)
    row = await repository.find(event, channel, language)
    if row is None:
        row = repository.add(Template(event=event, channel=channel, language=language, body=body.body, version=1))
    else:
        row.version += 1
    row.subject = None if channel == "sms" else body.subject
    row.body = body.body
    row.updated_by = principal.subject
    await session.flush()
    return _template_out(event, channel, language, tpl.Wording(row.subject, row.body), row.version)


async def delete_template(session: AsyncSession, event: str, channel: str, language: str) -> None:
    repository = TemplateRepository(session)
    row = await repository.find(event, channel, language)
    if row is None:
        raise not_found("Template", f"{event}/{channel}/{language}", "টেমপ্লেট")
    await repository.delete(row)


# --- preferences --------------------------------------------------------------------------------


def _preference_out(user_id: uuid.UUID, row: Preference | None) -> PreferenceOut:
    if row is None:
        return PreferenceOut(
            user_id=user_id,
            channels=["in_app", "email"],
            language=None,
            quiet_start=None,
            quiet_end=None,
            digest="off",
            digest_hour=18,
            email=None,
            phone=None,
            default=True,
        )
    return PreferenceOut(
        user_id=user_id,
        channels=cast(Any, [channel for channel in row.channels.split(",") if channel]),
        language=cast(Any, row.language),
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        digest=cast(Any, row.digest),
        digest_hour=row.digest_hour,
        email=row.email,
        phone=row.phone,
        default=False,
    )


async def get_preference(session: AsyncSession, user_id: uuid.UUID) -> PreferenceOut:
    return _preference_out(user_id, await PreferenceRepository(session).of_user(user_id))


async def put_preference(session: AsyncSession, user_id: uuid.UUID, body: PreferenceIn) -> PreferenceOut:
    repository = PreferenceRepository(session)
    row = await repository.of_user(user_id)
    if row is None:
        row = repository.add(Preference(user_id=user_id, channels=""))
    row.channels = ",".join(body.channels)
    row.language = body.language
    row.quiet_start, row.quiet_end = body.quiet_start, body.quiet_end
    row.digest, row.digest_hour = body.digest, body.digest_hour
    row.email, row.phone = body.email, body.phone
    await session.flush()
    return _preference_out(user_id, row)


# --- the in-app inbox ---------------------------------------------------------------------------


def _item_out(row: InboxItem) -> InboxItemOut:
    return InboxItemOut(
        id=row.id,
        notification_id=row.notification_id,
        event=row.event,
        title=row.title,
        body=row.body,
        link=row.link,
        role=row.role,
        read=row.read_at is not None,
        read_at=row.read_at,
        created_at=row.created_at,
    )


async def inbox(session: AsyncSession, principal: Principal, page: PageRequest, unread_only: bool) -> InboxPage:
    repository = InboxRepository(session)
    result = await repository.feed(principal.subject, principal.roles, page, unread_only)
    unread = await repository.unread(principal.subject, principal.roles)
    return InboxPage(items=[_item_out(row) for row in result.items], next_cursor=result.next_cursor, unread=unread)


async def mark_read(session: AsyncSession, principal: Principal, item_id: uuid.UUID, read: bool) -> InboxItemOut:
    row = await InboxRepository(session).mine(item_id, principal.subject, principal.roles)
    if row is None:
        raise not_found("Notification", item_id, "বিজ্ঞপ্তি")
    row.read_at = (row.read_at or utcnow()) if read else None
    await session.flush()
    return _item_out(row)


async def read_all(session: AsyncSession, principal: Principal) -> int:
    return await InboxRepository(session).read_all(principal.subject, principal.roles, utcnow())


def require_known_channel_language(channel: str, language: str) -> None:
    if channel not in tpl.CHANNELS:
        raise AppError(404, "not_found", f"Channel {channel} does not exist")
    if language not in tpl.LANGUAGES:
        raise AppError(404, "not_found", f"Language {language} is not supported (en, bn)")
