"""The events the service follows, produced by the real services: a password reset asked at the
auth service, workflow tasks assigned to a person or a role and their SLA breach; a posted invoice
(finance's event, delivered through the kit's consumer machinery) mailed with its Mushak-6.3 PDF."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from notification_support import AUTH, BASE, Notify

from vextrus.kit.events.consumers import DeliveryContext
from vextrus.kit.events.envelope import Envelope
from vextrus.services.notification.events import INVOICE_CONSUMER, TASK_ASSIGNED_CONSUMER

WORKFLOWS = "/api/v1/workflows"


def _task_definition(assignee: dict[str, Any], sla_hours: float = 48) -> dict[str, Any]:
    return {
        "document_type": "site-report",
        "name": "Site report sign-off",
        "initial": "review",
        "states": [
            {
                "name": "review",
                "kind": "task",
                "assignee": assignee,
                "sla": {"hours": sla_hours, "on_timeout": "notify"},
            },
            {"name": "done", "kind": "final", "outcome": "completed"},
        ],
        "transitions": [{"action": "sign", "from": ["review"], "to": "done"}],
    }


async def _start_process(notify: Notify, tenant: uuid.UUID, key: str, spec: dict[str, Any], business_key: str) -> None:
    defined = await notify.client.post(
        f"{WORKFLOWS}/definitions", json={"key": key, "spec": spec}, headers=notify.headers(tenant)
    )
    assert defined.status_code == 201, defined.text
    started = await notify.client.post(
        f"{WORKFLOWS}/instances",
        json={"definition": key, "business_key": business_key, "document": {}},
        headers=notify.headers(tenant),
    )
    assert started.status_code == 201, started.text


async def _inbox(notify: Notify, tenant: uuid.UUID, user: uuid.UUID, roles: tuple[str, ...] = ()) -> dict[str, Any]:
    response = await notify.client.get(
        f"{BASE}/inbox", headers=notify.headers(tenant, ("notification.inbox.read",), subject=user, roles=roles)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_password_reset_mails_the_user_at_once_in_their_language(notify: Notify) -> None:
    slug = f"padma-{uuid.uuid4().hex[:6]}"
    address = f"mamun-{slug}@padmadevelopers.com.bd"
    tenant, user = await notify.signup(slug, address, preferred_language="bn", full_name="আব্দুল্লাহ আল মামুন")
    # quiet hours around the clock: a reset is urgent and never waits
    quiet = await notify.client.put(
        f"{BASE}/preferences/me",
        json={"channels": ["in_app"], "quiet_start": "00:00", "quiet_end": "23:59"},
        headers=notify.headers(tenant, ("notification.self.manage",), subject=user),
    )
    assert quiet.status_code == 200, quiet.text
    asked = await notify.client.post(f"{AUTH}/password/reset-request", json={"email": address, "tenant": slug})
    assert asked.status_code == 202, asked.text
    [summary] = await notify.notifications_of(tenant, "auth.password.reset_requested")
    body = await notify.settle(tenant, summary["id"])
    [delivery] = body["deliveries"]
    assert (delivery["channel"], delivery["status"], delivery["address"]) == ("email", "sent", address)
    assert body["priority"] == "urgent"
    assert body["data"]["reset_token"] == "***"  # never shown by the API
    [message] = notify.mailbox.to(address)
    assert message["Subject"] == "আপনার ভেক্সট্রাস পাসওয়ার্ড রিসেট করুন"
    text = message.get_content()
    assert "প্রিয় আব্দুল্লাহ আল মামুন" in text
    token_line = next(line for line in text.splitlines() if "কোডটি" in line)
    token = token_line.rsplit(":", 1)[1].strip()
    assert len(token) >= 20
    # the token in the e-mail works at the auth service
    reset = await notify.client.post(
        f"{AUTH}/password/reset", json={"token": token, "new_password": "New-Horse-Battery-7"}
    )
    assert reset.status_code == 204, reset.text


async def test_a_task_for_a_person_reaches_their_inbox_and_mail_then_its_breach_too(notify: Notify) -> None:
    slug = f"meghna-{uuid.uuid4().hex[:6]}"
    tenant, _admin = await notify.signup(slug, f"admin-{slug}@meghna.com.bd")
    engineer_mail = f"nusrat-{slug}@meghna.com.bd"
    engineer = await notify.invite(tenant, engineer_mail, "Nusrat Jahan", phone="01556123456")
    spec = _task_definition({"type": "user", "user_id": str(engineer)}, sla_hours=0.0003)
    await _start_process(notify, tenant, "site-report", spec, "SR-2025-26-0042")

    [assigned] = await notify.notifications_of(tenant, "workflow.task.assigned")
    body = await notify.settle(tenant, assigned["id"])
    assert {(d["channel"], d["status"]) for d in body["deliveries"]} == {("in_app", "sent"), ("email", "sent")}
    email = next(d for d in body["deliveries"] if d["channel"] == "email")
    assert email["address"] is None  # looked up at the auth service when sending
    [message] = notify.mailbox.to(engineer_mail)
    assert message["Subject"] == "Action needed: site-report SR-2025-26-0042"
    assert "Dear Nusrat Jahan" in message.get_content()
    inbox = await _inbox(notify, tenant, engineer)
    assert inbox["unread"] == 1
    assert inbox["items"][0]["title"] == "Approval needed: SR-2025-26-0042"
    assert inbox["items"][0]["link"].startswith("/workflows/tasks/")

    await asyncio.sleep(1.2)  # past the SLA of about a second: the durable timer or the sweep breaches it
    swept = await notify.client.post(f"{WORKFLOWS}/sla/sweep", headers=notify.headers(tenant, ("workflow.sla.sweep",)))
    assert swept.status_code == 200, swept.text
    [breached] = await notify.notifications_of(tenant, "workflow.sla.breached")
    body = await notify.settle(tenant, breached["id"])
    assert {(d["channel"], d["user_id"]) for d in body["deliveries"]} == {
        ("in_app", str(engineer)),
        ("email", str(engineer)),
        ("sms", str(engineer)),
    }
    assert {d["status"] for d in body["deliveries"]} == {"sent"}
    [sms] = [item for item in notify.sms.to("8801556123456") if "SR-2025-26-0042" in item["message"]]
    assert sms["message"] == "Vextrus: task review of SR-2025-26-0042 is overdue."
    assert (await _inbox(notify, tenant, engineer))["unread"] == 2


async def test_a_task_for_a_role_reaches_each_active_holder_by_their_preferences(notify: Notify) -> None:
    slug = f"karna-{uuid.uuid4().hex[:6]}"
    tenant, _admin = await notify.signup(slug, f"admin-{slug}@meghna.com.bd")
    rafiq_mail, sumaiya_mail = f"rafiq-{slug}@meghna.com.bd", f"sumaiya-{slug}@meghna.com.bd"
    # defaults: in-app and e-mail (and SMS for a breach)
    rafiq = await notify.member(tenant, rafiq_mail, "Rafiqul Islam", "site-engineer", phone="01819123456")
    sumaiya = await notify.member(tenant, sumaiya_mail, "Sumaiya Khatun", "site-engineer")
    in_app_only = await notify.client.put(
        f"{BASE}/preferences/me",
        json={"channels": ["in_app"], "language": "bn"},
        headers=notify.headers(tenant, ("notification.self.manage",), subject=sumaiya),
    )
    assert in_app_only.status_code == 200, in_app_only.text
    invited_mail = f"tanvir-{slug}@meghna.com.bd"  # holds the role but never accepted: not told
    await notify.invite(tenant, invited_mail, "Tanvir Hasan", roles=["site-engineer"])
    accountant_mail = f"nasrin-{slug}@meghna.com.bd"
    await notify.member(tenant, accountant_mail, "Nasrin Sultana", "accountant")
    spec = _task_definition({"type": "role", "role": "site-engineer"}, sla_hours=0.0003)
    await _start_process(notify, tenant, "pour-check", spec, "POUR-17")

    [assigned] = await notify.notifications_of(tenant, "workflow.task.assigned")
    body = await notify.settle(tenant, assigned["id"], done=lambda b: len(b["deliveries"]) == 4)
    body = await notify.settle(tenant, assigned["id"])
    shown = {(d["channel"], d["user_id"], d["role"], d["status"]) for d in body["deliveries"]}
    assert shown == {
        ("in_app", None, "site-engineer", "expanded"),  # the role's delivery, expanded into its holders
        ("in_app", str(rafiq), "site-engineer", "sent"),
        ("email", str(rafiq), "site-engineer", "sent"),
        ("in_app", str(sumaiya), "site-engineer", "sent"),
    }
    assert all(d["error_reason"] is None for d in body["deliveries"])
    [message] = notify.mailbox.to(rafiq_mail)
    assert message["Subject"] == "Action needed: site-report POUR-17"
    assert "Dear Rafiqul Islam" in message.get_content()
    assert notify.mailbox.to(sumaiya_mail) == []
    assert notify.mailbox.to(invited_mail) == []
    assert notify.mailbox.to(accountant_mail) == []

    # each holder has an item of their own (read by one, still unread for the other), no shared copy
    rafiq_inbox = await _inbox(notify, tenant, rafiq, roles=("site-engineer",))
    assert [item["title"] for item in rafiq_inbox["items"]] == ["Approval needed: POUR-17"]
    sumaiya_inbox = await _inbox(notify, tenant, sumaiya, roles=("site-engineer",))
    assert [item["title"] for item in sumaiya_inbox["items"]] == ["অনুমোদন প্রয়োজন: POUR-17"]
    read = await notify.client.post(
        f"{BASE}/inbox/{rafiq_inbox['items'][0]['id']}/read",
        headers=notify.headers(tenant, ("notification.inbox.read",), subject=rafiq, roles=("site-engineer",)),
    )
    assert read.status_code == 200, read.text
    assert (await _inbox(notify, tenant, rafiq, roles=("site-engineer",)))["unread"] == 0
    assert (await _inbox(notify, tenant, sumaiya, roles=("site-engineer",)))["unread"] == 1
    assert (await _inbox(notify, tenant, uuid.uuid4(), roles=("site-engineer",)))["items"] == []

    # the same event again (an operator's re-drive past the consumer inbox) adds nobody twice
    replay = DeliveryContext(key="k", tenant_id=tenant, traceparent=None, source="test", bypass_inbox=frozenset("*"))
    envelope = Envelope(
        id=assigned["event_id"],
        source="/vextrus/workflow",
        type="workflow.task.assigned",
        tenantid=tenant,
        data=body["data"],
    )
    assert await notify.runtime.dispatcher.deliver(TASK_ASSIGNED_CONSUMER, envelope, replay)
    await notify.runtime.dispatcher.deliver(TASK_ASSIGNED_CONSUMER, envelope, replay)
    again = await notify.notification(tenant, assigned["id"])
    assert len(again["deliveries"]) == 4
    assert len(notify.mailbox.to(rafiq_mail)) == 1

    await asyncio.sleep(1.2)  # past the SLA: the breach goes to the role's holders too
    swept = await notify.client.post(f"{WORKFLOWS}/sla/sweep", headers=notify.headers(tenant, ("workflow.sla.sweep",)))
    assert swept.status_code == 200, swept.text
    [breached] = await notify.notifications_of(tenant, "workflow.sla.breached")
    body = await notify.settle(tenant, breached["id"], done=lambda b: len(b["deliveries"]) == 5)
    body = await notify.settle(tenant, breached["id"])
    assert {(d["channel"], d["user_id"], d["status"]) for d in body["deliveries"]} == {
        ("in_app", None, "expanded"),
        ("in_app", str(rafiq), "sent"),
        ("email", str(rafiq), "sent"),
        ("sms", str(rafiq), "sent"),
        ("in_app", str(sumaiya), "sent"),
    }
    assert [item["message"] for item in notify.sms.to("8801819123456")] == [
        "Vextrus: task review of POUR-17 is overdue."
    ]
    assert len(notify.mailbox.to(rafiq_mail)) == 2
    assert (await _inbox(notify, tenant, sumaiya, roles=("site-engineer",)))["unread"] == 2


async def test_a_task_for_a_role_nobody_holds_waits_in_the_role_inbox(notify: Notify) -> None:
    slug = f"jamuna-{uuid.uuid4().hex[:6]}"
    tenant, _admin = await notify.signup(slug, f"admin-{slug}@meghna.com.bd")
    await _start_process(notify, tenant, "qs-check", _task_definition({"type": "role", "role": "hr-manager"}), "BOQ-9")
    [assigned] = await notify.notifications_of(tenant, "workflow.task.assigned")
    body = await notify.settle(tenant, assigned["id"])
    assert [(d["channel"], d["role"], d["status"]) for d in body["deliveries"]] == [("in_app", "hr-manager", "sent")]
    holder = await _inbox(notify, tenant, uuid.uuid4(), roles=("hr-manager",))  # whoever gets the role later
    assert [item["title"] for item in holder["items"]] == ["Approval needed: BOQ-9"]
    assert holder["items"][0]["role"] == "hr-manager"
    assert (await _inbox(notify, tenant, uuid.uuid4(), roles=("accountant",)))["items"] == []


async def test_the_fan_out_to_a_role_is_capped_and_says_so(notify: Notify) -> None:
    slug = f"surma-{uuid.uuid4().hex[:6]}"
    tenant, _admin = await notify.signup(slug, f"admin-{slug}@meghna.com.bd")
    holders = [
        await notify.member(
            tenant, f"store{index}-{slug}@meghna.com.bd", f"Store Keeper {index}", "procurement-officer"
        )
        for index in range(4)
    ]  # the tests' cap (role_fan_out_max_users) is 3
    await _start_process(
        notify,
        tenant,
        "grn-check",
        _task_definition({"type": "role", "role": "procurement-officer"}),
        "GRN-2025-26-0007",
    )
    [assigned] = await notify.notifications_of(tenant, "workflow.task.assigned")
    body = await notify.settle(tenant, assigned["id"], done=lambda b: len(b["deliveries"]) > 1)
    body = await notify.settle(tenant, assigned["id"])
    [role] = [d for d in body["deliveries"] if d["user_id"] is None]
    assert (role["status"], role["error_reason"]) == ("expanded", "fan_out_capped")
    assert "more than 3" in role["error_detail"]
    told = {d["user_id"] for d in body["deliveries"] if d["user_id"] is not None}
    assert len(told) == 3
    assert told < {str(user) for user in holders}
    assert {d["status"] for d in body["deliveries"] if d["user_id"] is not None} == {"sent"}
    mailed = [user for index, user in enumerate(holders) if notify.mailbox.to(f"store{index}-{slug}@meghna.com.bd")]
    assert {str(user) for user in mailed} == told


async def test_a_posted_invoice_is_mailed_to_the_customer_with_the_mushak_pdf(notify: Notify) -> None:
    tenant = uuid.uuid4()
    pdf = b"%PDF-1.7\n% Mushak-6.3 INV-2025-26-000123\n" + b"0" * 2048 + b"\n%%EOF\n"
    stored = await notify.client.post(
        "/api/v1/files",
        params={"name": "mushak-6.3-INV-2025-26-000123.pdf", "entity_type": "finance.invoice", "entity_id": "x"},
        content=pdf,
        headers={**notify.headers(tenant), "Content-Type": "application/pdf"},
    )
    assert stored.status_code == 201, stored.text
    file_id = stored.json()["id"]
    customer = f"accounts-{uuid.uuid4().hex[:6]}@bashundhara-cement.com.bd"
    envelope = Envelope(
        source="/vextrus/finance",
        type="finance.invoice.posted",
        subject=str(uuid.uuid4()),
        tenantid=tenant,
        data={
            "invoice_id": str(uuid.uuid4()),
            "kind": "invoice",
            "number": "INV-2025-26-000123",
            "company_id": str(uuid.uuid4()),
            "customer_id": str(uuid.uuid4()),
            "customer": {
                "id": str(uuid.uuid4()),
                "code": "C-0042",
                "name": "Bashundhara Cement Ltd.",
                "email": customer,
                "phone": None,
                "bin": "000123456-0208",
            },
            "date": "2025-11-20",
            "due_date": "2025-12-20",
            "currency": "BDT",
            "subtotal": "1000000.00",
            "discount": "0.00",
            "sd": "0.00",
            "vat": "150000.00",
            "total": "1150000.00",
            "journal_entry_id": str(uuid.uuid4()),
            "mushak_63_path": f"/api/v1/files/{file_id}/content",
        },
    )
    dispatcher = notify.runtime.dispatcher
    assert await dispatcher.deliver(INVOICE_CONSUMER, envelope)
    assert not await dispatcher.deliver(INVOICE_CONSUMER, envelope)  # the kit's inbox drops a redelivery
    # a replay past the inbox (an operator's re-drive) finds the notification of that event id
    replay = DeliveryContext(key="k", tenant_id=tenant, traceparent=None, source="test", bypass_inbox=frozenset("*"))
    assert await dispatcher.deliver(INVOICE_CONSUMER, envelope, replay)
    [summary] = await notify.notifications_of(tenant, "finance.invoice.posted")
    body = await notify.settle(tenant, summary["id"])
    assert [(d["address"], d["status"]) for d in body["deliveries"]] == [(customer, "sent")]
    [message] = notify.mailbox.to(customer)
    assert message["Subject"] == "Tax invoice INV-2025-26-000123 (BDT 11,50,000.00)"
    assert "VAT 1,50,000.00" in message.get_body(preferencelist=("plain",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "Mushak-6.3-INV-2025-26-000123.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == pdf
