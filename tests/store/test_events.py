"""Events: idempotent by event id, queried newest first by type, site and time."""

from __future__ import annotations

import msgspec

from beffroi.domain.observations import Event
from beffroi.store.store import Store
from tests.store.samples import T0, event


def test_events_round_trip_with_attributes_and_position(store: Store) -> None:
    bare = Event(event_id="ev-2", tenant_id="paris", type="tamper", source="pir-1", ts=T0 + 1.5)
    assert store.insert_events([event(), bare]) == 2
    assert store.query_events("paris") == [bare, event()]


def test_the_same_event_twice_is_stored_once(store: Store) -> None:
    assert store.insert_events([event()]) == 1
    assert store.insert_events([event(), event(event_id="ev-2")]) == 1
    assert store.insert_events([]) == 0
    assert len(store.query_events("paris")) == 2


def test_events_filter_by_type_site_and_time(store: Store) -> None:
    store.insert_events(
        [
            event(event_id="a", ts=T0, type="door_forced"),
            event(event_id="b", ts=T0 + 10, type="tamper"),
            event(event_id="c", ts=T0 + 20, type="door_forced"),
            msgspec.structs.replace(event(event_id="d", ts=T0 + 30), site_id="arena"),
        ]
    )
    assert [e.event_id for e in store.query_events("paris", type="door_forced")] == ["d", "c", "a"]
    assert [e.event_id for e in store.query_events("paris", site_id="arena")] == ["d"]
    assert [e.event_id for e in store.query_events("paris", since=T0 + 10, until=T0 + 20)] == ["c", "b"]
    assert [e.event_id for e in store.query_events("paris", limit=2)] == ["d", "c"]
    assert store.query_events("paris", type="fire") == []
