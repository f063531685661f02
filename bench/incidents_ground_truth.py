"""Injected incidents (the simulator's ground truth) against the incidents Beffroi opens for them, and the alarms
each operator desk sees per 10 minutes, on the default scenario.

Run: .venv/bin/python bench/incidents_ground_truth.py [--hours 6] [--seed 42] [--incidents-per-hour 6]
     [--composites N] [--ack-after-s S] [--no-anomaly] [--details]
Prints one JSON object (`--details` adds one line per injected incident and per unmatched incident).

Pipeline (in-process, no bus, no store): the simulator runs scenarios/paris2024.json as fast as it can with its
default random incidents (`--incidents-per-hour`, the config's default 6; raise it for a denser injection). Its
payloads are decoded as the gateway does (`decode_batch` of bench/alarm_flood.py) and fed in 5-second steps of
scenario time to an Engine built as the engine worker builds it from the default config (every default detector,
anomaly rules included unless `--no-anomaly`; chatter filter and flood control per desk on; the config's desks),
each step followed by a tick. Every alarm change, in order, goes to an IncidentBook with the correlator, procedures
and escalation policy the incident worker builds from the default config (beffroi/engine/default_correlation.yaml),
ticked every step. Nobody works the incidents: they stay new (escalation still runs, correlation is unaffected).
By default nobody acknowledges alarms either, so an alarm that returned to normal stays open (rtn_unacknowledged)
and a later trigger of the same key re-triggers it inside its old incident; `--ack-after-s S` adds an operator who
acknowledges every visible alarm S seconds after its last trigger (it then clears once its condition is gone).

Matching rule. An incident MATCHES an injected incident when it is at the same site, in the same zone when the
injection names one (an incident with no zone, opened by a site- or radius-scoped rule, counts as site-wide and
matches any zone of its site), and was opened within [injection start - 60 s, injection end + 600 s]. An injected
incident is then `one` (exactly one match), `missed` (none) or `split` (several). Incidents whose alarms are all
flood summaries (no site) are counted apart and never match. The delay is the matched incident's `opened_at`
(its first alarm's raise time) minus the injection start (the earliest match for a split). Its type matches when
it is one of EXPECTED_TYPES[kind] (final type, after any reclassification). Diagnostics per injection: the alarm
raises and re-triggers of the injected devices in the window (`own_triggers`), how many matched incidents hold one
of those alarms (`own_incidents`), the incidents opened before the window that hold them (`absorbed_by`), and the
earlier injections on the same devices whose window was still open at the start.
Random injections whose window ends after the run are left out (`pending_at_end`). `--composites N` adds N real
incidents of each composite pattern (see `composite_incidents`), each injected as two simulator incidents (or one
zone-wide fire) and evaluated as ONE injected incident (`composites` in the report; zone matched when both parts
are in one zone, else site), to check that the specific rules of default_correlation.yaml join their alarms.
Incidents that match no injection and were opened after the warm-up are "spontaneous" (device faults, noise,
nuisance motion): reported per day.

Alarms per desk per 10 minutes: the alarms SHOWN to operators (ShownCounter of bench/alarm_flood.py: raised
visible, flood summaries raised or re-raised, grouped alarms released unacknowledged), per config desk and 10-minute
window after the warm-up; a (desk, window) is "with incident" when an injected incident at one of the desk's sites
is active in it or ended less than `--incident-tail-s` before it, else "steady".
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import platform
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from alarm_flood import ShownCounter, decode_batch, describe, incident_windows  # noqa: E402

from beffroi.config import BeffroiConfig  # noqa: E402
from beffroi.domain.alarms import Alarm, AlarmState  # noqa: E402
from beffroi.domain.incidents import Incident  # noqa: E402
from beffroi.domain.messages import AlarmChange, AlarmChangeKind, IncidentChangeKind  # noqa: E402
from beffroi.domain.registry import Device, Zone  # noqa: E402
from beffroi.engine.alarm_manager import AlarmManager, is_flood_summary  # noqa: E402
from beffroi.engine.builder import build_detectors  # noqa: E402
from beffroi.engine.correlation import Correlator, distance_m  # noqa: E402
from beffroi.engine.engine import Engine  # noqa: E402
from beffroi.engine.incident_book import IncidentBook  # noqa: E402
from beffroi.errors import BeffroiError  # noqa: E402
from beffroi.ingest.decoders import get_decoder  # noqa: E402
from beffroi.sim.ground_truth import GroundTruth  # noqa: E402
from beffroi.sim.scenario import load_scenario, to_registry  # noqa: E402
from beffroi.sim.simulator import Simulator  # noqa: E402
from beffroi.workers.engine import (  # noqa: E402
    anomaly_rules_from,
    battery_rule_from,
    desks_from,
    event_rules_from,
    flood_settings_from,
    geofence_rules_from,
    rate_of_change_rules_from,
    stuck_value_rules_from,
    tamper_rule_from,
    threshold_rules_from,
    window_count_rules_from,
)
from beffroi.workers.incidents import incident_settings_from  # noqa: E402

DEFAULT_SCENARIO = ROOT / "scenarios" / "paris2024.json"
STEP_S = 5.0
BEFORE_S = 60.0
"""An incident opened up to this long before the injection starts still matches it."""
AFTER_S = 600.0
"""An incident opened up to this long after the injection ends still matches it."""
EXPECTED_TYPES: dict[str, frozenset[str]] = {
    "fire": frozenset({"fire"}),
    "intrusion": frozenset({"break_in"}),
    "door_forced": frozenset({"break_in"}),
    "fence_breach": frozenset({"break_in"}),
    "overcrowding": frozenset({"overcrowding"}),
    "device_silent": frozenset({"device_fault"}),
    "panic": frozenset({"panic", "personal_safety"}),
    "drone": frozenset({"drone", "airspace_intrusion"}),
    "break_in": frozenset({"break_in"}),
    "crowd_emergency": frozenset({"overcrowding"}),
    "perimeter_breach": frozenset({"break_in"}),
    "confirmed_fire": frozenset({"fire"}),
}
"""The incident types that say what was injected (a `generic` incident does not); the last four are composites."""
COMPOSITE_RULES = ("break_in", "crowd_emergency", "perimeter_breach", "confirmed_fire")
"""Composite incidents (`--composites`), each named after the default correlation rule written for it."""
PERIMETER_RADIUS_M = 150.0


@dataclass(frozen=True)
class Composite:
    """One real incident injected as several simulator incidents (`specs`), expected to become one incident."""

    pattern: str
    specs: list[dict[str, Any]]


def composite_incidents(
    devices: Sequence[Device], zones: Sequence[Zone], per_pattern: int, start_s: float, end_s: float, seed: int
) -> list[Composite]:
    """`per_pattern` incidents of each composite pattern, spread evenly over [start_s, end_s] (scenario seconds):

    - break_in: a door forced, then motion 20 s later, in a zone with both an access reader and PIRs;
    - crowd_emergency: a gate over capacity, then a panic button pressed there 90 s later;
    - perimeter_breach: a fence shaken, then motion 30 s later at a PIR of the same site within 150 m;
    - confirmed_fire: a fire in a zone with two smoke/heat detectors or more.
    """
    rng = random.Random(seed)
    kinds_in: dict[str, Counter[str]] = defaultdict(Counter)
    for device in devices:
        if device.zone_id is not None:
            kinds_in[device.zone_id][str(device.kind)] += 1
    by_id = {zone.id: zone for zone in zones}
    door_and_pir = sorted(z for z, c in kinds_in.items() if c["access_control"] and c["intrusion_pir"])
    crowd = sorted(
        z for z, c in kinds_in.items() if c["people_counter"] and c["panic_button"] and by_id[z].capacity > 0
    )
    fire_zones = sorted(z for z, c in kinds_in.items() if c["smoke_heat"] >= 2)
    fences = [d for d in devices if d.kind == "perimeter_fence"]
    pirs = [d for d in devices if d.kind == "intrusion_pir"]
    pairs = sorted(
        (fence.id, pir.id)
        for fence in fences
        for pir in pirs
        if fence.site_id == pir.site_id and distance_m(fence.position, pir.position) <= PERIMETER_RADIUS_M
    )
    plans: list[tuple[str, Callable[[float], list[dict[str, Any]]]]] = []
    if door_and_pir:
        plans.append(
            ("break_in", lambda at: _pair(rng.choice(door_and_pir), by_id, "door_forced", "intrusion", at, 20.0))
        )
    if crowd:
        plans.append(("crowd_emergency", lambda at: _pair(rng.choice(crowd), by_id, "overcrowding", "panic", at, 90.0)))
    if pairs:
        plans.append(("perimeter_breach", lambda at: _perimeter(rng.choice(pairs), at)))
    if fire_zones:
        plans.append(
            ("confirmed_fire", lambda at: [_spec("fire", at, 600.0, zone=rng.choice(fire_zones), by_id=by_id)])
        )
    total = per_pattern * len(plans)
    step = (end_s - start_s) / total if total else 0.0
    return [
        Composite(plans[i % len(plans)][0], plans[i % len(plans)][1](round(start_s + (i + 0.5) * step, 1)))
        for i in range(total)
    ]


def _spec(kind: str, at: float, duration: float, *, zone: str, by_id: dict[str, Zone]) -> dict[str, Any]:
    return {"kind": kind, "at_s": at, "site": by_id[zone].site_id, "zone": zone, "duration_s": duration}


def _pair(zone: str, by_id: dict[str, Zone], first: str, second: str, at: float, gap: float) -> list[dict[str, Any]]:
    return [_spec(first, at, 300.0, zone=zone, by_id=by_id), _spec(second, at + gap, 300.0, zone=zone, by_id=by_id)]


def _perimeter(pair: tuple[str, str], at: float) -> list[dict[str, Any]]:
    fence, pir = pair
    return [
        {"kind": "fence_breach", "at_s": at, "device": fence, "duration_s": 60.0},
        {"kind": "intrusion", "at_s": at + 30.0, "device": pir, "duration_s": 120.0},
    ]


def merge_composite(pattern: str, parts: Sequence[GroundTruth]) -> GroundTruth:
    """One ground-truth record for a composite: its parts' devices, the earliest start, the latest end; its zone
    when every part is in the same zone (else none: matched at site level)."""
    zones = {part.zone_id for part in parts}
    return GroundTruth(
        incident_id="+".join(part.incident_id for part in parts),
        kind=pattern,
        source="composite",
        tenant_id=parts[0].tenant_id,
        site_id=parts[0].site_id,
        zone_id=zones.pop() if len(zones) == 1 else None,
        device_ids=[device for part in parts for device in part.device_ids],
        start_ts=min(part.start_ts for part in parts),
        end_ts=max(part.end_ts for part in parts),
        expected_alarms=[alarm for part in parts for alarm in part.expected_alarms],
    )


def build_engine(config: BeffroiConfig, devices: Sequence[Device], sites: Sequence[Any], anomaly: bool) -> Engine:
    """An engine as the engine worker builds it from `config` (alarm manager with chatter, flood control, desks)."""
    counter = itertools.count()
    desks = desks_from(config)
    desks.update_sites(sites)
    manager = AlarmManager(
        new_id=lambda: f"a{next(counter)}",
        flood=flood_settings_from(config),
        desks=desks,
        min_retrigger_interval_s=config.engine.min_retrigger_interval_s,
    )
    engine_config = config.engine
    detectors = build_detectors(
        threshold_rules_from(config),
        event_rules_from(config),
        absence_factor=engine_config.absence_factor,
        absence_priority=engine_config.absence_priority,
        rate_of_change_rules=rate_of_change_rules_from(config),
        stuck_value_rules=stuck_value_rules_from(config),
        geofence_rules=geofence_rules_from(config),
        window_count_rules=window_count_rules_from(config),
        anomaly_rules=anomaly_rules_from(config) if anomaly else [],
        battery=battery_rule_from(config),
        tamper=tamper_rule_from(config),
    )
    return Engine(devices, detectors, manager)


def build_book(config: BeffroiConfig, devices: Sequence[Device]) -> IncidentBook:
    """An incident book as the incident worker builds it from `config`, with the devices' positions."""
    settings = incident_settings_from(config)
    counter = itertools.count()

    def new_id() -> str:
        return f"i{next(counter)}"

    correlator = Correlator(settings.rules, new_id, {(d.tenant_id, d.id): d.position for d in devices})
    return IncidentBook(correlator, settings.procedures, settings.escalation, new_id)


@dataclass
class OpenedIncident:
    """An incident as it ended the run, with its type when it opened and its alarms."""

    incident: Incident
    opened_type: str
    opened_rule: str
    alarms: list[Alarm] = field(default_factory=list)

    @property
    def is_flood_summary(self) -> bool:
        return bool(self.alarms) and all(is_flood_summary(alarm) for alarm in self.alarms)


@dataclass(frozen=True)
class Trigger:
    """An alarm raised or re-triggered (returned as a change) at `ts`, by its source device."""

    ts: float
    alarm_id: str
    alarm_type: str
    change: str


TRIGGER_CHANGES = frozenset({AlarmChangeKind.RAISED, AlarmChangeKind.RETRIGGERED})
ACKNOWLEDGEABLE = frozenset({AlarmState.UNACKNOWLEDGED, AlarmState.RTN_UNACKNOWLEDGED})


def operator_acks(engine: Engine, now: float, after_s: float) -> list[AlarmChange]:
    """The operator model of `--ack-after-s`: every visible alarm unacknowledged since its last trigger for
    `after_s` seconds is acknowledged (it clears if its condition is gone). Flood summaries included."""
    manager = engine.alarm_manager
    changes: list[AlarmChange] = []
    for alarm in manager.open_alarms():
        if alarm.state in ACKNOWLEDGEABLE and alarm.last_triggered_at + after_s <= now:
            try:
                change, _audit = manager.acknowledge(alarm.key.tenant_id, alarm.id, "operator", now)
            except BeffroiError:
                continue
            changes.append(change)
    return changes


def matches(record: GroundTruth, incident: Incident) -> bool:
    """The matching rule of the module docstring."""
    if incident.site_id is None or incident.site_id != record.site_id:
        return False
    if record.zone_id is not None and incident.zone_id is not None and incident.zone_id != record.zone_id:
        return False
    return record.start_ts - BEFORE_S <= incident.opened_at <= record.end_ts + AFTER_S


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """Count, mean, median, p95 and max of delays (seconds)."""
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    return {
        "n": len(values),
        "mean": round(statistics.fmean(values), 1),
        "median": round(float(statistics.median(values)), 1),
        "p95": round(ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)], 1),
        "max": round(ordered[-1], 1),
    }


def evaluate(
    record: GroundTruth,
    incidents: Sequence[OpenedIncident],
    triggers: dict[str, list[Trigger]],
    member_of: Callable[[str, str], str | None],
    truth: Sequence[GroundTruth],
) -> dict[str, Any]:
    """One injected incident: its matched incidents, outcome, delay, type match and diagnostics."""
    lo, hi = record.start_ts - BEFORE_S, record.end_ts + AFTER_S
    own = [t for device_id in record.device_ids for t in triggers.get(device_id, []) if lo <= t.ts <= hi]
    own_ids = {t.alarm_id for t in own}
    matched = sorted((o for o in incidents if matches(record, o.incident)), key=lambda o: o.incident.opened_at)
    outcome = "missed" if not matched else "one" if len(matched) == 1 else "split"
    expected = EXPECTED_TYPES.get(record.kind, frozenset())
    holders = {member_of(record.tenant_id, alarm_id) for alarm_id in own_ids} - {None}
    matched_ids = {o.incident.id for o in matched}
    shared = set(record.device_ids)
    overlapping = [
        other.incident_id
        for other in truth
        if other is not record
        and other.start_ts < record.start_ts < other.end_ts + AFTER_S
        and shared.intersection(other.device_ids)
    ]
    result: dict[str, Any] = {
        "id": record.incident_id,
        "kind": record.kind,
        "site": record.site_id,
        "zone": record.zone_id,
        "start_ts": record.start_ts,
        "duration_s": round(record.end_ts - record.start_ts, 1),
        "outcome": outcome,
        "own_triggers": sorted(Counter(f"{t.alarm_type}:{t.change}" for t in own).items()),
        "own_incidents": sum(1 for o in matched if own_ids.intersection(a.id for a in o.alarms)),
        "absorbed_by": sorted(holders - matched_ids),
        "after_earlier_injection_on_same_devices": overlapping,
        "incidents": [
            {
                "id": o.incident.id,
                "type": o.incident.type,
                "opened_type": o.opened_type,
                "rule": o.incident.rule,
                "delay_s": round(o.incident.opened_at - record.start_ts, 1),
                "alarms": sorted(Counter(a.key.type for a in o.alarms).items()),
                "holds_own_alarm": bool(own_ids.intersection(a.id for a in o.alarms)),
            }
            for o in matched
        ],
    }
    if matched:
        first = matched[0].incident
        result["delay_s"] = round(first.opened_at - record.start_ts, 1)
        result["type_match"] = first.type in expected
    return result


def summarise(evaluated: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals over the evaluated injections, overall and per kind."""
    total = len(evaluated)
    outcomes = Counter(item["outcome"] for item in evaluated)
    ones = [item for item in evaluated if item["outcome"] == "one"]

    def share(n: int, of: int) -> float:
        return round(n / of, 3) if of else 0.0

    per_kind: dict[str, Any] = {}
    for kind in sorted({item["kind"] for item in evaluated}):
        items = [item for item in evaluated if item["kind"] == kind]
        kind_outcomes = Counter(item["outcome"] for item in items)
        per_kind[kind] = {
            "injected": len(items),
            **{name: kind_outcomes.get(name, 0) for name in ("one", "missed", "split")},
            "type_match": sum(1 for item in items if item.get("type_match")),
            "types": dict(Counter(i["incidents"][0]["type"] for i in items if i["incidents"])),
            "rules": dict(Counter(i["incidents"][0]["rule"] for i in items if i["incidents"])),
            "delay_s": percentiles([item["delay_s"] for item in items if "delay_s" in item]),
        }
    return {
        "evaluated": total,
        "exactly_one": outcomes.get("one", 0),
        "missed": outcomes.get("missed", 0),
        "split": outcomes.get("split", 0),
        "share_exactly_one": share(outcomes.get("one", 0), total),
        "share_missed": share(outcomes.get("missed", 0), total),
        "share_split": share(outcomes.get("split", 0), total),
        "share_exactly_one_with_right_type": share(sum(1 for item in ones if item.get("type_match")), total),
        "split_with_several_own_incidents": sum(
            1 for item in evaluated if item["outcome"] == "split" and item["own_incidents"] > 1
        ),
        "missed_absorbed_by_earlier_incident": sum(
            1 for item in evaluated if item["outcome"] == "missed" and item["absorbed_by"]
        ),
        "missed_without_alarm": sum(
            1 for item in evaluated if item["outcome"] == "missed" and not item["own_triggers"]
        ),
        "missed_after_earlier_injection_on_same_devices": sum(
            1 for item in evaluated if item["outcome"] == "missed" and item["after_earlier_injection_on_same_devices"]
        ),
        "delay_s": percentiles([item["delay_s"] for item in evaluated if "delay_s" in item]),
        "per_kind": per_kind,
    }


def main() -> None:
    """Run the simulation through the engine and the correlator and print the JSON report."""
    config = BeffroiConfig()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--hours", type=float, default=6.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--incidents-per-hour", type=float, default=config.sim.random_incidents_per_hour)
    parser.add_argument(
        "--composites",
        type=int,
        default=0,
        help="inject this many composite incidents of each pattern (break-in, crowd emergency, perimeter breach, "
        "confirmed fire) on top of the random ones",
    )
    parser.add_argument("--no-anomaly", action="store_true", help="leave the streaming anomaly detectors out")
    parser.add_argument("--warmup-s", type=float, default=600.0)
    parser.add_argument("--incident-tail-s", type=float, default=600.0)
    parser.add_argument(
        "--ack-after-s",
        type=float,
        default=None,
        help="an operator acknowledges each visible alarm this long after its last trigger (default: nobody does)",
    )
    parser.add_argument("--details", action="store_true", help="list every injection and unmatched incident")
    args = parser.parse_args()

    scenario = load_scenario(args.scenario)
    tenant, sites, zones, devices = to_registry(scenario)
    composites = composite_incidents(
        devices, zones, args.composites, args.warmup_s + 300.0, args.hours * 3600.0 - 1500.0, args.seed
    )
    specs = [spec for composite in composites for spec in composite.specs]
    composite_of = [index for index, composite in enumerate(composites) for _ in composite.specs]
    simulator = Simulator(
        scenario,
        seed=args.seed,
        speed=math.inf,
        time_origin="scenario",
        incidents=specs,
        random_incidents_per_hour=args.incidents_per_hour,
    )
    origin = simulator.position
    engine = build_engine(config, devices, sites, anomaly=not args.no_anomaly)
    engine.update_zones(zones)
    desk_map = engine.alarm_manager.desks
    book = build_book(config, devices)
    shown = ShownCounter(desk_map.desk_of, origin)
    by_id = {device.id: device for device in devices}
    decode = get_decoder("json-stream").decode
    latest_alarm: dict[str, Alarm] = {}
    triggers: dict[str, list[Trigger]] = defaultdict(list)
    acknowledged = 0
    opened_as: dict[str, tuple[str, str]] = {}
    incident_changes: Counter[str] = Counter()
    end = origin + args.hours * 3600.0
    readings_total = events_total = alarm_changes = 0
    started = time.perf_counter()
    now = origin
    while now < end:
        now = min(now + STEP_S, end)
        readings, events = decode_batch(simulator.messages_until(now), decode, by_id, tenant.id)
        readings_total += len(readings)
        events_total += len(events)
        changes = engine.process_readings(readings)
        for event in events:
            changes.extend(engine.process_event(event))
        changes.extend(engine.tick(now))
        shown.add(changes, now)
        if args.ack_after_s is not None:
            acks = operator_acks(engine, now, args.ack_after_s)
            acknowledged += len(acks)
            changes.extend(acks)
        alarm_changes += len(changes)
        for change in changes:
            alarm = change.alarm
            latest_alarm[alarm.id] = alarm
            if change.change in TRIGGER_CHANGES:
                ts = alarm.raised_at if change.change is AlarmChangeKind.RAISED else alarm.last_triggered_at
                triggers[alarm.key.source].append(Trigger(ts, alarm.id, alarm.key.type, change.change.value))
            for incident_change in book.on_alarm_change(change):
                incident_changes[incident_change.change.value] += 1
                if incident_change.change is IncidentChangeKind.OPENED:
                    opened_as[incident_change.incident.id] = (
                        incident_change.incident.type,
                        incident_change.incident.rule,
                    )
        for escalated in book.tick(now):
            incident_changes[escalated.change.change.value] += 1
    elapsed = time.perf_counter() - started

    incidents = [
        OpenedIncident(
            incident,
            *opened_as.get(incident.id, (incident.type, incident.rule)),
            alarms=[latest_alarm[alarm_id] for alarm_id in incident.alarm_ids if alarm_id in latest_alarm],
        )
        for incident in book.open.all()
    ]
    site_incidents = [o for o in incidents if not o.is_flood_summary]
    truth = simulator.ground_truth.records
    parts: dict[int, list[GroundTruth]] = defaultdict(list)
    for record in truth:
        if record.source == "injected":
            parts[composite_of[int(record.incident_id.rsplit("-", 1)[1]) - 1]].append(record)
    merged = [merge_composite(composites[index].pattern, records) for index, records in sorted(parts.items())]
    singles = [record for record in truth if record.source != "injected"]
    in_time = [r for r in singles if r.end_ts + AFTER_S <= end]
    evaluated = [evaluate(r, site_incidents, triggers, book.open.incident_of, truth) for r in in_time]
    evaluated_composites = [evaluate(r, site_incidents, triggers, book.open.incident_of, truth) for r in merged]
    everything = evaluated + evaluated_composites
    matched_ids = {inc["id"] for item in everything for inc in item["incidents"]}
    matched_by = Counter(inc["id"] for item in everything for inc in item["incidents"])
    # incidents matching an injection that is still pending at the end are not spontaneous either
    pending_ids = {o.incident.id for r in singles if r not in in_time for o in site_incidents if matches(r, o.incident)}
    warm_end = origin + args.warmup_s
    unmatched = [
        o
        for o in site_incidents
        if o.incident.id not in matched_ids and o.incident.id not in pending_ids and o.incident.opened_at >= warm_end
    ]
    days = (end - warm_end) / 86400.0

    marked = incident_windows(truth, desk_map.desk_of, origin, args.incident_tail_s)
    first_window = math.ceil(args.warmup_s / 600.0)
    last_window = math.floor((end - origin) / 600.0) - 1
    windows = range(first_window, last_window + 1)
    steady: list[int] = []
    during: list[int] = []
    per_desk: dict[str, Any] = {}
    for desk in desk_map.names:
        desk_steady = [shown.shown[(desk, w)] for w in windows if (desk, w) not in marked]
        desk_during = [shown.shown[(desk, w)] for w in windows if (desk, w) in marked]
        steady.extend(desk_steady)
        during.extend(desk_during)
        per_desk[desk] = {
            "sites": sum(1 for s in sites if desk_map.desk_of(s.id) == desk),
            "steady": describe(desk_steady),
            "with_incident": describe(desk_during),
        }

    flood = config.engine.flood
    result: dict[str, Any] = {
        "benchmark": "incidents_ground_truth",
        "python": platform.python_version(),
        "scenario": str(args.scenario.relative_to(ROOT) if args.scenario.is_relative_to(ROOT) else args.scenario),
        "devices": len(devices),
        "sites": len(sites),
        "scenario_hours": args.hours,
        "seed": args.seed,
        "incidents_per_hour": args.incidents_per_hour,
        "anomaly_detectors": not args.no_anomaly,
        "operator_ack_after_s": args.ack_after_s,
        "operator_acknowledgements": acknowledged,
        "wall_s": round(elapsed, 1),
        "sim_hours_per_wall_s": round(args.hours / elapsed, 4),
        "readings": readings_total,
        "events": events_total,
        "alarm_changes": alarm_changes,
        "matching": {"before_start_s": BEFORE_S, "after_end_s": AFTER_S, "warmup_s": args.warmup_s},
        "injected": {
            "total": len(truth),
            "random": len(singles),
            "pending_at_end": len(singles) - len(in_time),
            "by_kind": dict(Counter(r.kind for r in singles)),
            "composites": dict(Counter(r.kind for r in merged)),
        },
        "ground_truth": summarise(evaluated),
        "composites": summarise(evaluated_composites),
        "incidents": {
            "opened": len(incidents),
            "flood_summary_incidents": len(incidents) - len(site_incidents),
            "matching_an_injection": len(matched_ids),
            "matching_several_injections": sum(1 for n in matched_by.values() if n > 1),
            "spontaneous": len(unmatched),
            "spontaneous_per_day": round(len(unmatched) / days, 1) if days > 0 else None,
            "spontaneous_by_type": dict(Counter(o.incident.type for o in unmatched).most_common()),
            "spontaneous_by_first_alarm": dict(
                Counter(o.alarms[0].key.type if o.alarms else "?" for o in unmatched).most_common()
            ),
            "changes": dict(sorted(incident_changes.items())),
        },
        "alarms_per_desk_per_10min": {
            "flood_control": {"max_alarms": flood.max_alarms, "window_s": flood.window_s},
            "min_retrigger_interval_s": config.engine.min_retrigger_interval_s,
            "steady": describe(steady),
            "with_incident": describe(during),
            "per_desk": per_desk,
            "changes": dict(sorted(shown.kinds.items())),
        },
        "engine": engine.counters(),
        "alarm_manager": engine.alarm_manager.counters(),
    }
    if args.details:
        result["per_injection"] = evaluated
        result["per_composite"] = evaluated_composites
        result["spontaneous_incidents"] = [
            {
                "id": o.incident.id,
                "type": o.incident.type,
                "rule": o.incident.rule,
                "site": o.incident.site_id,
                "zone": o.incident.zone_id,
                "opened_s": round(o.incident.opened_at - origin, 1),
                "alarms": sorted(Counter(a.key.type for a in o.alarms).items()),
            }
            for o in unmatched
        ]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
