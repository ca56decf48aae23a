"""The delivery worker: sends what intake queued in ``ntf_deliveries`` (a durable outbox).

Each pass claims due deliveries across tenants in one short transaction (leased, ``attempts``
incremented: the one place this service reads several tenants' rows, like the kit's outbox relay),
then works each one *as its tenant* with no transaction open while talking to the outside world:
the recipient's address and language from the auth service (``runtime.clients``), the attachments
from file storage, the message through SMTP or the SMS gateway. The outcome is recorded in a
second transaction: ``sent``; ``retrying`` after an exponential backoff; or ``failed`` (a permanent
error, or ``max_attempts`` used). A process that dies mid-send leaves the row ``sending`` until its
lease expires; it is then claimed again.

Started by the service's ``on_start`` hook and stopped by ``on_stop``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import json
import time
import uuid
import weakref
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import structlog

from vextrus.kit.errors import AppError
from vextrus.kit.models import utcnow
from vextrus.kit.tenancy import Principal, acting_as, cross_tenant
from vextrus.services.notification import metrics
from vextrus.services.notification import templates as tpl
from vextrus.services.notification.channels import (
    Attachment,
    DeliveryFailed,
    Email,
    SmsProvider,
    SmtpSender,
    sms_provider,
)
from vextrus.services.notification.models import Delivery, InboxItem, Notification
from vextrus.services.notification.repository import (
    DeliveryRepository,
    InboxRepository,
    NotificationRepository,
    TemplateRepository,
    claim_due,
)
from vextrus.services.notification.rules import backoff_seconds
from vextrus.services.notification.service import ROLE_FAN_OUT_EVENTS, Recipient, fan_out
from vextrus.services.notification.settings import NotificationSettings

if TYPE_CHECKING:
    from vextrus.kit.runtime import Runtime

log = structlog.get_logger("vextrus.notification.worker")

# The principal the worker acts as towards other services (per tenant, minimal permissions).
SERVICE_SUBJECT = uuid.uuid5(uuid.NAMESPACE_URL, "vextrus:service:notification")
LOOKUP_PERMISSIONS = frozenset({"auth.user.read"})
ATTACHMENT_PERMISSIONS = frozenset({"files.file.read", "documents.document.read", "finance.invoice.read"})
ROLE_PAGE_SIZE = 100  # users per page asked of the auth service when expanding a role
ATTACHMENT_SERVICES = {"files": "files", "documents": "documents", "finance": "finance"}


@dataclass(frozen=True)
class Profile:
    email: str | None
    phone: str | None
    language: str | None
    name: str | None


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    link: str | None


class DeliveryWorker:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings_of(NotificationSettings)
        self.smtp = SmtpSender(self.settings)
        self.sms: SmsProvider = sms_provider(self.settings)
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    # --- lifecycle ------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self.settings.worker_enabled and not self.running:
            self._task = asyncio.get_running_loop().create_task(
                self._loop(), name="notification-delivery-worker", context=contextvars.Context()
            )

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            try:
                worked = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery_worker_failed")
                worked = 0
            if not worked:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.settings.worker_poll_seconds)

    # --- one pass -------------------------------------------------------------------------------

    async def run_once(self, now: dt.datetime | None = None) -> int:
        """Claim and work the due deliveries; how many were claimed."""
        moment = now or utcnow()
        with cross_tenant():
            async with self.runtime.database.transaction() as session:
                rows = await claim_due(session, moment, self.settings.lease_seconds, self.settings.worker_batch_size)
                claimed = [(row.id, row.tenant_id, row.digest, row.user_id, row.channel) for row in rows]
        digests: dict[tuple[uuid.UUID, uuid.UUID | None, str], list[uuid.UUID]] = defaultdict(list)
        single: list[tuple[uuid.UUID, uuid.UUID]] = []
        for delivery_id, tenant_id, digest, user_id, channel in claimed:
            if digest and user_id is not None:
                digests[(tenant_id, user_id, channel)].append(delivery_id)
            else:
                single.append((delivery_id, tenant_id))
        gate = asyncio.Semaphore(self.settings.worker_concurrency)

        async def work(delivery_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
            async with gate:
                with acting_as(tenant_id=tenant_id):
                    await self._work(delivery_id)

        await asyncio.gather(*(work(delivery_id, tenant_id) for delivery_id, tenant_id in single))
        for (tenant_id, _user, _channel), ids in digests.items():
            with acting_as(tenant_id=tenant_id):
                await self._work_digest(ids)
        return len(claimed)

    async def _work(self, delivery_id: uuid.UUID) -> None:
        async with self.runtime.database.transaction() as session:
            row = await DeliveryRepository(session).get(delivery_id)
            if row is None or row.status != "sending":
                return
            notification = await NotificationRepository(session).get(row.notification_id)
            overrides = await _overrides(session, notification)
            snapshot = _Snapshot.of(row, notification)
        started = time.perf_counter()
        fans_out = snapshot.user_id is None and snapshot.role is not None and snapshot.event in ROLE_FAN_OUT_EVENTS
        try:
            if fans_out and await self._fan_out(snapshot):
                return
            if notification is None:
                raise DeliveryFailed("notification_missing", "the notification was deleted", transient=False)
            profile = await self._profile(snapshot)
            language = _language(snapshot.language or (profile.language if profile else None))
            message = _compose(snapshot, overrides, language, profile)
            if snapshot.channel == "in_app":
                await self._to_inbox(snapshot, message, started)
                return
            provider_id = await self._send(snapshot, profile, [message], language)
        except DeliveryFailed as failure:
            await self._failed([delivery_id], snapshot.channel, failure)
            return
        except Exception as error:  # a bug must not hold the row until every lease ends, forever
            log.exception("delivery_crashed", delivery_id=str(delivery_id))
            await self._failed([delivery_id], snapshot.channel, _internal(error))
            return
        await self._sent([delivery_id], snapshot.channel, provider_id, started)

    async def _work_digest(self, claimed: list[uuid.UUID]) -> None:
        """One e-mail for a user's digest: every delivery waiting in it, the claimed ones first."""
        async with self.runtime.database.transaction() as session:
            deliveries = DeliveryRepository(session)
            first = await deliveries.get(claimed[0])
            if first is None or first.user_id is None:
                return
            rows = [row for row in [await deliveries.get(ident) for ident in claimed] if row is not None]
            for extra in await deliveries.digest_batch(first.user_id, first.channel, first.id):
                if extra.id not in claimed:
                    extra.status, extra.attempts = "sending", extra.attempts + 1
                    rows.append(extra)
            parts: list[tuple[_Snapshot, dict[tuple[str, str], Any]]] = []
            for row in rows:
                notification = await NotificationRepository(session).get(row.notification_id)
                parts.append((_Snapshot.of(row, notification), await _overrides(session, notification)))
        ids = [part[0].id for part in parts]
        head = parts[0][0]
        started = time.perf_counter()
        try:
            profile = await self._profile(head)
            language = _language(head.language or (profile.language if profile else None))
            items = [_compose(snapshot, overrides, language, profile) for snapshot, overrides in parts]
            digest = _render_wording(
                "notification.digest",
                {},
                head.channel,
                language,
                {"items": [{"subject": item.subject, "body": item.body} for item in items]},
            )
            provider_id = await self._send(head, profile, [digest], language)
        except DeliveryFailed as failure:
            await self._failed(ids, head.channel, failure)
            return
        except Exception as error:
            log.exception("digest_crashed", deliveries=len(ids))
            await self._failed(ids, head.channel, _internal(error))
            return
        await self._sent(ids, head.channel, provider_id, started)

    # --- steps ----------------------------------------------------------------------------------

    async def _profile(self, snapshot: _Snapshot) -> Profile | None:
        """The recipient's address and language from the auth service (users only, when needed)."""
        if snapshot.user_id is None:
            return None
        needs_address = snapshot.channel in ("email", "sms") and snapshot.address is None
        if not needs_address and snapshot.language is not None and snapshot.channel == "in_app":
            return None
        principal = Principal(subject=SERVICE_SUBJECT, tenant_id=snapshot.tenant_id, permissions=LOOKUP_PERMISSIONS)
        try:
            response = await self.runtime.clients.request(
                "auth", "GET", f"/api/v1/auth/users/{snapshot.user_id}", principal=principal
            )
        except AppError as error:
            raise DeliveryFailed("recipient_lookup", f"auth: {error.code}", transient=True) from None
        if response.status_code == 404:
            if needs_address:
                raise DeliveryFailed("unknown_recipient", f"user {snapshot.user_id} does not exist", transient=False)
            return None
        if response.status_code >= 400:
            raise DeliveryFailed("recipient_lookup", f"auth answered {response.status_code}", transient=True)
        body = response.json()
        return Profile(
            email=body.get("email"),
            phone=body.get("phone"),
            language=body.get("preferred_language"),
            name=body.get("full_name"),
        )

    async def _fan_out(self, snapshot: _Snapshot) -> bool:
        """Expand a role's delivery into per-user deliveries of the users holding the role now
        (active, assignment not expired; paged from the auth service), at most
        ``role_fan_out_max_users``. False when nobody holds the role: the caller then puts the
        item in the role's shared inbox, where whoever gets the role later still sees it."""
        cap = self.settings.role_fan_out_max_users
        holders, capped = await self._holders(snapshot.tenant_id, snapshot.role or "", cap)  # DeliveryFailed: retried
        if not holders:
            return False
        async with self.runtime.database.transaction() as session:
            row = await DeliveryRepository(session).get(snapshot.id)
            notification = await NotificationRepository(session).get(snapshot.notification_id)
            if row is None or row.status != "sending" or notification is None:
                return True
            added = await fan_out(session, notification, row, holders)
            row.status, row.sent_at, row.lease_until = "expanded", utcnow(), None
            row.error_reason = "fan_out_capped" if capped else None
            row.error_detail = (
                f"role {snapshot.role} has more than {cap} active users: the first {cap} were notified"
                if capped
                else None
            )
        metrics.ROLE_FAN_OUT_USERS.observe(len(holders))
        if capped:
            metrics.ROLE_FAN_OUT_CAPPED.inc()
            log.warning("role_fan_out_capped", role=snapshot.role, users=len(holders), cap=cap)
        if added:
            self.wake()
        return True

    async def _holders(self, tenant_id: uuid.UUID, role: str, cap: int) -> tuple[list[Recipient], bool]:
        """The active users holding ``role`` (at most ``cap``) and whether there were more."""
        principal = Principal(subject=SERVICE_SUBJECT, tenant_id=tenant_id, permissions=LOOKUP_PERMISSIONS)
        found: list[Recipient] = []
        cursor: str | None = None
        while True:
            params = {"role": role, "status": "active", "limit": str(min(ROLE_PAGE_SIZE, cap + 1 - len(found)))}
            if cursor is not None:
                params["cursor"] = cursor
            try:
                response = await self.runtime.clients.request(
                    "auth", "GET", "/api/v1/auth/users", principal=principal, params=params
                )
            except AppError as error:
                raise DeliveryFailed("recipient_lookup", f"auth: {error.code}", transient=True) from None
            if response.status_code == 422:  # not a role key the auth service accepts: nobody holds it
                return [], False
            if response.status_code >= 400:
                raise DeliveryFailed("recipient_lookup", f"auth answered {response.status_code}", transient=True)
            body = response.json()
            for item in body["items"]:
                found.append(Recipient(user_id=uuid.UUID(item["id"]), language=item.get("preferred_language")))
            cursor = body.get("next_cursor")
            if len(found) > cap:
                return found[:cap], True
            if cursor is None:
                return found, False

    async def _send(self, snapshot: _Snapshot, profile: Profile | None, messages: list[Message], language: str) -> str:
        message = messages[0]
        if snapshot.channel == "email":
            address = snapshot.address or (profile.email if profile else None)
            if not address:
                raise DeliveryFailed("no_address", "the recipient has no e-mail address", transient=False)
            attachments = tuple([await self._attachment(snapshot.tenant_id, item) for item in snapshot.attachments])
            return await self.smtp.send(
                Email(address, message.subject, message.body, attachments, reference=str(snapshot.id))
            )
        if snapshot.channel == "sms":
            from vextrus.bd.phone import normalize_mobile

            raw = snapshot.address or (profile.phone if profile else None)
            number = normalize_mobile(raw) if raw else None
            if not number:
                raise DeliveryFailed("no_address", "the recipient has no valid mobile number", transient=False)
            return await self.sms.send(number, message.body, str(snapshot.id))
        raise DeliveryFailed("channel_unknown", snapshot.channel, transient=False)

    async def _attachment(self, tenant_id: uuid.UUID, item: dict[str, str]) -> Attachment:
        path = item.get("path", "")
        parts = path.split("/")
        service = ATTACHMENT_SERVICES.get(parts[3]) if len(parts) > 4 and path.startswith("/api/v1/") else None
        if service is None:
            raise DeliveryFailed("attachment_invalid", f"not a platform file path: {path[:200]}", transient=False)
        principal = Principal(subject=SERVICE_SUBJECT, tenant_id=tenant_id, permissions=ATTACHMENT_PERMISSIONS)
        try:
            response = await self.runtime.clients.request(service, "GET", path, principal=principal)
        except AppError as error:
            raise DeliveryFailed("attachment_unavailable", f"{service}: {error.code}", transient=True) from None
        if response.status_code in (403, 404, 410):
            raise DeliveryFailed("attachment_missing", f"{path}: {response.status_code}", transient=False)
        if response.status_code >= 400:
            raise DeliveryFailed("attachment_unavailable", f"{path}: {response.status_code}", transient=True)
        if len(response.content) > self.settings.attachment_max_bytes:
            raise DeliveryFailed("attachment_too_large", f"{path}: {len(response.content)} bytes", transient=False)
        content_type = response.headers.get("content-type", "application/octet-stream").split(";")[0].strip()
        return Attachment(item.get("name") or parts[-1], content_type, response.content)

    async def _to_inbox(self, snapshot: _Snapshot, message: Message, started: float) -> None:
        async with self.runtime.database.transaction() as session:
            row = await DeliveryRepository(session).get(snapshot.id)
            if row is None or row.status != "sending":
                return
            InboxRepository(session).add(
                InboxItem(
                    notification_id=snapshot.notification_id,
                    delivery_id=snapshot.id,
                    user_id=snapshot.user_id,
                    role=snapshot.role if snapshot.user_id is None else None,  # a holder's own item
                    event=snapshot.event,
                    title=message.subject[:500],
                    body=message.body,
                    link=message.link,
                    created_at=row.created_at,  # the feed is in the order notifications were sent
                )
            )
            _mark_sent(row, None)
        metrics.SENT.labels("in_app").inc()
        metrics.DELIVERY_SECONDS.labels("in_app").observe(time.perf_counter() - started)

    async def _sent(self, ids: list[uuid.UUID], channel: str, provider_id: str, started: float) -> None:
        metrics.DELIVERY_SECONDS.labels(channel).observe(time.perf_counter() - started)
        async with self.runtime.database.transaction() as session:
            repository = DeliveryRepository(session)
            for ident in ids:
                row = await repository.get(ident)
                if row is not None:
                    _mark_sent(row, provider_id)
                    metrics.SENT.labels(channel).inc()

    async def _failed(self, ids: list[uuid.UUID], channel: str, failure: DeliveryFailed) -> None:
        now = utcnow()
        settings = self.settings
        async with self.runtime.database.transaction() as session:
            repository = DeliveryRepository(session)
            for ident in ids:
                row = await repository.get(ident)
                if row is None:
                    continue
                row.error_reason, row.error_detail, row.lease_until = failure.reason[:40], failure.detail[:4000], None
                if failure.transient and row.attempts < settings.max_attempts:
                    row.status = "retrying"
                    delay = backoff_seconds(row.attempts, settings.retry_base_seconds, settings.retry_max_seconds)
                    row.next_attempt_at = now + dt.timedelta(seconds=delay)
                    metrics.RETRIED.labels(channel, failure.reason).inc()
                else:
                    row.status = "failed"
                    metrics.FAILED.labels(channel, failure.reason).inc()
        log.warning(
            "delivery_failed", channel=channel, reason=failure.reason, transient=failure.transient, deliveries=len(ids)
        )


@dataclass(frozen=True)
class _Snapshot:
    """What a send needs from the delivery and its notification, read before any network call."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    notification_id: uuid.UUID
    channel: str
    user_id: uuid.UUID | None
    role: str | None
    address: str | None
    language: str | None
    event: str
    data: dict[str, Any]
    attachments: tuple[dict[str, str], ...]

    @classmethod
    def of(cls, row: Delivery, notification: Notification | None) -> _Snapshot:
        data = json.loads(notification.data) if notification is not None else {}
        attachments = json.loads(notification.attachments or "[]") if notification is not None else []
        return cls(
            id=row.id,
            tenant_id=row.tenant_id,
            notification_id=row.notification_id,
            channel=row.channel,
            user_id=row.user_id,
            role=row.role,
            address=row.address,
            language=row.language,
            event=notification.event if notification is not None else "",
            data=data if isinstance(data, dict) else {},
            attachments=tuple(attachments),
        )


async def _overrides(session: Any, notification: Notification | None) -> dict[tuple[str, str], Any]:
    if notification is None:
        return {}
    rows = await TemplateRepository(session).of_event(notification.event)
    return {(row.channel, row.language): tpl.Wording(row.subject, row.body) for row in rows}


def _language(value: str | None) -> str:
    code = (value or "en").split("-", 1)[0].lower()
    return code if code in tpl.LANGUAGES else "en"


def _render_wording(
    event: str, overrides: dict[tuple[str, str], Any], channel: str, language: str, data: dict[str, Any]
) -> Message:
    wording = (
        overrides.get((channel, language))
        or tpl.builtin(event, cast(Any, channel), cast(Any, language))
        or overrides.get((channel, "en"))
        or tpl.builtin("notification.message", cast(Any, channel), cast(Any, language))
    )
    if wording is None:  # pragma: no cover - notification.message covers every channel
        raise DeliveryFailed("template_missing", f"{event}/{channel}/{language}", transient=False)
    try:
        subject = tpl.render(wording.subject, data) if wording.subject else ""
        body = tpl.render(wording.body, data)
        spec = tpl.EVENTS.get(event)
        link = tpl.render(spec.link, data) if spec is not None and spec.link else None
    except tpl.TemplateProblem as error:
        raise DeliveryFailed("template_error", str(error)[:500], transient=False) from None
    return Message(subject or body[:80], body, link)


def _compose(
    snapshot: _Snapshot, overrides: dict[tuple[str, str], Any], language: str, profile: Profile | None
) -> Message:
    data = {"recipient_name": (profile.name if profile and profile.name else ""), **snapshot.data}
    return _render_wording(snapshot.event, overrides, snapshot.channel, language, data)


def _internal(error: Exception) -> DeliveryFailed:
    return DeliveryFailed("internal", f"{type(error).__name__}: {error}"[:500], transient=True)


def _mark_sent(row: Delivery, provider_id: str | None) -> None:
    row.status, row.sent_at, row.lease_until = "sent", utcnow(), None
    row.error_reason, row.error_detail = None, None
    row.provider_message_id = provider_id[:200] if provider_id else None


_WORKERS: weakref.WeakKeyDictionary[Runtime, DeliveryWorker] = weakref.WeakKeyDictionary()


def worker_for(runtime: Runtime) -> DeliveryWorker:
    worker = _WORKERS.get(runtime)
    if worker is None:
        worker = DeliveryWorker(runtime)
        _WORKERS[runtime] = worker
    return worker


async def on_start(runtime: Runtime) -> None:
    worker_for(runtime).start()


async def on_stop(runtime: Runtime) -> None:
    await worker_for(runtime).stop()


async def worker_check(runtime: Runtime) -> dict[str, Any]:
    """Readiness: the delivery worker runs in this process (or is switched off by settings)."""
    worker = worker_for(runtime)
    if not worker.settings.worker_enabled:
        return {"worker": "disabled"}
    if not worker.running:
        raise RuntimeError("the delivery worker is not running")
    return {"worker": "running"}
