"""CAP exports of incidents: one row per CAP message sent for an incident (its revision, identifier, sender, sent
time and message type, and the incident's facts it was built from).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=False)


def _timestamp(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    """Create the incident_cap_messages table."""
    op.create_table(
        "incident_cap_messages",
        _text("tenant_id"),
        _text("incident_id"),
        sa.Column("revision", sa.Integer(), nullable=False),
        _text("identifier"),
        _text("sender"),
        _timestamp("sent"),
        _text("msg_type"),
        sa.Column("facts", sa.JSON(), nullable=False),
        _timestamp("recorded_at"),
        sa.PrimaryKeyConstraint("tenant_id", "incident_id", "revision", name=op.f("pk_incident_cap_messages")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "incident_id"],
            ["incidents.tenant_id", "incidents.id"],
            name=op.f("fk_incident_cap_messages_tenant_id_incident_id_incidents"),
        ),
    )


def downgrade() -> None:
    """Drop the incident_cap_messages table."""
    op.drop_table("incident_cap_messages")
