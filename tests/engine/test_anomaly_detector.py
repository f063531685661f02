"""The anomaly detector: scores per series, alarms from scores, restore, registry changes, registration."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from beffroi.domain.alarms import AlarmKey
from beffroi.domain.registry import Device, DeviceKind
from beffroi.engine.anomaly.rules import AnomalyRule
from beffroi.engine.conditions import Condition
from beffroi.engine.detectors import anomaly
from beffroi.engine.detectors.anomaly import AnomalyDetector
from beffroi.engine.detectors.registry import create_detector, detector_kinds
from beffroi.engine.detectors.series import (
    SERIES_METRIC,
    Scoring,
    series_detector,
    series_detector_names,
    series_device,
)
from beffroi.engine.rules import DetectorSettings
from beffroi.errors import ConfigError
from tests.engine.anomaly.series import DAY, seasonal_series
from tests.engine.builders import T0, TENANT, device, open_alarm, reading

FAST_WARMUP = {"warmup_s": 7 * DAY}
RULE = AnomalyRule(name="temp_anomaly", metric="temperature_c", device_kind="temperature", params=FAST_WARMUP)
PROBE = device("probe-1", DeviceKind.TEMPERATURE)


def feed(detector: AnomalyDetector, dev: Device, ts: np.ndarray, values: np.ndarray) -> list[Condition]:
    out: list[Condition] = []
    for t, v in zip(ts.tolist(), values.tolist(), strict=True):
        out.extend(detector.on_reading(reading(dev, "temperature_c", v, t), dev))
    return out


def spiked(days: float = 9, at_from_end: int = 50, size: float = 8.0) -> tuple[np.ndarray, np.ndarray, int]:
    ts, values = seasonal_series(days=days)
    at = len(ts) - at_from_end
    values = values.copy()
    values[at] += size
    return ts, values, at


def test_a_spike_raises_an_anomaly_alarm_and_the_next_normal_reading_clears_it() -> None:
    detector = AnomalyDetector([RULE])
    ts, values, at = spiked()
    conditions = feed(detector, PROBE, ts, values)
    assert [c.active for c in conditions] == [True, False]
    raised, cleared = conditions
    assert raised.ts == ts[at] and raised.value == values[at]
    assert raised.key == AlarmKey(TENANT, "probe-1", "anomaly", "site-a", "zone-1")
    assert (raised.detector, raised.rule, raised.priority) == ("anomaly", "temp_anomaly", 3)
    assert raised.message == "Unusual temperature_c (seasonal anomaly score ≥ 0.9)"
    assert cleared.ts == ts[at + 1]


def test_min_points_and_for_s_hold_back_a_single_spike() -> None:
    for held in (
        msgspec.structs.replace(RULE, min_points=3),
        msgspec.structs.replace(RULE, for_s=1200.0),
    ):
        ts, values, _ = spiked()
        assert feed(AnomalyDetector([held]), PROBE, ts, values) == []


def test_a_lasting_anomaly_raises_once_when_long_enough() -> None:
    rule = msgspec.structs.replace(RULE, min_points=3, clear_below=0.2)
    ts, values = seasonal_series(days=9)
    stuck = values.copy()
    at = len(ts) - 80
    stuck[at : at + 40] = stuck[at - 1]
    conditions = feed(AnomalyDetector([rule]), PROBE, ts, stuck)
    assert [c.active for c in conditions] == [True, False]
    assert at + 3 <= np.searchsorted(ts, conditions[0].ts) < at + 40
    assert np.searchsorted(ts, conditions[1].ts) >= at + 40


def test_score_of_follows_each_series_and_scoring_is_implemented() -> None:
    detector = AnomalyDetector([RULE])
    assert isinstance(detector, Scoring)
    assert detector.score_of("probe-1", "temperature_c") is None
    ts, values, at = spiked()
    feed(detector, PROBE, ts[: at + 1], values[: at + 1])
    assert (detector.score_of("probe-1", "temperature_c") or 0.0) >= 0.9
    assert detector.score_of("probe-1", "humidity_pct") is None
    assert detector.score_of("other", "temperature_c") is None


def test_unmatched_odd_and_old_readings_change_nothing() -> None:
    detector = AnomalyDetector([RULE])
    smoke = device("smoke-1", DeviceKind.SMOKE_HEAT)
    assert detector.on_reading(reading(smoke, "temperature_c", 20.0, T0), smoke) == ()
    assert detector.on_reading(reading(PROBE, "humidity_pct", 20.0, T0), PROBE) == ()
    for odd in (float("nan"), float("inf"), 1e300):
        assert detector.on_reading(reading(PROBE, "temperature_c", odd, T0), PROBE) == ()
    assert detector.series_count == 0
    detector.on_reading(reading(PROBE, "temperature_c", 20.0, T0 + 10), PROBE)
    detector.on_reading(reading(PROBE, "temperature_c", 99.0, T0 + 5), PROBE)
    assert detector.series_count == 1
    assert detector.score_of("probe-1", "temperature_c") == 0.0


def test_one_model_per_series_and_leaving_devices_take_theirs_along() -> None:
    detector = AnomalyDetector([RULE, msgspec.structs.replace(RULE, name="hst", algorithm="hst")])
    probes = [device(f"probe-{i}", DeviceKind.TEMPERATURE) for i in range(3)]
    for i, dev in enumerate(probes):
        detector.on_reading(reading(dev, "temperature_c", 20.0 + i, T0), dev)
    assert detector.series_count == 6
    per_series = detector.nbytes / detector.series_count
    assert 5_000 < per_series < 40_000
    detector.on_devices({probes[0].id: probes[0]})
    assert detector.series_count == 2
    assert detector.score_of("probe-1", "temperature_c") is None


def test_a_restored_alarm_returns_to_normal_at_the_first_calm_reading() -> None:
    detector = AnomalyDetector([RULE])
    key = AlarmKey(TENANT, "probe-1", "anomaly", "site-a", "zone-1")
    other = AlarmKey(TENANT, "probe-2", "anomaly", "site-a", "zone-1")
    detector.on_restore(
        [
            open_alarm("a1", key),
            open_alarm("a2", other),
            open_alarm("a3", msgspec.structs.replace(key, type="fire_alarm")),
        ]
    )
    conditions = detector.on_reading(reading(PROBE, "temperature_c", 20.0, T0), PROBE)
    assert [(c.key, c.active) for c in conditions] == [(key, False)]
    assert detector.on_reading(reading(PROBE, "temperature_c", 20.1, T0 + 60), PROBE) == ()


def test_an_active_alarm_of_a_device_that_leaves_and_returns_is_cleared() -> None:
    detector = AnomalyDetector([RULE])
    ts, values, at = spiked()
    feed(detector, PROBE, ts[: at + 1], values[: at + 1])
    detector.on_devices({})
    back = detector.on_reading(reading(PROBE, "temperature_c", 20.0, ts[at + 1]), PROBE)
    assert [c.active for c in back] == [False]


def test_the_engine_kind_reads_anomaly_rules_from_the_settings() -> None:
    class WithAnomalyRules(DetectorSettings, frozen=True):
        anomaly_rules: tuple[AnomalyRule, ...] = ()

    assert "anomaly" in detector_kinds()
    assert isinstance(create_detector("anomaly", DetectorSettings()), AnomalyDetector)
    built = create_detector("anomaly", WithAnomalyRules(anomaly_rules=(RULE,)))
    assert isinstance(built, AnomalyDetector)
    assert built.rules == [RULE]


def test_rules_are_checked_with_their_name() -> None:
    with pytest.raises(ConfigError, match=r"anomaly rule 'bad'.*threshold.*params: Object contains unknown field"):
        AnomalyRule(name="bad", metric="m", threshold=1.0, params={"nope": 1})
    with pytest.raises(ConfigError, match="algorithm"):
        AnomalyRule(name="bad", metric="m", algorithm="magic")
    with pytest.raises(ConfigError, match="clear_below"):
        AnomalyRule(name="bad", metric="m", threshold=0.5, clear_below=0.6)


def test_series_detectors_run_over_a_series_with_their_params() -> None:
    assert {"anomaly_seasonal", "anomaly_hst"} <= set(series_detector_names())
    for name in ("anomaly_seasonal", "anomaly_hst"):
        spec = series_detector(name)
        assert {"threshold", "min_points", "warmup_s"} <= set(spec.params)
        detector = spec.factory({"threshold": "0.8", "warmup_s": str(7 * DAY)})
        assert isinstance(detector, Scoring)
        target = series_device()
        ts, values, at = spiked()
        alarms = []
        for t, v in zip(ts.tolist(), values.tolist(), strict=True):
            alarms.extend(detector.on_reading(reading(target, SERIES_METRIC, v, t), target))
            if t == ts[at]:
                assert (detector.score_of(target.id, SERIES_METRIC) or 0.0) >= 0.8
        assert alarms and alarms[0].active
    with pytest.raises(ConfigError, match="parameter `slot_s`: expected `float`, got 'abc'"):
        series_detector("anomaly_seasonal").factory({"slot_s": "abc"})
    with pytest.raises(ConfigError, match="unknown parameter 'nope'"):
        series_detector("anomaly_seasonal").factory({"nope": "1"})
    partly_default = series_detector("anomaly_hst").factory({"height": "default", "n_trees": "4"})
    assert isinstance(partly_default, AnomalyDetector)
    assert partly_default.rules[0].params == {"n_trees": 4}
    with pytest.raises(ConfigError, match="threshold"):
        series_detector("anomaly_hst").factory({"threshold": "2"})
    assert anomaly.SEASONAL_SERIES.name == "anomaly_seasonal"


KINDS = [DeviceKind.TEMPERATURE, DeviceKind.NOISE_LEVEL]
DEVICES = [device(f"dev-{i}", kind) for i, kind in enumerate(KINDS)]
RULES = (
    AnomalyRule(name="t", metric="temperature_c", params={"warmup_s": 0}),
    AnomalyRule(name="n", metric="laeq_db", device_kind="noise_level", algorithm="hst", params={"warmup_s": 0}),
)
steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=1),
        st.sampled_from(["temperature_c", "laeq_db", "other"]),
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
        st.floats(min_value=0, max_value=600, allow_nan=False),
    ),
    max_size=60,
)


def play(script: Sequence[tuple[int, str, float, float]]) -> list[Condition]:
    detector = AnomalyDetector(RULES)
    detector.on_devices({d.id: d for d in DEVICES})
    out: list[Condition] = []
    for index, metric, value, offset in script:
        dev = DEVICES[index]
        produced = detector.on_reading(reading(dev, metric, value, T0 + offset), dev)
        assert all(isinstance(c, Condition) and c.detector == "anomaly" for c in produced)
        score = detector.score_of(dev.id, metric)
        assert score is None or 0.0 <= score <= 1.0
        out.extend(produced)
    return out


@settings(max_examples=60, database=None, deadline=None)
@given(script=steps)
def test_contract_on_random_input_with_rules(script: list[tuple[int, str, float, float]]) -> None:
    """With rules (the shared contract test has none yet): only Conditions, scores in [0, 1], deterministic."""
    assert msgspec.json.encode(play(script)) == msgspec.json.encode(play(script))
