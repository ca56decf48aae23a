"""Preferences through the API: channels and language chosen by the user, quiet hours (Asia/Dhaka)
deferring e-mail and SMS to their end, the daily digest as one e-mail; templates per event and
language (sandboxed); the in-app inbox; metrics; the demo seed."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from notification_support import BASE, Notify

from vextrus.bd.clock import DHAKA
from vextrus.kit.service import SeedContext
from vextrus.services.notification import service as notification_service
from vextrus.services.notification.worker import worker_for

SELF = ("notification.self.manage",)
ADMIN = ("notification.preference.manage",)


async def _put(notify: Notify, tenant: uuid.UUID, user: uuid.UUID, body: dict[str, Any]) -> dict[str, Any]:
    response = await notify.client.put(f"{BASE}/preferences/{user}", json=body, headers=notify.headers(tenant, ADMIN))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_preferences_default_then_set_by_the_user(notify: Notify, tenant: uuid.UUID) -> None:
    user = uuid.uuid4()
    mine = notify.headers(tenant, SELF, subject=user)
    default = await notify.client.get(f"{BASE}/preferences/me", headers=mine)
    assert default.json()["default"] is True
    assert default.json()["channels"] == ["in_app", "email"]
    body = {"channels": ["sms", "in_app"], "language": "bn", "quiet_start": "22:00", "quiet_end": "07:00"}
    saved = await notify.client.put(f"{BASE}/preferences/me", json={**body, "phone": "01712345678"}, headers=mine)
    assert saved.status_code == 200, saved.text
    assert saved.json()["phone"] == "+8801712345678"
    seen = await notify.client.get(f"{BASE}/preferences/{user}", headers=notify.headers(tenant, ADMIN))
    assert (seen.json()["channels"], seen.json()["language"], seen.json()["default"]) == (
        ["sms", "in_app"],
        "bn",
        False,
    )
    # an administrator may not read them without the permission; another tenant sees the defaults
    assert (await notify.client.get(f"{BASE}/preferences/{user}", headers=mine)).status_code == 403
    other = await notify.client.get(f"{BASE}/preferences/{user}", headers=notify.headers(uuid.uuid4(), ADMIN))
    assert other.json()["default"] is True


async def test_bad_preferences_are_refused(notify: Notify, tenant: uuid.UUID) -> None:
    mine = notify.headers(tenant, SELF)
    cases = [
        ({"channels": []}, "body.channels"),
        ({"channels": ["email", "email"]}, "body.channels"),
        ({"channels": ["pigeon"]}, "body.channels.0"),
        ({"channels": ["email"], "quiet_start": "25:00", "quiet_end": "07:00"}, "body.quiet_start"),
        ({"channels": ["email"], "quiet_start": "22:00"}, "body"),
        ({"channels": ["email"], "digest": "weekly"}, "body.digest"),
        ({"channels": ["email"], "digest_hour": 24}, "body.digest_hour"),
        ({"channels": ["sms"], "phone": "01112345678"}, "body.phone"),
    ]
    for body, field in cases:
        response = await notify.client.put(f"{BASE}/preferences/me", json=body, headers=mine)
        assert response.status_code == 422, (body, response.text)
        assert field in [error["field"] for error in response.json()["errors"]], (field, response.json())
    assert (await notify.client.get(f"{BASE}/preferences/me", headers=mine)).json()["default"] is True


async def test_quiet_hours_defer_email_and_sms_but_not_the_inbox(notify: Notify, tenant: uuid.UUID) -> None:
    user = uuid.uuid4()
    now = dt.datetime.now(DHAKA)
    start, end = (now - dt.timedelta(hours=1)).strftime("%H:%M"), (now + dt.timedelta(hours=2)).strftime("%H:%M")
    await _put(
        notify,
        tenant,
        user,
        {
            "channels": ["in_app", "email", "sms"],
            "quiet_start": start,
            "quiet_end": end,
            "email": "quiet@meghna.com.bd",
            "phone": "01711000111",
        },
    )
    response = await notify.send(
        tenant, {"recipients": [{"user_id": str(user)}], "data": {"subject": "Night pour", "body": "Pour at 2 am."}}
    )
    body = await notify.settle(
        tenant, response.json()["id"], lambda b: any(d["status"] == "sent" for d in b["deliveries"])
    )
    by_channel = {d["channel"]: d for d in body["deliveries"]}
    assert by_channel["in_app"]["status"] == "sent"
    for channel in ("email", "sms"):
        assert by_channel[channel]["status"] == "deferred"
        until = dt.datetime.fromisoformat(by_channel[channel]["next_attempt_at"]).astimezone(DHAKA)
        assert until.strftime("%H:%M") == end
        assert dt.timedelta(hours=1) < until - now <= dt.timedelta(hours=2, minutes=1)
    assert notify.mailbox.to("quiet@meghna.com.bd") == []


async def test_the_users_language_and_channels_are_used(notify: Notify, tenant: uuid.UUID) -> None:
    user = uuid.uuid4()
    await _put(notify, tenant, user, {"channels": ["email"], "language": "bn", "email": "bn@meghna.com.bd"})
    response = await notify.send(
        tenant,
        {
            "event": "workflow.sla.breached",
            "recipients": [{"user_id": str(user)}],
            "data": {
                "task_id": str(uuid.uuid4()),
                "business_key": "PO-2025-26-000045",
                "step": "finance-approval",
                "due_at": "2025-11-20T10:00:00+00:00",
                "on_timeout": "escalate",
            },
        },
    )
    body = await notify.settle(tenant, response.json()["id"])
    assert [(d["channel"], d["language"], d["status"]) for d in body["deliveries"]] == [("email", "bn", "sent")]
    [message] = notify.mailbox.to("bn@meghna.com.bd")
    assert message["Subject"] == "সময় পেরিয়ে গেছে: PO-2025-26-000045 (finance-approval)"
    assert "২০২৫-১১-২০ ১৬:০০" in message.get_content()  # 10:00 UTC is 16:00 in Dhaka, in Bengali digits


async def test_a_daily_digest_sends_one_email(notify: Notify, tenant: uuid.UUID) -> None:
    user = uuid.uuid4()
    await _put(
        notify,
        tenant,
        user,
        {"channels": ["email"], "digest": "daily", "digest_hour": 18, "email": "cfo@meghna.com.bd"},
    )
    ids = []
    for number in ("PO-1", "PO-2", "PO-3"):
        response = await notify.send(
            tenant,
            {"recipients": [{"user_id": str(user)}], "data": {"subject": f"{number} approved", "body": f"{number} ok"}},
        )
        ids.append(response.json()["id"])
    waiting = await notify.notification(tenant, ids[0])
    [delivery] = waiting["deliveries"]
    due = dt.datetime.fromisoformat(delivery["next_attempt_at"]).astimezone(DHAKA)
    assert (delivery["status"], due.hour, due.minute) == ("digest", 18, 0)
    # the worker at the digest's time (its clock moved forward, as a test does)
    await worker_for(notify.runtime).run_once(due.astimezone(dt.UTC) + dt.timedelta(seconds=1))
    for notification_id in ids:
        body = await notify.settle(tenant, notification_id)
        assert [d["status"] for d in body["deliveries"]] == ["sent"]
    [message] = notify.mailbox.to("cfo@meghna.com.bd")
    assert message["Subject"] == "Your Vextrus digest: 3 notifications"
    text = message.get_content()
    assert "1. PO-1 approved" in text
    assert "3. PO-3 approved" in text


async def test_tenant_templates_override_and_stay_sandboxed(notify: Notify, tenant: uuid.UUID) -> None:
    write = notify.headers(tenant, ("notification.template.write", "notification.template.read"))
    path = f"{BASE}/templates/notification.message/email/en"
    saved = await notify.client.put(
        path, json={"subject": "[Meghna] {{ subject }}", "body": "{{ body }}\n-- Meghna Group"}, headers=write
    )
    assert saved.status_code == 200, saved.text
    assert (saved.json()["source"], saved.json()["version"]) == ("tenant", 1)
    listed = await notify.client.get(f"{BASE}/templates/notification.message", headers=write)
    sources = {(item["channel"], item["language"]): item["source"] for item in listed.json()["items"]}
    assert sources[("email", "en")] == "tenant"
    assert sources[("email", "bn")] == "builtin"
    response = await notify.send(
        tenant, {"recipients": [{"email": "tpl@meghna.com.bd"}], "data": {"subject": "Hello", "body": "Hi"}}
    )
    await notify.settle(tenant, response.json()["id"])
    [message] = notify.mailbox.to("tpl@meghna.com.bd")
    assert message["Subject"] == "[Meghna] Hello"
    assert message.get_content().strip().endswith("-- Meghna Group")

    broken = await notify.client.put(path, json={"subject": "x", "body": "{% for %}"}, headers=write)
    assert broken.status_code == 422
    assert broken.json()["errors"][0]["field"] == "body.body"
    # the sandbox: no way out of the data through Python attributes
    escape = await notify.client.put(path, json={"subject": "x", "body": "{{ body.__class__.__mro__ }}"}, headers=write)
    assert escape.status_code == 200
    response = await notify.send(
        tenant, {"recipients": [{"email": "sandbox@meghna.com.bd"}], "data": {"subject": "s", "body": "b"}}
    )
    body = await notify.settle(tenant, response.json()["id"])
    assert [(d["status"], d["error_reason"]) for d in body["deliveries"]] == [("failed", "template_error")]
    assert notify.mailbox.to("sandbox@meghna.com.bd") == []
    assert (await notify.client.delete(path, headers=write)).status_code == 204
    assert (await notify.client.delete(path, headers=write)).status_code == 404
    events = await notify.client.get(f"{BASE}/events", headers=write)
    assert "finance.invoice.posted" in [item["event"] for item in events.json()["items"]]


async def test_the_inbox_reads_and_counts(notify: Notify, tenant: uuid.UUID) -> None:
    user = uuid.uuid4()
    ids = []
    for title in ("Cement delivered", "Rod delivered"):
        response = await notify.send(
            tenant,
            {"recipients": [{"user_id": str(user)}], "channels": ["in_app"], "data": {"subject": title, "body": title}},
        )
        ids.append(response.json()["id"])
    for notification_id in ids:
        await notify.settle(tenant, notification_id)
    mine = notify.headers(tenant, ("notification.inbox.read",), subject=user)
    inbox = (await notify.client.get(f"{BASE}/inbox", headers=mine)).json()
    assert ([item["title"] for item in inbox["items"]], inbox["unread"]) == (["Rod delivered", "Cement delivered"], 2)
    first = inbox["items"][0]["id"]
    read = await notify.client.post(f"{BASE}/inbox/{first}/read", headers=mine)
    assert read.json()["read"] is True
    unread = (await notify.client.get(f"{BASE}/inbox", params={"unread": "true"}, headers=mine)).json()
    assert ([item["title"] for item in unread["items"]], unread["unread"]) == (["Cement delivered"], 1)
    # someone else's item is not found
    stranger = notify.headers(tenant, ("notification.inbox.read",))
    assert (await notify.client.post(f"{BASE}/inbox/{first}/read", headers=stranger)).status_code == 404
    assert (await notify.client.post(f"{BASE}/inbox/{first}/unread", headers=mine)).json()["read"] is False
    assert (await notify.client.post(f"{BASE}/inbox/read-all", headers=mine)).json() == {"marked": 2}
    assert (await notify.client.get(f"{BASE}/inbox", headers=mine)).json()["unread"] == 0


async def test_the_business_metrics_are_exposed(notify: Notify, tenant: uuid.UUID) -> None:
    response = await notify.send(
        tenant, {"recipients": [{"email": "metrics@meghna.com.bd"}], "data": {"subject": "s", "body": "b"}}
    )
    await notify.settle(tenant, response.json()["id"])
    text = (await notify.client.get("/metrics")).text
    assert 'notifications_sent_total{channel="email"}' in text
    assert "notification_delivery_seconds_bucket" in text
    assert "notifications_failed_total" in text


async def test_the_demo_seed_is_idempotent(notify: Notify) -> None:
    from vextrus.demo import DEMO_TENANTS

    tenant = DEMO_TENANTS[0]
    cfo = next(user for user in tenant.users if user.key == "meghna-cfo")
    assert notification_service.seed is not None
    for _ in range(2):
        await notification_service.seed(SeedContext(notify.runtime))
    listing = await notify.notifications_of(tenant.id, "workflow.task.assigned")
    assert sorted(item["event_id"] for item in listing) == ["demo:MR-2025-26-000112", "demo:PO-2025-26-000045"]
    for item in listing:
        await notify.settle(tenant.id, item["id"])
    inbox = await notify.client.get(
        f"{BASE}/inbox", headers=notify.headers(tenant.id, ("notification.inbox.read",), subject=cfo.id)
    )
    assert [item["title"] for item in inbox.json()["items"]] == ["Approval needed: PO-2025-26-000045"]
    preferences = await notify.client.get(f"{BASE}/preferences/{cfo.id}", headers=notify.headers(tenant.id, ADMIN))
    assert (preferences.json()["digest"], preferences.json()["quiet_start"]) == ("daily", "22:00")
