"""Alarms per operator desk per 10 minutes on the default scenario, with and without flood control.

Run: .venv/bin/python bench/alarm_flood.py [--hours 6] [--seed 42] [--incidents-per-hour 6] [--burst 0]
Prints one JSON object.

The simulator runs the scenario (scenarios/paris2024.json) as fast as it can, in-process and without the bus,
with its default random incidents (and, with `--burst K`, K extra incidents injected at the sites of one desk
within 5 minutes, halfway through). Its payloads are decoded as the gateway does and fed, in 5-second steps, to
engines built from the default config (the engine worker's rules), each followed by a tick. The same readings
and events go to three alarm managers:

- `baseline`: today's manager (no chatter filter, no flood control);
- `chatter`: minimum re-trigger interval only;
- `flood_control`: minimum re-trigger interval and flood control per desk (the proposed defaults).

An alarm is SHOWN to an operator when it is raised visible (not grouped by a flood, not held as chatter), when a
flood summary is raised or re-raised, and when a grouped alarm comes back unacknowledged at the end of a flood.
Counts are per desk (DESKS below: the proposed split of the default scenario) and per 10-minute window of
scenario time (the first `--warmup-s`, while every device reports for the first time, are left out). A
(desk, window) is "with incident" when an injected incident at one of the desk's sites is active during the
window or ended less than `--incident-tail-s` before it (ground truth of the simulator), else "steady".
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import platform
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from beffroi.config import BeffroiConfig  # noqa: E402
from beffroi.domain.alarms import AlarmState  # noqa: E402
from beffroi.domain.messages import AlarmChange, AlarmChangeKind  # noqa: E402
from beffroi.domain.observations import Event, Reading  # noqa: E402
from beffroi.domain.registry import Device, Site  # noqa: E402
from beffroi.engine import AlarmManager, Engine, build_detectors  # noqa: E402
from beffroi.engine.alarm_manager import is_flood_summary  # noqa: E402
from beffroi.engine.desks import DeskMap, OperatorDesk  # noqa: E402
from beffroi.engine.flood import FloodSettings  # noqa: E402
from beffroi.ingest.decoders import get_decoder  # noqa: E402
from beffroi.sim.ground_truth import GroundTruth  # noqa: E402
from beffroi.sim.scenario import load_scenario, to_registry  # noqa: E402
from beffroi.sim.simulator import Simulator  # noqa: E402
from beffroi.workers.engine import (  # noqa: E402
    battery_rule_from,
    event_rules_from,
    geofence_rules_from,
    rate_of_change_rules_from,
    stuck_value_rules_from,
    tamper_rule_from,
    threshold_rules_from,
    window_count_rules_from,
)

DEFAULT_SCENARIO = ROOT / "scenarios" / "paris2024.json"
WINDOW_S = 600.0
STEP_S = 5.0
MIN_RETRIGGER_INTERVAL_S = 30.0
FLOOD = FloodSettings()

REGIONAL_VENUES = frozenset(
    {
        "orange-velodrome",
        "marseille-marina",
        "groupama-stadium",
        "allianz-riviera",
        "matmut-atlantique",
        "la-beaujoire",
        "geoffroy-guichard",
        "pierre-mauroy",
        "chateauroux-shooting",
        "teahupoo",
    }
)
DESKS = [
    OperatorDesk("transport", site_kinds=frozenset({"transport_hub"})),
    OperatorDesk("fan_zones", site_kinds=frozenset({"fan_zone"})),
    OperatorDesk("regional_venues", site_ids=REGIONAL_VENUES),
    OperatorDesk("paris_venues", site_ids=frozenset({"*"})),
]
"""The proposed desks of the default scenario: stations, fan zones, venues outside Île-de-France, and the Paris
and Île-de-France venues (stadiums, arenas, outdoor venues, the Seine ceremony, the village) as the catch-all."""


def build_engine(config: BeffroiConfig, devices: Sequence[Device], manager: AlarmManager) -> Engine:
    """An engine with the engine worker's detectors from `config`."""
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
        battery=battery_rule_from(config),
        tamper=tamper_rule_from(config),
    )
    return Engine(devices, detectors, manager)


def managers(sites: Sequence[Site]) -> dict[str, AlarmManager]:
    """The three alarm managers compared (see the module docstring)."""
    counter = itertools.count()

    def new_id() -> str:
        return f"a{next(counter)}"

    return {
        "baseline": AlarmManager(new_id, desks=DeskMap(DESKS, sites)),
        "chatter": AlarmManager(new_id, desks=DeskMap(DESKS, sites), min_retrigger_interval_s=MIN_RETRIGGER_INTERVAL_S),
        "flood_control": AlarmManager(
            new_id, flood=FLOOD, desks=DeskMap(DESKS, sites), min_retrigger_interval_s=MIN_RETRIGGER_INTERVAL_S
        ),
    }


class ShownCounter:
    """Counts the alarms shown to operators per (desk, 10-minute window), from the changes of one manager."""

    def __init__(self, desk_of: Callable[[str | None], str], origin: float) -> None:
        self._desk_of = desk_of
        self._origin = origin
        self.shown: Counter[tuple[str, int]] = Counter()
        self.kinds: Counter[str] = Counter()
        self._calm_summaries: set[str] = set()  # summaries returned to normal: a re-trigger re-annunciates them

    def add(self, changes: Sequence[AlarmChange], now: float) -> None:
        """Count the changes returned at scenario time `now`."""
        for change in changes:
            alarm = change.alarm
            kind = change.change
            if kind is AlarmChangeKind.RAISED:
                if is_flood_summary(alarm):
                    what = "summary_raised"
                elif alarm.is_hidden:
                    what = "raised_grouped"
                else:
                    what = "raised_shown"
            elif kind is AlarmChangeKind.RETRIGGERED and is_flood_summary(alarm):
                what = "summary_reraised" if alarm.id in self._calm_summaries else "summary_refreshed"
                self._calm_summaries.discard(alarm.id)
            elif kind is AlarmChangeKind.RETURNED_TO_NORMAL and is_flood_summary(alarm):
                what = "summary_returned_to_normal"
                if alarm.is_open:
                    self._calm_summaries.add(alarm.id)
            elif kind is AlarmChangeKind.RETURNED_TO_SERVICE and alarm.state is AlarmState.UNACKNOWLEDGED:
                what = "released_shown"
            elif kind is AlarmChangeKind.RETURNED_TO_SERVICE:
                what = "released_cleared"
            else:
                what = kind.value
            self.kinds[what] += 1
            if what in {"raised_shown", "summary_raised", "summary_reraised", "released_shown"}:
                if is_flood_summary(alarm):
                    desk = alarm.key.source.removeprefix("desk:")
                else:
                    desk = self._desk_of(alarm.key.site_id)
                self.shown[(desk, math.floor((now - self._origin) / WINDOW_S))] += 1


def incident_windows(
    truth: Sequence[GroundTruth], desk_of: Callable[[str | None], str], origin: float, tail_s: float
) -> set[tuple[str, int]]:
    """The (desk, window) pairs during or shortly after an injected incident at one of the desk's sites."""
    marked: set[tuple[str, int]] = set()
    for record in truth:
        first = math.floor((record.start_ts - origin) / WINDOW_S)
        last = math.floor((record.end_ts + tail_s - origin) / WINDOW_S)
        for window in range(first, last + 1):
            marked.add((desk_of(record.site_id), window))
    return marked


def describe(values: list[int]) -> dict[str, float]:
    """Mean, median, 95th percentile and maximum of counts per (desk, window), and how many exceed a flood."""
    if not values:
        return {"desk_windows": 0}
    ordered = sorted(values)
    return {
        "desk_windows": len(values),
        "mean": round(statistics.fmean(values), 2),
        "median": float(statistics.median(values)),
        "p95": float(ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]),
        "max": float(ordered[-1]),
        "windows_over_10": sum(1 for v in values if v > FLOOD.max_alarms),
    }


def decode_batch(
    messages: Sequence[Any], decode: Callable[[bytes], Sequence[Any]], devices: dict[str, Device], tenant_id: str
) -> tuple[list[Reading], list[Event]]:
    """Readings and events of simulator messages, placed like the gateway does (site and zone of the registry)."""
    readings: list[Reading] = []
    events: list[Event] = []
    for message in messages:
        for decoded in decode(message.payload):
            device = devices[decoded.device_id]
            for metric, value in decoded.values.items():
                readings.append(
                    Reading(
                        tenant_id,
                        device.id,
                        metric,
                        value,
                        decoded.ts,
                        device.site_id,
                        device.zone_id,
                        decoded.position,
                    )
                )
            if decoded.event_type is not None:
                events.append(
                    Event(
                        event_id=decoded.msg_id,
                        tenant_id=tenant_id,
                        type=decoded.event_type,
                        source=device.id,
                        ts=decoded.ts,
                        site_id=device.site_id,
                        zone_id=device.zone_id,
                        position=decoded.position,
                        confidence=decoded.event_confidence,
                        attributes={**decoded.tags, **decoded.event_attributes},
                    )
                )
    return readings, events


def burst_incidents(
    sites: Sequence[Site], desk_of: Callable[[str | None], str], count: int, at_s: float
) -> list[dict[str, Any]]:
    """`count` incidents at the sites of the busiest desk, 20 s apart (a storm the flood control must absorb)."""
    by_desk: dict[str, list[str]] = defaultdict(list)
    for site in sites:
        by_desk[desk_of(site.id)].append(site.id)
    desk = max(by_desk, key=lambda d: len(by_desk[d]))
    kinds = ["intrusion", "door_forced", "fence_breach", "fire", "panic"]
    return [
        {
            "kind": kinds[i % len(kinds)],
            "at_s": at_s + 20.0 * i,
            "site": by_desk[desk][i % len(by_desk[desk])],
            "duration_s": 600.0,
        }
        for i in range(count)
    ]


def main() -> None:
    """Run the simulation through the three managers and print the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--hours", type=float, default=6.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--incidents-per-hour", type=float, default=6.0, help="the simulator's default is 6")
    parser.add_argument("--burst", type=int, default=0, help="extra incidents at one desk within minutes, mid-run")
    parser.add_argument("--warmup-s", type=float, default=600.0)
    parser.add_argument("--incident-tail-s", type=float, default=600.0)
    args = parser.parse_args()

    scenario = load_scenario(args.scenario)
    tenant, sites, zones, devices = to_registry(scenario)
    desk_map = DeskMap(DESKS, sites)
    config = BeffroiConfig()
    incidents = burst_incidents(sites, desk_map.desk_of, args.burst, args.hours * 1800.0) if args.burst else []
    simulator = Simulator(
        scenario,
        seed=args.seed,
        speed=math.inf,
        time_origin="scenario",
        incidents=incidents,
        random_incidents_per_hour=args.incidents_per_hour,
    )
    origin = simulator.position
    runs = managers(sites)
    engines = {name: build_engine(config, devices, manager) for name, manager in runs.items()}
    for engine in engines.values():
        engine.update_zones(zones)
    counters = {name: ShownCounter(desk_map.desk_of, origin) for name in runs}
    by_id = {device.id: device for device in devices}
    decode = get_decoder("json-stream").decode
    end = origin + args.hours * 3600.0
    started = time.perf_counter()
    readings_total = events_total = 0
    now = origin
    while now < end:
        now = min(now + STEP_S, end)
        readings, events = decode_batch(simulator.messages_until(now), decode, by_id, tenant.id)
        readings_total += len(readings)
        events_total += len(events)
        for name, engine in engines.items():
            changes = engine.process_readings(readings)
            for event in events:
                changes.extend(engine.process_event(event))
            changes.extend(engine.tick(now))
            changes.extend(engine.alarm_manager.advance(now))  # a no-op once Engine.tick calls advance itself
            counters[name].add(changes, now)
    elapsed = time.perf_counter() - started

    truth = simulator.ground_truth.records
    marked = incident_windows(truth, desk_map.desk_of, origin, args.incident_tail_s)
    first_window = math.ceil(args.warmup_s / WINDOW_S)
    last_window = math.floor((end - origin) / WINDOW_S) - 1  # whole windows only
    windows = range(first_window, last_window + 1)
    result: dict[str, Any] = {
        "benchmark": "alarm_flood",
        "python": platform.python_version(),
        "scenario": str(args.scenario.relative_to(ROOT) if args.scenario.is_relative_to(ROOT) else args.scenario),
        "devices": len(devices),
        "sites": len(sites),
        "scenario_hours": args.hours,
        "seed": args.seed,
        "wall_s": round(elapsed, 1),
        "readings": readings_total,
        "events": events_total,
        "incidents": {
            "total": len(truth),
            "random": sum(1 for r in truth if r.source == "random"),
            "burst": sum(1 for r in truth if r.source == "injected"),
            "by_kind": dict(Counter(r.kind for r in truth)),
        },
        "desks": {name: sum(1 for s in sites if desk_map.desk_of(s.id) == name) for name in desk_map.names},
        "settings": {
            "window_s": WINDOW_S,
            "flood_max_alarms": FLOOD.max_alarms,
            "flood_end_below": FLOOD.calm_count,
            "flood_end_hold_s": FLOOD.end_hold_s,
            "min_retrigger_interval_s": MIN_RETRIGGER_INTERVAL_S,
            "warmup_s": args.warmup_s,
            "incident_tail_s": args.incident_tail_s,
        },
        "windows": len(windows),
    }
    for name, counter in counters.items():
        steady: list[int] = []
        during: list[int] = []
        per_desk: dict[str, dict[str, float]] = {}
        for desk in desk_map.names:
            desk_steady = [counter.shown[(desk, w)] for w in windows if (desk, w) not in marked]
            desk_during = [counter.shown[(desk, w)] for w in windows if (desk, w) in marked]
            steady.extend(desk_steady)
            during.extend(desk_during)
            per_desk[desk] = {
                "steady_mean": round(statistics.fmean(desk_steady), 2) if desk_steady else 0.0,
                "incident_mean": round(statistics.fmean(desk_during), 2) if desk_during else 0.0,
                "max": float(max(desk_steady + desk_during, default=0)),
            }
        manager = runs[name]
        result[name] = {
            "shown_total": sum(v for (desk, w), v in counter.shown.items() if w in windows),
            "steady": describe(steady),
            "with_incident": describe(during),
            "per_desk": per_desk,
            "changes": dict(sorted(counter.kinds.items())),
            "manager": manager.counters(),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
