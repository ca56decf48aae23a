"""Auth service (port 3001): users, sign-up and login, tokens, roles and permissions, MFA, API keys."""

from __future__ import annotations

from pathlib import Path

from vextrus.kit.service import GraphQLParts, Service
from vextrus.services.auth import api, events, graphql, models
from vextrus.services.auth.seed import seed
from vextrus.services.auth.settings import AuthSettings

service = Service(
    name="auth",
    port=3001,
    title="Auth",
    description=(
        "Identity and access: sign-up, login with lockout and TOTP second factor, rotating refresh "
        "tokens, users and invitations, roles with inheritance, role assignments by company and "
        "expiry, the permission catalogue, and API keys for integrations."
    ),
    router=api.router,
    metadata=models.Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    publishes=events.PUBLISHES,
    consumes=events.HANDLERS,
    graphql=GraphQLParts(query=graphql.Query, types=(graphql.User,)),
    permissions=api.PERMISSIONS,
    seed=seed,
    settings=AuthSettings,
)

__all__ = ["service"]
