"""Demo data: the demo tenants' settings and a few realistic platform feature flags.

Idempotent: flags are created only when missing and a tenant setting or override only when the
tenant has none, so a second run (or a value an administrator changed since) is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vextrus.demo import DEMO_TENANTS
from vextrus.kit.service import SeedContext
from vextrus.kit.tenancy import acting_as
from vextrus.services.configuration import service
from vextrus.services.configuration.repository import FlagRepository, OverrideRepository, SettingRepository
from vextrus.services.configuration.schemas import FlagCreate


@dataclass(frozen=True)
class DemoFlag:
    key: str
    description: str
    description_bn: str
    enabled: bool
    rollout_percentage: int


DEMO_FLAGS: tuple[DemoFlag, ...] = (
    DemoFlag(
        "finance.mushak-pdf-v2",
        "New Mushak-6.3 tax invoice PDF layout (bilingual, with QR code)",
        "নতুন মূসক-৬.৩ কর চালানপত্রের পিডিএফ বিন্যাস (দ্বিভাষিক, কিউআর কোডসহ)",
        enabled=True,
        rollout_percentage=25,
    ),
    DemoFlag(
        "scm.three-way-match",
        "Match purchase order, goods receipt and supplier bill before payment",
        "পরিশোধের আগে ক্রয় আদেশ, পণ্য গ্রহণ ও সরবরাহকারীর বিল মিলিয়ে দেখা",
        enabled=True,
        rollout_percentage=100,
    ),
    DemoFlag(
        "projects.gantt-view",
        "Gantt chart view of project schedules",
        "প্রকল্পের সময়সূচির গ্যান্ট চার্ট ভিউ",
        enabled=False,
        rollout_percentage=0,
    ),
)

# Tenant settings beyond each tenant's language (which comes from DEMO_TENANTS).
DEMO_SETTINGS: dict[str, dict[str, Any]] = {
    "meghna-group": {"vat.withholding_entity": True},
    "padma-developers": {"localization.date_format": "DD-MM-YYYY"},
}
# Tenant overrides of the demo flags: Padma (a small developer) does not use three-way match yet.
DEMO_OVERRIDES: dict[str, dict[str, bool]] = {
    "padma-developers": {"scm.three-way-match": False},
}


async def seed(ctx: SeedContext) -> None:
    database, cache = ctx.runtime.database, ctx.runtime.cache
    async with database.transaction() as session:
        flags = FlagRepository(session)
        for flag in DEMO_FLAGS:
            if await flags.by_key(flag.key) is None:
                await service.add_flag(
                    session,
                    FlagCreate(
                        key=flag.key,
                        description=flag.description,
                        description_bn=flag.description_bn,
                        enabled=flag.enabled,
                        rollout_percentage=flag.rollout_percentage,
                    ),
                )
    for tenant in DEMO_TENANTS:
        wanted = {"localization.language": tenant.language, **DEMO_SETTINGS.get(tenant.slug, {})}
        with acting_as(tenant_id=tenant.id):
            async with database.transaction() as session:
                settings = SettingRepository(session)
                for key, value in wanted.items():
                    row = await settings.by_key(key)
                    if row is None or row.value is None:
                        await service.update_setting(session, cache, key, value)
                overrides = OverrideRepository(session)
                for flag_key, enabled in DEMO_OVERRIDES.get(tenant.slug, {}).items():
                    if await overrides.by_flag(flag_key) is None:
                        await service.set_override(session, flag_key, enabled)
