"""Repository of the CAP messages sent for incidents: one row per message (revision) of an incident's CAP series.

A revision is written once: the primary key (tenant, incident, revision) makes a second writer of the same revision
(another process exporting the same incident at the same moment) find it taken, and try again with the next one.
"""

from __future__ import annotations

from typing import Any

import msgspec
import sqlalchemy as sa

from beffroi.store.statements import insert_new
from beffroi.store.tables import incident_cap_messages


class CapMessageRecord(msgspec.Struct, frozen=True):
    """One CAP message sent for an incident: its place in the series (`revision`, from 0), its CAP identity
    (`identifier`, `sender`, `sent` in epoch seconds, `msg_type` Alert/Update/Cancel), the incident's facts it was
    built from (a JSON object, so the message can be rebuilt exactly), and when it was recorded."""

    tenant_id: str
    incident_id: str
    revision: int
    identifier: str
    sender: str
    sent: float
    msg_type: str
    facts: dict[str, Any]
    recorded_at: float


def record_cap_message(connection: sa.Connection, record: CapMessageRecord) -> bool:
    """Insert the message; False (writing nothing) when the incident already has a message of that revision."""
    return insert_new(connection, incident_cap_messages, [msgspec.structs.asdict(record)]) == 1


def cap_messages(connection: sa.Connection, tenant_id: str, incident_id: str) -> list[CapMessageRecord]:
    """The incident's CAP messages, oldest revision first (none for another tenant's incident)."""
    table = incident_cap_messages.c
    statement = (
        sa.select(incident_cap_messages)
        .where(table.tenant_id == tenant_id, table.incident_id == incident_id)
        .order_by(table.revision)
    )
    return [_record(row) for row in connection.execute(statement)]


def _record(row: Any) -> CapMessageRecord:
    return CapMessageRecord(
        tenant_id=row.tenant_id,
        incident_id=row.incident_id,
        revision=row.revision,
        identifier=row.identifier,
        sender=row.sender,
        sent=row.sent,
        msg_type=row.msg_type,
        facts=dict(row.facts),
        recorded_at=row.recorded_at,
    )
