"""Incidents: the incidents, their alarms (one incident per alarm), timeline, evidence and procedure steps.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable)


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _incident_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", "incident_id"],
        ["incidents.tenant_id", "incidents.id"],
        name=op.f(f"fk_{table}_tenant_id_incident_id_incidents"),
    )


def upgrade() -> None:
    """Create the incident tables and their indexes."""
    op.create_table(
        "incidents",
        _text("tenant_id"),
        _text("id"),
        _text("type"),
        _text("title"),
        sa.Column("priority", sa.Integer(), nullable=False),
        _text("state"),
        _text("rule"),
        _text("site_id", nullable=True),
        _text("zone_id", nullable=True),
        _text("assignee", nullable=True),
        _text("desk", nullable=True),
        _text("disposition", nullable=True),
        _text("duplicate_of", nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        _timestamp("escalated_at", nullable=True),
        _timestamp("opened_at"),
        _timestamp("updated_at"),
        _timestamp("first_alarm_at"),
        _timestamp("last_alarm_at"),
        _timestamp("resolved_at", nullable=True),
        _timestamp("closed_at", nullable=True),
        _text("procedure", nullable=True),
        sa.Column("alarm_ids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_incidents")),
    )
    op.create_index(op.f("ix_incidents_tenant_id_state"), "incidents", ["tenant_id", "state"])
    op.create_index(op.f("ix_incidents_tenant_id_opened_at"), "incidents", ["tenant_id", "opened_at"])
    op.create_table(
        "incident_alarms",
        _text("tenant_id"),
        _text("alarm_id"),
        _text("incident_id"),
        _timestamp("joined_at"),
        _text("alarm_type"),
        _text("source"),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "alarm_id", name=op.f("pk_incident_alarms")),
        _incident_key("incident_alarms"),
    )
    op.create_index(
        op.f("ix_incident_alarms_tenant_id_incident_id"), "incident_alarms", ["tenant_id", "incident_id"]
    )
    op.create_table(
        "incident_timeline",
        _text("tenant_id"),
        _text("id"),
        _text("incident_id"),
        _timestamp("ts"),
        _text("actor"),
        _text("kind"),
        _text("text"),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_incident_timeline")),
        _incident_key("incident_timeline"),
    )
    op.create_index(
        op.f("ix_incident_timeline_tenant_id_incident_id_ts"), "incident_timeline", ["tenant_id", "incident_id", "ts"]
    )
    op.create_index(op.f("ix_incident_timeline_tenant_id_kind_ts"), "incident_timeline", ["tenant_id", "kind", "ts"])
    op.create_table(
        "incident_evidence",
        _text("tenant_id"),
        _text("id"),
        _text("incident_id"),
        _text("kind"),
        _text("ref"),
        _timestamp("ts"),
        _text("added_by"),
        _text("note"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_incident_evidence")),
        _incident_key("incident_evidence"),
    )
    op.create_index(
        op.f("ix_incident_evidence_tenant_id_incident_id"), "incident_evidence", ["tenant_id", "incident_id"]
    )
    op.create_table(
        "incident_procedure_steps",
        _text("tenant_id"),
        _text("incident_id"),
        _text("procedure"),
        _text("step_id"),
        sa.Column("position", sa.Integer(), nullable=False),
        _text("procedure_title"),
        _timestamp("attached_at"),
        _text("text"),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        _text("next_step"),
        _text("status"),
        _text("choice", nullable=True),
        sa.Column("checked", sa.JSON(), nullable=False),
        _text("actor", nullable=True),
        _timestamp("ts", nullable=True),
        _text("justification"),
        _text("note"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "incident_id", "procedure", "step_id", name=op.f("pk_incident_procedure_steps")
        ),
        _incident_key("incident_procedure_steps"),
    )


def downgrade() -> None:
    """Drop the incident tables."""
    for table in ("incident_procedure_steps", "incident_evidence", "incident_timeline", "incident_alarms"):
        op.drop_table(table)
    op.drop_table("incidents")
