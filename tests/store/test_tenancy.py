"""Tenant isolation: a tenant sees nothing of another tenant through any query method."""

from __future__ import annotations

import pytest

from beffroi.domain.alarms import AlarmState
from beffroi.domain.records import AuditEntry, DeadLetter
from beffroi.errors import NotFound
from beffroi.store.store import Store
from tests.store.samples import T0, alarm, event, load_registry, reading


def _fill_tenant_a(store: Store) -> None:
    load_registry(store, "tenant-a")
    store.insert_readings([reading("tenant-a", ts=T0 + i) for i in range(5)])
    store.insert_events([event("tenant-a")])
    store.save_alarms([alarm("tenant-a")])
    store.insert_dead_letters(
        [DeadLetter(id="dl-a", ts=T0, source="mqtt", reason="bad", detail="bad", raw=b"x", tenant_id="tenant-a")]
    )
    store.append_audit(
        [
            AuditEntry(
                id="au-a",
                ts=T0,
                tenant_id="tenant-a",
                actor="alice",
                action="alarm.ack",
                target_type="alarm",
                target_id="al-1",
            )
        ]
    )


def test_tenant_b_sees_nothing_of_tenant_a(store: Store) -> None:
    _fill_tenant_a(store)
    load_registry(store, "tenant-b")
    b = "tenant-b"
    assert store.list_sites(b)[0].tenant_id == b
    assert {z.tenant_id for z in store.list_zones(b)} == {b}
    assert {d.tenant_id for d in store.list_devices(b, site_id="stade")} == {b}
    assert store.get_device(b, "pc-1").tenant_id == b
    assert store.query_readings(b) == []
    assert store.query_readings(b, device_id="pc-1", metric="count_in", since=T0, until=T0 + 10) == []
    assert store.count_readings(b) == 0
    assert store.query_events(b) == []
    assert store.query_events(b, type="door_forced", site_id="stade") == []
    assert store.open_alarms(b) == []
    assert store.query_alarms(b) == []
    assert store.query_alarms(b, states=list(AlarmState), site_id="stade") == []
    with pytest.raises(NotFound):
        store.get_alarm(b, "al-1")
    assert store.query_dead_letters(b) == []
    assert store.query_audit(b) == []
    assert store.query_audit(b, target_id="al-1") == []


def test_an_unknown_tenant_sees_nothing_either(store: Store) -> None:
    _fill_tenant_a(store)
    c = "tenant-c"
    assert store.list_sites(c) == []
    assert store.list_zones(c) == []
    assert store.list_devices(c) == []
    with pytest.raises(NotFound):
        store.get_device(c, "pc-1")
    assert store.count_readings(c) == 0
    assert store.query_events(c) == []
    assert store.open_alarms(c) == []


def test_the_same_ids_in_two_tenants_are_two_rows(store: Store) -> None:
    _fill_tenant_a(store)
    load_registry(store, "tenant-b")
    assert store.insert_readings([reading("tenant-b", ts=T0)]) == 1
    assert store.insert_events([event("tenant-b")]) == 1
    store.save_alarms([alarm("tenant-b")])
    assert store.count_readings("tenant-a") == 5
    assert store.count_readings("tenant-b") == 1
    assert store.get_alarm("tenant-a", "al-1").key.tenant_id == "tenant-a"
    assert store.get_alarm("tenant-b", "al-1").key.tenant_id == "tenant-b"
    assert [t.id for t in store.list_tenants()] == ["tenant-a", "tenant-b"]
