"""POST /api/auth/login (local accounts) and GET /api/auth/me; every login, good or bad, is audited."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from beffroi.api.audit import audit_entry
from beffroi.api.auth.dependencies import Context, Viewer
from beffroi.api.auth.errors import AuthenticationFailed
from beffroi.api.auth.passwords import burn_verification_time, verify_password
from beffroi.api.auth.roles import Role
from beffroi.api.context import ApiContext
from beffroi.api.schemas import ErrorOut, LoginIn, MeOut, TokenOut
from beffroi.errors import NotFound

router = APIRouter(prefix="/api/auth", tags=["auth"])

WRONG_CREDENTIALS = "unknown tenant or user, wrong password, or disabled account"


@router.post(
    "/login",
    response_model=TokenOut,
    summary="Exchange a local account's password for a bearer token",
    responses={401: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)
async def login(credentials: LoginIn, context: Context) -> TokenOut:
    """A token for the account, or 401 (the same answer whether the user, the password or the account is wrong)."""
    user = None
    try:
        user = await asyncio.to_thread(context.store.get_user, credentials.tenant, credentials.username)
    except NotFound:
        await asyncio.to_thread(burn_verification_time, credentials.password)
    accepted = False
    if user is not None:
        accepted = await asyncio.to_thread(verify_password, user.password_hash, credentials.password)
        accepted = accepted and not user.disabled
    if user is None or not accepted:
        await _audit_failure(context, credentials, "unknown_user" if user is None else "refused")
        raise AuthenticationFailed("invalid_credentials", WRONG_CREDENTIALS)
    role = Role.parse(user.role)
    issued = context.tokens.issue(user.username, user.tenant_id, role)
    await _audit(context, credentials.tenant, credentials.username, "auth.login", {})
    return TokenOut(
        access_token=issued.token,
        token_type="bearer",
        expires_at=issued.expires_at,
        tenant=user.tenant_id,
        username=user.username,
        role=role.value,
    )


@router.get("/me", response_model=MeOut, summary="Who the bearer token says you are")
async def me(principal: Viewer) -> MeOut:
    """The caller's name, tenant, role and token issuer."""
    return MeOut(
        subject=principal.subject, tenant_id=principal.tenant_id, role=principal.role.value, issuer=principal.issuer
    )


async def _audit_failure(context: ApiContext, credentials: LoginIn, why: str) -> None:
    tenants = await asyncio.to_thread(context.store.list_tenants)
    if any(tenant.id == credentials.tenant for tenant in tenants):  # no audit rows for made-up tenants
        await _audit(context, credentials.tenant, credentials.username, "auth.login_failed", {"why": why})


async def _audit(context: ApiContext, tenant_id: str, username: str, action: str, details: dict[str, str]) -> None:
    entry = audit_entry(
        context,
        tenant_id=tenant_id,
        actor=username,
        action=action,
        target_type="user",
        target_id=username,
        details=dict(details),
    )
    await asyncio.to_thread(context.store.append_audit, [entry])
