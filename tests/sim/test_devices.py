"""Every device reports as its kind does: exactly its profile's metrics, at its interval, with sane values."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

import pytest

from beffroi.config_engine import DEFAULT_EVENT_RULES, DEFAULT_THRESHOLD_RULES
from beffroi.domain.registry import DEVICE_PROFILES, SENSOR_KINDS, DeviceKind
from beffroi.sim.devices import MODELS
from beffroi.sim.devices.base import Battery, poisson
from beffroi.sim.scenario import Scenario
from beffroi.sim.seeding import stream
from beffroi.sim.simulator import JITTER, Simulator
from tests.sim.conftest import MakeSim
from tests.sim.wire import WirePayload, decode

DAY = 86_400.0


@pytest.fixture(scope="module")
def day_of_messages(scenario: Scenario) -> tuple[Simulator, dict[str, list[WirePayload]]]:
    """24 h of the test scenario with no incident and no false positive, decoded per device."""
    simulator = Simulator(
        scenario, seed=5, time_origin="scenario", random_incidents_per_hour=0.0, pir_false_positives_per_day=0
    )
    by_device: dict[str, list[WirePayload]] = defaultdict(list)
    for message in simulator.messages_for(DAY):
        by_device[message.device_id].append(decode(message.payload))
    return simulator, by_device


def test_every_device_kind_has_a_model() -> None:
    assert set(MODELS) == SENSOR_KINDS
    for kind, model in MODELS.items():
        assert model.kind is kind
        assert model.metrics == DEVICE_PROFILES[kind].metrics


def test_every_kind_reports_exactly_its_profile_metrics(
    day_of_messages: tuple[Simulator, dict[str, list[WirePayload]]],
) -> None:
    simulator, by_device = day_of_messages
    kinds_seen = set()
    for device in simulator.devices:
        messages = by_device[device.id]
        assert messages, f"{device.id} never reported"
        expected = set(DEVICE_PROFILES[device.kind].metrics)
        for payload in messages:
            assert set(payload.value) == expected, (device.id, payload.value)
            assert all(math.isfinite(v) for v in payload.value.values())
        kinds_seen.add(device.kind)
    assert kinds_seen == SENSOR_KINDS


def test_every_device_reports_at_its_interval_within_jitter(
    day_of_messages: tuple[Simulator, dict[str, list[WirePayload]]],
) -> None:
    simulator, by_device = day_of_messages
    for device in simulator.devices:
        times = [payload.ts() for payload in by_device[device.id]]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        low, high = device.interval_s * (1 - JITTER) - 0.002, device.interval_s * (1 + JITTER) + 0.002
        assert all(low <= gap <= high for gap in gaps), (device.id, min(gaps), max(gaps))
        assert simulator.start <= times[0] <= simulator.start + device.interval_s
        assert len(times) == pytest.approx(DAY / device.interval_s, rel=0.03)


def test_devices_do_not_all_report_on_the_same_second(
    day_of_messages: tuple[Simulator, dict[str, list[WirePayload]]],
) -> None:
    simulator, by_device = day_of_messages
    first_offsets = {round(by_device[d.id][0].ts() - simulator.start, 1) for d in simulator.devices}
    assert len(first_offsets) > len(simulator.devices) * 0.8


def test_the_baseline_crosses_no_default_alarm_rule(
    day_of_messages: tuple[Simulator, dict[str, list[WirePayload]]],
) -> None:
    simulator, by_device = day_of_messages
    kind_of = {d.id: d.kind for d in simulator.devices}
    for rule in DEFAULT_THRESHOLD_RULES:
        for device_id, messages in by_device.items():
            if rule.device_kind is not None and kind_of[device_id] != rule.device_kind:
                continue
            values = [p.value[rule.metric] for p in messages if rule.metric in p.value]
            if rule.above is not None:
                assert all(v <= rule.above for v in values), (rule.name, device_id, max(values, default=None))
            if rule.below is not None:
                assert all(v >= rule.below for v in values), (rule.name, device_id, min(values, default=None))
    alarming_events = {rule.event_type for rule in DEFAULT_EVENT_RULES} - {"access_denied"}
    events = [p.event.type for messages in by_device.values() for p in messages if p.event is not None]
    assert not alarming_events & set(events)
    assert set(events) <= {"access_denied"}


def test_values_are_realistic(day_of_messages: tuple[Simulator, dict[str, list[WirePayload]]]) -> None:
    simulator, by_device = day_of_messages

    def metric(kind: DeviceKind, name: str) -> list[float]:
        return [p.value[name] for d in simulator.devices if d.kind is kind for p in by_device[d.id]]

    temperatures = metric(DeviceKind.TEMPERATURE, "temperature_c")
    assert 14 <= min(temperatures) <= 21
    assert 23 <= max(temperatures) <= 37
    assert all(15 <= h <= 100 for h in metric(DeviceKind.TEMPERATURE, "humidity_pct"))
    assert all(
        20 <= b <= 100
        for kind in (DeviceKind.INTRUSION_PIR, DeviceKind.SMOKE_HEAT, DeviceKind.PANIC_BUTTON)
        for b in metric(kind, "battery_pct")
    )
    noise = metric(DeviceKind.NOISE_LEVEL, "laeq_db")
    assert max(noise) - min(noise) > 25  # a full stand is far louder than the empty night
    co2 = metric(DeviceKind.AIR_QUALITY, "co2_ppm")
    assert min(co2) > 380
    assert max(co2) > 600
    assert all(v in (0, 1) for v in metric(DeviceKind.ACCESS_CONTROL, "door_open"))
    assert all(v == 1 for v in metric(DeviceKind.CAMERA, "online"))
    assert all(v in (12.5, 25.0, 30.0) or 5 < v < 30 for v in metric(DeviceKind.CAMERA, "fps"))
    assert all(v >= 0 and float(v).is_integer() for v in metric(DeviceKind.PEOPLE_COUNTER, "count_in"))
    assert max(metric(DeviceKind.CAMERA, "people_count")) > 100


def test_gate_counters_count_the_whole_attendance(
    day_of_messages: tuple[Simulator, dict[str, list[WirePayload]]],
) -> None:
    _, by_device = day_of_messages
    entered = sum(p.value["count_in"] for d in ("pc-gate-1", "pc-gate-2") for p in by_device[d])
    left = sum(p.value["count_out"] for d in ("pc-gate-1", "pc-gate-2") for p in by_device[d])
    passages = sum(p.value["passages"] for d in ("ts-gate-1", "ts-gate-2") for p in by_device[d])
    assert entered == pytest.approx(30_000, rel=0.03)
    assert left == pytest.approx(30_000, rel=0.03)
    assert passages == pytest.approx(30_000, rel=0.03)


def test_gps_trackers_walk_inside_their_site_and_send_their_position(
    day_of_messages: tuple[Simulator, dict[str, list[WirePayload]]],
) -> None:
    simulator, by_device = day_of_messages
    min_lon, min_lat, max_lon, max_lat = simulator.catalogue.site_bounds("stade")
    positions = []
    for payload in by_device["gps-1"]:
        assert payload.location is not None
        assert min_lon - 0.0002 <= payload.location.lon <= max_lon + 0.0002
        assert min_lat - 0.0002 <= payload.location.lat <= max_lat + 0.0002
        positions.append((payload.location.lon, payload.location.lat))
        assert 0 <= payload.value["speed_m_s"] < 2.5
        assert 15 < payload.value["battery_pct"] <= 100
    assert len(set(positions)) > len(positions) * 0.5
    speeds = [p.value["speed_m_s"] for p in by_device["gps-1"]]
    assert max(speeds) > 0.8
    assert min(speeds) < 0.2
    batteries = [p.value["battery_pct"] for p in by_device["gps-1"]]
    assert any(b > a for a, b in itertools.pairwise(batteries))  # recharged at some point
    for device_id, messages in by_device.items():
        if device_id != "gps-1":
            assert all(p.location is None for p in messages)


def test_pir_false_positives_follow_their_rate(make_sim: MakeSim) -> None:
    quiet = make_sim(pir_false_positives_per_day=0.0)
    noisy = make_sim(pir_false_positives_per_day=400.0)

    def motions(simulator: Simulator) -> float:
        values = [
            decode(m.payload).value["motion"] for m in simulator.messages_for(DAY / 8) if m.device_id[:4] == "pir-"
        ]
        return sum(values)

    assert motions(quiet) == 0
    assert 60 <= motions(noisy) <= 145  # two PIRs at 400 a day each for 3 h: 100 expected


def test_battery_drains_and_is_swapped_before_running_low() -> None:
    battery = Battery(stream(1, "battery"), t0=0.0, drain_per_hour=(1.0, 1.0))
    levels = [battery.level(hours * 3600.0) for hours in range(0, 400, 5)]
    assert levels[1] < levels[0]
    assert min(levels) >= Battery.SWAP_AT - 1
    assert max(levels[40:]) > 90  # a fresh battery after the swap


def test_poisson_counts_have_the_right_mean() -> None:
    rng = stream(3, "poisson")
    for mean in (0.0, 0.4, 7.0, 250.0):
        draws = [poisson(rng, mean) for _ in range(4000)]
        assert all(d >= 0 for d in draws)
        assert sum(draws) / len(draws) == pytest.approx(mean, abs=0.05 + mean * 0.03)
