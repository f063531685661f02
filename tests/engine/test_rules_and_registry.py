"""Rule values built from the configuration, the detector registry and the builder."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import pydantic
import pytest

from beffroi.config import BeffroiConfig, parse_config
from beffroi.config_engine import (
    DEFAULT_EVENT_RULES,
    DEFAULT_RATE_OF_CHANGE_RULES,
    DEFAULT_STUCK_VALUE_RULES,
    DEFAULT_THRESHOLD_RULES,
    DEFAULT_WINDOW_COUNT_RULES,
    BatteryLowConfig,
    EngineConfig,
    EventRuleConfig,
    GeofenceRuleConfig,
    RateOfChangeRuleConfig,
    StuckValueRuleConfig,
    TamperConfig,
    ThresholdRuleConfig,
    WindowCountRuleConfig,
)
from beffroi.domain.observations import Reading
from beffroi.domain.registry import Device
from beffroi.engine.builder import build_detectors
from beffroi.engine.conditions import Condition
from beffroi.engine.detectors import (
    NO_CONDITIONS,
    Detector,
    create_detector,
    detector_kinds,
    register_detector,
    unregister_detector,
)
from beffroi.engine.detectors.absence import AbsenceDetector
from beffroi.engine.detectors.battery_low import BatteryLowDetector
from beffroi.engine.detectors.event_rule import EventRuleDetector
from beffroi.engine.detectors.geofence import GeofenceDetector
from beffroi.engine.detectors.rate_of_change import RateOfChangeDetector
from beffroi.engine.detectors.stuck_value import StuckValueDetector
from beffroi.engine.detectors.tamper import TamperDetector
from beffroi.engine.detectors.threshold import ThresholdDetector
from beffroi.engine.detectors.window_count import WindowCountDetector
from beffroi.engine.rules import (
    BatteryRule,
    DetectorSettings,
    EventRule,
    GeofenceRule,
    RateOfChangeRule,
    StuckValueRule,
    TamperRule,
    ThresholdRule,
    WindowCountRule,
)
from beffroi.errors import ConfigError
from beffroi.workers.engine import (
    battery_rule_from,
    event_rules_from,
    geofence_rules_from,
    rate_of_change_rules_from,
    stuck_value_rules_from,
    tamper_rule_from,
    threshold_rules_from,
    window_count_rules_from,
)


def test_every_config_rule_converts_field_for_field() -> None:
    """The worker converts with `Rule(**config.model_dump())`: the field sets must stay the same."""
    assert set(ThresholdRule.__struct_fields__) == set(ThresholdRuleConfig.model_fields)
    assert set(EventRule.__struct_fields__) == set(EventRuleConfig.model_fields)
    for config in DEFAULT_THRESHOLD_RULES:
        rule = ThresholdRule(**config.model_dump())
        assert rule.name == config.name
        assert rule.effective_alarm_type == (config.alarm_type or config.name)
    for event_config in DEFAULT_EVENT_RULES:
        assert EventRule(**event_config.model_dump()).event_type == event_config.event_type


def test_rule_messages_default_to_a_description() -> None:
    rule = ThresholdRule(name="hot", metric="temperature_c", above=40.0, for_s=30)
    assert rule.describe() == "temperature_c above 40 for 30 s"
    assert ThresholdRule(name="cold", metric="t", below=-5.0).describe() == "t below -5"
    assert ThresholdRule(name="x", metric="t", below=1.0).clear_limit == 1.0
    assert EventRule("door_held_open").describe() == "Door held open"


def test_settings_refuse_bad_values_naming_each_problem() -> None:
    with pytest.raises(ConfigError) as raised:
        DetectorSettings(
            threshold_rules=(ThresholdRule("a", "m", above=1.0), ThresholdRule("a", "n", above=1.0)),
            absence_factor=1.0,
            event_hold_s=0.0,
            absence_priority=9,
        )
    problems = raised.value.problems
    assert len(problems) == 4
    assert any("repeated: a" in p for p in problems)


def test_builder_makes_one_detector_per_registered_kind() -> None:
    engine_config = EngineConfig()
    detectors = build_detectors(
        [ThresholdRule(**r.model_dump()) for r in engine_config.threshold_rules],
        [EventRule(**r.model_dump()) for r in engine_config.event_rules],
        absence_factor=engine_config.absence_factor,
        absence_priority=engine_config.absence_priority,
    )
    assert [d.name for d in detectors] == detector_kinds()
    by_type = {type(d) for d in detectors}
    assert {ThresholdDetector, AbsenceDetector, EventRuleDetector} <= by_type
    threshold = next(d for d in detectors if isinstance(d, ThresholdDetector))
    assert len(threshold.rules) == len(engine_config.threshold_rules)


def test_builder_can_pick_kinds_and_refuses_unknown_ones() -> None:
    assert [d.name for d in build_detectors([], [], kinds=["absence"])] == ["absence"]
    with pytest.raises(ConfigError, match="unknown detector kind 'nope'"):
        build_detectors([], [], kinds=["nope"])


class _Quiet(Detector):
    name = "quiet"

    def on_reading(self, reading: Reading, device: Device) -> Sequence[Condition]:
        return NO_CONDITIONS


def test_a_plugin_registers_and_unregisters() -> None:
    def factory(settings: DetectorSettings) -> Detector:
        return _Quiet()

    register_detector("quiet", factory)
    try:
        assert "quiet" in detector_kinds()
        assert isinstance(create_detector("quiet", DetectorSettings()), _Quiet)
        register_detector("quiet", factory)  # the same factory again is fine
        with pytest.raises(ConfigError, match="already registered"):
            register_detector("quiet", lambda s: _Quiet())
        register_detector("quiet", lambda s: _Quiet(), replace=True)
    finally:
        unregister_detector("quiet")
    assert "quiet" not in detector_kinds()
    with pytest.raises(ConfigError, match="must not be empty"):
        register_detector("", factory)


NEW_SECTIONS: list[tuple[type[pydantic.BaseModel], type[msgspec.Struct], set[str]]] = [
    (RateOfChangeRuleConfig, RateOfChangeRule, set()),
    (StuckValueRuleConfig, StuckValueRule, set()),
    (GeofenceRuleConfig, GeofenceRule, set()),
    (WindowCountRuleConfig, WindowCountRule, set()),
    (BatteryLowConfig, BatteryRule, {"enabled"}),
    (TamperConfig, TamperRule, {"enabled"}),
]


@pytest.mark.parametrize(("section", "rule", "extra"), NEW_SECTIONS)
def test_new_config_sections_convert_field_for_field(
    section: type[pydantic.BaseModel], rule: type[msgspec.Struct], extra: set[str]
) -> None:
    assert set(rule.__struct_fields__) == set(section.model_fields) - extra


def test_the_worker_converts_every_default_rule_and_the_builder_takes_them_all() -> None:
    config = BeffroiConfig()
    assert [r.name for r in rate_of_change_rules_from(config)] == [r.name for r in DEFAULT_RATE_OF_CHANGE_RULES]
    assert [r.name for r in stuck_value_rules_from(config)] == [r.name for r in DEFAULT_STUCK_VALUE_RULES]
    assert [r.name for r in window_count_rules_from(config)] == [r.name for r in DEFAULT_WINDOW_COUNT_RULES]
    assert geofence_rules_from(config) == []
    assert battery_rule_from(config) == BatteryRule()
    assert tamper_rule_from(config) == TamperRule()
    custom = parse_config(
        {
            "engine": {
                "geofence_rules": [{"name": "water", "zone_kinds": ["water"], "direction": "inside"}],
                "battery_low": {"enabled": False},
                "tamper": {"enabled": False},
            }
        }
    )
    (water,) = geofence_rules_from(custom)
    assert (water.zone_kinds, type(water.zone_kinds[0])) == (("water",), str)
    assert battery_rule_from(custom) is None and tamper_rule_from(custom) is None
    detectors = build_detectors(
        threshold_rules_from(config),
        event_rules_from(config),
        rate_of_change_rules=rate_of_change_rules_from(config),
        stuck_value_rules=stuck_value_rules_from(config),
        geofence_rules=geofence_rules_from(custom),
        window_count_rules=window_count_rules_from(config),
        battery=battery_rule_from(config),
        tamper=tamper_rule_from(config),
    )
    by_name = {d.name: d for d in detectors}
    assert isinstance(by_name["rate_of_change"], RateOfChangeDetector)
    assert by_name["rate_of_change"].rules == rate_of_change_rules_from(config)
    assert isinstance(by_name["stuck_value"], StuckValueDetector) and len(by_name["stuck_value"].rules) == 3
    assert isinstance(by_name["geofence"], GeofenceDetector) and by_name["geofence"].rules == [water]
    assert isinstance(by_name["window_count"], WindowCountDetector) and len(by_name["window_count"].rules) == 1
    assert isinstance(by_name["battery_low"], BatteryLowDetector) and by_name["battery_low"].rule == BatteryRule()
    assert isinstance(by_name["tamper"], TamperDetector) and by_name["tamper"].rule == TamperRule()


def test_bad_new_rules_fail_at_start_up_with_their_key_path() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(
            {
                "engine": {
                    "rate_of_change_rules": [{"name": "r", "metric": "m", "max_rate": 0}],
                    "window_count_rules": [{"name": "w", "count": 3, "window_s": 60}],
                    "geofence_rules": [{"name": "g", "direction": "enter", "zone_kinds": ["moon"]}],
                    "stuck_value_rules": [{"name": "s", "metric": "m", "speed": 3, "min_count": 3}],
                }
            }
        )
    problems = raised.value.problems
    assert any(p.startswith("engine.rate_of_change_rules[0].max_rate:") for p in problems)
    assert any(p.startswith("engine.window_count_rules[0]:") and "exactly one of" in p for p in problems)
    assert any(p.startswith("engine.geofence_rules[0].zone_kinds[0]:") for p in problems)
    assert any(p.startswith("engine.stuck_value_rules[0].speed:") for p in problems)


def test_settings_refuse_repeated_names_of_new_rules() -> None:
    rule = StuckValueRule("s", "m", min_count=2)
    window = WindowCountRule("w", count=2, window_s=1.0, event_type="x")
    with pytest.raises(ConfigError) as raised:
        DetectorSettings(stuck_value_rules=(rule, rule), window_count_rules=(window, window))
    assert raised.value.problems == [
        "stuck value rule names must be unique, repeated: s",
        "window count rule names must be unique, repeated: w",
    ]
