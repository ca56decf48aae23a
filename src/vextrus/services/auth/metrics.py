"""Business metrics of the auth service."""

from __future__ import annotations

from vextrus.kit.metrics import counter, gauge

LOGIN_ATTEMPTS = counter(
    "auth_login_attempts_total",
    "Sign-in attempts by outcome: success, mfa_required, invalid_credentials, tenant_required, "
    "user_deactivated, tenant_suspended, mfa_failed",
    ["outcome"],
)
TOKEN_REFRESH = counter(
    "auth_token_refresh_total", "Refresh-token exchanges by outcome: success, invalid, reuse_detected", ["outcome"]
)
ACTIVE_SESSIONS = gauge("auth_active_sessions", "Sessions neither revoked nor expired, across tenants")
LOCKOUTS = counter("auth_lockouts_total", "Accounts locked after too many failed sign-ins")
API_KEY_INTROSPECTIONS = counter(
    "auth_api_key_introspections_total", "API key introspections by result (active, inactive)", ["result"]
)
