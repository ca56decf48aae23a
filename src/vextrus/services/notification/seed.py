"""Demo data for Meghna Construction Group: notification preferences of its people (Bengali for
the site engineer, quiet hours at night, a daily digest for the CFO), the tenant's own Bengali
SMS wording for approvals, and in-app notifications waiting in the approvers' inboxes.

Idempotent: preferences and templates are set only when missing; notifications carry fixed
event ids, so seeding twice changes nothing. The delivery worker puts them in the inboxes.
"""

from __future__ import annotations

from vextrus.demo import DEMO_TENANTS
from vextrus.kit.service import SeedContext
from vextrus.kit.tenancy import acting_as
from vextrus.services.notification.models import Preference, Template
from vextrus.services.notification.repository import PreferenceRepository, TemplateRepository
from vextrus.services.notification.service import Recipient, Request, intake

# user key -> (channels, language, quiet hours, digest, phone)
PREFERENCES = {
    "meghna-cfo": ("in_app,email", "en", ("22:00", "07:00"), "daily", "+8801711223344"),
    "meghna-procurement": ("in_app,email,sms", "en", ("22:30", "07:30"), "off", "+8801819556677"),
    "meghna-pm": ("in_app,email,sms", "bn", ("23:00", "06:30"), "off", "+8801915887766"),
    "meghna-engineer": ("in_app,sms", "bn", ("22:00", "06:00"), "off", "+8801556123456"),
}

SMS_APPROVAL_BN = "মেঘনা গ্রুপ: {{ document_type }} {{ business_key }} আপনার অনুমোদনের অপেক্ষায়। ভেক্সট্রাস অ্যাপে দেখুন।"


async def seed(ctx: SeedContext) -> None:
    tenant = DEMO_TENANTS[0]
    users = {user.key: user for user in tenant.users}
    with acting_as(tenant_id=tenant.id):
        async with ctx.runtime.database.transaction() as session:
            preferences = PreferenceRepository(session)
            for key, (channels, language, (start, end), digest, phone) in PREFERENCES.items():
                user = users[key]
                if await preferences.of_user(user.id) is None:
                    preferences.add(
                        Preference(
                            user_id=user.id,
                            channels=channels,
                            language=language,
                            quiet_start=start,
                            quiet_end=end,
                            digest=digest,
                            digest_hour=18,
                            phone=phone,
                        )
                    )
            templates = TemplateRepository(session)
            if await templates.find("workflow.task.assigned", "sms", "bn") is None:
                templates.add(
                    Template(
                        event="workflow.task.assigned", channel="sms", language="bn", body=SMS_APPROVAL_BN, version=1
                    )
                )
            await session.flush()
            approvals = [
                ("meghna-cfo", "PO-2025-26-000045", "purchase-order", "finance-approval"),
                ("meghna-pm", "MR-2025-26-000112", "material-requisition", "project-manager-approval"),
            ]
            for key, business_key, document_type, step in approvals:
                await intake(
                    session,
                    Request(
                        event="workflow.task.assigned",
                        event_id=f"demo:{business_key}",
                        source="event",
                        data={
                            "task_id": str(users[key].id),
                            "business_key": business_key,
                            "document_type": document_type,
                            "step": step,
                            "due_at": None,
                        },
                        recipients=[Recipient(user_id=users[key].id)],
                        channels=["in_app"],
                    ),
                )
