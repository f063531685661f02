"""Initial schema: registry, readings, events, alarms, dead letters and the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_ALARM = sa.text("state <> 'cleared'")


def _text(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable)


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _double(name: str, *, nullable: bool = False) -> sa.Column[float]:
    return sa.Column(name, sa.Double(), nullable=nullable)


def upgrade() -> None:
    """Create every table and index."""
    op.create_table(
        "tenants",
        _text("id"),
        _text("name"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
    )
    op.create_table(
        "sites",
        _text("tenant_id"),
        _text("id"),
        _text("name"),
        _text("kind"),
        _double("lon"),
        _double("lat"),
        _text("city"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_sites")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_sites_tenant_id_tenants")),
    )
    op.create_table(
        "zones",
        _text("tenant_id"),
        _text("id"),
        _text("site_id"),
        _text("name"),
        _text("kind"),
        sa.Column("polygon", sa.JSON(), nullable=False),
        _double("area_m2"),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_zones")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "site_id"], ["sites.tenant_id", "sites.id"], name=op.f("fk_zones_tenant_id_site_id_sites")
        ),
    )
    op.create_table(
        "devices",
        _text("tenant_id"),
        _text("id"),
        _text("site_id"),
        _text("zone_id", nullable=True),
        _text("kind"),
        _double("lon"),
        _double("lat"),
        _double("interval_s"),
        sa.Column("metrics", sa.JSON(), nullable=False),
        _text("model"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_devices")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "site_id"], ["sites.tenant_id", "sites.id"], name=op.f("fk_devices_tenant_id_site_id_sites")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "zone_id"], ["zones.tenant_id", "zones.id"], name=op.f("fk_devices_tenant_id_zone_id_zones")
        ),
    )
    op.create_table(
        "readings",
        _text("tenant_id"),
        _text("device_id"),
        _text("metric"),
        _timestamp("ts"),
        _double("value"),
        _text("site_id", nullable=True),
        _text("zone_id", nullable=True),
        _double("lon", nullable=True),
        _double("lat", nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "device_id", "metric", "ts", name=op.f("pk_readings")),
    )
    op.create_table(
        "events",
        _text("tenant_id"),
        _text("event_id"),
        _text("type"),
        _text("source"),
        _timestamp("ts"),
        _text("site_id", nullable=True),
        _text("zone_id", nullable=True),
        _double("lon", nullable=True),
        _double("lat", nullable=True),
        _double("confidence"),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "event_id", name=op.f("pk_events")),
    )
    op.create_index(op.f("ix_events_tenant_id_ts"), "events", ["tenant_id", "ts"])
    op.create_table(
        "alarms",
        _text("tenant_id"),
        _text("id"),
        _text("source"),
        _text("type"),
        _text("site_id", nullable=True),
        _text("zone_id", nullable=True),
        _text("key_text"),
        _text("state"),
        sa.Column("priority", sa.Integer(), nullable=False),
        _text("message"),
        _timestamp("raised_at"),
        _timestamp("updated_at"),
        _timestamp("last_triggered_at"),
        sa.Column("condition_active", sa.Boolean(), nullable=False),
        sa.Column("trigger_count", sa.Integer(), nullable=False),
        _double("value", nullable=True),
        _timestamp("acknowledged_at", nullable=True),
        _text("acknowledged_by", nullable=True),
        _timestamp("cleared_at", nullable=True),
        _text("cleared_by", nullable=True),
        _timestamp("shelved_until", nullable=True),
        _text("state_reason", nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_alarms")),
    )
    op.create_index(op.f("ix_alarms_tenant_id_raised_at"), "alarms", ["tenant_id", "raised_at"])
    op.create_index(
        "uq_alarms_open_key",
        "alarms",
        ["tenant_id", "key_text"],
        unique=True,
        sqlite_where=OPEN_ALARM,
        postgresql_where=OPEN_ALARM,
    )
    op.create_table(
        "dead_letters",
        _text("id"),
        _text("tenant_id", nullable=True),
        _timestamp("ts"),
        _text("source"),
        _text("reason"),
        _text("detail"),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
    )
    op.create_index(op.f("ix_dead_letters_ts"), "dead_letters", ["ts"])
    op.create_table(
        "audit_log",
        _text("tenant_id"),
        _text("id"),
        _timestamp("ts"),
        _text("actor"),
        _text("action"),
        _text("target_type"),
        _text("target_id"),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_tenant_id_ts"), "audit_log", ["tenant_id", "ts"])


def downgrade() -> None:
    """Drop every table (their indexes go with them)."""
    for table in ("audit_log", "dead_letters", "alarms", "events", "readings", "devices", "zones", "sites", "tenants"):
        op.drop_table(table)
