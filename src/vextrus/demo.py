"""The demo organisation that `vextrus seed demo` builds, shared by every service's seed.

Identifiers are derived (uuid5) from stable names, so each service seeds the same tenants,
companies and users without calling another service, and seeding twice changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

_NAMESPACE = uuid.UUID("6f1c3a52-8d3e-4b7a-9e61-2f4d5c8b9a10")


def demo_id(kind: str, key: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{kind}:{key}")


def demo_record_id(entity: str, tenant_slug: str, code: str) -> uuid.UUID:
    """The id of a demo master-data record (customer, vendor, product, account) by its code, so other
    services' seeds can point at it: ``demo_id("master-data:<entity>", "<tenant slug>:<code>")``."""
    return demo_id(f"master-data:{entity}", f"{tenant_slug}:{code}")


@dataclass(frozen=True)
class DemoCompany:
    key: str
    name: str
    name_bn: str
    city: str

    @property
    def id(self) -> uuid.UUID:
        return demo_id("company", self.key)


@dataclass(frozen=True)
class DemoUser:
    key: str
    full_name: str
    email: str
    role: str

    @property
    def id(self) -> uuid.UUID:
        return demo_id("user", self.key)


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    name: str
    name_bn: str
    kind: str
    language: str
    companies: tuple[DemoCompany, ...]
    users: tuple[DemoUser, ...]

    @property
    def id(self) -> uuid.UUID:
        return demo_id("tenant", self.slug)


DEMO_TENANTS: tuple[DemoTenant, ...] = (
    DemoTenant(
        slug="meghna-group",
        name="Meghna Construction Group",
        name_bn="মেঘনা কনস্ট্রাকশন গ্রুপ",
        kind="both",
        language="en",
        companies=(
            DemoCompany("meghna-builders", "Meghna Builders Ltd.", "মেঘনা বিল্ডার্স লিমিটেড", "Dhaka"),
            DemoCompany("meghna-properties", "Meghna Properties Ltd.", "মেঘনা প্রপার্টিজ লিমিটেড", "Dhaka"),
            DemoCompany(
                "karnaphuli-concrete",
                "Karnaphuli Ready-Mix Concrete Ltd.",
                "কর্ণফুলী রেডি-মিক্স কংক্রিট লিমিটেড",
                "Chattogram",
            ),
        ),
        users=(
            DemoUser("meghna-admin", "Farhana Rahman", "farhana.rahman@meghna.com.bd", "tenant-admin"),
            DemoUser("meghna-cfo", "Mahbubul Alam", "mahbubul.alam@meghna.com.bd", "finance-manager"),
            DemoUser("meghna-accountant", "Shirin Akter", "shirin.akter@meghna.com.bd", "accountant"),
            DemoUser("meghna-procurement", "Tanvir Hossain", "tanvir.hossain@meghna.com.bd", "procurement-officer"),
            DemoUser("meghna-pm", "Kamrul Hasan", "kamrul.hasan@meghna.com.bd", "project-manager"),
            DemoUser("meghna-engineer", "Nusrat Jahan", "nusrat.jahan@meghna.com.bd", "site-engineer"),
            DemoUser("meghna-hr", "Rezaul Karim", "rezaul.karim@meghna.com.bd", "hr-manager"),
        ),
    ),
    DemoTenant(
        slug="padma-developers",
        name="Padma Developers",
        name_bn="পদ্মা ডেভেলপার্স",
        kind="real-estate",
        language="bn",
        companies=(DemoCompany("padma-developers", "Padma Developers Ltd.", "পদ্মা ডেভেলপার্স লিমিটেড", "Rajshahi"),),
        users=(
            DemoUser("padma-admin", "Abdullah Al Mamun", "mamun@padmadevelopers.com.bd", "tenant-admin"),
            DemoUser("padma-accountant", "Sharmin Sultana", "sharmin@padmadevelopers.com.bd", "accountant"),
        ),
    ),
)
