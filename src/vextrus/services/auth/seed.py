"""Demo data: the users of the demo tenants (src/vextrus/demo.py) with their roles.

Everyone signs in with the documented demo password (docs/services/auth.md). Idempotent: missing
roles and users are created; an existing user (maybe with a changed password) is left alone. The
organization service seeds the same tenants, companies and memberships with the same ids.
"""

from __future__ import annotations

from vextrus.demo import DEMO_TENANTS
from vextrus.kit.models import utcnow
from vextrus.kit.service import SeedContext
from vextrus.kit.tenancy import acting_as
from vextrus.services.auth.core import Auth
from vextrus.services.auth.repository import UserRepository
from vextrus.services.auth.roles import ensure_builtin_roles, grant
from vextrus.services.auth.users import new_user

DEMO_PASSWORD = "Padma-Setu-2026"  # noqa: S105  (documented demo password)
# Bengali names and phone numbers of the demo users, by DemoUser.key.
DEMO_PROFILES: dict[str, tuple[str, str]] = {
    "meghna-admin": ("ফারহানা রহমান", "+8801711000001"),
    "meghna-cfo": ("মাহবুবুল আলম", "+8801811000002"),
    "meghna-accountant": ("শিরিন আক্তার", "+8801911000003"),
    "meghna-procurement": ("তানভীর হোসেন", "+8801611000004"),
    "meghna-pm": ("কামরুল হাসান", "+8801511000005"),
    "meghna-engineer": ("নুসরাত জাহান", "+8801311000006"),
    "meghna-hr": ("রেজাউল করিম", "+8801411000007"),
    "padma-admin": ("আব্দুল্লাহ আল মামুন", "+8801712000001"),
    "padma-accountant": ("শারমিন সুলতানা", "+8801812000002"),
}


async def seed(ctx: SeedContext) -> None:
    auth = Auth.of(ctx.runtime)
    database = ctx.runtime.database
    now = utcnow()
    for tenant in DEMO_TENANTS:
        with acting_as(tenant_id=tenant.id):
            async with database.transaction() as session:
                graph = await ensure_builtin_roles(session)
                repository = UserRepository(session)
                for demo in tenant.users:
                    if await repository.get(demo.id) is not None:
                        continue
                    name_bn, phone = DEMO_PROFILES.get(demo.key, (None, None))
                    user, _ = await new_user(
                        session,
                        email=demo.email,
                        full_name=demo.full_name,
                        name_bn=name_bn,
                        phone=phone,
                        preferred_language=tenant.language,
                        status="active",
                        now=now,
                        user_id=demo.id,
                        password_hash=await auth.passwords.hash(DEMO_PASSWORD),
                    )
                    await session.flush()
                    await grant(session, user, graph.by_key[demo.role], company_id=None, expires_at=None, actor=None)
