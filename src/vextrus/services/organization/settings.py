"""The organization service's own settings (``VEXTRUS_ORGANIZATION_*``, documented in .env.example)."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from vextrus.kit.settings import ServiceSettings
from vextrus.services.organization.rules import PLANS


class OrganizationSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="VEXTRUS_ORGANIZATION_", env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True
    )

    default_plan: str = Field(default="trial", description="Plan of a newly provisioned tenant (a code of PLANS)")

    @field_validator("default_plan")
    @classmethod
    def _known_plan(cls, value: str) -> str:
        if value not in PLANS:
            raise ValueError("must be one of: " + ", ".join(PLANS))
        return value
