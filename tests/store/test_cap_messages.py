"""The CAP messages sent for incidents, on SQLite and PostgreSQL: recorded once per revision (a second writer of
the same revision writes nothing, its audit entries neither), read back oldest first with their facts, per tenant."""

from __future__ import annotations

import pytest

from beffroi.domain.records import AuditEntry
from beffroi.errors import StoreError
from beffroi.store.cap_messages import CapMessageRecord
from beffroi.store.store import Store
from tests.engine.incident_builders import T0, TENANT, alarm, counter, raised
from tests.store.test_incidents import book


def opened_incident(store: Store) -> str:
    incidents = book()
    changes = incidents.on_alarm_change(raised(alarm("door", "door_forced", T0)))
    store.save_incident_changes(changes)
    return changes[0].incident.id


def message(incident_id: str, revision: int, *, tenant: str = TENANT, title: str = "Door forced") -> CapMessageRecord:
    return CapMessageRecord(
        tenant_id=tenant,
        incident_id=incident_id,
        revision=revision,
        identifier=f"{tenant}:incident:{incident_id}:r{revision}",
        sender="control@city.example",
        sent=T0 + 10.25 * revision,
        msg_type="Alert" if revision == 0 else "Update",
        facts={"title": title, "priority": 2, "polygon": [[[2.36, 48.92], [2.37, 48.92], [2.36, 48.93]]]},
        recorded_at=T0 + 100 + revision,
    )


def audit(entry_id: str) -> AuditEntry:
    return AuditEntry(entry_id, T0, TENANT, "sam", "incident.cap_sent", "incident", "x")


def test_messages_read_back_oldest_revision_first(store: Store) -> None:
    incident_id = opened_incident(store)
    second, first = message(incident_id, 1, title="Break-in"), message(incident_id, 0)
    assert store.record_cap_message(second) and store.record_cap_message(first, [audit("a-1")])
    assert store.cap_messages(TENANT, incident_id) == [first, second]
    assert [entry.id for entry in store.query_audit(TENANT)] == ["a-1"]


def test_a_revision_is_recorded_once(store: Store) -> None:
    incident_id = opened_incident(store)
    assert store.record_cap_message(message(incident_id, 0), [audit("a-1")])
    assert not store.record_cap_message(message(incident_id, 0, title="another"), [audit("a-2")])
    assert [m.facts["title"] for m in store.cap_messages(TENANT, incident_id)] == ["Door forced"]
    assert [entry.id for entry in store.query_audit(TENANT)] == ["a-1"]


def test_messages_are_kept_per_tenant_and_need_their_incident(store: Store) -> None:
    incident_id = opened_incident(store)
    store.record_cap_message(message(incident_id, 0))
    assert store.cap_messages("another-tenant", incident_id) == []
    assert store.cap_messages(TENANT, counter("none")()) == []
    with pytest.raises(StoreError):
        store.record_cap_message(message(incident_id, 0, tenant="another-tenant"))
