"""Zones keep their walkway width: `zones.width_m`, the clear width (metres) people walk through a gate, a corridor
or a platform access, for Fruin levels of service. Nullable: zones saved before, and zones without one, have none.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable width_m column to zones."""
    op.add_column("zones", sa.Column("width_m", sa.Double(), nullable=True))


def downgrade() -> None:
    """Drop it (the zones stay, without their widths)."""
    op.drop_column("zones", "width_m")
