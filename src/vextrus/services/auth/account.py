"""Self-service security: changing one's password and the TOTP second factor.

Checking a password costs ~100 ms of argon2; it runs between two short transactions, never
inside one (on SQLite a transaction holds the single writer lock).
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.db import after_commit
from vextrus.kit.errors import AppError, invalid_field
from vextrus.kit.events import record_event
from vextrus.kit.models import utcnow
from vextrus.kit.tenancy import Principal
from vextrus.services.auth import metrics
from vextrus.services.auth.core import Auth
from vextrus.services.auth.events import MFA_CHANGED, USER_LOCKED, MfaChanged, UserLocked
from vextrus.services.auth.login import set_password
from vextrus.services.auth.models import Credential, RecoveryCode, User
from vextrus.services.auth.passwords import check_password_policy
from vextrus.services.auth.repository import CredentialRepository, RecoveryCodeRepository, UserRepository
from vextrus.services.auth.schemas import PasswordChange, RecoveryCodes, TotpDisable, TotpEnrollment
from vextrus.services.auth.tokens import (
    LockoutState,
    after_failure,
    is_locked,
    new_recovery_codes,
    new_totp_secret,
    recovery_digest,
    totp_step,
    totp_uri,
)
from vextrus.services.auth.users import not_a_user


async def _me(session: AsyncSession, principal: Principal, *, for_update: bool = False) -> tuple[User, Credential]:
    user = await UserRepository(session).get(principal.subject)
    credential = await CredentialRepository(session).of(principal.subject, for_update=for_update)
    if user is None or credential is None:
        raise not_a_user()
    return user, credential


def _wrong_password(field: str) -> AppError:
    return invalid_field(field, "is not your current password", "আপনার বর্তমান পাসওয়ার্ড নয়", code="wrong_password")


async def _check_password(auth: Auth, principal: Principal, password: str, field: str) -> User:
    """Verify the signed-in user's password; a wrong one counts towards the lockout."""
    database = auth.runtime.database
    async with database.transaction() as session:
        user, credential = await _me(session, principal)
    now = utcnow()
    verified = await auth.passwords.verify(credential.password_hash, password)
    if verified and not is_locked(credential.locked_until, now):
        return user
    async with database.transaction() as session:
        user, credential = await _me(session, principal, for_update=True)
        state, locked_now = after_failure(
            LockoutState(credential.failed_attempts, credential.locked_until),
            now,
            auth.settings.lockout_threshold,
            auth.settings.lockout_duration_seconds,
        )
        credential.failed_attempts, credential.locked_until = state.failed_attempts, state.locked_until
        if locked_now and state.locked_until is not None:
            record_event(
                session,
                USER_LOCKED,
                UserLocked(
                    user_id=user.id, tenant_id=user.tenant_id, email=user.email, locked_until=state.locked_until
                ),
                subject=user.id,
            )
            after_commit(session, metrics.LOCKOUTS.inc)
    raise _wrong_password(field)


async def change_password(auth: Auth, principal: Principal, data: PasswordChange) -> None:
    """A new password (the current one proves it is you); every session ends, so sign in again."""
    user = await _check_password(auth, principal, data.current_password, "body.current_password")
    check_password_policy(data.new_password, user.email, auth.settings.password_min_length, "body.new_password")
    password_hash = await auth.passwords.hash(data.new_password)
    async with auth.runtime.database.transaction() as session:
        current, _ = await _me(session, principal)
        await set_password(auth, session, current, password_hash, "change", utcnow())


# --- TOTP ---------------------------------------------------------------------------------------------------


def _mfa_state(detail: str, detail_bn: str, code: str) -> AppError:
    return AppError(409, code, detail, detail_bn)


async def enroll_totp(auth: Auth, session: AsyncSession, principal: Principal) -> TotpEnrollment:
    """A new secret to add to an authenticator app; confirm it with a code to turn MFA on."""
    user, credential = await _me(session, principal, for_update=True)
    if credential.mfa_enabled:
        raise _mfa_state(
            "Two-step sign-in is already on; turn it off first to use another device",
            "দুই-ধাপের সাইন-ইন আগে থেকেই চালু; অন্য ডিভাইস ব্যবহার করতে আগে এটি বন্ধ করুন",
            "mfa_already_enabled",
        )
    secret = new_totp_secret()
    credential.mfa_pending_secret = secret
    await session.flush()
    return TotpEnrollment(secret=secret, otpauth_uri=totp_uri(secret, user.email, auth.settings.mfa_issuer))


async def confirm_totp(session: AsyncSession, principal: Principal, code: str) -> RecoveryCodes:
    """Turn MFA on with a code from the newly enrolled app; answer the recovery codes (shown once)."""
    user, credential = await _me(session, principal, for_update=True)
    if credential.mfa_pending_secret is None:
        raise _mfa_state(
            "Enrol an authenticator app first (POST /api/v1/auth/mfa/totp/enroll)",
            "আগে একটি অথেন্টিকেটর অ্যাপ যুক্ত করুন (POST /api/v1/auth/mfa/totp/enroll)",
            "mfa_not_enrolled",
        )
    step = totp_step(credential.mfa_pending_secret, code, utcnow(), None)
    if step is None:
        raise invalid_field("body.code", "is not the app's current code", "অ্যাপের বর্তমান কোড নয়", code="invalid_code")
    credential.mfa_secret = credential.mfa_pending_secret
    credential.mfa_pending_secret = None
    credential.mfa_enabled = True
    credential.mfa_last_step = step
    codes = await _replace_recovery_codes(session, user.id)
    record_event(
        session,
        MFA_CHANGED,
        MfaChanged(user_id=user.id, tenant_id=user.tenant_id, enabled=True, actor=user.id),
        subject=user.id,
    )
    return RecoveryCodes(recovery_codes=codes)


async def _replace_recovery_codes(session: AsyncSession, user_id: uuid.UUID) -> list[str]:
    repository = RecoveryCodeRepository(session)
    await repository.delete_of_user(user_id)
    codes = new_recovery_codes()
    for code in codes:
        repository.add(RecoveryCode(user_id=user_id, code_hash=recovery_digest(code)))
    await session.flush()
    return codes


async def disable_totp(auth: Auth, principal: Principal, data: TotpDisable) -> None:
    """Turn MFA off: needs the password and a current code (or a recovery code)."""
    await _check_password(auth, principal, data.password, "body.password")
    async with auth.runtime.database.transaction() as session:
        user, credential = await _me(session, principal, for_update=True)
        if not credential.mfa_enabled or credential.mfa_secret is None:
            raise _mfa_state("Two-step sign-in is not on", "দুই-ধাপের সাইন-ইন চালু নেই", "mfa_not_enrolled")
        step = totp_step(credential.mfa_secret, data.code, utcnow(), credential.mfa_last_step)
        recovery = None
        if step is None:
            recovery = await RecoveryCodeRepository(session).unused(user.id, recovery_digest(data.code))
            if recovery is None:
                raise invalid_field("body.code", "wrong or already used", "ভুল বা আগেই ব্যবহৃত", code="invalid_code")
        credential.mfa_enabled = False
        credential.mfa_secret = None
        credential.mfa_last_step = None
        await RecoveryCodeRepository(session).delete_of_user(user.id)
        record_event(
            session,
            MFA_CHANGED,
            MfaChanged(user_id=user.id, tenant_id=user.tenant_id, enabled=False, actor=user.id),
            subject=user.id,
        )
