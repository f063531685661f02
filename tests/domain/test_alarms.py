"""The ISA-18.2 alarm lifecycle as a pure state machine."""

from __future__ import annotations

import pytest

from beffroi.domain import alarms
from beffroi.domain.alarms import AlarmKey, AlarmState, Priority
from beffroi.errors import InvalidTransition

KEY = AlarmKey(tenant_id="t", source="dev-1", type="fire_alarm", site_id="s", zone_id="z")


def _raised() -> alarms.Alarm:
    return alarms.raise_alarm("a1", KEY, Priority.CRITICAL, "Smoke", ts=100.0, value=6.0)


def test_raise_is_unacknowledged_and_active() -> None:
    alarm = _raised()
    assert alarm.state is AlarmState.UNACKNOWLEDGED
    assert alarm.condition_active and alarm.is_open and not alarm.is_hidden
    assert alarm.trigger_count == 1
    assert alarm.raised_at == alarm.last_triggered_at == 100.0


def test_ack_then_return_to_normal_clears() -> None:
    acked = alarms.acknowledge(_raised(), 110.0, "alice")
    assert acked.state is AlarmState.ACKNOWLEDGED
    assert (acked.acknowledged_by, acked.acknowledged_at) == ("alice", 110.0)
    cleared = alarms.return_to_normal(acked, 120.0)
    assert cleared.state is AlarmState.CLEARED and not cleared.is_open and cleared.cleared_at == 120.0


def test_return_to_normal_then_ack_clears() -> None:
    rtn = alarms.return_to_normal(_raised(), 105.0)
    assert rtn.state is AlarmState.RTN_UNACKNOWLEDGED and not rtn.condition_active
    cleared = alarms.acknowledge(rtn, 106.0, "bob")
    assert cleared.state is AlarmState.CLEARED and cleared.cleared_by == "bob"


def test_retrigger_of_rtn_unack_becomes_unack_and_counts() -> None:
    rtn = alarms.return_to_normal(_raised(), 105.0)
    again = alarms.retrigger(rtn, 130.0, value=9.0)
    assert again.state is AlarmState.UNACKNOWLEDGED
    assert again.trigger_count == 2 and again.last_triggered_at == 130.0 and again.value == 9.0


def test_retrigger_while_active_does_not_count_twice() -> None:
    again = alarms.retrigger(_raised(), 101.0)
    assert again.trigger_count == 1 and again.last_triggered_at == 100.0


def test_retrigger_keeps_acknowledged_state() -> None:
    acked = alarms.acknowledge(alarms.return_to_normal(alarms.retrigger(_raised(), 101.0), 102.0), 103.0, "a")
    assert acked.state is AlarmState.CLEARED
    still_acked = alarms.retrigger(alarms.acknowledge(_raised(), 101.0, "a"), 102.0)
    assert still_acked.state is AlarmState.ACKNOWLEDGED


def test_shelve_needs_reason_and_future_time() -> None:
    with pytest.raises(InvalidTransition, match="reason"):
        alarms.shelve(_raised(), 100.0, "alice", "  ", until=200.0)
    with pytest.raises(InvalidTransition, match="past"):
        alarms.shelve(_raised(), 100.0, "alice", "maintenance", until=50.0)
    shelved = alarms.shelve(_raised(), 100.0, "alice", "maintenance", until=200.0)
    assert shelved.state is AlarmState.SHELVED and shelved.is_hidden
    assert shelved.shelved_until == 200.0 and shelved.state_reason == "alice: maintenance"


def test_unshelve_goes_back_by_condition() -> None:
    shelved = alarms.shelve(_raised(), 100.0, "alice", "works", until=200.0)
    assert alarms.return_to_service(shelved, 150.0).state is AlarmState.UNACKNOWLEDGED
    gone = alarms.return_to_normal(shelved, 120.0)
    assert gone.state is AlarmState.SHELVED and not gone.condition_active
    assert alarms.return_to_service(gone, 150.0).state is AlarmState.CLEARED


def test_suppress_and_out_of_service() -> None:
    suppressed = alarms.suppress(_raised(), 100.0, "zone in maintenance")
    assert suppressed.state is AlarmState.SUPPRESSED and suppressed.is_hidden
    oos = alarms.take_out_of_service(_raised(), 100.0, "tech", "sensor replaced")
    assert oos.state is AlarmState.OUT_OF_SERVICE and oos.state_reason == "tech: sensor replaced"
    with pytest.raises(InvalidTransition):
        alarms.return_to_service(_raised(), 100.0)


def test_cleared_alarm_refuses_every_action() -> None:
    cleared = alarms.clear(_raised(), 100.0, "alice")
    assert cleared.cleared_by == "alice"
    for action in (
        lambda: alarms.acknowledge(cleared, 1.0, "x"),
        lambda: alarms.retrigger(cleared, 1.0),
        lambda: alarms.return_to_normal(cleared, 1.0),
        lambda: alarms.shelve(cleared, 1.0, "x", "r", 5.0),
        lambda: alarms.clear(cleared, 1.0, "x"),
        lambda: alarms.suppress(cleared, 1.0, "r"),
    ):
        with pytest.raises(InvalidTransition, match="cleared"):
            action()


def test_ack_of_acknowledged_is_refused() -> None:
    with pytest.raises(InvalidTransition, match="acknowledge"):
        alarms.acknowledge(alarms.acknowledge(_raised(), 1.0, "a"), 2.0, "b")


def test_key_text_is_stable_and_distinguishes_places() -> None:
    assert KEY.as_text() == "t|dev-1|fire_alarm|s|z"
    assert AlarmKey("t", "dev-1", "fire_alarm", "s", None).as_text() != KEY.as_text()


def test_updated_at_never_goes_back_when_an_action_is_stamped_earlier_than_the_last_change() -> None:
    # An accelerated replay stamps detector changes with data time, ahead of the operator's wall clock.
    retriggered = alarms.retrigger(alarms.return_to_normal(_raised(), 500.0), 900.0)
    acked = alarms.acknowledge(retriggered, 150.0, "alice")
    assert acked.state is AlarmState.ACKNOWLEDGED and acked.acknowledged_at == 150.0
    assert acked.updated_at == 900.0
    assert alarms.clear(acked, 160.0, "alice").updated_at == 900.0
