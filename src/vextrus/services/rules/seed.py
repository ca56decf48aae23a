"""Demo data: the shipped rules installed (tested and published) for every demo tenant, a few
recorded decisions on realistic documents, and a draft at Meghna: next fiscal year's withholding
rates awaiting review.

Idempotent: a template is installed only when the tenant has no rule with its key, the sample
decisions only when the tenant has no evaluation history, and the draft only when the rule still
has a single version, so a second run (or an administrator's edits since) changes nothing.
"""

from __future__ import annotations

import copy
from typing import Any

from vextrus.demo import DEMO_TENANTS, demo_id
from vextrus.kit.service import SeedContext
from vextrus.kit.tenancy import acting_as
from vextrus.services.rules import evaluation, service
from vextrus.services.rules.engine import rules_runtime
from vextrus.services.rules.models import Evaluation
from vextrus.services.rules.repository import EvaluationRepository, RuleRepository
from vextrus.services.rules.schemas import EvaluateRequest, VersionCreate
from vextrus.services.rules.templates import templates

# Meghna's tax team drafted a raise of the contractor rate (7% -> 7.5%) for review; not published.
DRAFT_RULE = "bd.withholding.rate"
DRAFT_COMMENT = "Draft for FY2026-27: contractor rate 7.5% (awaiting the Finance Act)"


# Decisions taken on the demo tenants' documents: (user key, rule, context, document reference).
SAMPLE_DECISIONS: dict[str, list[tuple[str, str, dict[str, Any], str]]] = {
    "meghna-group": [
        (
            "meghna-accountant",
            "bd.vat.rate",
            {"category": "services.construction", "customer_type": "withholding-entity"},
            "INV-2025-26-000118",
        ),
        (
            "meghna-procurement",
            "approval.purchase-order",
            {"amount": "185000.00", "department": "procurement"},
            "PO-2025-26-000042",
        ),
        (
            "meghna-accountant",
            "approval.vendor-invoice",
            {"amount": "1250000.00", "department": "construction"},
            "VB-2025-26-000077",
        ),
        (
            "meghna-accountant",
            "bd.withholding.rate",
            {"payment_type": "contractor", "amount": "1250000.00", "payee_has_tin": True},
            "VB-2025-26-000077",
        ),
    ],
    "padma-developers": [
        (
            "padma-accountant",
            "bd.vat.rate",
            {"category": "real-estate.apartment", "floor_area_sqft": 1450},
            "SALE-2025-26-000009",
        ),
        (
            "padma-accountant",
            "approval.purchase-order",
            {"amount": "42000.00", "department": "sales"},
            "PO-2025-26-000011",
        ),
    ],
}


def _raised_contractor_rate(content: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(content)
    for node in changed["nodes"]:
        if node["type"] != "decisionTableNode":
            continue
        for row in node["content"]["rules"]:
            if row.get("in_payment_type") == '"contractor"':
                row["out_base_rate"] = "0.075"
    return changed


async def seed(ctx: SeedContext) -> None:
    rules = rules_runtime(ctx.runtime)
    for tenant in DEMO_TENANTS:
        admin = next(user for user in tenant.users if user.role == "tenant-admin")
        with acting_as(tenant_id=tenant.id):
            async with ctx.runtime.database.transaction() as session:
                await service.install_templates(session, rules, actor=admin.id)
            async with ctx.runtime.database.transaction() as session:
                history = EvaluationRepository(session)
                for user, key, context, reference in SAMPLE_DECISIONS.get(tenant.slug, []):
                    # once per decision (other services' seeds evaluate rules in these tenants too)
                    if await history.first(Evaluation.rule_key == key, Evaluation.reference == reference) is None:
                        request = EvaluateRequest(context=context, reference=reference)
                        await evaluation.evaluate(session, rules, key, request, actor=demo_id("user", user))
            if tenant.slug != "meghna-group":
                continue
            async with ctx.runtime.database.transaction() as session:
                rule = await RuleRepository(session).by_key(DRAFT_RULE)
                if rule is not None and rule.latest_version == 1:
                    content = _raised_contractor_rate(templates()[DRAFT_RULE].content)
                    await service.create_version(
                        session,
                        rules,
                        DRAFT_RULE,
                        VersionCreate(content=content, comment=DRAFT_COMMENT),
                        actor=demo_id("user", "meghna-accountant"),
                    )
