"""An alarm may belong to several incidents, one per occurrence: an alarm that fired again after its incident was
resolved joins a new incident. The key of incident_alarms becomes (tenant, incident, alarm); finding the newest
incident of an alarm gets its own index.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _incident_alarms(key: list[str], *, by_alarm: bool) -> sa.Table:
    """The table as it stands before the change (given to batch mode so SQLite needs no reflection, which writing
    the migration as SQL for a DBA cannot do)."""
    columns: list[sa.schema.SchemaItem] = [
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("alarm_id", sa.String(), nullable=False),
        sa.Column("incident_id", sa.String(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("alarm_type", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
    ]
    indexes: list[sa.schema.SchemaItem] = [sa.Index("ix_incident_alarms_tenant_id_incident_id", "tenant_id", "incident_id")]
    if by_alarm:
        indexes.append(sa.Index("ix_incident_alarms_tenant_id_alarm_id_joined_at", "tenant_id", "alarm_id", "joined_at"))
    return sa.Table(
        "incident_alarms",
        sa.MetaData(),
        *columns,
        sa.PrimaryKeyConstraint(*key, name="pk_incident_alarms"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "incident_id"],
            ["incidents.tenant_id", "incidents.id"],
            name="fk_incident_alarms_tenant_id_incident_id_incidents",
        ),
        *indexes,
    )


def upgrade() -> None:
    """Key incident_alarms by (tenant, incident, alarm) and index (tenant, alarm, joined_at)."""
    before = _incident_alarms(["tenant_id", "alarm_id"], by_alarm=False)
    with op.batch_alter_table("incident_alarms", copy_from=before) as batch:
        batch.drop_constraint("pk_incident_alarms", type_="primary")
        batch.create_primary_key("pk_incident_alarms", ["tenant_id", "incident_id", "alarm_id"])
        batch.create_index("ix_incident_alarms_tenant_id_alarm_id_joined_at", ["tenant_id", "alarm_id", "joined_at"])


def downgrade() -> None:
    """Back to one incident per alarm (keeps the newest incident of each alarm)."""
    op.execute(
        "DELETE FROM incident_alarms WHERE EXISTS (SELECT 1 FROM incident_alarms AS newer "
        "WHERE newer.tenant_id = incident_alarms.tenant_id AND newer.alarm_id = incident_alarms.alarm_id "
        "AND newer.joined_at > incident_alarms.joined_at)"
    )
    before = _incident_alarms(["tenant_id", "incident_id", "alarm_id"], by_alarm=True)
    with op.batch_alter_table("incident_alarms", copy_from=before) as batch:
        batch.drop_index("ix_incident_alarms_tenant_id_alarm_id_joined_at")
        batch.drop_constraint("pk_incident_alarms", type_="primary")
        batch.create_primary_key("pk_incident_alarms", ["tenant_id", "alarm_id"])
