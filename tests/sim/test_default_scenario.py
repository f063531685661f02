"""The simulator on the shipped scenarios: the Paris 2024 default (3,600+ devices) and the tiny test one."""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from beffroi.config_engine import DEFAULT_THRESHOLD_RULES
from beffroi.domain.registry import DEVICE_PROFILES, SENSOR_KINDS, DeviceKind
from beffroi.sim.incidents import INCIDENT_KINDS
from beffroi.sim.scenario import Scenario, load_scenario
from beffroi.sim.simulator import Simulator
from tests.sim.wire import decode

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture(scope="module")
def paris() -> Scenario:
    return load_scenario(SCENARIOS / "paris2024.json")


def test_every_device_of_the_default_scenario_reports(paris: Scenario) -> None:
    simulator = Simulator(paris, seed=1, speed=math.inf, time_origin="scenario", random_incidents_per_hour=6.0)
    assert len(simulator.devices) == paris.device_count() > 3000
    longest = max(d.interval_s for d in simulator.devices)
    messages = simulator.messages_for(longest)
    assert {m.device_id for m in messages} == {d.id for d in simulator.devices}
    kinds = {d.id: d.kind for d in simulator.devices}
    seen: Counter[DeviceKind] = Counter()
    for message in messages[::7]:
        payload = decode(message.payload)
        assert set(payload.value) == set(DEVICE_PROFILES[kinds[payload.stream_id]].metrics)
        seen[kinds[payload.stream_id]] += 1
    assert set(seen) == SENSOR_KINDS


def test_every_incident_kind_finds_a_target_in_the_default_scenario(paris: Scenario) -> None:
    incidents = [{"kind": kind, "at_s": 10.0 * i} for i, kind in enumerate(INCIDENT_KINDS)]
    simulator = Simulator(paris, seed=2, time_origin="scenario", incidents=incidents)
    simulator.messages_for(120)
    assert [r.kind for r in simulator.ground_truth.records] == list(INCIDENT_KINDS)
    assert all(r.device_ids for r in simulator.ground_truth.records)


def test_the_biggest_session_crosses_no_default_alarm_rule(paris: Scenario) -> None:
    site, session = max(
        ((site, session) for site in paris.sites for session in site.schedule), key=lambda pair: pair[1].attendance
    )
    simulator = Simulator(
        paris,
        seed=3,
        speed=math.inf,
        time_origin="scenario",
        sites=[site.id],
        start=session.start - timedelta(hours=3),
        pir_false_positives_per_day=0.0,
    )
    span = (session.end - session.start).total_seconds() + 4.5 * 3600
    kinds = {d.id: d.kind for d in simulator.devices}
    ratios = []
    for message in simulator.messages_for(span):
        payload = decode(message.payload)
        for rule in DEFAULT_THRESHOLD_RULES:
            if rule.metric in payload.value and rule.device_kind in (None, kinds[payload.stream_id]):
                value = payload.value[rule.metric]
                assert rule.above is None or value <= rule.above, (rule.name, payload)
                assert rule.below is None or value >= rule.below, (rule.name, payload)
        if "occupancy_ratio" in payload.value:
            ratios.append(payload.value["occupancy_ratio"])
    assert max(ratios) > 0.5  # the crowd did come


def test_the_tiny_scenario_runs_with_a_fire_on_its_smoke_detector() -> None:
    tiny = load_scenario(SCENARIOS / "tests" / "tiny.json")
    smoke = next(d for d in tiny.sites[0].devices if d.kind is DeviceKind.SMOKE_HEAT)
    simulator = Simulator(
        tiny,
        seed=7,
        time_origin="scenario",
        random_incidents_per_hour=0.0,
        incidents=[{"kind": "fire", "at_s": 240.0, "site": tiny.sites[0].id, "device": smoke.id, "duration_s": 300.0}],
    )
    readings = [decode(m.payload) for m in simulator.messages_for(960)]
    assert sum(len(p.value) for p in readings) > 500
    fire = [p for p in readings if p.stream_id == smoke.id and p.value["smoke_obscuration_pct_m"] > 4]
    assert fire
    assert [r.device_ids for r in simulator.ground_truth.records] == [[smoke.id]]
