"""Repository of local user accounts: one per (tenant, username), holding a password hash, never a password."""

from __future__ import annotations

from typing import Any

import msgspec
import sqlalchemy as sa

from beffroi.errors import NotFound
from beffroi.store.statements import insert_new, upsert
from beffroi.store.tables import users


class UserRecord(msgspec.Struct, frozen=True):
    """A stored account. `password_hash` is an encoded hash (argon2id); `role` is the name of an API role."""

    tenant_id: str
    username: str
    password_hash: str
    role: str
    display_name: str = ""
    disabled: bool = False
    created_at: float = 0.0


def upsert_user(connection: sa.Connection, user: UserRecord) -> None:
    """Insert the account, or replace every field but its key when it exists; its tenant must exist."""
    upsert(connection, users, [msgspec.structs.asdict(user)])


def insert_user(connection: sa.Connection, user: UserRecord) -> bool:
    """Insert a new account; False, writing nothing, when its tenant already has one with this username."""
    return insert_new(connection, users, [msgspec.structs.asdict(user)]) == 1


def update_user(
    connection: sa.Connection,
    tenant_id: str,
    username: str,
    *,
    role: str | None = None,
    disabled: bool | None = None,
    display_name: str | None = None,
    password_hash: str | None = None,
) -> UserRecord:
    """Change the given fields of one account of the tenant (those left None stay); the account as it is now.
    NotFound when the tenant has no such user."""
    changes: dict[str, Any] = {
        name: value
        for name, value in (
            ("role", role),
            ("disabled", disabled),
            ("display_name", display_name),
            ("password_hash", password_hash),
        )
        if value is not None
    }
    if not changes:
        return get_user(connection, tenant_id, username)
    statement = (
        sa.update(users)
        .where(users.c.tenant_id == tenant_id, users.c.username == username)
        .values(**changes)
        .returning(*users.c)
    )
    row = connection.execute(statement).first()
    if row is None:
        raise NotFound(f"user {username!r} not found in tenant {tenant_id!r}")
    return _user(row)


def get_user(connection: sa.Connection, tenant_id: str, username: str) -> UserRecord:
    """One account of the tenant; NotFound when there is none (or it belongs to another tenant)."""
    statement = sa.select(users).where(users.c.tenant_id == tenant_id, users.c.username == username)
    row = connection.execute(statement).first()
    if row is None:
        raise NotFound(f"user {username!r} not found in tenant {tenant_id!r}")
    return _user(row)


def list_users(connection: sa.Connection, tenant_id: str) -> list[UserRecord]:
    """The tenant's accounts, by username."""
    statement = sa.select(users).where(users.c.tenant_id == tenant_id).order_by(users.c.username)
    return [_user(row) for row in connection.execute(statement)]


def _user(row: Any) -> UserRecord:
    return UserRecord(
        tenant_id=row.tenant_id,
        username=row.username,
        password_hash=row.password_hash,
        role=row.role,
        display_name=row.display_name,
        disabled=bool(row.disabled),
        created_at=row.created_at,
    )
