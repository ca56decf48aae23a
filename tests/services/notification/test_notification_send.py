"""Sending directly through the API: e-mail to a real SMTP server, SMS to the BulkSMSBD API,
in-app to the inbox; idempotency per event id; status per recipient; validation."""

from __future__ import annotations

import uuid

from notification_support import BASE, Notify


async def test_an_email_reaches_the_smtp_server_with_bengali_text(notify: Notify, tenant: uuid.UUID) -> None:
    response = await notify.send(
        tenant,
        {
            "recipients": [{"email": "kamrul.hasan@meghna.com.bd"}],
            "data": {"subject": "সাইট পরিদর্শন আগামীকাল", "body": "বনানী প্রকল্পে সকাল ১০টায় পরিদর্শন।"},
        },
    )
    assert response.status_code == 201, response.text
    body = await notify.settle(tenant, response.json()["id"])
    [delivery] = body["deliveries"]
    assert (delivery["channel"], delivery["status"], delivery["attempts"]) == ("email", "sent", 1)
    assert delivery["provider_message_id"].startswith("<")
    [message] = [
        m for m in notify.mailbox.to("kamrul.hasan@meghna.com.bd") if m["X-Vextrus-Delivery"] == delivery["id"]
    ]
    assert message["Subject"] == "সাইট পরিদর্শন আগামীকাল"
    assert "বনানী প্রকল্পে" in message.get_content()
    assert "noreply@meghna.com.bd" in message["From"]


async def test_an_sms_goes_through_the_bulksmsbd_api(notify: Notify, tenant: uuid.UUID) -> None:
    response = await notify.send(
        tenant,
        {
            "recipients": [{"phone": "01712-345678"}],
            "language": "bn",
            "data": {"subject": "-", "body": "মেঘনা গ্রুপ: আপনার বিল অনুমোদিত হয়েছে।"},
        },
    )
    assert response.status_code == 201, response.text
    body = await notify.settle(tenant, response.json()["id"])
    [delivery] = body["deliveries"]
    assert delivery["status"] == "sent", delivery
    assert delivery["address"] == "+8801712345678"
    assert delivery["provider_message_id"].startswith("bsb-")
    sent = [item for item in notify.sms.to("8801712345678") if "বিল অনুমোদিত" in item["message"]]
    assert len(sent) == 1
    assert sent[0]["type"] == "unicode"
    assert sent[0]["senderid"] == "8809617000000"


async def test_an_invalid_number_answer_fails_at_once_and_an_internal_error_is_retried(
    notify: Notify, tenant: uuid.UUID
) -> None:
    notify.sms.script[:] = [1001]
    first = await notify.send(tenant, {"recipients": [{"phone": "01812345678"}], "data": {"subject": "a", "body": "b"}})
    failed = await notify.settle(tenant, first.json()["id"])
    [delivery] = failed["deliveries"]
    assert (delivery["status"], delivery["attempts"], delivery["error_reason"]) == ("failed", 1, "invalid_number")
    assert "1001" in delivery["error_detail"]

    notify.sms.script[:] = [1005, "http500"]
    second = await notify.send(
        tenant, {"recipients": [{"phone": "01912345678"}], "data": {"subject": "a", "body": "ok"}}
    )
    sent = await notify.settle(tenant, second.json()["id"])
    [delivery] = sent["deliveries"]
    assert (delivery["status"], delivery["attempts"]) == ("sent", 3)


async def test_retries_back_off_then_fail_for_good(notify: Notify, tenant: uuid.UUID) -> None:
    notify.mailbox.temporary_failures = 10
    try:
        response = await notify.send(
            tenant, {"recipients": [{"email": "retry@meghna.com.bd"}], "data": {"subject": "s", "body": "b"}}
        )
        body = await notify.settle(tenant, response.json()["id"])
    finally:
        notify.mailbox.temporary_failures = 0
    [delivery] = body["deliveries"]
    assert (delivery["status"], delivery["attempts"], delivery["error_reason"]) == ("failed", 3, "smtp_rejected")
    assert delivery["error_detail"].startswith("451")

    notify.mailbox.temporary_failures = 1
    response = await notify.send(
        tenant, {"recipients": [{"email": "retry2@meghna.com.bd"}], "data": {"subject": "s", "body": "b"}}
    )
    body = await notify.settle(tenant, response.json()["id"])
    assert [(d["status"], d["attempts"]) for d in body["deliveries"]] == [("sent", 2)]


async def test_a_refused_recipient_fails_without_retries(notify: Notify, tenant: uuid.UUID) -> None:
    notify.mailbox.refuse.add("gone@meghna.com.bd")
    response = await notify.send(
        tenant, {"recipients": [{"email": "gone@meghna.com.bd"}], "data": {"subject": "s", "body": "b"}}
    )
    body = await notify.settle(tenant, response.json()["id"])
    [delivery] = body["deliveries"]
    assert (delivery["status"], delivery["attempts"], delivery["error_reason"]) == ("failed", 1, "recipient_refused")


async def test_the_same_event_id_sends_once(notify: Notify, tenant: uuid.UUID) -> None:
    body = {
        "event_id": "PO-2025-26-000777:approved",
        "recipients": [{"email": "once@meghna.com.bd"}],
        "data": {"subject": "PO approved", "body": "PO-2025-26-000777 was approved."},
    }
    first = await notify.send(tenant, body)
    second = await notify.send(tenant, body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    await notify.settle(tenant, first.json()["id"])
    assert len(notify.mailbox.to("once@meghna.com.bd")) == 1


async def test_status_per_recipient(notify: Notify, tenant: uuid.UUID) -> None:
    notify.mailbox.refuse.add("bounce@meghna.com.bd")
    response = await notify.send(
        tenant,
        {
            "recipients": [{"email": "ok@meghna.com.bd"}, {"email": "bounce@meghna.com.bd"}, {"role": "site-engineer"}],
            "data": {"subject": "Concrete pour", "body": "Pour at 6 am."},
        },
    )
    body = await notify.settle(tenant, response.json()["id"])
    statuses = {(d["channel"], d["address"] or d["role"]): d["status"] for d in body["deliveries"]}
    assert statuses == {
        ("email", "ok@meghna.com.bd"): "sent",
        ("email", "bounce@meghna.com.bd"): "failed",
        ("in_app", "site-engineer"): "sent",
    }


async def test_bad_requests_are_refused_with_the_field(notify: Notify, tenant: uuid.UUID) -> None:
    cases = [
        ({"recipients": [], "data": {"subject": "s", "body": "b"}}, "body.recipients"),
        (
            {"recipients": [{"email": "not-an-address"}], "data": {"subject": "s", "body": "b"}},
            "body.recipients.0.email",
        ),
        ({"recipients": [{"phone": "01112345678"}], "data": {"subject": "s", "body": "b"}}, "body.recipients.0.phone"),
        ({"recipients": [{"email": "a@b.com.bd", "role": "x"}], "data": {}}, "body.recipients.0"),
        ({"recipients": [{"email": "a@b.com.bd"}], "data": {"subject": "s"}}, "body.data.body"),
        ({"event": "no.such.event", "recipients": [{"email": "a@b.com.bd"}]}, "body.event"),
        ({"recipients": [{"email": "a@b.com.bd"}], "channels": ["fax"], "data": {}}, "body.channels.0"),
    ]
    for body, field in cases:
        response = await notify.send(tenant, body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in [error["field"] for error in response.json()["errors"]], (field, response.json())
    listing = await notify.client.get(BASE, headers=notify.headers(tenant, ("notification.notification.read",)))
    assert listing.json()["items"] == []


async def test_another_tenants_notification_is_not_found(notify: Notify, tenant: uuid.UUID) -> None:
    response = await notify.send(
        tenant, {"recipients": [{"role": "accountant"}], "data": {"subject": "s", "body": "b"}}
    )
    other = await notify.client.get(f"{BASE}/{response.json()['id']}", headers=notify.headers(uuid.uuid4()))
    assert other.status_code == 404
    denied = await notify.client.post(
        BASE, json={"recipients": [{"role": "x"}]}, headers=notify.headers(tenant, ("notification.inbox.read",))
    )
    assert denied.status_code == 403
