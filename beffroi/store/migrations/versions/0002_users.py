"""Local user accounts of the operator API: one row per (tenant, username), with an argon2 password hash.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=False)


def upgrade() -> None:
    """Create the users table."""
    op.create_table(
        "users",
        _text("tenant_id"),
        _text("username"),
        _text("password_hash"),
        _text("role"),
        _text("display_name"),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "username", name=op.f("pk_users")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_users_tenant_id_tenants")),
    )


def downgrade() -> None:
    """Drop the users table."""
    op.drop_table("users")
