"""The contract every registered detector keeps, checked on each of them with random input."""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from beffroi.domain.observations import Event, Position, Reading
from beffroi.domain.registry import DEVICE_PROFILES, Device, DeviceKind
from beffroi.engine.conditions import Condition
from beffroi.engine.detectors import Detector, create_detector, detector_kinds
from beffroi.engine.rules import DetectorSettings
from tests.engine.builders import (
    ANOMALY_RULES,
    BATTERY_LOW,
    EVENT_RULES,
    GEOFENCE_RULES,
    RATE_RULES,
    STUCK_RULES,
    T0,
    TAMPER,
    THRESHOLD_RULES,
    WINDOW_RULES,
    ZONES,
    device,
    event,
    located,
    reading,
)

SETTINGS = DetectorSettings(
    threshold_rules=THRESHOLD_RULES,
    event_rules=EVENT_RULES,
    event_hold_s=30.0,
    rate_of_change_rules=RATE_RULES,
    stuck_value_rules=STUCK_RULES,
    geofence_rules=GEOFENCE_RULES,
    window_count_rules=WINDOW_RULES,
    battery=BATTERY_LOW,
    tamper=TAMPER,
    anomaly_rules=ANOMALY_RULES,
)
KINDS = [
    DeviceKind.SMOKE_HEAT,
    DeviceKind.NOISE_LEVEL,
    DeviceKind.INTRUSION_PIR,
    DeviceKind.ACCESS_CONTROL,
    DeviceKind.GPS_TRACKER,
]
DEVICES = [device(f"dev-{i}", kind, interval_s=5.0 + i) for i, kind in enumerate(KINDS)]
STRANGER = device("not-in-registry", DeviceKind.CAMERA)
METRICS = sorted({m for kind in KINDS for m in DEVICE_PROFILES[kind].metrics} | {"unknown_metric", "tamper"})
EVENT_TYPES = ["door_forced", "tamper", "fire_panel_alarm", "access_denied", "unknown_event"]

Step = tuple[str, int, str, float, float]
steps = st.lists(
    st.tuples(
        st.sampled_from(["reading", "event", "tick"]),
        st.integers(min_value=0, max_value=len(DEVICES)),
        st.sampled_from(METRICS + EVENT_TYPES),
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
        st.floats(min_value=0, max_value=600, allow_nan=False),
    ),
    max_size=60,
)


BUILT_IN = {
    "threshold",
    "absence",
    "event_rule",
    "rate_of_change",
    "stuck_value",
    "geofence",
    "window_count",
    "battery_low",
    "tamper",
    "anomaly",
}


def test_the_built_in_kinds_are_registered() -> None:
    assert set(detector_kinds()) >= BUILT_IN


def fresh(kind: str) -> Detector:
    """A new detector of `kind` that knows DEVICES and ZONES."""
    detector = create_detector(kind, SETTINGS)
    detector.on_devices({d.id: d for d in DEVICES})
    detector.on_zones(ZONES)
    return detector


def position_of(value: float) -> Position:
    """A position around the test zone (inside, in its hole, at its edge or outside), drawn from a value."""
    return Position(2.3480 + (abs(value) % 1000) * 0.0000045, 48.8500 + (value % 7) * 0.0001)


def run(detector: Detector, script: Sequence[Step]) -> list[Condition]:
    """Play the script; every output must be a sequence of Conditions named after the detector, and readings of
    metrics the detector does not declare (`reading_metrics`) must report nothing."""
    out: list[Condition] = []
    declared = detector.reading_metrics()
    for what, index, name, value, offset in script:
        dev = DEVICES[index] if index < len(DEVICES) else STRANGER
        ts = T0 + offset
        if what == "reading" and dev.kind is DeviceKind.GPS_TRACKER:
            produced = detector.on_reading(located(dev, name, value, ts, position_of(value)), dev)
        elif what == "reading":
            produced = detector.on_reading(reading(dev, name, value, ts), dev)
        elif what == "event":
            confidence = min(1.0, abs(value) / 1e6)
            produced = detector.on_event(event(dev.id, name, ts, confidence=confidence), None if index % 2 else dev)
        else:
            produced = detector.on_tick(ts)
        assert isinstance(produced, Sequence)
        if what == "reading" and declared is not None and name not in declared:
            assert produced == ()
        for condition in produced:
            assert isinstance(condition, Condition)
            assert condition.detector == detector.name
            assert condition.key.tenant_id == dev.tenant_id
        out.extend(produced)
    return out


@pytest.mark.parametrize("kind", detector_kinds())
@settings(max_examples=60, database=None, deadline=None)
@given(script=steps)
def test_detector_contract_on_random_input(kind: str, script: list[Step]) -> None:
    """Only Conditions, never raises, deterministic: the same script on a fresh detector gives the same output."""
    first = run(fresh(kind), script)
    second = run(fresh(kind), script)
    assert msgspec.json.encode(first) == msgspec.json.encode(second)


@pytest.mark.parametrize("kind", detector_kinds())
def test_detector_ignores_unknown_metrics_devices_and_event_types(kind: str) -> None:
    detector = fresh(kind)
    stranger = Device(
        id="ghost",
        tenant_id="t9",
        site_id="nowhere",
        kind=DeviceKind.DRONE_DETECTOR,
        position=STRANGER.position,
        interval_s=20.0,
        metrics=[],
    )
    assert detector.on_reading(Reading("t9", "ghost", "unknown_metric", 1.0, T0), stranger) == ()
    assert detector.on_event(Event("e1", "t9", "unknown_event", "ghost", T0), None) == ()
    assert detector.on_event(Event("e2", "t9", "unknown_event", "ghost", T0), stranger) == ()


@pytest.mark.parametrize("kind", detector_kinds())
def test_detector_has_a_name_and_survives_registry_changes(kind: str) -> None:
    detector = fresh(kind)
    assert isinstance(detector.name, str)
    assert detector.name
    for dev in DEVICES:
        detector.on_reading(reading(dev, "temperature_c", 99.0, T0), dev)
        detector.on_reading(located(dev, "speed_m_s", 1.0, T0 + 1, position_of(200.0)), dev)
    detector.on_devices({})
    detector.on_zones([])
    detector.on_tick(T0 + 1e5)
    detector.on_devices({d.id: d for d in DEVICES})
    detector.on_zones(ZONES)
    detector.on_restore([])
    assert isinstance(detector.on_tick(T0 + 2e5), Sequence)


special_values = st.sampled_from([math.nan, math.inf, -math.inf, 0.0, 1e308, -1e308])


@pytest.mark.parametrize("kind", detector_kinds())
@settings(max_examples=40, database=None, deadline=None)
@given(values=st.lists(st.tuples(special_values, special_values, st.integers(0, len(DEVICES) - 1)), max_size=20))
def test_detector_ignores_non_finite_values_and_times(kind: str, values: list[tuple[float, float, int]]) -> None:
    """NaN and infinite values, times and positions never raise and never report a condition at such a time."""
    detector = fresh(kind)
    for value, offset, index in values:
        dev = DEVICES[index]
        ts = T0 + offset
        for metric in dev.metrics:
            produced = detector.on_reading(located(dev, metric, value, ts, Position(value, offset)), dev)
            assert all(math.isfinite(c.ts) for c in produced)
        assert all(math.isfinite(c.ts) for c in detector.on_event(event(dev.id, "tamper", ts), dev))
        assert all(math.isfinite(c.ts) for c in detector.on_tick(ts))
