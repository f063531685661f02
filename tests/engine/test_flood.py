"""Flood control: when a desk floods and calms down, and what the alarm manager does with its alarms meanwhile
(grouped into one summary, priority 1 never grouped, released when the flood ends, resumed after a restart)."""

from __future__ import annotations

import pytest

from beffroi.domain.alarms import AlarmKey, AlarmState, Priority
from beffroi.domain.messages import AlarmChange, AlarmChangeKind
from beffroi.domain.observations import Position
from beffroi.domain.registry import Site
from beffroi.engine.alarm_manager import AlarmManager, summary_key
from beffroi.engine.conditions import Condition
from beffroi.engine.desks import DeskMap, OperatorDesk
from beffroi.engine.flood import FloodMonitor, FloodSettings, NewestRaises
from beffroi.errors import ConfigError
from tests.engine.builders import T0, id_source

FLOOD = FloodSettings()  # more than 10 in 600 s; ends at 5 or fewer for 300 s


# ----- the monitor -----


def test_defaults_are_the_isa_18_2_flood_limit() -> None:
    assert (FLOOD.max_alarms, FLOOD.window_s, FLOOD.calm_count, FLOOD.end_hold_s) == (10, 600.0, 5, 300.0)
    assert FLOOD.window_text == "10 min"
    assert FloodSettings(window_s=90).window_text == "90 s"


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"max_alarms": 0}, "max_alarms"),
        ({"window_s": 0.0}, "window_s"),
        ({"window_s": float("nan")}, "window_s"),
        ({"end_below": 11}, "end_below"),
        ({"end_below": -1}, "end_below"),
        ({"end_hold_s": -1.0}, "end_hold_s"),
    ],
)
def test_bad_flood_settings_name_the_field(kwargs: dict[str, float], problem: str) -> None:
    with pytest.raises(ConfigError, match=f"engine.flood: {problem}"):
        FloodSettings(**kwargs)  # type: ignore[arg-type]


def test_the_eleventh_raise_within_ten_minutes_starts_a_flood() -> None:
    monitor = FloodMonitor(FLOOD)
    assert not any(monitor.record("t1", "paris", T0 + i * 59) for i in range(10))  # 10 in 531 s: no flood
    assert monitor.count("t1", "paris", T0 + 531) == 10
    assert monitor.record("t1", "paris", T0 + 590)
    assert monitor.is_flooding("t1", "paris")
    assert monitor.flooding() == [("t1", "paris", T0 + 590)]
    assert not monitor.record("t1", "paris", T0 + 591)  # already flooding
    assert not monitor.is_flooding("t1", "regions")
    assert not monitor.is_flooding("t2", "paris")


def test_eleven_raises_spread_over_more_than_the_window_are_no_flood() -> None:
    monitor = FloodMonitor(FLOOD)
    assert not any(monitor.record("t1", "paris", T0 + i * 60) for i in range(11))  # first and last 600 s apart
    assert not any(monitor.record("t1", "paris", T0 + 600 + i * 60) for i in range(1, 20))  # a steady 1 a minute


def test_flood_ends_after_the_count_stayed_at_half_for_the_hold_time() -> None:
    monitor = FloodMonitor(FLOOD)
    for i in range(11):
        monitor.record("t1", "paris", T0 + i)
    # the 6th newest raise (T0+5) leaves the window at T0+605; then 5 or fewer remain; plus 300 s of hold
    assert monitor.ends_at("t1", "paris") == T0 + 905
    assert monitor.end_due(T0 + 904) == []
    assert monitor.end_due(T0 + 905) == [("t1", "paris")]
    assert not monitor.is_flooding("t1", "paris")
    assert monitor.ends_at("t1", "paris") is None
    assert monitor.end_due(T0 + 10_000) == []


def test_raises_during_a_flood_push_its_end_back() -> None:
    monitor = FloodMonitor(FLOOD)
    for i in range(11):
        monitor.record("t1", "paris", T0 + i)
    for i in range(6):
        monitor.record("t1", "paris", T0 + 800 + i)  # 6 in the window until T0+1400, then 5 or fewer
    assert monitor.ends_at("t1", "paris") == T0 + 1700
    monitor.record("t1", "paris", T0 + 1300)  # the 6th newest is now T0+801: one second later
    assert monitor.ends_at("t1", "paris") == T0 + 1701
    for i in range(5):
        monitor.record("t1", "paris", T0 + 1301 + i)
    assert monitor.ends_at("t1", "paris") == T0 + 1300 + 600 + 300
    assert monitor.end_due(T0 + 2199) == []


def test_out_of_order_raises_count_where_they_belong() -> None:
    monitor = FloodMonitor(FloodSettings(max_alarms=3, window_s=100))
    for ts in (T0 + 50, T0 + 10, T0 + 99):
        assert not monitor.record("t1", "d", ts)
    assert monitor.record("t1", "d", T0 + 30)  # 4 raises within 89 s
    late = FloodMonitor(FloodSettings(max_alarms=3, window_s=100))
    for ts in (T0 + 200, T0 + 210, T0 + 220):
        late.record("t1", "d", ts)
    assert not late.record("t1", "d", T0)  # older than every kept raise: cannot make a flood


def test_a_desk_keeps_only_max_alarms_plus_one_raise_times() -> None:
    raises = NewestRaises(11)
    for i in range(10_000):
        raises.add(T0 + i)
    assert raises.count_after(T0) == 11
    assert raises.nth_newest(1) == T0 + 9999
    assert raises.nth_newest(11) == T0 + 9989
    assert raises.nth_newest(12) is None


# ----- the alarm manager -----

DESKS = [
    OperatorDesk("transport", site_kinds=frozenset({"transport_hub"})),
    OperatorDesk("venues", site_ids=frozenset({"*"})),
]
SITES = [
    Site(id="gare", tenant_id="t1", name="Gare", kind="transport_hub", position=Position(2.35, 48.88)),
    Site(id="stade", tenant_id="t1", name="Stade", kind="stadium", position=Position(2.36, 48.92)),
]


def manager(flood: FloodSettings = FLOOD, prefix: str = "id") -> AlarmManager:
    """A manager with flood control over two desks: the station (transport) and everything else (venues)."""
    return AlarmManager(id_source(prefix), flood=flood, desks=DeskMap(DESKS, SITES))


def condition(
    n: int, active: bool, ts: float, *, site: str = "stade", priority: Priority = Priority.MEDIUM
) -> Condition:
    """The condition of the n-th door of `site`."""
    key = AlarmKey("t1", f"door-{n}", "door_forced", site, "z1")
    return Condition(key, active, ts, priority, f"Door {n} forced", "event_rule", "door", 1.0)


def flood_venues(m: AlarmManager, count: int = 10) -> list[AlarmChange]:
    """Raise `count` alarms at the venues desk, one a second from T0; every change returned."""
    changes: list[AlarmChange] = []
    for n in range(count):
        changes.extend(m.apply(condition(n, True, T0 + n)))
    return changes


def test_ten_alarms_are_shown_the_eleventh_starts_the_flood_and_a_summary() -> None:
    m = manager()
    shown = flood_venues(m)
    assert [(c.change, c.alarm.state) for c in shown] == [(AlarmChangeKind.RAISED, AlarmState.UNACKNOWLEDGED)] * 10
    grouped, summary = m.apply(condition(10, True, T0 + 10, priority=Priority.LOW))
    assert grouped.change is AlarmChangeKind.RAISED
    assert (grouped.alarm.state, grouped.alarm.state_reason, grouped.alarm.is_hidden) == (
        AlarmState.SUPPRESSED,
        "flood:venues",
        True,
    )
    assert summary.change is AlarmChangeKind.RAISED
    alarm = summary.alarm
    assert alarm.key == summary_key("t1", "venues") == AlarmKey("t1", "desk:venues", "alarm_flood")
    assert (alarm.state, alarm.priority, alarm.value) == (AlarmState.UNACKNOWLEDGED, Priority.LOW, 1.0)
    assert alarm.message == "1 alarms grouped at desk venues (flood: more than 10 in 10 min)"
    assert m.floods() == [("t1", "venues", T0 + 10)]
    assert m.counters()["floods_started"] == 1


def test_more_grouped_alarms_refresh_the_summary_once_per_advance_with_the_most_urgent_priority() -> None:
    m = manager()
    flood_venues(m, 11)
    (only,) = m.apply(condition(11, True, T0 + 11, priority=Priority.HIGH))
    assert only.alarm.state is AlarmState.SUPPRESSED
    assert m.apply(condition(12, True, T0 + 12, priority=Priority.LOW))[0].alarm.state is AlarmState.SUPPRESSED
    (refresh,) = m.advance(T0 + 15)
    assert refresh.change is AlarmChangeKind.RETRIGGERED
    assert (refresh.alarm.key.type, refresh.alarm.value, refresh.alarm.priority) == (
        "alarm_flood",
        3.0,
        Priority.HIGH,
    )
    assert refresh.alarm.message.startswith("3 alarms grouped at desk venues")
    assert m.advance(T0 + 20) == []  # nothing new grouped
    assert m.counters()["flood_grouped"] == 3


def test_priority_one_alarms_are_never_grouped_but_count_towards_the_flood() -> None:
    m = manager()
    flood_venues(m, 10)
    (fire,) = m.apply(condition(10, True, T0 + 10, priority=Priority.CRITICAL))
    assert (fire.change, fire.alarm.state) == (AlarmChangeKind.RAISED, AlarmState.UNACKNOWLEDGED)
    assert m.floods() == [("t1", "venues", T0 + 10)]  # the fire was the 11th alarm: the desk floods
    (fire2,) = m.apply(condition(11, True, T0 + 11, priority=Priority.CRITICAL))
    assert fire2.alarm.state is AlarmState.UNACKNOWLEDGED
    assert m.get_by_key(summary_key("t1", "venues").as_text()) is None  # nothing grouped yet: no summary
    grouped, summary = m.apply(condition(12, True, T0 + 12))
    assert (grouped.alarm.state, summary.alarm.value) == (AlarmState.SUPPRESSED, 1.0)


def test_other_desks_and_retriggers_do_not_flood() -> None:
    m = manager()
    flood_venues(m, 11)
    (station,) = m.apply(condition(99, True, T0 + 20, site="gare"))
    assert station.alarm.state is AlarmState.UNACKNOWLEDGED
    calm = manager()
    (first,) = calm.apply(condition(0, True, T0))
    for i in range(1, 40):  # one alarm going back and forth: re-triggers are no new alarms
        calm.apply(condition(0, i % 2 == 0, T0 + i))
    assert calm.floods() == []
    assert calm.get(first.alarm.id).trigger_count == 20  # type: ignore[union-attr]


def test_when_the_flood_ends_the_summary_returns_to_normal_and_grouped_alarms_come_back_or_clear() -> None:
    m = manager()
    flood_venues(m, 10)
    still, summary = m.apply(condition(10, True, T0 + 10))
    (gone,) = m.apply(condition(11, True, T0 + 11))
    (shelved_one,) = m.apply(condition(12, True, T0 + 12))
    (rtn,) = m.apply(condition(11, False, T0 + 100))  # returned to normal while grouped: stays suppressed
    assert (rtn.alarm.state, rtn.alarm.condition_active) == (AlarmState.SUPPRESSED, False)
    m.shelve("t1", shelved_one.alarm.id, "op", T0 + 101, "looked at it", 10_000)
    m.advance(T0 + 102)
    assert m.advance(T0 + 906) == []  # 6th newest raise at T0+7: calm from T0+607, ends at T0+907
    changes = m.advance(T0 + 907)
    assert [(c.change, c.alarm.id, c.alarm.state, c.actor) for c in changes] == [
        (AlarmChangeKind.RETURNED_TO_NORMAL, summary.alarm.id, AlarmState.RTN_UNACKNOWLEDGED, "engine"),
        (AlarmChangeKind.RETURNED_TO_SERVICE, still.alarm.id, AlarmState.UNACKNOWLEDGED, "engine"),
        (AlarmChangeKind.RETURNED_TO_SERVICE, gone.alarm.id, AlarmState.CLEARED, "engine"),
    ]
    assert changes[0].alarm.value == 3.0
    assert m.get(gone.alarm.id) is None
    assert m.get(shelved_one.alarm.id).state is AlarmState.SHELVED  # type: ignore[union-attr]
    assert m.floods() == []
    assert m.counters()["flood_released"] == 2
    (after,) = m.apply(condition(50, True, T0 + 908))
    assert after.alarm.state is AlarmState.UNACKNOWLEDGED


def test_an_acknowledged_summary_clears_when_the_flood_ends_and_a_new_flood_reuses_an_unacked_one() -> None:
    m = manager()
    flood_venues(m, 10)
    _, summary = m.apply(condition(10, True, T0 + 10))
    m.acknowledge("t1", summary.alarm.id, "op", T0 + 20)
    (rtn, _) = m.advance(T0 + 1000)
    assert rtn.alarm.state is AlarmState.CLEARED
    for n in range(11):  # a second flood: a new summary, its own count
        m.apply(condition(100 + n, True, T0 + 2000 + n))
    second = m.get_by_key(summary_key("t1", "venues").as_text())
    assert second is not None and second.id != summary.alarm.id and second.value == 1.0
    m.advance(T0 + 3000)  # ends unacknowledged: RTN_UNACK
    for n in range(11):
        m.apply(condition(200 + n, True, T0 + 4000 + n))
    third = m.get_by_key(summary_key("t1", "venues").as_text())
    assert third is not None and third.id == second.id  # one alarm per key: the open summary re-triggers
    assert (third.state, third.value, third.trigger_count) == (AlarmState.UNACKNOWLEDGED, 1.0, 2)


def test_a_summary_cleared_by_hand_during_the_flood_comes_back_with_the_next_grouped_alarm() -> None:
    m = manager()
    flood_venues(m, 10)
    _, summary = m.apply(condition(10, True, T0 + 10))
    m.clear("t1", summary.alarm.id, "supervisor", T0 + 11)
    grouped, again = m.apply(condition(11, True, T0 + 12))
    assert grouped.alarm.state is AlarmState.SUPPRESSED
    assert again.change is AlarmChangeKind.RAISED
    assert again.alarm.id != summary.alarm.id
    assert again.alarm.value == 2.0


def test_a_flood_in_progress_is_resumed_after_a_restart() -> None:
    before = manager(prefix="run1")
    flood_venues(before, 10)
    grouped, summary = before.apply(condition(10, True, T0 + 10))
    after = manager(prefix="run2")
    assert after.load(before.open_alarms()) == []
    assert after.floods() == [("t1", "venues", T0 + 10)]  # resumed from the open summary and grouped alarm
    (more,) = after.apply(condition(11, True, T0 + 11))
    assert more.alarm.state is AlarmState.SUPPRESSED
    (refresh,) = after.advance(T0 + 12)
    assert (refresh.alarm.id, refresh.alarm.value) == (summary.alarm.id, 2.0)
    changes = after.advance(T0 + 2000)
    assert {(c.alarm.id, c.alarm.state) for c in changes} == {
        (summary.alarm.id, AlarmState.RTN_UNACKNOWLEDGED),
        (grouped.alarm.id, AlarmState.UNACKNOWLEDGED),
        (more.alarm.id, AlarmState.UNACKNOWLEDGED),
    }


def test_rates_count_every_raise_per_site_and_desk_and_the_floods() -> None:
    m = manager()
    flood_venues(m, 12)
    m.apply(condition(50, True, T0 + 20, site="gare"))
    snapshot = m.rates_snapshot("t1", T0 + 30)
    assert [(s.site_id, s.current) for s in snapshot.sites] == [("gare", 1), ("stade", 12)]
    desks = {d.desk: d for d in snapshot.desks}
    assert (desks["venues"].current, desks["venues"].floods, desks["venues"].grouped) == (12, 1, 2)
    assert desks["venues"].flooding
    assert (desks["transport"].current, desks["transport"].flooding) == (1, False)
    assert snapshot.flood_max_alarms == 10
    health = m.rates_health(T0 + 30)
    assert (health["floods_active"], health["alarms_raised"], health["alarm_rate_desk_max_current"]) == (1, 13, 12)


def test_without_flood_settings_nothing_is_grouped() -> None:
    m = AlarmManager(id_source())
    changes = flood_venues(m, 30)
    assert all(c.alarm.state is AlarmState.UNACKNOWLEDGED for c in changes)
    assert m.floods() == []
    assert m.rates_snapshot("t1", T0 + 30).flood_max_alarms is None
