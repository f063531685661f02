"""The schema: every table of the store, as SQLAlchemy Core `Table` objects on one `MetaData`.

Times are stored as timezone-aware timestamps (`timestamptz` on PostgreSQL, ISO text on SQLite) and handed to the
rest of Beffroi as float epoch seconds (UTC) by the `UtcTimestamp` column type. Every table carries a non-null
`tenant_id` except `dead_letters`, whose sender may be unknown. The migration in `migrations/versions` creates
exactly this schema (a test compares them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UtcTimestamp(sa.TypeDecorator[float]):
    """A timezone-aware timestamp column read and written as float epoch seconds (UTC), microsecond precision."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: float | None, dialect: Dialect) -> datetime | None:
        """Epoch seconds -> aware UTC datetime (SQLite stores its wall-clock text, PostgreSQL the instant)."""
        if value is None:
            return None
        return datetime.fromtimestamp(value, UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> float | None:
        """Stored datetime -> epoch seconds; a naive value (SQLite) is UTC."""
        if value is None:
            return None
        moment: datetime = value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()

    @property
    def python_type(self) -> type[float]:
        """Values are floats on the Python side."""
        return float


def _text(name: str, *, nullable: bool = False, **kwargs: Any) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable, **kwargs)


def _tenant() -> sa.Column[str]:
    return _text("tenant_id")


tenants = sa.Table(
    "tenants",
    metadata,
    _text("id", primary_key=True),
    _text("name"),
)

sites = sa.Table(
    "sites",
    metadata,
    _tenant(),
    _text("id"),
    _text("name"),
    _text("kind"),
    sa.Column("lon", sa.Double(), nullable=False),
    sa.Column("lat", sa.Double(), nullable=False),
    _text("city"),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
    sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
)

zones = sa.Table(
    "zones",
    metadata,
    _tenant(),
    _text("id"),
    _text("site_id"),
    _text("name"),
    _text("kind"),
    sa.Column("polygon", sa.JSON(), nullable=False),
    sa.Column("area_m2", sa.Double(), nullable=False),
    sa.Column("capacity", sa.Integer(), nullable=False),
    sa.Column("width_m", sa.Double(), nullable=True),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
    sa.ForeignKeyConstraint(["tenant_id", "site_id"], ["sites.tenant_id", "sites.id"]),
)

devices = sa.Table(
    "devices",
    metadata,
    _tenant(),
    _text("id"),
    _text("site_id"),
    _text("zone_id", nullable=True),
    _text("kind"),
    sa.Column("lon", sa.Double(), nullable=False),
    sa.Column("lat", sa.Double(), nullable=False),
    sa.Column("interval_s", sa.Double(), nullable=False),
    sa.Column("metrics", sa.JSON(), nullable=False),
    _text("model"),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
    sa.ForeignKeyConstraint(["tenant_id", "site_id"], ["sites.tenant_id", "sites.id"]),
    sa.ForeignKeyConstraint(["tenant_id", "zone_id"], ["zones.tenant_id", "zones.id"]),
)

readings = sa.Table(
    "readings",
    metadata,
    _tenant(),
    _text("device_id"),
    _text("metric"),
    sa.Column("ts", UtcTimestamp(), nullable=False),
    sa.Column("value", sa.Double(), nullable=False),
    _text("site_id", nullable=True),
    _text("zone_id", nullable=True),
    sa.Column("lon", sa.Double(), nullable=True),
    sa.Column("lat", sa.Double(), nullable=True),
    # The key is also the one index: "readings of a device/metric in a time range" walks it.
    sa.PrimaryKeyConstraint("tenant_id", "device_id", "metric", "ts"),
)

events = sa.Table(
    "events",
    metadata,
    _tenant(),
    _text("event_id"),
    _text("type"),
    _text("source"),
    sa.Column("ts", UtcTimestamp(), nullable=False),
    _text("site_id", nullable=True),
    _text("zone_id", nullable=True),
    sa.Column("lon", sa.Double(), nullable=True),
    sa.Column("lat", sa.Double(), nullable=True),
    sa.Column("confidence", sa.Double(), nullable=False),
    sa.Column("attributes", sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "event_id"),
    sa.Index(None, "tenant_id", "ts"),
    sa.Index(None, "tenant_id", "source", "ts"),
)

alarms = sa.Table(
    "alarms",
    metadata,
    _tenant(),
    _text("id"),
    _text("source"),
    _text("type"),
    _text("site_id", nullable=True),
    _text("zone_id", nullable=True),
    _text("key_text"),
    _text("state"),
    sa.Column("priority", sa.Integer(), nullable=False),
    _text("message"),
    sa.Column("raised_at", UtcTimestamp(), nullable=False),
    sa.Column("updated_at", UtcTimestamp(), nullable=False),
    sa.Column("last_triggered_at", UtcTimestamp(), nullable=False),
    sa.Column("condition_active", sa.Boolean(), nullable=False),
    sa.Column("trigger_count", sa.Integer(), nullable=False),
    sa.Column("value", sa.Double(), nullable=True),
    sa.Column("acknowledged_at", UtcTimestamp(), nullable=True),
    _text("acknowledged_by", nullable=True),
    sa.Column("cleared_at", UtcTimestamp(), nullable=True),
    _text("cleared_by", nullable=True),
    sa.Column("shelved_until", UtcTimestamp(), nullable=True),
    _text("state_reason", nullable=True),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
    sa.Index(None, "tenant_id", "raised_at"),
    # At most one open alarm per key and tenant; a cleared alarm frees its key.
    sa.Index(
        "uq_alarms_open_key",
        "tenant_id",
        "key_text",
        unique=True,
        sqlite_where=sa.text("state <> 'cleared'"),
        postgresql_where=sa.text("state <> 'cleared'"),
    ),
)

dead_letters = sa.Table(
    "dead_letters",
    metadata,
    _text("id", primary_key=True),
    _text("tenant_id", nullable=True),
    sa.Column("ts", UtcTimestamp(), nullable=False),
    _text("source"),
    _text("reason"),
    _text("detail"),
    sa.Column("raw", sa.LargeBinary(), nullable=False),
    sa.Index(None, "ts"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    _tenant(),
    _text("id"),
    sa.Column("ts", UtcTimestamp(), nullable=False),
    _text("actor"),
    _text("action"),
    _text("target_type"),
    _text("target_id"),
    sa.Column("details", sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
    sa.Index(None, "tenant_id", "ts"),
)

users = sa.Table(
    "users",
    metadata,
    _tenant(),
    _text("username"),
    _text("password_hash"),
    _text("role"),
    _text("display_name"),
    sa.Column("disabled", sa.Boolean(), nullable=False),
    sa.Column("created_at", UtcTimestamp(), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "username"),
    sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
)

# ----- incidents (migration 0003) -----

incidents = sa.Table(
    "incidents",
    metadata,
    _tenant(),
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
    sa.Column("escalated_at", UtcTimestamp(), nullable=True),
    sa.Column("opened_at", UtcTimestamp(), nullable=False),
    sa.Column("updated_at", UtcTimestamp(), nullable=False),
    sa.Column("first_alarm_at", UtcTimestamp(), nullable=False),
    sa.Column("last_alarm_at", UtcTimestamp(), nullable=False),
    sa.Column("resolved_at", UtcTimestamp(), nullable=True),
    sa.Column("closed_at", UtcTimestamp(), nullable=True),
    _text("procedure", nullable=True),
    sa.Column("alarm_ids", sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
    sa.Index(None, "tenant_id", "state"),
    sa.Index(None, "tenant_id", "opened_at"),
)

incident_alarms = sa.Table(
    "incident_alarms",
    metadata,
    _tenant(),
    _text("alarm_id"),
    _text("incident_id"),
    sa.Column("joined_at", UtcTimestamp(), nullable=False),
    _text("alarm_type"),
    _text("source"),
    sa.Column("snapshot", sa.JSON(), nullable=False),
    # One row per incident an alarm joined: an occurrence joins one incident, a later occurrence (the alarm fired
    # again after its incident was resolved) may join another.
    sa.PrimaryKeyConstraint("tenant_id", "incident_id", "alarm_id"),
    sa.ForeignKeyConstraint(["tenant_id", "incident_id"], ["incidents.tenant_id", "incidents.id"]),
    sa.Index(None, "tenant_id", "incident_id"),
    sa.Index(None, "tenant_id", "alarm_id", "joined_at"),
)

incident_timeline = sa.Table(
    "incident_timeline",
    metadata,
    _tenant(),
    _text("id"),
    _text("incident_id"),
    sa.Column("ts", UtcTimestamp(), nullable=False),
    _text("actor"),
    _text("kind"),
    _text("text"),
    sa.Column("data", sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
    sa.ForeignKeyConstraint(["tenant_id", "incident_id"], ["incidents.tenant_id", "incidents.id"]),
    sa.Index(None, "tenant_id", "incident_id", "ts"),
    sa.Index(None, "tenant_id", "kind", "ts"),
)

incident_evidence = sa.Table(
    "incident_evidence",
    metadata,
    _tenant(),
    _text("id"),
    _text("incident_id"),
    _text("kind"),
    _text("ref"),
    sa.Column("ts", UtcTimestamp(), nullable=False),
    _text("added_by"),
    _text("note"),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
    sa.ForeignKeyConstraint(["tenant_id", "incident_id"], ["incidents.tenant_id", "incidents.id"]),
    sa.Index(None, "tenant_id", "incident_id"),
)

incident_procedure_steps = sa.Table(
    "incident_procedure_steps",
    metadata,
    _tenant(),
    _text("incident_id"),
    _text("procedure"),
    _text("step_id"),
    sa.Column("position", sa.Integer(), nullable=False),
    _text("procedure_title"),
    sa.Column("attached_at", UtcTimestamp(), nullable=False),
    _text("text"),
    sa.Column("required", sa.Boolean(), nullable=False),
    sa.Column("checklist", sa.JSON(), nullable=False),
    sa.Column("choices", sa.JSON(), nullable=False),
    _text("next_step"),
    _text("status"),
    _text("choice", nullable=True),
    sa.Column("checked", sa.JSON(), nullable=False),
    _text("actor", nullable=True),
    sa.Column("ts", UtcTimestamp(), nullable=True),
    _text("justification"),
    _text("note"),
    # The language of the texts above, and their translations: the procedure's title's, and the step's (migration 0006).
    _text("language", server_default="en"),
    sa.Column("procedure_translations", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
    sa.Column("translations", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
    # The procedure is part of the key: a reclassified incident keeps the progress of its former procedure.
    sa.PrimaryKeyConstraint("tenant_id", "incident_id", "procedure", "step_id"),
    sa.ForeignKeyConstraint(["tenant_id", "incident_id"], ["incidents.tenant_id", "incidents.id"]),
)

# ----- CAP exports of incidents (migration 0004) -----

incident_cap_messages = sa.Table(
    "incident_cap_messages",
    metadata,
    _tenant(),
    _text("incident_id"),
    sa.Column("revision", sa.Integer(), nullable=False),
    _text("identifier"),
    _text("sender"),
    sa.Column("sent", UtcTimestamp(), nullable=False),
    _text("msg_type"),
    # The incident's facts the message was built from, so a past revision can be rebuilt exactly.
    sa.Column("facts", sa.JSON(), nullable=False),
    sa.Column("recorded_at", UtcTimestamp(), nullable=False),
    # One message per revision: two processes sending the same revision at once, the second insert fails.
    sa.PrimaryKeyConstraint("tenant_id", "incident_id", "revision"),
    sa.ForeignKeyConstraint(["tenant_id", "incident_id"], ["incidents.tenant_id", "incidents.id"]),
)

# ----- mobile-network crowd figures (migration 0008) -----

mobile_slots = sa.Table(
    "mobile_slots",
    metadata,
    _tenant(),
    _text("operator"),
    sa.Column("slot_start", UtcTimestamp(), nullable=False),
    sa.Column("slot_end", UtcTimestamp(), nullable=False),
    sa.Column("market_share", sa.Double(), nullable=False),
    sa.Column("k", sa.Integer(), nullable=False),
    sa.Column("epsilon", sa.Double(), nullable=True),
    sa.Column("noise_scale", sa.Double(), nullable=True),
    sa.Column("computed_at", UtcTimestamp(), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "operator", "slot_start"),
    sa.Index(None, "tenant_id", "slot_end"),
)
"""One row per slot an operator's figures were published for (aggregates only: no identifier, no trajectory)."""

mobile_zone_figures = sa.Table(
    "mobile_zone_figures",
    metadata,
    _tenant(),
    _text("zone_id"),
    sa.Column("slot_start", UtcTimestamp(), nullable=False),
    _text("operator"),
    # present / residents / visitors / day_visitors / origins / flows_in / flows_out, as published (k-protected).
    sa.Column("figures", sa.JSON(), nullable=False),
    # The key is also the one index: "a zone's slots in a time range" walks it.
    sa.PrimaryKeyConstraint("tenant_id", "zone_id", "slot_start", "operator"),
    sa.ForeignKeyConstraint(
        ["tenant_id", "operator", "slot_start"],
        ["mobile_slots.tenant_id", "mobile_slots.operator", "mobile_slots.slot_start"],
    ),
)
"""A zone's published figures of a slot; a zone whose every figure was withheld (fewer than k) has no row."""
