"""Injected incidents cross Beffroi's default alarm rules during their window only, with ground truth."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from beffroi.config import IncidentInjection
from beffroi.config_engine import DEFAULT_EVENT_RULES, DEFAULT_THRESHOLD_RULES, ThresholdRuleConfig
from beffroi.errors import ConfigError
from beffroi.sim.ground_truth import GroundTruth, read_ground_truth
from beffroi.sim.incidents import EXPECTED_ALARMS, INCIDENT_KINDS, IncidentSpec
from beffroi.sim.simulator import Simulator
from tests.sim.conftest import MakeSim
from tests.sim.wire import WirePayload, decode

AT_S = 7200.0  # 17:00 local, the crowd is arriving
DURATION_S = 600.0
RULES = {rule.name: rule for rule in DEFAULT_THRESHOLD_RULES}
RULES_OF_KIND = {
    "overcrowding": ["gate_overcrowding"],
    "intrusion": ["intrusion"],
    "fire": ["smoke", "heat"],
    "fence_breach": ["fence"],
    "panic": ["panic"],
    "device_silent": [],
    "door_forced": [],
    "drone": [],
}
EVENTS_OF_KIND = {"fire": "fire_panel_alarm", "door_forced": "door_forced", "drone": "drone_detected"}
TARGETS = {
    "overcrowding": {"zone": "gate-a"},
    "intrusion": {"device": "pir-1"},
    "fire": {"zone": "concourse"},
    "device_silent": {"device": "pc-stand"},
    "door_forced": {"device": "door-1"},
    "fence_breach": {"device": "fence-1"},
    "panic": {"device": "panic-1"},
    "drone": {"site": "stade"},
}


def _run(simulator: Simulator, seconds: float) -> dict[str, list[WirePayload]]:
    by_device: dict[str, list[WirePayload]] = defaultdict(list)
    for message in simulator.messages_for(seconds):
        by_device[message.device_id].append(decode(message.payload))
    return by_device


def _crossing(rule: ThresholdRuleConfig, value: float) -> bool:
    return value > rule.above if rule.above is not None else value < rule.below  # type: ignore[operator]


def _longest_crossing_s(rule: ThresholdRuleConfig, messages: list[WirePayload]) -> float:
    longest, run_start = 0.0, None
    for payload in messages:
        if _crossing(rule, payload.value[rule.metric]):
            run_start = payload.ts() if run_start is None else run_start
            longest = max(longest, payload.ts() - run_start)
        else:
            run_start = None
    return longest


@pytest.mark.parametrize("kind", INCIDENT_KINDS)
def test_each_kind_crosses_its_default_rules_in_its_window_only(make_sim: MakeSim, kind: str, tmp_path: Path) -> None:
    truth_path = tmp_path / "truth.jsonl"
    spec = {"kind": kind, "at_s": AT_S, "duration_s": DURATION_S, **TARGETS[kind]}
    simulator = make_sim(incidents=[spec], ground_truth_path=truth_path)
    by_device = _run(simulator, AT_S + DURATION_S + 900)
    [truth] = simulator.ground_truth.records
    assert read_ground_truth(truth_path) == [truth]
    assert truth.kind == kind
    assert truth.source == "injected"
    assert truth.start_ts == simulator.start + AT_S
    assert truth.end_ts == simulator.start + AT_S + DURATION_S
    assert truth.expected_alarms == EXPECTED_ALARMS[kind]
    assert truth.device_ids
    kind_of = {d.id: d.kind for d in simulator.devices}

    def inside(payload: WirePayload) -> bool:
        return truth.start_ts <= payload.ts() < truth.end_ts

    for rule_name in RULES_OF_KIND[kind]:
        rule = RULES[rule_name]
        crossed_devices = set()
        for device_id, messages in by_device.items():
            if kind_of[device_id] != rule.device_kind:
                continue
            crossing = [p for p in messages if _crossing(rule, p.value[rule.metric])]
            assert all(inside(p) for p in crossing), (rule_name, device_id, [p.timestamp for p in crossing])
            if crossing:
                crossed_devices.add(device_id)
                assert _longest_crossing_s(rule, messages) >= rule.for_s, (rule_name, device_id)
        expected = {d for d in truth.device_ids if kind_of[d] == rule.device_kind}
        assert crossed_devices == expected, rule_name
    event_type = EVENTS_OF_KIND.get(kind)
    events = [(d, p) for d, messages in by_device.items() for p in messages if p.event is not None]
    alarming = [(d, p) for d, p in events if p.event is not None and p.event.type != "access_denied"]
    if event_type is None:
        assert alarming == []
    else:
        assert [(d, p.event.type) for d, p in alarming if p.event is not None] == [(truth.device_ids[0], event_type)]
        assert inside(alarming[0][1])
    if kind == "drone":
        detected = [p for p in by_device[truth.device_ids[0]] if p.value["drones_detected"] >= 1]
        assert detected
        assert all(inside(p) for p in detected)
    if kind == "device_silent":
        [silent] = truth.device_ids
        times = [p.ts() for p in by_device[silent]]
        assert not [t for t in times if truth.start_ts <= t < truth.end_ts]
        assert any(t < truth.start_ts for t in times)
        assert any(t >= truth.end_ts for t in times)


def test_expected_alarm_types_are_the_default_rules_alarm_types() -> None:
    rule_types = {rule.alarm_type or rule.name for rule in DEFAULT_THRESHOLD_RULES}
    event_types = {rule.alarm_type or rule.event_type for rule in DEFAULT_EVENT_RULES}
    for kind, alarms in EXPECTED_ALARMS.items():
        if kind != "device_silent":  # raised by the absence detector, not by a rule
            assert set(alarms) <= rule_types | event_types, kind


def test_fire_on_a_named_device_affects_that_device_only(make_sim: MakeSim) -> None:
    spec = {"kind": "fire", "at_s": 60, "site": "stade", "zone": "concourse", "device": "smoke-2", "duration_s": 300}
    simulator = make_sim(incidents=[spec])
    by_device = _run(simulator, 600)
    assert simulator.ground_truth.records[0].device_ids == ["smoke-2"]
    assert max(p.value["smoke_obscuration_pct_m"] for p in by_device["smoke-1"]) < 1
    assert max(p.value["smoke_obscuration_pct_m"] for p in by_device["smoke-2"]) > 4


def test_fire_in_a_zone_affects_every_detector_of_the_zone(make_sim: MakeSim) -> None:
    simulator = make_sim(incidents=[{"kind": "fire", "at_s": 60, "zone": "concourse"}])
    simulator.messages_for(120)
    assert sorted(simulator.ground_truth.records[0].device_ids) == ["smoke-1", "smoke-2"]


def test_overcrowding_affects_the_zones_counters_and_cameras(make_sim: MakeSim) -> None:
    simulator = make_sim(incidents=[IncidentSpec(kind="overcrowding", at_s=0, device="pc-gate-2")])
    simulator.messages_for(10)
    record = simulator.ground_truth.records[0]
    assert record.zone_id == "gate-a"
    assert sorted(record.device_ids) == ["cam-gate", "pc-gate-1", "pc-gate-2"]


def test_untargeted_incidents_are_drawn_from_the_seed(make_sim: MakeSim) -> None:
    def targets(seed: int) -> list[list[str]]:
        simulator = make_sim(seed=seed, incidents=[{"kind": "device_silent", "at_s": 10 * i} for i in range(8)])
        simulator.messages_for(100)
        return [record.device_ids for record in simulator.ground_truth.records]

    assert targets(1) == targets(1)
    assert targets(1) != targets(2)


def test_config_entries_are_accepted_as_incidents(make_sim: MakeSim) -> None:
    entry = IncidentInjection(kind="panic", at_s=30, device="panic-1", duration_s=120)
    simulator = make_sim(incidents=[entry])
    simulator.messages_for(60)
    assert simulator.ground_truth.records[0].device_ids == ["panic-1"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"kind": "earthquake", "at_s": 0}, "incidents[0]"),
        ({"kind": "fire", "at_s": -5}, "incidents[0]"),
        ({"kind": "fire", "at_s": 0, "duration_s": 0}, "incidents[0]"),
        ({"kind": "fire", "at_s": 0, "colour": "red"}, "incidents[0]"),
        ({"kind": "fire", "at_s": 0, "device": "nope"}, "incidents[0].device: 'nope' is not a device"),
        ({"kind": "fire", "at_s": 0, "device": "pir-1"}, "fire needs a smoke_heat device"),
        ({"kind": "fire", "at_s": 0, "zone": "nowhere"}, "incidents[0].zone"),
        ({"kind": "fire", "at_s": 0, "site": "gare", "zone": "concourse"}, "not in site 'gare'"),
        ({"kind": "panic", "at_s": 0, "zone": "gate-a"}, "no panic_button device in gate-a"),
        ({"kind": "overcrowding", "at_s": 0, "zone": "technical"}, "in a zone with a capacity"),
        ({"kind": "fire", "at_s": 0, "site": "atlantis"}, "'atlantis' is not a simulated site"),
    ],
)
def test_bad_incidents_are_refused_with_their_place(make_sim: MakeSim, spec: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        make_sim(incidents=[spec])


def test_incidents_of_unsimulated_sites_are_refused(make_sim: MakeSim) -> None:
    with pytest.raises(ConfigError, match="not a device of a simulated site"):
        make_sim(sites=["gare"], incidents=[{"kind": "panic", "at_s": 0, "device": "panic-1"}])


def test_random_incidents_come_at_their_rate_with_ground_truth(make_sim: MakeSim, tmp_path: Path) -> None:
    path = tmp_path / "truth.jsonl"
    simulator = make_sim(random_incidents_per_hour=6.0, ground_truth_path=path)
    simulator.messages_for(10 * 3600)
    records = simulator.ground_truth.records
    assert 35 <= len(records) <= 90  # 60 expected
    assert {r.source for r in records} == {"random"}
    assert {r.kind for r in records} <= set(INCIDENT_KINDS)
    assert len({r.kind for r in records}) >= 6
    written = [json.loads(line)["incident_id"] for line in path.read_text().splitlines()]
    assert written == [r.incident_id for r in records]
    assert all(r.start_ts < r.end_ts for r in records)
    assert [r.start_ts for r in records] == sorted(r.start_ts for r in records)
    silent = [r for r in records if r.kind == "device_silent"]
    interval = {d.id: d.interval_s for d in simulator.devices}
    assert all(r.end_ts - r.start_ts >= 5 * interval[r.device_ids[0]] for r in silent)


def test_random_incidents_are_the_same_for_the_same_seed(make_sim: MakeSim) -> None:
    def records(seed: int) -> list[GroundTruth]:
        simulator = make_sim(seed=seed, random_incidents_per_hour=4.0)
        simulator.messages_for(4 * 3600)
        return simulator.ground_truth.records

    assert records(9) == records(9)
    assert records(9) != records(10)


def test_ground_truth_is_recorded_when_the_incident_starts(make_sim: MakeSim) -> None:
    simulator = make_sim(incidents=[{"kind": "panic", "at_s": 3600, "device": "panic-1"}])
    simulator.messages_for(3000)
    assert simulator.ground_truth.records == []
    simulator.messages_for(700)
    assert [r.kind for r in simulator.ground_truth.records] == ["panic"]


def test_ground_truth_times_follow_the_time_origin(make_sim: MakeSim) -> None:
    simulator = make_sim(time_origin="now", wall_start=2_000_000_000.0, incidents=[{"kind": "panic", "at_s": 60}])
    simulator.messages_for(120)
    record = simulator.ground_truth.records[0]
    assert record.start_ts == 2_000_000_060.0
    assert record.end_ts == 2_000_000_360.0
