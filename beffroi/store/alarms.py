"""Repository of alarms: upserts by (tenant, id) with at most one open alarm per key, lookups and queries.

The partial unique index `uq_alarms_open_key` (on tenant and key text, where the state is not cleared) is what
enforces one open alarm per key, across processes. This module orders a batch so that alarms closing are written
before alarms opening, and explains a violation as `DuplicateOpenAlarm`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
import sqlalchemy as sa

from beffroi.domain.alarms import Alarm, AlarmKey, AlarmState, Priority
from beffroi.errors import NotFound
from beffroi.store.errors import DuplicateOpenAlarm
from beffroi.store.statements import check_limit, in_time_range, upsert
from beffroi.store.tables import alarms

CLEARED = AlarmState.CLEARED.value


def prepare(batch: Sequence[Alarm]) -> list[Alarm]:
    """The batch as it will be written: the last version of each alarm, those that close first.

    Raises DuplicateOpenAlarm when the batch itself leaves two open alarms with one key.
    """
    latest: dict[tuple[str, str], Alarm] = {}
    for alarm in batch:
        latest[(alarm.key.tenant_id, alarm.id)] = alarm
    open_by_key: dict[tuple[str, str], Alarm] = {}
    for alarm in latest.values():
        if not alarm.is_open:
            continue
        key = (alarm.key.tenant_id, alarm.key.as_text())
        if key in open_by_key:
            raise DuplicateOpenAlarm(alarm.key.tenant_id, key[1], alarm.id, None)
        open_by_key[key] = alarm
    return sorted(latest.values(), key=lambda alarm: alarm.is_open)


def save_alarms(connection: sa.Connection, batch: Sequence[Alarm]) -> None:
    """Insert or update the alarms (already `prepare`d) by tenant and id."""
    upsert(connection, alarms, [_row(alarm) for alarm in batch])


def find_open_conflict(connection: sa.Connection, batch: Sequence[Alarm]) -> DuplicateOpenAlarm | None:
    """After a failed save: the stored open alarm that an open alarm of the batch collides with, if any."""
    in_batch = {(alarm.key.tenant_id, alarm.id): alarm for alarm in batch}
    table = alarms.c
    for alarm in batch:
        if not alarm.is_open:
            continue
        key_text = alarm.key.as_text()
        statement = sa.select(table.id).where(
            table.tenant_id == alarm.key.tenant_id,
            table.key_text == key_text,
            table.state != CLEARED,
            table.id != alarm.id,
        )
        for stored_id in connection.execute(statement).scalars():
            replacement = in_batch.get((alarm.key.tenant_id, stored_id))
            if replacement is None or replacement.is_open:
                return DuplicateOpenAlarm(alarm.key.tenant_id, key_text, alarm.id, stored_id)
    return None


def get_alarm(connection: sa.Connection, tenant_id: str, alarm_id: str) -> Alarm:
    """One alarm of the tenant; NotFound when there is none (or it belongs to another tenant)."""
    statement = sa.select(alarms).where(alarms.c.tenant_id == tenant_id, alarms.c.id == alarm_id)
    row = connection.execute(statement).first()
    if row is None:
        raise NotFound(f"alarm {alarm_id!r} not found in tenant {tenant_id!r}")
    return _alarm(row)


def open_alarms(connection: sa.Connection, tenant_id: str | None = None) -> list[Alarm]:
    """Every open (not cleared) alarm of the tenant, or of every tenant when `tenant_id` is None; newest first."""
    statement = sa.select(alarms).where(alarms.c.state != CLEARED)
    if tenant_id is not None:
        statement = statement.where(alarms.c.tenant_id == tenant_id)
    statement = statement.order_by(alarms.c.raised_at.desc(), alarms.c.tenant_id, alarms.c.id)
    return [_alarm(row) for row in connection.execute(statement)]


def query_alarms(
    connection: sa.Connection,
    tenant_id: str,
    *,
    states: Sequence[AlarmState] | None = None,
    site_id: str | None = None,
    limit: int = 1000,
) -> list[Alarm]:
    """The tenant's alarms in one of `states` and on one site when given, the most urgent first (priority 1 before
    4), then the newest raised first; `limit` keeps the first ones of that order."""
    statement = sa.select(alarms).where(alarms.c.tenant_id == tenant_id)
    if states is not None:
        statement = statement.where(alarms.c.state.in_([AlarmState(state).value for state in states]))
    if site_id is not None:
        statement = statement.where(alarms.c.site_id == site_id)
    order = (alarms.c.priority, alarms.c.raised_at.desc(), alarms.c.id)
    statement = statement.order_by(*order).limit(check_limit(limit))
    return [_alarm(row) for row in connection.execute(statement)]


class AlarmRaise(msgspec.Struct, frozen=True):
    """When and where one alarm was raised: its site (None: no site), source and type."""

    site_id: str | None
    source: str
    type: str
    raised_at: float


class AlarmRateHistory(msgspec.Struct, frozen=True):
    """What alarm rates are computed from, read in one transaction: the alarms raised in the time asked for
    (oldest first), the sources of the open alarms of the asked type whose condition is still active, and the time
    of the tenant's newest raise (None: no alarm yet)."""

    raises: list[AlarmRaise]
    active_sources: list[str]
    latest_raise: float | None


def alarm_rate_history(
    connection: sa.Connection, tenant_id: str, *, since: float, until: float | None, active_type: str
) -> AlarmRateHistory:
    """The tenant's alarm raises from `since` to `until` (both included; None: no end), with the sources of its
    open alarms of type `active_type` whose condition is active (e.g. the desks flooding now) and its newest raise."""
    table = alarms.c
    raised = (
        sa.select(table.site_id, table.source, table.type, table.raised_at)
        .where(table.tenant_id == tenant_id, *in_time_range(table.raised_at, since, until))
        .order_by(table.raised_at, table.id)
    )
    active = (
        sa.select(table.source)
        .where(
            table.tenant_id == tenant_id,
            table.type == active_type,
            table.state != CLEARED,
            table.condition_active.is_(True),
        )
        .order_by(table.source)
    )
    latest = sa.select(sa.func.max(table.raised_at)).where(table.tenant_id == tenant_id)
    return AlarmRateHistory(
        raises=[AlarmRaise(row.site_id, row.source, row.type, row.raised_at) for row in connection.execute(raised)],
        active_sources=list(connection.execute(active).scalars()),
        latest_raise=connection.execute(latest).scalar_one_or_none(),
    )


def _row(alarm: Alarm) -> dict[str, Any]:
    key = alarm.key
    return {
        "tenant_id": key.tenant_id,
        "id": alarm.id,
        "source": key.source,
        "type": key.type,
        "site_id": key.site_id,
        "zone_id": key.zone_id,
        "key_text": key.as_text(),
        "state": alarm.state.value,
        "priority": int(alarm.priority),
        "message": alarm.message,
        "raised_at": alarm.raised_at,
        "updated_at": alarm.updated_at,
        "last_triggered_at": alarm.last_triggered_at,
        "condition_active": alarm.condition_active,
        "trigger_count": alarm.trigger_count,
        "value": alarm.value,
        "acknowledged_at": alarm.acknowledged_at,
        "acknowledged_by": alarm.acknowledged_by,
        "cleared_at": alarm.cleared_at,
        "cleared_by": alarm.cleared_by,
        "shelved_until": alarm.shelved_until,
        "state_reason": alarm.state_reason,
    }


def _alarm(row: Any) -> Alarm:
    return Alarm(
        id=row.id,
        key=AlarmKey(
            tenant_id=row.tenant_id, source=row.source, type=row.type, site_id=row.site_id, zone_id=row.zone_id
        ),
        state=AlarmState(row.state),
        priority=Priority(row.priority),
        message=row.message,
        raised_at=row.raised_at,
        updated_at=row.updated_at,
        last_triggered_at=row.last_triggered_at,
        condition_active=bool(row.condition_active),
        trigger_count=row.trigger_count,
        value=row.value,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        cleared_at=row.cleared_at,
        cleared_by=row.cleared_by,
        shelved_until=row.shelved_until,
        state_reason=row.state_reason,
    )
