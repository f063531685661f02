"""Merging the conditions of several rules that drive one alarm key."""

from __future__ import annotations

from beffroi.domain.alarms import AlarmKey, Priority
from beffroi.engine.conditions import Condition
from beffroi.engine.merger import ConditionMerger
from tests.engine.builders import T0

KEY = AlarmKey("t1", "smk-1", "fire_alarm", "site-a", "zone-1")


def cond(active: bool, detector: str, rule: str, key: AlarmKey = KEY) -> Condition:
    """A condition of `rule`."""
    return Condition(key, active, T0, Priority.CRITICAL, "m", detector, rule)


def test_key_returns_to_normal_only_when_its_last_cause_does() -> None:
    merger = ConditionMerger()
    assert merger.admit(cond(True, "threshold", "smoke"))
    assert merger.admit(cond(True, "threshold", "heat"))
    assert merger.admit(cond(True, "event_rule", "fire_panel_alarm"))
    assert merger.active_causes(KEY.as_text()) == {
        ("threshold", "smoke"),
        ("threshold", "heat"),
        ("event_rule", "fire_panel_alarm"),
    }
    assert not merger.admit(cond(False, "threshold", "smoke"))
    assert not merger.admit(cond(False, "event_rule", "fire_panel_alarm"))
    assert merger.admit(cond(False, "threshold", "heat"))
    assert merger.active_causes(KEY.as_text()) == set()


def test_unknown_inactive_conditions_pass_so_restored_alarms_can_return_to_normal() -> None:
    merger = ConditionMerger()
    assert merger.admit(cond(False, "threshold", "smoke"))
    other = AlarmKey("t1", "smk-2", "fire_alarm")
    assert merger.admit(cond(True, "threshold", "smoke", other))
    assert merger.admit(cond(False, "threshold", "smoke"))
    assert merger.active_causes(other.as_text()) == {("threshold", "smoke")}


def test_an_inactive_condition_of_a_cause_not_holding_the_key_is_held_back() -> None:
    merger = ConditionMerger()
    merger.admit(cond(True, "threshold", "heat"))
    assert not merger.admit(cond(False, "threshold", "smoke"))
    assert merger.active_causes(KEY.as_text()) == {("threshold", "heat")}
