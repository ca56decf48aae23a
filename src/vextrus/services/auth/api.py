"""REST API of the auth service: ``/api/v1/auth/...`` (thin; logic in login, users, roles,
account and apikeys)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from vextrus.kit.db import SessionDep
from vextrus.kit.errors import AppError
from vextrus.kit.events import record_event
from vextrus.kit.pagination import Page, PageRequest, page_request
from vextrus.kit.security import PUBLIC, require
from vextrus.kit.tenancy import Principal
from vextrus.services.auth import account, apikeys, login, roles, users
from vextrus.services.auth.core import Auth, ClientInfo
from vextrus.services.auth.events import SIGNING_KEY_ROTATED, SigningKeyRotated
from vextrus.services.auth.models import ROLE_KEY_LENGTH
from vextrus.services.auth.rbac import ROLE_KEY_PATTERN, permission_catalogue
from vextrus.services.auth.repository import UserRepository
from vextrus.services.auth.schemas import (
    Accepted,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    AssignmentIn,
    AssignmentList,
    AssignmentOut,
    IntrospectIn,
    IntrospectOut,
    InvitationAccept,
    KeyRotationOut,
    LoginIn,
    LogoutIn,
    MeOut,
    MfaLoginIn,
    MfaRequired,
    PasswordChange,
    PasswordReset,
    PasswordResetRequest,
    PermissionList,
    PermissionOut,
    RecoveryCodes,
    RefreshIn,
    RoleCreate,
    RoleList,
    RoleOut,
    RolePatch,
    SessionList,
    SignupIn,
    SignupOut,
    TokenPair,
    TotpConfirm,
    TotpDisable,
    TotpEnrollment,
    UserInvite,
    UserOut,
    UserPatch,
)

PREFIX = "/api/v1/auth"
router = APIRouter(prefix=PREFIX, tags=["auth"])

PERMISSIONS = {
    "auth.self.read": "Read your own profile, roles, permissions and sessions (every signed-in user holds it)",
    "auth.self.manage": "Change your own profile, password, second factor and sessions (every signed-in user)",
    "auth.user.read": "List and read the organisation's users",
    "auth.user.invite": "Invite users to the organisation",
    "auth.user.manage": "Edit users' profiles, activate and deactivate users, reset their second factor",
    "auth.session.read": "See other users' sessions",
    "auth.session.manage": "End other users' sessions",
    "auth.role.read": "Read roles and role assignments",
    "auth.role.manage": "Create, change and delete roles",
    "auth.role.assign": "Assign roles to users and remove them",
    "auth.permission.read": "Read the permission catalogue",
    "auth.api-key.read": "List the organisation's API keys",
    "auth.api-key.manage": "Create and revoke API keys",
    "platform.keys.rotate": "Rotate the token signing key (platform operators only)",
}


def _auth(request: Request) -> Auth:
    return Auth.of(request.app.state.runtime)


AuthDep = Annotated[Auth, Depends(_auth)]


def _client(request: Request) -> ClientInfo:
    host = request.client.host if request.client else None
    return ClientInfo(ip=host, user_agent=request.headers.get("user-agent"))


ClientDep = Annotated[ClientInfo, Depends(_client)]


# --- public: sign-up, login, tokens ---------------------------------------------------------------


@router.post(
    "/signup",
    response_model=SignupOut,
    status_code=201,
    summary="Create an organisation (tenant), its first company and its first administrator",
)
async def signup(body: SignupIn, auth: AuthDep, client: ClientDep, _: None = PUBLIC) -> SignupOut:
    return await login.signup(auth, body, client)


@router.post(
    "/login",
    response_model=TokenPair | MfaRequired,
    summary="Sign in with e-mail and password (answers an MFA step when the user has one)",
)
async def sign_in(body: LoginIn, auth: AuthDep, client: ClientDep, _: None = PUBLIC) -> TokenPair | MfaRequired:
    return await login.login(auth, body, client)


@router.post("/login/mfa", response_model=TokenPair, summary="Complete a sign-in with a TOTP or recovery code")
async def sign_in_mfa(body: MfaLoginIn, auth: AuthDep, client: ClientDep, _: None = PUBLIC) -> TokenPair:
    return await login.login_mfa(auth, body, client)


@router.post("/refresh", response_model=TokenPair, summary="Exchange a refresh token for a new pair (rotation)")
async def refresh(body: RefreshIn, auth: AuthDep, client: ClientDep, _: None = PUBLIC) -> TokenPair:
    return await login.refresh(auth, body, client)


@router.post("/logout", status_code=204, summary="End the session of a refresh token")
async def logout(body: LogoutIn, auth: AuthDep, _: None = PUBLIC) -> Response:
    await login.logout(auth, body.refresh_token)
    return Response(status_code=204)


@router.post(
    "/password/reset-request",
    response_model=Accepted,
    status_code=202,
    summary="Ask for a password reset link (never says whether the e-mail exists)",
)
async def password_reset_request(body: PasswordResetRequest, auth: AuthDep, _: None = PUBLIC) -> Accepted:
    return await login.request_password_reset(auth, body)


@router.post("/password/reset", status_code=204, summary="Set a new password with a reset token")
async def password_reset(body: PasswordReset, auth: AuthDep, _: None = PUBLIC) -> Response:
    await login.reset_password(auth, body)
    return Response(status_code=204)


@router.post("/invitations/accept", status_code=204, summary="Accept an invitation: choose a password")
async def accept_invitation(body: InvitationAccept, auth: AuthDep, _: None = PUBLIC) -> Response:
    await login.accept_invitation(auth, body)
    return Response(status_code=204)


@router.post(
    "/api-keys/introspect",
    response_model=IntrospectOut,
    summary="What an API key may do ({active: false} when it may do nothing)",
)
async def introspect_api_key(body: IntrospectIn, auth: AuthDep, _: None = PUBLIC) -> IntrospectOut:
    return await apikeys.introspect(auth, body.key)


# --- the signed-in user ------------------------------------------------------------------------------


@router.get("/me", response_model=MeOut, summary="Who I am: user, tenant, companies, roles, permissions")
async def get_me(session: SessionDep, auth: AuthDep, principal: Principal = require("auth.self.read")) -> MeOut:
    access = await auth.access_of(principal.tenant_id, principal.subject)  # before the transaction
    return await users.me(session, principal, access)


@router.patch("/me", response_model=UserOut, summary="Change my profile (name, Bengali name, phone, language)")
async def patch_me(body: UserPatch, session: SessionDep, principal: Principal = require("auth.self.manage")) -> UserOut:
    if await UserRepository(session).get(principal.subject) is None:
        raise users.not_a_user()
    return await users.update_profile(session, principal.subject, body, principal.subject)


@router.get("/sessions", response_model=SessionList, summary="My active sessions")
async def my_sessions(session: SessionDep, principal: Principal = require("auth.self.read")) -> SessionList:
    return await users.list_sessions(session, principal.subject)


@router.delete("/sessions/{session_id}", status_code=204, summary="End one of my sessions")
async def end_my_session(
    session_id: uuid.UUID, session: SessionDep, auth: AuthDep, principal: Principal = require("auth.self.manage")
) -> Response:
    await users.revoke_session(auth, session, principal.subject, session_id, "revoked_by_user")
    return Response(status_code=204)


@router.post("/password/change", status_code=204, summary="Change my password (ends all my sessions)")
async def change_password(
    body: PasswordChange, auth: AuthDep, principal: Principal = require("auth.self.manage")
) -> Response:
    await account.change_password(auth, principal, body)
    return Response(status_code=204)


@router.post("/mfa/totp/enroll", response_model=TotpEnrollment, summary="Start setting up an authenticator app")
async def enroll_totp(
    session: SessionDep, auth: AuthDep, principal: Principal = require("auth.self.manage")
) -> TotpEnrollment:
    return await account.enroll_totp(auth, session, principal)


@router.post("/mfa/totp/confirm", response_model=RecoveryCodes, summary="Turn two-step sign-in on with a code")
async def confirm_totp(
    body: TotpConfirm, session: SessionDep, principal: Principal = require("auth.self.manage")
) -> RecoveryCodes:
    return await account.confirm_totp(session, principal, body.code)


@router.post("/mfa/totp/disable", status_code=204, summary="Turn two-step sign-in off (password and code)")
async def disable_totp(
    body: TotpDisable, auth: AuthDep, principal: Principal = require("auth.self.manage")
) -> Response:
    await account.disable_totp(auth, principal, body)
    return Response(status_code=204)


# --- users -----------------------------------------------------------------------------------------


@router.get("/users", response_model=Page[UserOut], summary="The organisation's users")
async def list_users(
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_request)],
    status: Annotated[Literal["invited", "active", "deactivated"] | None, Query()] = None,
    role: Annotated[
        str | None,
        Query(
            min_length=2,
            max_length=ROLE_KEY_LENGTH,
            pattern=ROLE_KEY_PATTERN,
            description="Only users holding this role key now (an assignment not expired)",
        ),
    ] = None,
    company_id: Annotated[
        uuid.UUID | None,
        Query(description="With role: only tenant-wide assignments and those in this company"),
    ] = None,
    principal: Principal = require("auth.user.read"),
) -> Page[UserOut]:
    return await users.list_users(session, page, status, role, company_id)


@router.post("/users/invite", response_model=UserOut, status_code=201, summary="Invite a user (e-mailed a link)")
async def invite_user(
    body: UserInvite, session: SessionDep, auth: AuthDep, principal: Principal = require("auth.user.invite")
) -> UserOut:
    return await users.invite_user(auth, session, principal, body)


@router.get("/users/{user_id}", response_model=UserOut, summary="One user")
async def get_user(
    user_id: uuid.UUID, session: SessionDep, principal: Principal = require("auth.user.read")
) -> UserOut:
    return await users.get_user(session, user_id)


@router.patch("/users/{user_id}", response_model=UserOut, summary="Change a user's profile")
async def patch_user(
    user_id: uuid.UUID, body: UserPatch, session: SessionDep, principal: Principal = require("auth.user.manage")
) -> UserOut:
    return await users.update_profile(session, user_id, body, principal.subject)


@router.post("/users/{user_id}/activate", response_model=UserOut, summary="Let a deactivated user sign in again")
async def activate_user(
    user_id: uuid.UUID, session: SessionDep, principal: Principal = require("auth.user.manage")
) -> UserOut:
    return await users.activate_user(session, principal, user_id)


@router.post("/users/{user_id}/deactivate", response_model=UserOut, summary="Stop a user signing in (ends sessions)")
async def deactivate_user(
    user_id: uuid.UUID, session: SessionDep, auth: AuthDep, principal: Principal = require("auth.user.manage")
) -> UserOut:
    return await users.deactivate_user(auth, session, principal, user_id)


@router.delete("/users/{user_id}/mfa", response_model=UserOut, summary="Turn a user's two-step sign-in off")
async def reset_user_mfa(
    user_id: uuid.UUID, session: SessionDep, principal: Principal = require("auth.user.manage")
) -> UserOut:
    return await users.reset_mfa(session, principal, user_id)


@router.get("/users/{user_id}/sessions", response_model=SessionList, summary="A user's active sessions")
async def user_sessions(
    user_id: uuid.UUID, session: SessionDep, principal: Principal = require("auth.session.read")
) -> SessionList:
    await users.user_or_404(session, user_id)
    return await users.list_sessions(session, user_id)


@router.delete("/users/{user_id}/sessions", status_code=204, summary="End every session of a user")
async def end_user_sessions(
    user_id: uuid.UUID, session: SessionDep, auth: AuthDep, principal: Principal = require("auth.session.manage")
) -> Response:
    await users.revoke_all_sessions(auth, session, user_id, "revoked_by_administrator")
    return Response(status_code=204)


# --- roles and assignments -------------------------------------------------------------------------------


@router.get("/roles", response_model=RoleList, summary="The organisation's roles")
async def list_roles(session: SessionDep, principal: Principal = require("auth.role.read")) -> RoleList:
    return RoleList(items=await roles.list_roles(session))


@router.post("/roles", response_model=RoleOut, status_code=201, summary="Create a role")
async def create_role(
    body: RoleCreate, session: SessionDep, response: Response, principal: Principal = require("auth.role.manage")
) -> RoleOut:
    role = await roles.create_role(session, principal, body)
    response.headers["Location"] = f"{PREFIX}/roles/{role.id}"
    return role


@router.get("/roles/{role_id}", response_model=RoleOut, summary="One role")
async def get_role(
    role_id: uuid.UUID, session: SessionDep, principal: Principal = require("auth.role.read")
) -> RoleOut:
    return await roles.get_role(session, role_id)


@router.patch("/roles/{role_id}", response_model=RoleOut, summary="Change a role (permissions, inheritance, names)")
async def patch_role(
    role_id: uuid.UUID, body: RolePatch, session: SessionDep, principal: Principal = require("auth.role.manage")
) -> RoleOut:
    return await roles.update_role(session, principal, role_id, body)


@router.delete("/roles/{role_id}", status_code=204, summary="Delete a role nobody holds or inherits")
async def delete_role(
    role_id: uuid.UUID, session: SessionDep, principal: Principal = require("auth.role.manage")
) -> Response:
    await roles.delete_role(session, principal, role_id)
    return Response(status_code=204)


@router.get("/users/{user_id}/roles", response_model=AssignmentList, summary="A user's role assignments")
async def list_assignments(
    user_id: uuid.UUID, session: SessionDep, principal: Principal = require("auth.role.read")
) -> AssignmentList:
    return AssignmentList(items=await roles.list_assignments(session, user_id))


@router.post(
    "/users/{user_id}/roles",
    response_model=AssignmentOut,
    status_code=201,
    summary="Assign a role, tenant-wide or in one company, maybe until a time",
)
async def assign_role(
    user_id: uuid.UUID,
    body: AssignmentIn,
    session: SessionDep,
    auth: AuthDep,
    principal: Principal = require("auth.role.assign"),
) -> AssignmentOut:
    companies = None
    if body.company_id is not None:  # asked before our transaction begins
        companies = (await auth.access_of(principal.tenant_id, user_id)).company_ids
    return await roles.assign(session, principal, user_id, body, companies)


@router.delete("/users/{user_id}/roles/{assignment_id}", status_code=204, summary="Remove a role assignment")
async def unassign_role(
    user_id: uuid.UUID,
    assignment_id: uuid.UUID,
    session: SessionDep,
    principal: Principal = require("auth.role.assign"),
) -> Response:
    await roles.unassign(session, principal, user_id, assignment_id)
    return Response(status_code=204)


@router.get("/permissions", response_model=PermissionList, summary="Every permission every service declares")
async def list_permissions(principal: Principal = require("auth.permission.read")) -> PermissionList:
    return PermissionList(
        items=[
            PermissionOut(key=key, service=service, description=description)
            for key, (service, description) in permission_catalogue().items()
        ]
    )


# --- API keys -----------------------------------------------------------------------------------------------


@router.get("/api-keys", response_model=Page[ApiKeyOut], summary="The organisation's API keys (never the keys)")
async def list_api_keys(
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_request)],
    principal: Principal = require("auth.api-key.read"),
) -> Page[ApiKeyOut]:
    return await apikeys.list_api_keys(session, page)


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=201, summary="Create an API key (shown once)")
async def create_api_key(
    body: ApiKeyCreate, session: SessionDep, auth: AuthDep, principal: Principal = require("auth.api-key.manage")
) -> ApiKeyCreated:
    return await apikeys.create_api_key(auth, session, principal, body)


@router.delete("/api-keys/{key_id}", response_model=ApiKeyOut, summary="Revoke an API key")
async def revoke_api_key(
    key_id: uuid.UUID, session: SessionDep, principal: Principal = require("auth.api-key.manage")
) -> ApiKeyOut:
    return await apikeys.revoke_api_key(session, principal, key_id)


# --- signing keys ---------------------------------------------------------------------------------------------


@router.post("/keys/rotate", response_model=KeyRotationOut, summary="Sign new tokens with a new key")
async def rotate_signing_key(
    request: Request, session: SessionDep, principal: Principal = require("platform.keys.rotate")
) -> KeyRotationOut:
    runtime = request.app.state.runtime
    try:
        key = runtime.rotate_signing_key()
    except LookupError as error:
        raise AppError(409, "conflict", str(error)) from None
    trusted = [item.kid for item in runtime.keys.trusted_keys()]
    record_event(
        session,
        SIGNING_KEY_ROTATED,
        SigningKeyRotated(kid=key.kid, trusted_kids=trusted, actor=principal.subject),
        subject=key.kid,
        platform_wide=True,
    )
    return KeyRotationOut(kid=key.kid, trusted_kids=trusted)
