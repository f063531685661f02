"""Alarms: upserts by id, one open alarm per key, a cleared alarm frees its key."""

from __future__ import annotations

import msgspec
import pytest

from beffroi.domain.alarms import Alarm, AlarmState, Priority, acknowledge, clear, retrigger, shelve
from beffroi.errors import NotFound, StoreError
from beffroi.store.errors import DuplicateOpenAlarm
from beffroi.store.store import Store
from tests.store.samples import T0, alarm


def test_an_alarm_round_trips_with_every_field(store: Store) -> None:
    raised = alarm()
    acked = acknowledge(retrigger(raised, T0 + 5, value=4.2), T0 + 6, "alice")
    shelved = shelve(acked, T0 + 7, "bob", "maintenance", T0 + 3600)
    store.save_alarms([shelved])
    assert store.get_alarm("paris", "al-1") == shelved
    assert shelved.acknowledged_by == "alice"
    assert shelved.shelved_until == T0 + 3600


def test_saving_again_updates_the_alarm(store: Store) -> None:
    raised = alarm()
    store.save_alarms([raised])
    acked = acknowledge(raised, T0 + 60, "alice")
    store.save_alarms([acked])
    assert store.get_alarm("paris", "al-1") == acked
    assert store.query_alarms("paris") == [acked]


def test_a_second_open_alarm_with_the_same_key_is_refused(store: Store) -> None:
    store.save_alarms([alarm()])
    with pytest.raises(DuplicateOpenAlarm, match="already open as alarm 'al-1'") as caught:
        store.save_alarms([alarm(alarm_id="al-2", ts=T0 + 5)])
    assert isinstance(caught.value, StoreError)
    assert caught.value.open_alarm_id == "al-1"
    assert caught.value.key_text == "paris|pc-1|density|stade|gate-a"
    assert [a.id for a in store.open_alarms("paris")] == ["al-1"]


def test_a_refused_batch_writes_nothing(store: Store) -> None:
    store.save_alarms([alarm()])
    with pytest.raises(DuplicateOpenAlarm):
        store.save_alarms([alarm(alarm_id="other", type="fire"), alarm(alarm_id="al-2")])
    with pytest.raises(NotFound):
        store.get_alarm("paris", "other")


def test_two_open_alarms_with_one_key_in_one_batch_are_refused(store: Store) -> None:
    with pytest.raises(DuplicateOpenAlarm, match="another alarm of the same batch"):
        store.save_alarms([alarm(), alarm(alarm_id="al-2")])
    assert store.open_alarms() == []


def test_a_cleared_alarm_frees_its_key(store: Store) -> None:
    first = alarm()
    store.save_alarms([first])
    store.save_alarms([clear(first, T0 + 10, "alice")])
    second = alarm(alarm_id="al-2", ts=T0 + 20)
    store.save_alarms([second])
    assert store.open_alarms("paris") == [second]
    assert [a.state for a in store.query_alarms("paris")] == [AlarmState.UNACKNOWLEDGED, AlarmState.CLEARED]


def test_one_batch_may_clear_an_alarm_and_open_its_successor_in_any_order(store: Store) -> None:
    first = alarm()
    store.save_alarms([first])
    second = alarm(alarm_id="al-2", ts=T0 + 20)
    store.save_alarms([second, clear(first, T0 + 10, "alice")])
    assert store.open_alarms("paris") == [second]


def test_the_last_version_of_an_alarm_in_a_batch_wins(store: Store) -> None:
    raised = alarm()
    cleared = clear(raised, T0 + 10, "alice")
    store.save_alarms([raised, cleared])
    assert store.get_alarm("paris", "al-1") == cleared
    store.save_alarms([alarm(alarm_id="al-2", ts=T0 + 20)])


def test_the_same_key_may_be_open_in_two_tenants(store: Store) -> None:
    store.save_alarms([alarm("paris"), alarm("lyon")])
    assert {a.key.tenant_id for a in store.open_alarms()} == {"paris", "lyon"}


def test_open_alarms_of_every_tenant_or_one(store: Store) -> None:
    paris_open = alarm("paris", "p1")
    paris_closed = clear(alarm("paris", "p2", type="fire"), T0 + 1, "x")
    lyon_open = alarm("lyon", "l1", ts=T0 + 5)
    store.save_alarms([paris_open, paris_closed, lyon_open])
    assert store.open_alarms() == [lyon_open, paris_open]
    assert store.open_alarms("paris") == [paris_open]
    assert store.open_alarms("nowhere") == []


def test_query_alarms_by_state_and_site(store: Store) -> None:
    a = alarm(alarm_id="a", type="t1", ts=T0)
    b = acknowledge(alarm(alarm_id="b", type="t2", ts=T0 + 1), T0 + 2, "alice")
    c = msgspec.structs.replace(
        alarm(alarm_id="c", type="t3", ts=T0 + 3), key=msgspec.structs.replace(a.key, type="t3", site_id="arena")
    )
    store.save_alarms([a, b, c])
    assert [x.id for x in store.query_alarms("paris")] == ["c", "b", "a"]
    assert [x.id for x in store.query_alarms("paris", states=[AlarmState.ACKNOWLEDGED])] == ["b"]
    assert [x.id for x in store.query_alarms("paris", states=[AlarmState.UNACKNOWLEDGED])] == ["c", "a"]
    assert store.query_alarms("paris", states=[]) == []
    assert [x.id for x in store.query_alarms("paris", site_id="arena")] == ["c"]
    assert [x.id for x in store.query_alarms("paris", limit=1)] == ["c"]


def test_query_alarms_sorts_by_priority_then_newest_before_it_applies_the_limit(store: Store) -> None:
    def raised(alarm_id: str, priority: Priority, ts: float) -> Alarm:
        return msgspec.structs.replace(alarm(alarm_id=alarm_id, type=alarm_id, ts=ts), priority=priority)

    many_low = [raised(f"low-{i:02d}", Priority.LOW, T0 + 100 + i) for i in range(20)]
    critical_old = raised("critical-old", Priority.CRITICAL, T0)
    critical_new = raised("critical-new", Priority.CRITICAL, T0 + 1)
    medium = raised("medium", Priority.MEDIUM, T0 + 500)
    store.save_alarms([*many_low, critical_old, medium, critical_new])
    assert [x.id for x in store.query_alarms("paris", limit=4)] == ["critical-new", "critical-old", "medium", "low-19"]
    assert [x.id for x in store.query_alarms("paris", limit=1)] == ["critical-new"]
    everything = store.query_alarms("paris")
    assert [(x.priority, -x.raised_at) for x in everything] == sorted((x.priority, -x.raised_at) for x in everything)


def test_get_alarm_of_an_unknown_id_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound, match="alarm 'nope' not found in tenant 'paris'"):
        store.get_alarm("paris", "nope")
