"""The detectors registered for one series (`beffroi detect`), their parameters, and the runner that drives them."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from beffroi.domain.observations import Reading
from beffroi.domain.registry import Device
from beffroi.engine.conditions import Condition
from beffroi.engine.detectors import NO_CONDITIONS, Detector
from beffroi.engine.detectors.absence import AbsenceDetector
from beffroi.engine.detectors.battery_low import BatteryLowDetector
from beffroi.engine.detectors.rate_of_change import RateOfChangeDetector
from beffroi.engine.detectors.series import (
    SERIES_METRIC,
    Scoring,
    series_detector,
    series_detector_names,
    series_device,
)
from beffroi.engine.detectors.series_runner import SeriesRunner
from beffroi.engine.detectors.stuck_value import StuckValueDetector
from beffroi.engine.detectors.threshold import ThresholdDetector
from beffroi.errors import ConfigError

T0 = 1_750_000_000.0
BUILT_IN = {
    "threshold": ThresholdDetector,
    "rate_of_change": RateOfChangeDetector,
    "stuck_value": StuckValueDetector,
    "absence": AbsenceDetector,
    "battery_low": BatteryLowDetector,
}
WORKING_PARAMS = {
    "threshold": {"above": "5"},
    "rate_of_change": {"max_rate": "2", "per": "s"},
    "stuck_value": {"min_count": "3"},
    "absence": {},
    "battery_low": {},
}


def test_the_single_series_detectors_are_registered_with_documented_params() -> None:
    assert set(BUILT_IN) <= set(series_detector_names())
    for name, detector_type in BUILT_IN.items():
        spec = series_detector(name)
        assert spec.description and spec.params and all(spec.params.values())
        assert isinstance(spec.factory(WORKING_PARAMS[name]), detector_type)


@pytest.mark.parametrize("name", sorted(BUILT_IN))
def test_unknown_parameters_are_refused_naming_the_known_ones(name: str) -> None:
    with pytest.raises(ConfigError, match="unknown parameter 'colour'") as raised:
        series_detector(name).factory({**WORKING_PARAMS[name], "colour": "red"})
    assert all(param in str(raised.value) for param in series_detector(name).params)


def test_parameters_are_parsed_and_checked_by_the_rule() -> None:
    detector = series_detector("threshold").factory({"below": " 2.5 ", "clear_at": "3", "for_s": "none"})
    assert isinstance(detector, ThresholdDetector)
    (rule,) = detector.rules
    assert (rule.below, rule.clear_at, rule.for_s, rule.metric) == (2.5, 3.0, 0.0, SERIES_METRIC)
    with pytest.raises(ConfigError, match=r"parameter `min_count`: expected `int`, got '2\.5'"):
        series_detector("stuck_value").factory({"min_count": "2.5"})
    with pytest.raises(ConfigError, match="must not be below `below`"):
        series_detector("battery_low").factory({"below": "30"})
    with pytest.raises(ConfigError, match="unknown detector 'nope'"):
        series_detector("nope")


def run(detector: Detector, points: list[tuple[float, float]], interval_s: float = 60.0) -> list[tuple[float, bool]]:
    runner = SeriesRunner(detector, series_device(interval_s=interval_s))
    return [(p.score, p.alarm) for p in (runner.step(T0 + ts, value) for ts, value in points)]


def test_the_runner_scores_alarms_and_sums_up_a_series() -> None:
    runner = SeriesRunner(series_detector("threshold").factory({"above": "5", "clear_at": "3"}), series_device())
    points = [(0, 1.0), (10, 6.0), (20, 4.0), (30, 2.0), (40, 7.0), (50, 7.0)]
    out = [runner.step(T0 + ts, value) for ts, value in points]
    assert [(p.score, p.alarm) for p in out] == [(0, False), (1, True), (1, True), (0, False), (1, True), (1, True)]
    summary = runner.summary()
    assert (summary.points, summary.alarms_raised, summary.active_s, summary.span_s) == (6, 2, 30.0, 50.0)


def test_the_runner_flags_a_point_whose_alarm_rose_and_fell_within_it() -> None:
    points = [(0, 1.0), (60, 1.0), (400, 1.0), (460, 1.0)]
    assert [alarm for _, alarm in run(series_detector("absence").factory({}), points)] == [False, False, True, False]


class _Distance(Detector):
    """A scoring detector: the score is how far the value is from 0, clipped to [0, 1]; alarms above 0.5."""

    name = "distance"

    def __init__(self) -> None:
        self._scores: dict[tuple[str, str], float] = {}
        self._active = False

    def on_reading(self, reading: Reading, device: Device) -> Sequence[Condition]:
        score = min(abs(reading.value), 1.0)
        self._scores[(device.id, reading.metric)] = score
        return NO_CONDITIONS

    def score_of(self, device_id: str, metric: str) -> float | None:
        return self._scores.get((device_id, metric))


def test_the_runner_takes_the_score_of_a_scoring_detector() -> None:
    detector = _Distance()
    assert isinstance(detector, Scoring)
    assert run(detector, [(0, 0.25), (1, -3.0)]) == [(0.25, False), (1.0, False)]
