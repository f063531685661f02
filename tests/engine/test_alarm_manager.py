"""Alarm manager: one open alarm per key, the ISA-18.2 paths, operator actions and their audit, restart, chatter."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from beffroi.domain.alarms import AlarmKey, AlarmState, Priority
from beffroi.domain.messages import AlarmChange, AlarmChangeKind
from beffroi.engine.alarm_manager import AlarmManager
from beffroi.engine.conditions import Condition
from beffroi.errors import ConfigError, InvalidTransition, NotFound, RejectedInput
from tests.engine.builders import T0, id_source, open_alarm

KEY = AlarmKey("t1", "smk-1", "fire_alarm", "site-a", "zone-1")


def condition(active: bool, ts: float, key: AlarmKey = KEY, value: float | None = 5.0) -> Condition:
    """A condition of the smoke rule."""
    return Condition(key, active, ts, Priority.CRITICAL, "Smoke detected", "threshold", "smoke", value)


def raised(manager: AlarmManager, ts: float = T0) -> str:
    """Raise the alarm of KEY; its id."""
    (change,) = manager.apply(condition(True, ts))
    assert change.change is AlarmChangeKind.RAISED
    return change.alarm.id


def kinds(changes: list[AlarmChange]) -> list[AlarmChangeKind]:
    """The kinds of the changes, in order."""
    return [c.change for c in changes]


def test_active_condition_raises_once_and_repeats_change_nothing() -> None:
    manager = AlarmManager(id_source())
    (change,) = manager.apply(condition(True, T0))
    assert change.change is AlarmChangeKind.RAISED
    assert change.actor == "engine"
    alarm = change.alarm
    assert (alarm.state, alarm.priority, alarm.message, alarm.value, alarm.raised_at) == (
        AlarmState.UNACKNOWLEDGED,
        Priority.CRITICAL,
        "Smoke detected",
        5.0,
        T0,
    )
    for ts in (T0, T0 + 1, T0 + 2):  # redelivery and repeats
        assert manager.apply(condition(True, ts)) == []
    assert len(manager.open_alarms()) == 1


def test_inactive_condition_without_alarm_or_already_normal_changes_nothing() -> None:
    manager = AlarmManager(id_source())
    assert manager.apply(condition(False, T0)) == []
    raised(manager)
    assert kinds(manager.apply(condition(False, T0 + 1))) == [AlarmChangeKind.RETURNED_TO_NORMAL]
    assert manager.apply(condition(False, T0 + 2)) == []


def test_raise_ack_rtn_clears() -> None:
    manager = AlarmManager(id_source())
    alarm_id = raised(manager)
    change, audit = manager.acknowledge("t1", alarm_id, "op-anne", T0 + 5)
    assert change.change is AlarmChangeKind.ACKNOWLEDGED
    assert change.actor == "op-anne"
    assert change.alarm.state is AlarmState.ACKNOWLEDGED
    assert (audit.actor, audit.action, audit.target_type, audit.target_id) == (
        "op-anne",
        "alarm.acknowledged",
        "alarm",
        alarm_id,
    )
    assert audit.details == {"from_state": "unacknowledged", "to_state": "acknowledged"}
    (rtn,) = manager.apply(condition(False, T0 + 10))
    assert rtn.change is AlarmChangeKind.RETURNED_TO_NORMAL
    assert rtn.alarm.state is AlarmState.CLEARED
    assert rtn.alarm.cleared_at == T0 + 10
    assert manager.get(alarm_id) is None
    assert manager.open_alarms() == []


def test_raise_rtn_ack_clears() -> None:
    manager = AlarmManager(id_source())
    alarm_id = raised(manager)
    (rtn,) = manager.apply(condition(False, T0 + 10))
    assert rtn.alarm.state is AlarmState.RTN_UNACKNOWLEDGED
    change, _ = manager.acknowledge("t1", alarm_id, "op-anne", T0 + 20)
    assert change.alarm.state is AlarmState.CLEARED
    assert change.alarm.cleared_by == "op-anne"
    assert manager.get(alarm_id) is None


def test_rtn_unack_retrigger_goes_back_to_unack_on_the_same_alarm() -> None:
    manager = AlarmManager(id_source())
    alarm_id = raised(manager)
    manager.apply(condition(False, T0 + 10))
    (again,) = manager.apply(condition(True, T0 + 20, value=9.0))
    assert again.change is AlarmChangeKind.RETRIGGERED
    assert again.alarm.id == alarm_id
    assert again.alarm.state is AlarmState.UNACKNOWLEDGED
    assert (again.alarm.trigger_count, again.alarm.last_triggered_at, again.alarm.value) == (2, T0 + 20, 9.0)


def test_a_new_alarm_is_opened_after_the_previous_one_cleared() -> None:
    manager = AlarmManager(id_source())
    first = raised(manager)
    manager.apply(condition(False, T0 + 1))
    manager.acknowledge("t1", first, "op", T0 + 2)
    second = raised(manager, T0 + 3)
    assert second != first


def test_shelve_with_reason_hides_until_expiry_then_unshelves() -> None:
    manager = AlarmManager(id_source())
    alarm_id = raised(manager)
    change, audit = manager.shelve("t1", alarm_id, "op-bob", T0 + 1, "known fault, technician on site", 600)
    assert change.change is AlarmChangeKind.SHELVED
    assert change.alarm.state is AlarmState.SHELVED
    assert change.alarm.is_hidden
    assert audit.action == "alarm.shelved"
    assert audit.details["reason"] == "known fault, technician on site"
    assert audit.details["until"] == T0 + 601
    assert manager.expire_shelves(T0 + 600) == []
    (expired,) = manager.expire_shelves(T0 + 601)
    assert expired.change is AlarmChangeKind.UNSHELVED
    assert expired.actor == "engine"
    assert expired.alarm.state is AlarmState.UNACKNOWLEDGED
    assert manager.expire_shelves(T0 + 10_000) == []


def test_shelved_alarm_tracks_its_condition_and_clears_on_expiry_if_normal() -> None:
    manager = AlarmManager(id_source())
    alarm_id = raised(manager)
    manager.shelve("t1", alarm_id, "op", T0 + 1, "noisy", 60)
    (rtn,) = manager.apply(condition(False, T0 + 2))
    assert rtn.alarm.state is AlarmState.SHELVED
    assert not rtn.alarm.condition_active
    (again,) = manager.apply(condition(True, T0 + 3))
    assert again.alarm.state is AlarmState.SHELVED
    assert manager.apply(condition(True, T0 + 4)) == []
    manager.apply(condition(False, T0 + 5))
    (expired,) = manager.expire_shelves(T0 + 61)
    assert expired.alarm.state is AlarmState.CLEARED
    assert manager.get(alarm_id) is None


@pytest.mark.parametrize("reason", ["", "   "])
def test_shelve_without_reason_is_refused(reason: str) -> None:
    manager = AlarmManager(id_source())
    alarm_id = raised(manager)
    with pytest.raises(InvalidTransition, match="without a reason"):
        manager.shelve("t1", alarm_id, "op", T0 + 1, reason, 60)
    assert manager.get(alarm_id).state is AlarmState.UNACKNOWLEDGED  # type: ignore[union-attr]


@pytest.mark.parametrize("duration_s", [0.0, -5.0, float("nan"), float("inf")])
def test_shelve_for_a_bad_duration_is_refused(duration_s: float) -> None:
    manager = AlarmManager(id_source())
    alarm_id = raised(manager)
    with pytest.raises(RejectedInput, match="duration"):
        manager.shelve("t1", alarm_id, "op", T0 + 1, "reason", duration_s)


def test_suppress_and_return_to_service() -> None:
    manager = AlarmManager(id_source())
    alarm_id = raised(manager)
    change, audit = manager.suppress("t1", alarm_id, "op-sup", T0 + 1, "zone in maintenance")
    assert change.alarm.state is AlarmState.SUPPRESSED
    assert audit.details["reason"] == "zone in maintenance"
    assert change.alarm.state_reason == "op-sup: zone in maintenance"
    back, audit = manager.return_to_service("t1", alarm_id, "op-sup", T0 + 2)
    assert back.change is AlarmChangeKind.RETURNED_TO_SERVICE
    assert back.alarm.state is AlarmState.UNACKNOWLEDGED
    assert audit.action == "alarm.returned_to_service"
    with pytest.raises(InvalidTransition, match="without a reason"):
        manager.suppress("t1", alarm_id, "op", T0 + 3, "")


def test_out_of_service_and_back_when_normal_clears() -> None:
    manager = AlarmManager(id_source())
    alarm_id = raised(manager)
    change, audit = manager.take_out_of_service("t1", alarm_id, "tech", T0 + 1, "sensor under repair")
    assert change.alarm.state is AlarmState.OUT_OF_SERVICE
    assert audit.details == {
        "reason": "sensor under repair",
        "from_state": "unacknowledged",
        "to_state": "out_of_service",
    }
    manager.apply(condition(False, T0 + 2))
    back, _ = manager.return_to_service("t1", alarm_id, "tech", T0 + 3)
    assert back.alarm.state is AlarmState.CLEARED
    assert manager.get(alarm_id) is None
    with pytest.raises(NotFound):
        manager.take_out_of_service("t1", alarm_id, "tech", T0 + 4, "again")


def test_return_to_service_of_a_visible_alarm_is_refused() -> None:
    manager = AlarmManager(id_source())
    alarm_id = raised(manager)
    with pytest.raises(InvalidTransition, match="return to service"):
        manager.return_to_service("t1", alarm_id, "op", T0 + 1)


def test_unshelve_by_hand_is_an_unshelved_change() -> None:
    manager = AlarmManager(id_source())
    alarm_id = raised(manager)
    manager.shelve("t1", alarm_id, "op", T0 + 1, "reason", 600)
    change, _ = manager.return_to_service("t1", alarm_id, "op", T0 + 2)
    assert change.change is AlarmChangeKind.UNSHELVED
    assert manager.expire_shelves(T0 + 1000) == []


def test_clear_by_hand_records_the_reason_and_frees_the_key() -> None:
    manager = AlarmManager(id_source())
    alarm_id = raised(manager)
    change, audit = manager.clear("t1", alarm_id, "supervisor", T0 + 1, reason="false alarm, tested")
    assert change.change is AlarmChangeKind.CLEARED
    assert change.alarm.cleared_by == "supervisor"
    assert audit.details["reason"] == "false alarm, tested"
    assert manager.apply(condition(True, T0 + 2))[0].change is AlarmChangeKind.RAISED


def test_acknowledging_twice_is_an_invalid_transition() -> None:
    manager = AlarmManager(id_source())
    alarm_id = raised(manager)
    manager.acknowledge("t1", alarm_id, "op", T0 + 1)
    with pytest.raises(InvalidTransition, match="acknowledge"):
        manager.acknowledge("t1", alarm_id, "op", T0 + 2)


@pytest.mark.parametrize(
    "action",
    [
        lambda m, i: m.acknowledge("t2", i, "op", T0),
        lambda m, i: m.shelve("t2", i, "op", T0, "reason", 60),
        lambda m, i: m.suppress("t2", i, "op", T0, "reason"),
        lambda m, i: m.take_out_of_service("t2", i, "op", T0, "reason"),
        lambda m, i: m.return_to_service("t2", i, "op", T0),
        lambda m, i: m.clear("t2", i, "op", T0),
        lambda m, i: m.acknowledge("t1", "no-such-alarm", "op", T0),
    ],
)
def test_actions_on_another_tenants_or_an_unknown_alarm_are_not_found(
    action: Callable[[AlarmManager, str], object],
) -> None:
    manager = AlarmManager(id_source())
    alarm_id = raised(manager)
    with pytest.raises(NotFound):
        action(manager, alarm_id)
    assert manager.get(alarm_id).state is AlarmState.UNACKNOWLEDGED  # type: ignore[union-attr]


def test_keys_of_other_tenants_and_places_are_separate_alarms() -> None:
    manager = AlarmManager(id_source())
    keys = [KEY, AlarmKey("t2", "smk-1", "fire_alarm", "site-a", "zone-1"), AlarmKey("t1", "smk-1", "fire_alarm")]
    for key in keys:
        assert kinds(manager.apply(condition(True, T0, key))) == [AlarmChangeKind.RAISED]
    assert len(manager.open_alarms()) == 3


def test_load_after_restart_keeps_de_duplication() -> None:
    before = AlarmManager(id_source("run1"))
    alarm_id = raised(before)
    before.shelve("t1", alarm_id, "op", T0 + 1, "noisy", 100)
    after = AlarmManager(id_source("run2"))
    assert after.load(before.open_alarms()) == []
    assert after.apply(condition(True, T0 + 2)) == []
    assert after.get(alarm_id) is not None
    (expired,) = after.expire_shelves(T0 + 101)
    assert expired.alarm.id == alarm_id
    (rtn,) = after.apply(condition(False, T0 + 102))
    assert rtn.alarm.id == alarm_id


def test_load_rejects_cleared_and_the_older_of_two_alarms_with_one_key() -> None:
    manager = AlarmManager(id_source())
    older = open_alarm("old", KEY, ts=T0)
    newer = open_alarm("new", KEY, ts=T0 + 5)
    other = open_alarm("other", AlarmKey("t1", "x", "y"), ts=T0)
    manager2 = AlarmManager(id_source())
    manager2.apply(condition(True, T0))
    cleared = manager2.clear("t1", "id-1", "op", T0 + 1)[0].alarm
    rejected = manager.load([newer, older, other, cleared])
    assert sorted(a.id for a in rejected) == ["id-1", "old"]
    assert sorted(a.id for a in manager.open_alarms()) == ["new", "other"]
    assert manager.get("old") is None
    assert manager.get_by_key(KEY.as_text()).id == "new"  # type: ignore[union-attr]


# ----- chatter: minimum re-trigger interval -----

CHATTER_S = 30.0


def chattering_manager() -> AlarmManager:
    """A manager that holds re-triggers less than 30 s after the previous trigger."""
    return AlarmManager(id_source(), min_retrigger_interval_s=CHATTER_S)


def medium(active: bool, ts: float) -> Condition:
    """A priority-3 condition on KEY."""
    return Condition(KEY, active, ts, Priority.MEDIUM, "Door forced", "event_rule", "door", 1.0)


def test_chatter_is_off_by_default_and_a_bad_interval_is_refused() -> None:
    assert AlarmManager(id_source()).min_retrigger_interval_s == 0.0
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ConfigError, match="min_retrigger_interval_s"):
            AlarmManager(id_source(), min_retrigger_interval_s=bad)


def test_a_retrigger_sooner_than_the_interval_is_counted_but_held_until_the_alarm_calms_down() -> None:
    manager = chattering_manager()
    alarm_id = raised(manager)
    assert kinds(manager.apply(condition(False, T0 + 2))) == [AlarmChangeKind.RETURNED_TO_NORMAL]
    assert manager.apply(condition(True, T0 + 4)) == []  # 4 s after the raise: held
    assert manager.apply(condition(False, T0 + 6)) == []  # a held alarm's return to normal is held too
    assert manager.apply(condition(True, T0 + 30)) == []  # 26 s after the previous trigger: held
    alarm = manager.get(alarm_id)
    assert alarm is not None
    assert (alarm.state, alarm.trigger_count, alarm.last_triggered_at) == (AlarmState.UNACKNOWLEDGED, 3, T0 + 30)
    assert manager.counters()["retriggers_held"] == 2
    assert manager.advance(T0 + 59) == []  # < 30 s since the last trigger
    (released,) = manager.advance(T0 + 60)
    assert (released.change, released.alarm.id, released.alarm.trigger_count) == (
        AlarmChangeKind.RETRIGGERED,
        alarm_id,
        3,
    )
    assert manager.advance(T0 + 120) == []
    assert manager.counters()["held_released"] == 1


def test_a_held_alarm_that_returned_to_normal_is_released_as_a_return_to_normal() -> None:
    manager = chattering_manager()
    raised(manager)
    manager.apply(condition(False, T0 + 1))
    manager.apply(condition(True, T0 + 2))
    manager.apply(condition(False, T0 + 3))
    (released,) = manager.advance(T0 + 32)
    assert released.change is AlarmChangeKind.RETURNED_TO_NORMAL
    assert (released.alarm.state, released.alarm.trigger_count) == (AlarmState.RTN_UNACKNOWLEDGED, 2)


def test_a_retrigger_after_the_interval_is_returned_at_once() -> None:
    manager = chattering_manager()
    raised(manager)
    manager.apply(condition(False, T0 + 10))
    (again,) = manager.apply(condition(True, T0 + 30))
    assert again.change is AlarmChangeKind.RETRIGGERED
    manager.apply(condition(False, T0 + 31))
    assert manager.apply(condition(True, T0 + 32)) == []  # held
    (late_rtn,) = manager.apply(condition(False, T0 + 70))  # active for 38 s: its return is not chatter
    assert late_rtn.change is AlarmChangeKind.RETURNED_TO_NORMAL
    assert late_rtn.alarm.trigger_count == 3
    assert manager.advance(T0 + 200) == []


def test_an_operator_action_on_a_held_alarm_carries_its_latest_state() -> None:
    manager = chattering_manager()
    alarm_id = raised(manager)
    manager.apply(condition(False, T0 + 1))
    manager.apply(condition(True, T0 + 2))
    change, _ = manager.acknowledge("t1", alarm_id, "op", T0 + 3)
    assert (change.alarm.state, change.alarm.trigger_count) == (AlarmState.ACKNOWLEDGED, 2)
    assert manager.advance(T0 + 100) == []


def test_a_reraise_soon_after_the_previous_alarm_cleared_is_held_then_raised() -> None:
    manager = chattering_manager()
    (first,) = manager.apply(medium(True, T0))
    manager.acknowledge("t1", first.alarm.id, "op", T0 + 1)
    (cleared,) = manager.apply(medium(False, T0 + 2))
    assert cleared.alarm.state is AlarmState.CLEARED
    assert manager.apply(medium(True, T0 + 5)) == []  # a new alarm, 5 s after the previous one's trigger
    held = manager.get_by_key(KEY.as_text())
    assert held is not None and held.id != first.alarm.id
    assert manager.counters()["reraises_held"] == 1
    assert manager.apply(medium(False, T0 + 6)) == []
    assert manager.apply(medium(True, T0 + 7)) == []
    (released,) = manager.advance(T0 + 37)
    assert (released.change, released.alarm.id, released.alarm.trigger_count) == (AlarmChangeKind.RAISED, held.id, 2)


def test_a_held_new_alarm_returning_to_normal_late_is_returned_as_raised() -> None:
    manager = chattering_manager()
    (first,) = manager.apply(medium(True, T0))
    manager.clear("t1", first.alarm.id, "op", T0 + 1)
    assert manager.apply(medium(True, T0 + 2)) == []
    (late,) = manager.apply(medium(False, T0 + 100))
    assert (late.change, late.alarm.state) == (AlarmChangeKind.RAISED, AlarmState.RTN_UNACKNOWLEDGED)


def test_priority_one_reraises_and_reraises_after_the_interval_are_not_held() -> None:
    manager = chattering_manager()
    first = raised(manager)  # priority 1
    manager.acknowledge("t1", first, "op", T0 + 1)
    manager.apply(condition(False, T0 + 2))
    assert kinds(manager.apply(condition(True, T0 + 3))) == [AlarmChangeKind.RAISED]
    calm = chattering_manager()
    (alarm,) = calm.apply(medium(True, T0))
    calm.acknowledge("t1", alarm.alarm.id, "op", T0 + 1)
    calm.apply(medium(False, T0 + 40))
    assert kinds(calm.apply(medium(True, T0 + 41))) == [AlarmChangeKind.RAISED]  # 41 s after the last trigger


def test_advance_also_expires_shelves() -> None:
    manager = chattering_manager()
    alarm_id = raised(manager)
    manager.shelve("t1", alarm_id, "op", T0 + 1, "noisy", 60)
    (unshelved,) = manager.advance(T0 + 61)
    assert unshelved.change is AlarmChangeKind.UNSHELVED
