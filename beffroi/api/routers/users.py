"""/api/users: administrators list, create, change and reset the local accounts of their own tenant.

Every change is written with its audit entry in one transaction. An administrator cannot disable their own account
nor lower its role (someone must be left to administer), and another tenant's users do not exist for them (404).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response

from beffroi.api.audit import audit_entry
from beffroi.api.auth.dependencies import Admin, Context
from beffroi.api.auth.passwords import hash_password
from beffroi.api.auth.principal import Principal
from beffroi.api.auth.roles import Role
from beffroi.api.auth.tokens import LOCAL_ISSUER
from beffroi.api.context import ApiContext
from beffroi.api.errors import Conflict
from beffroi.api.schemas import ErrorOut
from beffroi.api.schemas_users import PasswordResetIn, UserChangeIn, UserCreateIn, UserOut
from beffroi.domain.observations import AttributeValue
from beffroi.domain.records import AuditEntry
from beffroi.store.users import UserRecord

router = APIRouter(prefix="/api/users", tags=["users"], responses={422: {"model": ErrorOut}})

NOT_FOUND: dict[int | str, dict[str, object]] = {404: {"model": ErrorOut, "description": "no such user in your tenant"}}
TARGET_TYPE = "user"


@router.get("", response_model=list[UserOut], summary="The local accounts of your tenant, by username")
async def list_users(principal: Admin, context: Context) -> list[UserOut]:
    """Every account of the caller's tenant, disabled ones included (never a password hash)."""
    users = await asyncio.to_thread(context.store.list_users, principal.tenant_id)
    return [UserOut.of(user) for user in users]


@router.get("/{username}", response_model=UserOut, responses=NOT_FOUND, summary="One local account")
async def get_user(username: str, principal: Admin, context: Context) -> UserOut:
    """The account, or 404 when the caller's tenant has none with this name."""
    return UserOut.of(await asyncio.to_thread(context.store.get_user, principal.tenant_id, username))


@router.post(
    "",
    response_model=UserOut,
    status_code=201,
    responses={409: {"model": ErrorOut, "description": "the username is taken in your tenant"}},
    summary="Create a local account",
)
async def create_user(request: UserCreateIn, principal: Admin, context: Context) -> UserOut:
    """A new account in the caller's tenant; 409 `duplicate_username` when the name is taken."""
    password_hash = await asyncio.to_thread(hash_password, request.password)
    user = UserRecord(
        tenant_id=principal.tenant_id,
        username=request.username,
        password_hash=password_hash,
        role=request.role.value,
        display_name=request.display_name,
        disabled=False,
        created_at=context.clock(),
    )
    entry = _audit(context, principal, "user.created", user.username, {"role": user.role})
    if not await asyncio.to_thread(context.store.add_user, user, [entry]):
        raise Conflict("duplicate_username", f"user {request.username!r} already exists in your tenant")
    return UserOut.of(user)


@router.patch(
    "/{username}",
    response_model=UserOut,
    responses={**NOT_FOUND, 409: {"model": ErrorOut, "description": "you cannot disable or demote yourself"}},
    summary="Change an account's role, disable or enable it, rename it",
)
async def change_user(username: str, request: UserChangeIn, principal: Admin, context: Context) -> UserOut:
    """Apply the fields given; each actual change is audited (a field equal to its current value changes nothing)."""
    current = await asyncio.to_thread(context.store.get_user, principal.tenant_id, username)
    _refuse_locking_yourself_out(principal, username, request)
    entries: list[AuditEntry] = []
    role = request.role.value if request.role is not None and request.role.value != current.role else None
    if role is not None:
        details: dict[str, AttributeValue] = {"from_role": current.role, "to_role": role}
        entries.append(_audit(context, principal, "user.role_changed", username, details))
    disabled = request.disabled if request.disabled is not None and request.disabled != current.disabled else None
    if disabled is not None:
        entries.append(_audit(context, principal, "user.disabled" if disabled else "user.enabled", username, {}))
    display_name = request.display_name if request.display_name not in (None, current.display_name) else None
    if display_name is not None:
        details = {"from": current.display_name, "to": display_name}
        entries.append(_audit(context, principal, "user.display_name_changed", username, details))
    if not entries:
        return UserOut.of(current)
    updated = await asyncio.to_thread(
        lambda: context.store.update_user(
            principal.tenant_id,
            username,
            role=role,
            disabled=disabled,
            display_name=display_name,
            audit_entries=entries,
        )
    )
    return UserOut.of(updated)


@router.put(
    "/{username}/password",
    status_code=204,
    response_class=Response,
    responses=NOT_FOUND,
    summary="Reset an account's password",
)
async def reset_password(username: str, request: PasswordResetIn, principal: Admin, context: Context) -> Response:
    """Replace the account's password (tokens already issued stay valid until they expire)."""
    await asyncio.to_thread(context.store.get_user, principal.tenant_id, username)
    password_hash = await asyncio.to_thread(hash_password, request.password)
    entry = _audit(context, principal, "user.password_reset", username, {})
    await asyncio.to_thread(
        lambda: context.store.update_user(
            principal.tenant_id, username, password_hash=password_hash, audit_entries=[entry]
        )
    )
    return Response(status_code=204)


def _refuse_locking_yourself_out(principal: Principal, username: str, request: UserChangeIn) -> None:
    """Conflict (409 `own_account`) when an administrator would disable or demote their own local account."""
    if principal.issuer != LOCAL_ISSUER or principal.subject != username:
        return
    if request.disabled:
        raise Conflict("own_account", "you cannot disable your own account")
    if request.role is not None and request.role is not Role.ADMIN:
        raise Conflict("own_account", "you cannot lower your own role (ask another administrator)")


def _audit(
    context: ApiContext, principal: Principal, action: str, username: str, details: dict[str, AttributeValue]
) -> AuditEntry:
    return audit_entry(
        context,
        tenant_id=principal.tenant_id,
        actor=principal.subject,
        action=action,
        target_type=TARGET_TYPE,
        target_id=username,
        details=details,
    )
