"""Demo data: the letterhead of Meghna Builders and its Mushak-6.3 tax invoice, rendered and stored.

Idempotent: the letterhead is set only when missing, the invoice rendered only when the tenant has
no document with its challan number. Needs file storage (in this process or at its URL) and a
signing key to act towards it; without them the invoice is skipped with a warning.
"""

from __future__ import annotations

import structlog

from vextrus.demo import DEMO_TENANTS
from vextrus.kit.errors import AppError
from vextrus.kit.service import SeedContext
from vextrus.kit.tenancy import acting_as
from vextrus.services.documents import service
from vextrus.services.documents.builtins import BUILTINS, example_mushak63
from vextrus.services.documents.repository import BrandingRepository, DocumentRepository
from vextrus.services.documents.schemas import BrandingIn

log = structlog.get_logger("vextrus.documents.seed")

MEGHNA_LETTERHEAD = BrandingIn(
    name="Meghna Builders Ltd.",
    name_bn="মেঘনা বিল্ডার্স লিমিটেড",
    address="House 42, Road 11, Banani, Dhaka 1213",
    address_bn="বাড়ি ৪২, সড়ক ১১, বনানী, ঢাকা ১২১৩",
    bin="004512789-0101",
    tin="482917365021",
    phone="+880 1712-345678",
    email="accounts@meghna.com.bd",
    website="www.meghna.com.bd",
    letterhead_note="A concern of Meghna Construction Group · ISO 9001:2015",
    footer_text="Meghna Builders Ltd. · Banani, Dhaka",
    primary_colour="#0B5394",
    accent_colour="#D9E7F5",
)


async def seed(ctx: SeedContext) -> None:
    runtime = ctx.runtime
    tenant = DEMO_TENANTS[0]
    company = tenant.companies[0]
    accountant = tenant.users[2]
    data = example_mushak63()
    with acting_as(tenant_id=tenant.id):
        async with runtime.database.transaction() as session:
            if await BrandingRepository(session).of_company(company.id) is None:
                await service.put_branding(session, company.id, MEGHNA_LETTERHEAD, accountant.id)
            existing = await DocumentRepository(session).by_reference("mushak-6.3", data["challan_number"])
        if existing is not None:
            return
        builtin = BUILTINS["mushak-6.3"]
        job = service.Job(
            tenant_id=tenant.id,
            template=builtin.key,
            version=builtin.version,
            format="pdf",
            language="bilingual",
            company_id=company.id,
            data=data,
            filename=service.default_filename(builtin.key, data["challan_number"], ".pdf"),
            entity_type="finance.invoice",
            entity_id=data["challan_number"],
            requested_by=accountant.id,
        )
        try:
            await service.render_now(runtime, job)
        except AppError as error:
            log.warning("demo_invoice_skipped", code=error.code, detail=error.detail)
