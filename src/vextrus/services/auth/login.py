"""The public protocol: sign-up, login (with its MFA step), refresh, logout, password reset and
invitation acceptance.

These flows run their own short transactions instead of one per request: a password is verified
(argon2, ~100 ms) with no transaction open, and the organization service is called between
transactions (on SQLite a caller must not hold the single writer lock across a call). Rows are
found before the tenant is known only inside ``cross_tenant()``, by the e-mail or the secret
presented; every write runs as the tenant concerned.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.db import after_commit
from vextrus.kit.errors import AppError, FieldError
from vextrus.kit.events import record_event
from vextrus.kit.models import new_id, utcnow
from vextrus.kit.tenancy import acting_as, cross_tenant
from vextrus.services.auth import metrics
from vextrus.services.auth.core import (
    Auth,
    ClientInfo,
    add_refresh_token,
    invalid_credentials,
    open_session,
    resolve_access,
    revoke_sessions,
    tenant_refused,
    token_pair,
    user_deactivated,
)
from vextrus.services.auth.events import (
    LOGIN_FAILED,
    PASSWORD_CHANGED,
    PASSWORD_RESET_REQUESTED,
    SESSION_REVOKED,
    TOKEN_REFRESHED,
    TOKEN_REUSE_DETECTED,
    USER_ACTIVATED,
    USER_LOCKED,
    USER_LOGGED_OUT,
    USER_LOGIN,
    USER_REGISTERED,
    LoginFailed,
    LoginFailureReason,
    PasswordChanged,
    PasswordResetRequested,
    SessionRevoked,
    TokenRefreshed,
    TokenReuseDetected,
    UserLocked,
    UserLoggedOut,
    UserLogin,
    UserRegistered,
    UserStatusChanged,
)
from vextrus.services.auth.models import Credential, OneTimeToken, Session, User
from vextrus.services.auth.passwords import check_password_policy
from vextrus.services.auth.rbac import TENANT_ADMIN
from vextrus.services.auth.repository import (
    CredentialRepository,
    OneTimeTokenRepository,
    RecoveryCodeRepository,
    RefreshTokenRepository,
    SessionRepository,
    UserRepository,
    accounts_by_email,
    credentials_of,
    one_time_token_by_hash,
    refresh_token_by_hash,
)
from vextrus.services.auth.roles import ensure_builtin_roles, grant
from vextrus.services.auth.schemas import (
    Accepted,
    InvitationAccept,
    LoginIn,
    MfaLoginIn,
    MfaRequired,
    PasswordReset,
    PasswordResetRequest,
    RefreshIn,
    SignupIn,
    SignupOut,
    TenantOut,
    TokenPair,
)
from vextrus.services.auth.tokens import (
    INVITATION_TOKEN,
    MFA_TOKEN,
    REFRESH_TOKEN,
    RESET_TOKEN,
    LockoutState,
    after_failure,
    digest,
    is_locked,
    looks_like,
    new_secret,
    recovery_digest,
    totp_step,
)
from vextrus.services.auth.users import new_user, user_out
from vextrus.services.organization.client import TenantRef, UserAccess

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$")


def _signup_disabled() -> AppError:
    return AppError(
        403,
        "signup_disabled",
        "Public sign-up is turned off on this Vextrus installation; ask your administrator for an invitation",
        "এই Vextrus-এ সাধারণ সাইন-আপ বন্ধ; আমন্ত্রণের জন্য আপনার প্রশাসকের সাথে যোগাযোগ করুন",
    )


def _organization_error(error: AppError) -> AppError:
    """The organization service's answer to a sign-up, with its fields named as in our body."""
    if not error.errors:
        return error
    errors = [
        FieldError("body.organization." + item.field.removeprefix("body."), item.code, item.reason, item.reason_bn)
        for item in error.errors
    ]
    return AppError(error.status, error.code, error.detail, error.detail_bn, errors, error.headers, error.extra)


def _record_login(session: AsyncSession, user: User, session_id: uuid.UUID, method: str, client: ClientInfo) -> None:
    record_event(
        session,
        USER_LOGIN,
        UserLogin(
            user_id=user.id,
            tenant_id=user.tenant_id,
            session_id=session_id,
            method=method,
            ip=client.ip,
        ),
        subject=user.id,
        tenant_id=user.tenant_id,
        actor=str(user.id),
    )


def _record_failure(
    session: AsyncSession, email: str, reason: LoginFailureReason, client: ClientInfo, user: User | None = None
) -> None:
    record_event(
        session,
        LOGIN_FAILED,
        LoginFailed(
            email=email,
            reason=reason,
            tenant_id=user.tenant_id if user else None,
            user_id=user.id if user else None,
            ip=client.ip,
        ),
        subject=user.id if user else email,
        tenant_id=user.tenant_id if user else None,
        platform_wide=user is None,
    )


# --- sign-up ---------------------------------------------------------------------------------------------


async def signup(auth: Auth, data: SignupIn, client: ClientInfo) -> SignupOut:
    """A new tenant, its first company and its first administrator, signed in."""
    if not auth.settings.signup_enabled:
        raise _signup_disabled()
    person = data.user
    check_password_policy(person.password, person.email, auth.settings.password_min_length, "body.user.password")
    password_hash = await auth.passwords.hash(person.password)
    tenant_id, user_id = new_id(), new_id()
    try:
        provisioned = await auth.organization.provision_tenant(
            tenant_id=tenant_id,
            name=data.organization.name,
            slug=data.organization.slug,
            admin_user_id=user_id,
            type=data.organization.type,
            name_bn=data.organization.name_bn,
        )
    except AppError as error:
        raise _organization_error(error) from None
    now = utcnow()
    tenant = TenantRef(provisioned.tenant_id, provisioned.slug, data.organization.name, provisioned.status)
    with acting_as(tenant_id=tenant_id):
        async with auth.runtime.database.transaction() as session:
            graph = await ensure_builtin_roles(session)
            user, credential = await new_user(
                session,
                email=person.email,
                full_name=person.full_name,
                name_bn=person.name_bn,
                phone=person.phone,
                preferred_language=person.preferred_language,
                status="active",
                user_id=user_id,
                password_hash=password_hash,
                now=now,
            )
            credential.last_login_at = now
            await grant(session, user, graph.by_key[TENANT_ADMIN], company_id=None, expires_at=None, actor=None)
            record_event(
                session,
                USER_REGISTERED,
                UserRegistered(user_id=user.id, tenant_id=tenant_id, email=user.email, full_name=user.full_name),
                subject=user.id,
                actor=str(user.id),
            )
            access = UserAccess(tenant=tenant, company_ids=(provisioned.company_id,))
            resolved = await resolve_access(session, user, access, provisioned.company_id, now)
            opened, pair = await open_session(auth, session, user, resolved, "signup", client, now)
            _record_login(session, user, opened.id, "signup", client)
            await session.flush()
            out = user_out(user, credential)
    return SignupOut(
        user=out,
        tenant=TenantOut(id=tenant.id, slug=tenant.slug, name=tenant.name, status=tenant.status),
        company_id=provisioned.company_id,
        tokens=pair,
    )


# --- login ------------------------------------------------------------------------------------------------


@dataclass
class _Candidate:
    user: User
    credential: Credential
    matched: bool = False
    locked: bool = False


async def _candidates(auth: Auth, email: str, tenant_slug: str | None) -> list[_Candidate]:
    """The accounts ``email`` may sign in to (in the named tenant only, when one is named)."""
    tenant_id = None
    if tenant_slug is not None:
        slug = tenant_slug.strip().lower()
        tenant = await auth.organization.tenant_by_slug(slug) if _SLUG.match(slug) else None
        if tenant is None:
            return []
        tenant_id = tenant.id
    with cross_tenant():
        async with auth.runtime.database.transaction() as session:
            users = [user for user in await accounts_by_email(session, email) if tenant_id in (None, user.tenant_id)]
            if not users:
                return []
            credentials = await credentials_of(session, [user.id for user in users])
    return [_Candidate(user, credentials[user.id]) for user in users if user.id in credentials]


async def _register_failures(auth: Auth, candidates: list[_Candidate], email: str, client: ClientInfo) -> None:
    """Count a failed attempt against every account tried (lockout), or log an unknown e-mail."""
    database = auth.runtime.database
    if not candidates:
        async with database.transaction() as session:
            _record_failure(session, email, "unknown_email", client)
        return
    now = utcnow()
    settings = auth.settings
    for candidate in candidates:
        user = candidate.user
        with acting_as(tenant_id=user.tenant_id):
            async with database.transaction() as session:
                credential = await CredentialRepository(session).of(user.id, for_update=True)
                if credential is None:
                    continue
                was_locked = is_locked(credential.locked_until, now)
                state, locked_now = after_failure(
                    LockoutState(credential.failed_attempts, credential.locked_until),
                    now,
                    settings.lockout_threshold,
                    settings.lockout_duration_seconds,
                )
                credential.failed_attempts, credential.locked_until = state.failed_attempts, state.locked_until
                _record_failure(session, email, "locked" if was_locked else "wrong_password", client, user)
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


def _tenant_required(tenants: list[TenantRef]) -> AppError:
    return AppError(
        422,
        "tenant_required",
        "This e-mail has accounts in several organisations: name the one to sign in to in 'tenant'",
        "এই ই-মেইলের একাধিক প্রতিষ্ঠানে অ্যাকাউন্ট আছে: কোনটিতে সাইন-ইন করবেন তা 'tenant'-এ লিখুন",
        errors=[
            FieldError(
                "body.tenant",
                "required",
                "name the organisation (its slug)",
                "প্রতিষ্ঠানের নাম (slug) লিখুন",
            )
        ],
        extra={"tenants": [{"slug": tenant.slug, "name": tenant.name} for tenant in tenants]},
    )


async def _refuse_after_password(
    auth: Auth, user: User, email: str, reason: LoginFailureReason, client: ClientInfo
) -> None:
    """Record a refusal that is told to the person (who proved the password)."""
    with acting_as(tenant_id=user.tenant_id):
        async with auth.runtime.database.transaction() as session:
            _record_failure(session, email, reason, client, user)
    metrics.LOGIN_ATTEMPTS.labels(reason).inc()


async def login(auth: Auth, data: LoginIn, client: ClientInfo) -> TokenPair | MfaRequired:
    """Password sign-in. The answer for an unknown e-mail, a wrong password and a locked account is
    the same, and costs the same (a real or dummy argon2 verification each)."""
    email = data.email.strip().lower()
    candidates = await _candidates(auth, email, data.tenant)
    if not candidates:
        await auth.passwords.verify_dummy(data.password)
    now = utcnow()
    for candidate in candidates:
        verified = await auth.passwords.verify(candidate.credential.password_hash, data.password)
        candidate.locked = is_locked(candidate.credential.locked_until, now)
        candidate.matched = verified and not candidate.locked
    matched = [candidate for candidate in candidates if candidate.matched]
    if not matched:
        await _register_failures(auth, candidates, email, client)
        metrics.LOGIN_ATTEMPTS.labels("invalid_credentials").inc()
        raise invalid_credentials()
    if len(matched) > 1:
        tenants = [(await auth.access_of(item.user.tenant_id, item.user.id)).tenant for item in matched]
        metrics.LOGIN_ATTEMPTS.labels("tenant_required").inc()
        raise _tenant_required(tenants)
    user = matched[0].user
    if user.status != "active":
        await _refuse_after_password(auth, user, email, "user_deactivated", client)
        raise user_deactivated()
    access = await auth.access_of(user.tenant_id, user.id)
    if not access.tenant.active:
        reason: LoginFailureReason = "tenant_suspended" if access.tenant.status == "suspended" else "tenant_closed"
        await _refuse_after_password(auth, user, email, reason, client)
        raise tenant_refused(access.tenant)
    stored_hash = matched[0].credential.password_hash
    new_hash = (
        await auth.passwords.hash(data.password)
        if stored_hash is not None and auth.passwords.needs_rehash(stored_hash)
        else None
    )
    now = utcnow()
    with acting_as(tenant_id=user.tenant_id):
        async with auth.runtime.database.transaction() as session:
            credential = await CredentialRepository(session).of(user.id, for_update=True)
            if credential is None or is_locked(credential.locked_until, now):
                raise invalid_credentials()  # locked meanwhile by concurrent failures
            if new_hash is not None:
                credential.password_hash = new_hash
            if credential.mfa_enabled:
                secret = new_secret(MFA_TOKEN)
                ttl = auth.settings.mfa_token_ttl_seconds
                OneTimeTokenRepository(session).add(
                    OneTimeToken(
                        user_id=user.id,
                        purpose="mfa_login",
                        token_hash=digest(secret),
                        expires_at=now + dt.timedelta(seconds=ttl),
                    )
                )
                result: TokenPair | MfaRequired = MfaRequired(mfa_token=secret, expires_in=ttl)
                outcome = "mfa_required"
            else:
                credential.failed_attempts = 0
                credential.last_login_at = now
                resolved = await resolve_access(session, user, access, None, now)
                opened, result = await open_session(auth, session, user, resolved, "password", client, now)
                _record_login(session, user, opened.id, "password", client)
                outcome = "success"
    metrics.LOGIN_ATTEMPTS.labels(outcome).inc()
    return result


def _invalid_mfa_token() -> AppError:
    return AppError(
        401,
        "invalid_mfa_token",
        "This sign-in step has expired or was already used; sign in again with your password",
        "সাইন-ইনের এই ধাপের মেয়াদ শেষ বা আগেই ব্যবহৃত; পাসওয়ার্ড দিয়ে আবার সাইন-ইন করুন",
        headers={"WWW-Authenticate": "Bearer"},
    )


def _invalid_mfa_code() -> AppError:
    return AppError(
        401,
        "invalid_mfa_code",
        "The verification code is wrong or was already used",
        "যাচাই কোডটি ভুল বা আগেই ব্যবহৃত",
        errors=[FieldError("body.code", "invalid_code", "wrong or already used", "ভুল বা আগেই ব্যবহৃত")],
        headers={"WWW-Authenticate": "Bearer"},
    )


async def _one_time_token(auth: Auth, secret: str, purpose: str) -> tuple[OneTimeToken, User, Credential] | None:
    """The unused, unexpired one-time token presented, with its user (found across tenants)."""
    now = utcnow()
    with cross_tenant():
        async with auth.runtime.database.transaction() as session:
            token = await one_time_token_by_hash(session, digest(secret), purpose)
            if token is None or token.used_at is not None or token.expires_at <= now:
                return None
            user = await session.get(User, token.user_id)
            credential = await session.get(Credential, token.user_id)
    if user is None or credential is None:
        return None
    return token, user, credential


async def login_mfa(auth: Auth, data: MfaLoginIn, client: ClientInfo) -> TokenPair:
    """The second step of a login with MFA: a TOTP code (once each) or an unused recovery code."""
    if not looks_like(data.mfa_token, MFA_TOKEN):
        raise _invalid_mfa_token()
    found = await _one_time_token(auth, data.mfa_token, "mfa_login")
    if found is None or found[0].attempts >= auth.settings.mfa_max_attempts:
        raise _invalid_mfa_token()
    challenge, user, _ = found
    if user.status != "active":
        raise user_deactivated()
    access = await auth.access_of(user.tenant_id, user.id)
    if not access.tenant.active:
        raise tenant_refused(access.tenant)
    now = utcnow()
    settings = auth.settings
    result: TokenPair | None = None
    failure: AppError | None = None
    with acting_as(tenant_id=user.tenant_id):
        async with auth.runtime.database.transaction() as session:
            tokens = OneTimeTokenRepository(session)
            current = await tokens.get(challenge.id)
            credential = await CredentialRepository(session).of(user.id, for_update=True)
            if current is None or current.used_at is not None or credential is None or not credential.mfa_secret:
                raise _invalid_mfa_token()
            step = (
                None
                if is_locked(credential.locked_until, now)
                else totp_step(credential.mfa_secret, data.code, now, credential.mfa_last_step)
            )
            recovery = None
            if step is None and not is_locked(credential.locked_until, now):
                recovery = await RecoveryCodeRepository(session).unused(user.id, recovery_digest(data.code))
            if step is None and recovery is None:
                current.attempts += 1
                if current.attempts >= settings.mfa_max_attempts:
                    current.used_at = now
                state, locked_now = after_failure(
                    LockoutState(credential.failed_attempts, credential.locked_until),
                    now,
                    settings.lockout_threshold,
                    settings.lockout_duration_seconds,
                )
                credential.failed_attempts, credential.locked_until = state.failed_attempts, state.locked_until
                _record_failure(session, user.email, "wrong_mfa_code", client, user)
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
                failure = _invalid_mfa_code()
            else:
                if not await tokens.use(current.id, now):
                    raise _invalid_mfa_token()
                if step is not None:
                    credential.mfa_last_step = step
                if recovery is not None:
                    recovery.used_at = now
                credential.failed_attempts = 0
                credential.last_login_at = now
                resolved = await resolve_access(session, user, access, None, now)
                opened, result = await open_session(auth, session, user, resolved, "mfa", client, now)
                _record_login(session, user, opened.id, "mfa", client)
    if failure is not None:
        metrics.LOGIN_ATTEMPTS.labels("mfa_failed").inc()
        raise failure
    assert result is not None
    metrics.LOGIN_ATTEMPTS.labels("success").inc()
    return result


# --- refresh and logout ---------------------------------------------------------------------------------------


def _invalid_refresh_token() -> AppError:
    return AppError(
        401,
        "invalid_refresh_token",
        "The refresh token is invalid, expired or revoked; sign in again",
        "রিফ্রেশ টোকেনটি সঠিক নয়, মেয়াদোত্তীর্ণ বা বাতিল; আবার সাইন-ইন করুন",
        headers={"WWW-Authenticate": "Bearer"},
    )


def _refresh_token_reused() -> AppError:
    return AppError(
        401,
        "refresh_token_reused",
        "This refresh token was already used: the session has been ended for safety; sign in again",
        "এই রিফ্রেশ টোকেনটি আগেই ব্যবহৃত হয়েছে: নিরাপত্তার জন্য সেশনটি বন্ধ করা হয়েছে; আবার সাইন-ইন করুন",
        headers={"WWW-Authenticate": "Bearer"},
    )


@dataclass(frozen=True)
class _Presented:
    token_id: uuid.UUID
    spent: bool
    expired: bool
    session: Session
    user: User


async def _presented_refresh_token(auth: Auth, secret: str) -> _Presented | None:
    if not looks_like(secret, REFRESH_TOKEN):
        return None
    now = utcnow()
    with cross_tenant():
        async with auth.runtime.database.transaction() as session:
            token = await refresh_token_by_hash(session, digest(secret))
            if token is None:
                return None
            owner = await session.get(Session, token.session_id)
            user = await session.get(User, owner.user_id) if owner is not None else None
    if owner is None or user is None:
        return None
    return _Presented(token.id, token.spent_at is not None, token.expires_at <= now, owner, user)


async def _revoke_family(auth: Auth, presented: _Presented, client: ClientInfo) -> None:
    """A spent refresh token came back: whoever holds the family may be a thief. End it."""
    user = presented.user
    with acting_as(tenant_id=user.tenant_id):
        async with auth.runtime.database.transaction() as session:
            owner = await SessionRepository(session).get(presented.session.id)
            if owner is None:
                return
            revoked = await revoke_sessions(auth, session, [owner], "refresh_token_reuse", utcnow())
            record_event(
                session,
                TOKEN_REUSE_DETECTED,
                TokenReuseDetected(user_id=user.id, tenant_id=user.tenant_id, session_id=owner.id, ip=client.ip),
                subject=user.id,
            )
            if revoked:
                record_event(
                    session,
                    SESSION_REVOKED,
                    SessionRevoked(
                        user_id=user.id, tenant_id=user.tenant_id, session_ids=revoked, reason="refresh_token_reuse"
                    ),
                    subject=user.id,
                )
    metrics.TOKEN_REFRESH.labels("reuse_detected").inc()


async def refresh(auth: Auth, data: RefreshIn, client: ClientInfo) -> TokenPair:
    """Exchange a refresh token for a new pair; the presented one is spent (rotation)."""
    presented = await _presented_refresh_token(auth, data.refresh_token)
    if presented is None:
        metrics.TOKEN_REFRESH.labels("invalid").inc()
        raise _invalid_refresh_token()
    now = utcnow()
    owner, user = presented.session, presented.user
    if owner.revoked_at is not None:  # an ended session: its tokens are merely invalid
        metrics.TOKEN_REFRESH.labels("invalid").inc()
        raise _invalid_refresh_token()
    if presented.spent:
        await _revoke_family(auth, presented, client)
        raise _refresh_token_reused()
    if presented.expired or owner.expires_at <= now:
        metrics.TOKEN_REFRESH.labels("invalid").inc()
        raise _invalid_refresh_token()
    if user.status != "active":
        metrics.TOKEN_REFRESH.labels("invalid").inc()
        raise user_deactivated()
    access = await auth.access_of(user.tenant_id, user.id)
    if not access.tenant.active:
        metrics.TOKEN_REFRESH.labels("invalid").inc()
        raise tenant_refused(access.tenant)
    if data.company_id is not None and data.company_id not in access.company_ids:
        raise AppError(
            422,
            "validation_failed",
            "body.company_id: you are not a member of this company",
            "body.company_id: আপনি এই কোম্পানির সদস্য নন",
            errors=[FieldError("body.company_id", "not_a_member", "not one of your companies", "আপনার কোম্পানি নয়")],
        )
    ttl = auth.settings.refresh_token_ttl_seconds
    result: TokenPair | None = None
    with acting_as(tenant_id=user.tenant_id):
        async with auth.runtime.database.transaction() as session:
            current = await SessionRepository(session).get(owner.id)
            if current is None or current.revoked_at is not None:
                raise _invalid_refresh_token()
            if await RefreshTokenRepository(session).spend(presented.token_id, now):
                current.last_used_at = now
                resolved = await resolve_access(session, user, access, data.company_id or current.company_id, now)
                current.company_id = resolved.acting_company_id
                secret = add_refresh_token(session, current, now, ttl)
                result = token_pair(auth, resolved.principal, secret, current, ttl)
                record_event(
                    session,
                    TOKEN_REFRESHED,
                    TokenRefreshed(user_id=user.id, tenant_id=user.tenant_id, session_id=current.id),
                    subject=user.id,
                    actor=str(user.id),
                )
    if result is None:  # spent concurrently by another exchange: treat as reuse
        await _revoke_family(auth, presented, client)
        raise _refresh_token_reused()
    metrics.TOKEN_REFRESH.labels("success").inc()
    return result


async def logout(auth: Auth, refresh_token: str) -> None:
    """End the session the refresh token belongs to (idempotent: an unknown token changes nothing)."""
    presented = await _presented_refresh_token(auth, refresh_token)
    if presented is None:
        return
    user = presented.user
    with acting_as(tenant_id=user.tenant_id):
        async with auth.runtime.database.transaction() as session:
            owner = await SessionRepository(session).get(presented.session.id)
            if owner is None or owner.revoked_at is not None:
                return
            await revoke_sessions(auth, session, [owner], "logout", utcnow())
            record_event(
                session,
                USER_LOGGED_OUT,
                UserLoggedOut(user_id=user.id, tenant_id=user.tenant_id, session_id=owner.id),
                subject=user.id,
                actor=str(user.id),
            )


# --- password reset and invitations ---------------------------------------------------------------------------


def _invalid_token(field: str = "body.token") -> AppError:
    return AppError(
        400,
        "invalid_token",
        "The link is invalid, expired or already used; ask for a new one",
        "লিংকটি সঠিক নয়, মেয়াদোত্তীর্ণ বা আগেই ব্যবহৃত; নতুন একটি চেয়ে নিন",
        errors=[FieldError(field, "invalid_token", "invalid, expired or used", "সঠিক নয়, মেয়াদোত্তীর্ণ বা ব্যবহৃত")],
    )


async def request_password_reset(auth: Auth, data: PasswordResetRequest) -> Accepted:
    """Send a reset token to each active account of the e-mail (the answer never says if any exists)."""
    email = data.email.strip().lower()
    candidates = await _candidates(auth, email, data.tenant)
    now = utcnow()
    ttl = auth.settings.password_reset_ttl_seconds
    for candidate in candidates:
        user = candidate.user
        if user.status != "active":
            continue
        with acting_as(tenant_id=user.tenant_id):
            async with auth.runtime.database.transaction() as session:
                tokens = OneTimeTokenRepository(session)
                await tokens.use_all(user.id, "password_reset", now)  # only the newest link works
                secret = new_secret(RESET_TOKEN)
                expires_at = now + dt.timedelta(seconds=ttl)
                tokens.add(
                    OneTimeToken(
                        user_id=user.id, purpose="password_reset", token_hash=digest(secret), expires_at=expires_at
                    )
                )
                record_event(
                    session,
                    PASSWORD_RESET_REQUESTED,
                    PasswordResetRequested(
                        user_id=user.id,
                        tenant_id=user.tenant_id,
                        email=user.email,
                        full_name=user.full_name,
                        preferred_language=user.preferred_language,
                        reset_token=secret,
                        expires_at=expires_at,
                    ),
                    subject=user.id,
                )
    return Accepted(
        detail="If the e-mail belongs to an account, a password reset link is on its way",
    )


async def set_password(
    auth: Auth, session: AsyncSession, user: User, password_hash: str, via: str, now: dt.datetime
) -> None:
    credential = await CredentialRepository(session).of(user.id, for_update=True)
    assert credential is not None
    credential.password_hash = password_hash
    credential.password_changed_at = now
    credential.failed_attempts = 0
    credential.locked_until = None
    revoked = await revoke_sessions(
        auth, session, await SessionRepository(session).of_user(user.id), f"password_{via}", now
    )
    record_event(
        session,
        PASSWORD_CHANGED,
        PasswordChanged(user_id=user.id, tenant_id=user.tenant_id, via=via),
        subject=user.id,
        actor=str(user.id),
    )
    if revoked:
        record_event(
            session,
            SESSION_REVOKED,
            SessionRevoked(user_id=user.id, tenant_id=user.tenant_id, session_ids=revoked, reason=f"password_{via}"),
            subject=user.id,
        )


async def reset_password(auth: Auth, data: PasswordReset) -> None:
    """Set a new password with a reset token; every session of the user ends."""
    if not looks_like(data.token, RESET_TOKEN):
        raise _invalid_token()
    found = await _one_time_token(auth, data.token, "password_reset")
    if found is None or found[1].status != "active":
        raise _invalid_token()
    token, user, _ = found
    check_password_policy(data.new_password, user.email, auth.settings.password_min_length, "body.new_password")
    password_hash = await auth.passwords.hash(data.new_password)
    now = utcnow()
    with acting_as(tenant_id=user.tenant_id):
        async with auth.runtime.database.transaction() as session:
            if not await OneTimeTokenRepository(session).use(token.id, now):
                raise _invalid_token()
            current = await UserRepository(session).get(user.id)
            assert current is not None
            await set_password(auth, session, current, password_hash, "reset", now)


async def accept_invitation(auth: Auth, data: InvitationAccept) -> None:
    """The invited user chooses a password; the account becomes active."""
    if not looks_like(data.token, INVITATION_TOKEN):
        raise _invalid_token()
    found = await _one_time_token(auth, data.token, "invitation")
    if found is None or found[1].status != "invited":
        raise _invalid_token()
    token, user, _ = found
    check_password_policy(data.password, user.email, auth.settings.password_min_length, "body.password")
    password_hash = await auth.passwords.hash(data.password)
    now = utcnow()
    with acting_as(tenant_id=user.tenant_id):
        async with auth.runtime.database.transaction() as session:
            if not await OneTimeTokenRepository(session).use(token.id, now):
                raise _invalid_token()
            current = await UserRepository(session).get(user.id)
            assert current is not None
            current.status = "active"
            current.activated_at = now
            await set_password(auth, session, current, password_hash, "invitation", now)
            record_event(
                session,
                USER_ACTIVATED,
                UserStatusChanged(
                    user_id=current.id, tenant_id=current.tenant_id, status="active", via="invitation", actor=current.id
                ),
                subject=current.id,
                actor=str(current.id),
            )
