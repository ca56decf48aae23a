"""Opaque secrets (refresh tokens, API keys, one-time tokens), lockout and TOTP rules — pure.

Secrets are ``<kind>_<43 url-safe characters>`` (256 random bits): the prefix tells a leaked
secret's kind to scanners and people; only its sha256 is stored, so a database leak reveals none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import pyotp

# Prefixes of the kinds of secret (not secrets themselves).
REFRESH_TOKEN = "vxr"  # noqa: S105
API_KEY = "vxk"
MFA_TOKEN = "vxm"  # noqa: S105
RESET_TOKEN = "vxp"  # noqa: S105
INVITATION_TOKEN = "vxi"  # noqa: S105
SECRET_MAX_LENGTH = 128


def new_secret(kind: str) -> str:
    return f"{kind}_{secrets.token_urlsafe(32)}"


def digest(secret: str) -> str:
    """The stored form of a secret (sha256 hex). High-entropy secrets need no slow hash."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def looks_like(secret: str, kind: str) -> bool:
    return secret.startswith(f"{kind}_") and len(secret) <= SECRET_MAX_LENGTH


# --- lockout --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LockoutState:
    failed_attempts: int
    locked_until: dt.datetime | None


def is_locked(locked_until: dt.datetime | None, now: dt.datetime) -> bool:
    return locked_until is not None and locked_until > now


def after_failure(
    state: LockoutState, now: dt.datetime, threshold: int, duration_seconds: int
) -> tuple[LockoutState, bool]:
    """The state after one more failed sign-in, and whether it locked the account just now.

    Failures while locked change nothing (the lock is not extended). Reaching ``threshold``
    consecutive failures locks for ``duration_seconds`` and starts the count again, so after the
    lock expires another ``threshold`` failures are needed to lock again.
    """
    if is_locked(state.locked_until, now):
        return state, False
    failed = state.failed_attempts + 1
    if failed >= threshold:
        return LockoutState(0, now + dt.timedelta(seconds=duration_seconds)), True
    return LockoutState(failed, state.locked_until), False


# --- TOTP (RFC 6238: 6 digits, 30 s) ------------------------------------------------------------------

TOTP_STEP_SECONDS = 30


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def totp_step(secret: str, code: str, now: dt.datetime, last_step: int | None, window: int = 1) -> int | None:
    """The time step ``code`` is valid for (±``window`` steps around ``now``), or None.

    A step at or before ``last_step`` (already used) is refused: each code works once.
    """
    code = code.strip().replace(" ", "")
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // TOTP_STEP_SECONDS
    for step in range(current - window, current + window + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


# --- recovery codes ------------------------------------------------------------------------------------

_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
RECOVERY_CODE_COUNT = 10


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Codes like ``K7QX-M2PA-9RTD`` (60 bits each)."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    return codes


def normalize_recovery_code(code: str) -> str:
    return code.strip().upper().replace("-", "").replace(" ", "")


def recovery_digest(code: str) -> str:
    return digest(normalize_recovery_code(code))
