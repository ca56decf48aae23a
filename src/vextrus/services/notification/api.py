"""REST API of the notification service: ``/api/v1/notifications/...`` (thin; logic in service.py)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from vextrus.kit.db import SessionDep, after_commit
from vextrus.kit.pagination import Page, PageRequest, page_request
from vextrus.kit.runtime import Runtime
from vextrus.kit.security import require
from vextrus.kit.tenancy import Principal
from vextrus.services.notification import service
from vextrus.services.notification.schemas import (
    EVENT_PATTERN,
    EventList,
    InboxItemOut,
    InboxPage,
    NotificationOut,
    NotificationSummary,
    PreferenceIn,
    PreferenceOut,
    ReadAllOut,
    SendIn,
    TemplateIn,
    TemplateList,
    TemplateOut,
)
from vextrus.services.notification.settings import NotificationSettings
from vextrus.services.notification.templates import Channel, Language
from vextrus.services.notification.worker import worker_for

PREFIX = "/api/v1/notifications"
router = APIRouter(prefix=PREFIX, tags=["notifications"])

PERMISSIONS = {
    "notification.notification.send": "Send notifications directly to users, roles or addresses",
    "notification.notification.read": "List notifications and see each recipient's delivery status",
    "notification.template.read": "Read the notifiable events and their message templates",
    "notification.template.write": "Change or reset the tenant's message templates",
    "notification.preference.manage": "Read and change other users' notification preferences",
    "notification.self.manage": "Read and change my own notification preferences",
    "notification.inbox.read": "Read my in-app notifications and mark them read",
}

EventPath = Annotated[str, Path(min_length=3, max_length=100, pattern=EVENT_PATTERN)]


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


# --- sending ------------------------------------------------------------------------------------


@router.post(
    "",
    response_model=NotificationOut,
    status_code=201,
    summary="Send a notification (201; 200 with the first one when event_id was already used)",
)
async def send(
    body: SendIn,
    session: SessionDep,
    request: Request,
    response: Response,
    principal: Principal = require("notification.notification.send"),
) -> NotificationOut:
    out, created = await service.send(session, principal, body)
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"{PREFIX}/{out.id}"
    if created:
        after_commit(session, worker_for(_runtime(request)).wake)
    return out


@router.get("", response_model=Page[NotificationSummary], summary="Notifications, newest first")
async def list_notifications(
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_request)],
    event: Annotated[str | None, Query(min_length=3, max_length=100, pattern=EVENT_PATTERN)] = None,
    principal: Principal = require("notification.notification.read"),
) -> Page[NotificationSummary]:
    return await service.list_notifications(session, page, event)


# --- templates ----------------------------------------------------------------------------------


@router.get("/events", response_model=EventList, summary="The notifiable events, their channels and priority")
async def list_events(principal: Principal = require("notification.template.read")) -> EventList:
    return service.events()


@router.get("/templates/{event}", response_model=TemplateList, summary="An event's templates (tenant's or built-in)")
async def get_templates(
    event: EventPath, session: SessionDep, principal: Principal = require("notification.template.read")
) -> TemplateList:
    return await service.templates_of(session, event)


@router.put(
    "/templates/{event}/{channel}/{language}",
    response_model=TemplateOut,
    summary="Set the tenant's wording of an event for a channel and language (Jinja2, sandboxed)",
)
async def put_template(
    event: EventPath,
    channel: Channel,
    language: Language,
    body: TemplateIn,
    session: SessionDep,
    request: Request,
    principal: Principal = require("notification.template.write"),
) -> TemplateOut:
    settings = _runtime(request).settings_of(NotificationSettings)
    return await service.put_template(session, principal, event, channel, language, body, settings.max_template_chars)


@router.delete("/templates/{event}/{channel}/{language}", status_code=204, summary="Back to the built-in wording")
async def delete_template(
    event: EventPath,
    channel: Channel,
    language: Language,
    session: SessionDep,
    principal: Principal = require("notification.template.write"),
) -> Response:
    await service.delete_template(session, event, channel, language)
    return Response(status_code=204)


# --- preferences --------------------------------------------------------------------------------


@router.get("/preferences/me", response_model=PreferenceOut, summary="My notification preferences")
async def get_my_preferences(
    session: SessionDep, principal: Principal = require("notification.self.manage")
) -> PreferenceOut:
    return await service.get_preference(session, principal.subject)


@router.put("/preferences/me", response_model=PreferenceOut, summary="Set my channels, language, quiet hours, digest")
async def put_my_preferences(
    body: PreferenceIn, session: SessionDep, principal: Principal = require("notification.self.manage")
) -> PreferenceOut:
    return await service.put_preference(session, principal.subject, body)


@router.get("/preferences/{user_id}", response_model=PreferenceOut, summary="A user's notification preferences")
async def get_preferences(
    user_id: uuid.UUID, session: SessionDep, principal: Principal = require("notification.preference.manage")
) -> PreferenceOut:
    return await service.get_preference(session, user_id)


@router.put("/preferences/{user_id}", response_model=PreferenceOut, summary="Set a user's notification preferences")
async def put_preferences(
    user_id: uuid.UUID,
    body: PreferenceIn,
    session: SessionDep,
    principal: Principal = require("notification.preference.manage"),
) -> PreferenceOut:
    return await service.put_preference(session, user_id, body)


# --- in-app inbox -------------------------------------------------------------------------------


@router.get("/inbox", response_model=InboxPage, summary="My in-app notifications, newest first, with the unread count")
async def get_inbox(
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_request)],
    unread: Annotated[bool, Query(description="Only unread ones")] = False,
    principal: Principal = require("notification.inbox.read"),
) -> InboxPage:
    return await service.inbox(session, principal, page, unread)


@router.post("/inbox/read-all", response_model=ReadAllOut, summary="Mark all my in-app notifications read")
async def read_all(session: SessionDep, principal: Principal = require("notification.inbox.read")) -> ReadAllOut:
    return ReadAllOut(marked=await service.read_all(session, principal))


@router.post("/inbox/{item_id}/read", response_model=InboxItemOut, summary="Mark one in-app notification read")
async def mark_read(
    item_id: uuid.UUID, session: SessionDep, principal: Principal = require("notification.inbox.read")
) -> InboxItemOut:
    return await service.mark_read(session, principal, item_id, True)


@router.post("/inbox/{item_id}/unread", response_model=InboxItemOut, summary="Mark one in-app notification unread")
async def mark_unread(
    item_id: uuid.UUID, session: SessionDep, principal: Principal = require("notification.inbox.read")
) -> InboxItemOut:
    return await service.mark_read(session, principal, item_id, False)


# --- one notification (after the fixed paths) ---------------------------------------------------


@router.get("/{notification_id}", response_model=NotificationOut, summary="A notification and its deliveries")
async def get_notification(
    notification_id: uuid.UUID, session: SessionDep, principal: Principal = require("notification.notification.read")
) -> NotificationOut:
    return await service.get_notification(session, notification_id)
