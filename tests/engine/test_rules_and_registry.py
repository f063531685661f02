"""Rule values built from the configuration, the detector registry and the builder."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from beffroi.config import (
    DEFAULT_EVENT_RULES,
    DEFAULT_THRESHOLD_RULES,
    EngineConfig,
    EventRuleConfig,
    ThresholdRuleConfig,
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
from beffroi.engine.detectors.event_rule import EventRuleDetector
from beffroi.engine.detectors.threshold import ThresholdDetector
from beffroi.engine.rules import DetectorSettings, EventRule, ThresholdRule
from beffroi.errors import ConfigError


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
