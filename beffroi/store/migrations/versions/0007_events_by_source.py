"""Events by source: the pictures and events of one camera (or any device) are looked up by (tenant, source, ts).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Index events by (tenant, source, ts)."""
    op.create_index(op.f("ix_events_tenant_id_source_ts"), "events", ["tenant_id", "source", "ts"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index(op.f("ix_events_tenant_id_source_ts"), table_name="events")
