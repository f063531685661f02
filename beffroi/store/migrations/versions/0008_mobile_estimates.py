"""Mobile-network crowd figures: one row per operator and slot (`mobile_slots`), and one per zone with a published
figure in that slot (`mobile_zone_figures`, the figures as JSON).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=False)


def _timestamp(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    """Create the mobile_slots and mobile_zone_figures tables."""
    op.create_table(
        "mobile_slots",
        _text("tenant_id"),
        _text("operator"),
        _timestamp("slot_start"),
        _timestamp("slot_end"),
        sa.Column("market_share", sa.Double(), nullable=False),
        sa.Column("k", sa.Integer(), nullable=False),
        sa.Column("epsilon", sa.Double(), nullable=True),
        sa.Column("noise_scale", sa.Double(), nullable=True),
        _timestamp("computed_at"),
        sa.PrimaryKeyConstraint("tenant_id", "operator", "slot_start", name=op.f("pk_mobile_slots")),
    )
    op.create_index(op.f("ix_mobile_slots_tenant_id_slot_end"), "mobile_slots", ["tenant_id", "slot_end"])
    op.create_table(
        "mobile_zone_figures",
        _text("tenant_id"),
        _text("zone_id"),
        _timestamp("slot_start"),
        _text("operator"),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "zone_id", "slot_start", "operator", name=op.f("pk_mobile_zone_figures")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "operator", "slot_start"],
            ["mobile_slots.tenant_id", "mobile_slots.operator", "mobile_slots.slot_start"],
            name=op.f("fk_mobile_zone_figures_tenant_id_operator_slot_start_mobile_slots"),
        ),
    )


def downgrade() -> None:
    """Drop the mobile_zone_figures and mobile_slots tables."""
    op.drop_table("mobile_zone_figures")
    op.drop_index(op.f("ix_mobile_slots_tenant_id_slot_end"), table_name="mobile_slots")
    op.drop_table("mobile_slots")
