"""Demo data: the shipped definitions for every demo tenant and documents in flight.

Meghna: a purchase order past its department head and waiting for finance, a vendor invoice
waiting for accounts payable, a site engineer's leave request waiting for her manager, an expense
claim already reimbursed, a drawing in review and a new joiner half-way through onboarding.
Padma: a small purchase order approved without anyone and a payment waiting for finance.

Idempotent: each process starts with an ``Idempotency-Key`` derived from its document, and a
demo decision is taken only while its task is still open, so a second run changes nothing. The
approval rules are installed through the rules service's API when it is reachable; without it
the rule-based processes are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import structlog

from vextrus.demo import DEMO_TENANTS, DemoTenant, demo_id
from vextrus.kit.errors import AppError
from vextrus.kit.service import SeedContext
from vextrus.kit.tenancy import Principal, acting_as
from vextrus.services.workflow import service, views
from vextrus.services.workflow.engine import SERVICE_SUBJECT, WorkflowEngine, engine_for
from vextrus.services.workflow.schemas import InstanceStart, TaskActionIn

log = structlog.get_logger("vextrus.workflow.seed")

RULE_BASED = {"purchase-order-approval", "vendor-invoice-approval"}


@dataclass(frozen=True)
class Decision:
    user: str  # demo user key
    roles: tuple[str, ...]
    action: str
    comment: str | None = None


@dataclass(frozen=True)
class DemoProcess:
    definition: str
    business_key: str
    requester: str  # demo user key
    document: dict[str, Any]
    decisions: tuple[Decision, ...] = ()
    reference: dict[str, str] = field(default_factory=dict)


def _user(key: str) -> str:
    return str(demo_id("user", key))


DEMO_PROCESSES: dict[str, tuple[DemoProcess, ...]] = {
    "meghna-group": (
        DemoProcess(
            "purchase-order-approval",
            "PO-2025-26-000042",
            "meghna-procurement",
            {
                "amount": "185000.00",
                "department": "procurement",
                "department_head_id": _user("meghna-admin"),
                "supplier": "Bashundhara Cement Ltd.",
                "description": "1,200 bags of Portland composite cement for Uttara Block C",
                "project_code": "MCG-UTT-2025-03",
            },
            (Decision("meghna-admin", ("tenant-admin",), "approve", "Rates match the annual contract"),),
            {"service": "scm", "type": "purchase-order", "id": "PO-2025-26-000042"},
        ),
        DemoProcess(
            "vendor-invoice-approval",
            "VB-2025-26-000077",
            "meghna-accountant",
            {
                "amount": "1250000.00",
                "department": "construction",
                "supplier": "Rahimafrooz Steel Traders",
                "vat_challan": "Mushak-6.3 #004512",
                "due_date": "2026-01-20",
            },
            reference={"service": "finance", "type": "vendor-bill", "id": "VB-2025-26-000077"},
        ),
        DemoProcess(
            "leave-request",
            "LV-2025-26-000015",
            "meghna-engineer",
            {
                "days": 5,
                "leave_type": "earned",
                "from_date": "2026-01-04",
                "to_date": "2026-01-08",
                "manager_id": _user("meghna-pm"),
                "reason": "Family wedding in Sylhet",
            },
        ),
        DemoProcess(
            "expense-claim",
            "EXP-2025-26-000031",
            "meghna-engineer",
            {
                "amount": "12500.00",
                "manager_id": _user("meghna-pm"),
                "category": "site-travel",
                "description": "CNG fares and site meals, Purbachal site visits (December)",
            },
            (Decision("meghna-pm", ("project-manager",), "approve", "Checked against the site diary"),),
        ),
        DemoProcess(
            "document-approval",
            "DWG-STR-014-R2",
            "meghna-engineer",
            {
                "title": "Pile cap reinforcement details, Block B",
                "project_manager_id": _user("meghna-pm"),
                "discipline": "structural",
                "revision": "R2",
            },
        ),
        DemoProcess(
            "employee-onboarding",
            "EMP-2025-26-000003",
            "meghna-hr",
            {
                "employee_name": "Sabbir Ahmed",
                "designation": "Junior Site Engineer",
                "joining_date": "2026-01-01",
                "requested_by": _user("meghna-new-joiner"),
                "manager_id": _user("meghna-pm"),
            },
            (Decision("meghna-hr", ("hr-manager",), "complete", "Appointment letter, NID and TIN copies received"),),
        ),
    ),
    "padma-developers": (
        DemoProcess(
            "purchase-order-approval",
            "PO-2025-26-000011",
            "padma-accountant",
            {"amount": "42000.00", "department": "sales", "supplier": "Rajshahi Printing House"},
        ),
        DemoProcess(
            "payment-approval",
            "PAY-2025-26-000007",
            "padma-accountant",
            {"amount": "350000.00", "payee": "Natore Brick Field", "method": "bank-transfer"},
        ),
    ),
}

SEED_PERMISSIONS = frozenset({"workflow.*"})


def _principal(tenant: DemoTenant, user: str, roles: tuple[str, ...] = ()) -> Principal:
    return Principal(
        subject=demo_id("user", user),
        tenant_id=tenant.id,
        permissions=SEED_PERMISSIONS,
        roles=roles,
        company_ids=tuple(company.id for company in tenant.companies),
    )


async def _install_rules(engine: WorkflowEngine, tenant: DemoTenant) -> bool:
    runtime = engine.runtime
    if runtime.issuer is None:
        return False
    caller = Principal(
        subject=SERVICE_SUBJECT,
        tenant_id=tenant.id,
        permissions=frozenset({"rules.template.install"}),
        roles=("system",),
    )
    try:
        response = await runtime.clients.request(
            "rules", "POST", "/api/v1/rules/templates/install", principal=caller, json={"keys": sorted(_rule_keys())}
        )
    except AppError:
        return False
    return response.status_code == 200


def _rule_keys() -> set[str]:
    return {"approval.purchase-order", "approval.vendor-invoice"}


async def _seed_process(engine: WorkflowEngine, tenant: DemoTenant, process: DemoProcess) -> None:
    requester = _principal(tenant, process.requester)
    body = InstanceStart.model_validate(
        {
            "definition": process.definition,
            "business_key": process.business_key,
            "document": process.document,
            "document_ref": process.reference or None,
        }
    )
    with acting_as(requester):
        view, _ = await service.start_instance(
            engine,
            requester,
            body,
            company_id=tenant.companies[0].id,
            idempotency_key=f"demo:{process.definition}:{process.business_key}",
        )
    for decision in process.decisions:
        actor = _principal(tenant, decision.user, decision.roles)
        with acting_as(actor):
            async with engine.transaction() as session:
                current = await views.get_instance(session, view.id)
            open_tasks = [
                task
                for task in current.open_tasks
                if decision.action in task.actions
                and (task.assignee_user_id == actor.subject or task.assignee_role in actor.roles)
            ]
            if not open_tasks:
                continue
            await service.act_on_task(
                engine,
                actor,
                open_tasks[0].id,
                TaskActionIn(action=decision.action, comment=decision.comment),
                f"demo:{process.business_key}:{decision.action}:{open_tasks[0].step_name}",
            )


async def seed(ctx: SeedContext) -> None:
    engine = engine_for(ctx.runtime)
    await engine.ensure_started()
    for tenant in DEMO_TENANTS:
        admin = next(user for user in tenant.users if user.role == "tenant-admin")
        with acting_as(tenant_id=tenant.id):
            async with engine.transaction() as session:
                await service.install_builtins(session, admin.id)
        rules = await _install_rules(engine, tenant)
        for process in DEMO_PROCESSES.get(tenant.slug, ()):
            if process.definition in RULE_BASED and not rules:
                log.info("workflow_seed_skipped", business_key=process.business_key, reason="rules service unavailable")
                continue
            await _seed_process(engine, tenant, process)
    await engine.drain()
