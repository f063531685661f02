"""What the supervisors' alarm rates are read from, on SQLite and PostgreSQL: the tenant's alarms raised in a time
range (oldest first, bounds included), the sources of its open alarms of one type whose condition is active (the
desks flooding now), and its newest raise."""

from __future__ import annotations

from beffroi.domain.alarms import Alarm, AlarmKey, Priority, clear, raise_alarm, return_to_normal
from beffroi.store.alarms import AlarmRaise
from beffroi.store.store import Store
from tests.store.samples import T0

FLOOD = "alarm_flood"


def alarm(
    alarm_id: str,
    ts: float,
    *,
    tenant: str = "paris",
    site: str | None = "stade",
    kind: str = "intrusion",
    source: str | None = None,
) -> Alarm:
    key = AlarmKey(tenant, source or f"dev-{alarm_id}", kind, site, None)
    return raise_alarm(alarm_id, key, Priority.MEDIUM, f"{alarm_id} raised", ts)


def test_the_raises_of_a_range_come_oldest_first_with_their_place_and_kind(store: Store) -> None:
    store.save_alarms(
        [
            alarm("late", T0 + 300),
            alarm("early", T0, site=None),
            alarm("before", T0 - 1),
            alarm("after", T0 + 301),
            alarm("flood", T0 + 100, site=None, kind=FLOOD, source="desk:venues"),
        ]
    )
    history = store.alarm_rate_history("paris", since=T0, until=T0 + 300, active_type=FLOOD)
    assert history.raises == [
        AlarmRaise(None, "dev-early", "intrusion", T0),
        AlarmRaise(None, "desk:venues", FLOOD, T0 + 100),
        AlarmRaise("stade", "dev-late", "intrusion", T0 + 300),
    ]
    assert history.latest_raise == T0 + 301
    unbounded = store.alarm_rate_history("paris", since=T0 + 200, until=None, active_type=FLOOD)
    assert [r.source for r in unbounded.raises] == ["dev-late", "dev-after"]


def test_only_open_alarms_of_the_type_whose_condition_is_active_are_active_sources(store: Store) -> None:
    flooding = alarm("f1", T0, site=None, kind=FLOOD, source="desk:transport")
    calmed = return_to_normal(alarm("f2", T0, site=None, kind=FLOOD, source="desk:venues"), T0 + 600)
    cleared = clear(alarm("f3", T0, site=None, kind=FLOOD, source="desk:fan_zones"), T0 + 700, "sam")
    other = alarm("x", T0, source="desk:main")  # another type with a desk-like source
    store.save_alarms([flooding, calmed, cleared, other])
    history = store.alarm_rate_history("paris", since=T0, until=T0 + 1000, active_type=FLOOD)
    assert history.active_sources == ["desk:transport"]


def test_another_tenants_alarms_are_not_read(store: Store) -> None:
    store.save_alarms(
        [
            alarm("b-1", T0, tenant="lyon"),
            alarm("b-flood", T0, tenant="lyon", site=None, kind=FLOOD, source="desk:venues"),
        ]
    )
    history = store.alarm_rate_history("paris", since=T0 - 10, until=T0 + 10, active_type=FLOOD)
    assert (history.raises, history.active_sources, history.latest_raise) == ([], [], None)
    assert len(store.alarm_rate_history("lyon", since=T0 - 10, until=None, active_type=FLOOD).raises) == 2
