"""Engine throughput with every detector on: readings/s through Engine.process_readings with 3,000 devices and rules
for every device kind, against the threshold detector alone (the baseline) on the same readings in the same run;
plus events/s and the cost of a tick.

Run: .venv/bin/python bench/engine_detectors.py [--devices 3000] [--readings 300000] [--batch 2000]
Prints one JSON object. Same approach as bench/engine_throughput.py (devices cycling through every kind over 50
sites, batches of readings one second apart per round, best of three passes on a fresh engine each), with values
that wander like sensors (a random walk per device and metric, a few excursions, rapid rises, frozen sensors),
trackers walking in and out of zones with holes, and the default rules of beffroi.config plus a geofence and a
rule for the kinds the defaults leave out.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import platform
import random
import time
from collections.abc import Sequence

from beffroi.config import BeffroiConfig
from beffroi.domain.observations import Event, Position, Reading
from beffroi.domain.registry import DEVICE_PROFILES, Device, DeviceKind, Zone, ZoneKind
from beffroi.engine import (
    AlarmManager,
    Engine,
    GeofenceRule,
    RateOfChangeRule,
    ThresholdRule,
    WindowCountRule,
    build_detectors,
)
from beffroi.engine.detectors import Detector
from beffroi.workers.engine import (
    battery_rule_from,
    event_rules_from,
    rate_of_change_rules_from,
    stuck_value_rules_from,
    tamper_rule_from,
    threshold_rules_from,
    window_count_rules_from,
)

TENANT = "bench"
T0 = 1_750_000_000.0
SITES = 50
METRES_PER_DEGREE = 111_320.0
LAT = 48.85
ROUND_S = 15.0
"""Seconds between two reports of a device (one round of every device and metric)."""

TYPICAL: dict[str, tuple[float, float, float]] = {
    # metric: (start low, start high, step per reading)
    "smoke_obscuration_pct_m": (0.0, 0.2, 0.02),
    "temperature_c": (18.0, 30.0, 0.15),
    "battery_pct": (16.0, 100.0, 0.05),
    "motion": (0.0, 0.0, 0.0),
    "vibration_g": (0.02, 0.3, 0.02),
    "pm2_5_ug_m3": (5.0, 40.0, 1.0),
    "co2_ppm": (420.0, 1200.0, 8.0),
    "laeq_db": (55.0, 95.0, 1.2),
    "pressed": (0.0, 0.0, 0.0),
    "occupancy_ratio": (0.1, 0.7, 0.01),
    "online": (1.0, 1.0, 0.0),
    "drones_detected": (0.0, 0.0, 0.0),
    "denied": (0.0, 0.0, 0.0),
    "passages": (0.0, 20.0, 2.0),
    "speed_m_s": (0.0, 2.0, 0.1),
    "humidity_pct": (30.0, 90.0, 1.0),
    "fps": (25.0, 30.0, 0.3),
}
EXCURSION = {"smoke_obscuration_pct_m": 8.0, "motion": 1.0, "vibration_g": 3.0, "laeq_db": 110.0, "pressed": 1.0}
EXCURSION_RATE = 0.002
FROZEN_SHARE = 0.01
"""Share of (device, metric) series that are frozen sensors."""

EXTRA_THRESHOLD_RULES = [
    ThresholdRule("camera_offline", "online", device_kind="camera", below=0.5, clear_at=0.5, priority=3),
    ThresholdRule("drone_seen", "drones_detected", device_kind="drone_detector", above=0.5, clear_at=0.5, priority=2),
]
EXTRA_RATE_RULES = [
    RateOfChangeRule("noise_jump", "laeq_db", max_rate=30.0, per="min", window_s=60.0, device_kind="noise_level"),
    RateOfChangeRule("crowd_surge", "occupancy_ratio", max_rate=0.3, per="min", window_s=120.0, clear_rate=0.1),
]
EXTRA_WINDOW_RULES = [
    WindowCountRule("tickets_refused", metric="denied", above=0.5, count=5, window_s=60.0, device_kind="turnstile"),
    WindowCountRule("noise_peaks", metric="laeq_db", above=100.0, count=3, window_s=300.0, group_by="zone"),
]
GEOFENCE_RULES = [
    GeofenceRule("forbidden_zone", zone_kinds=("forbidden",), direction="enter"),
    GeofenceRule("in_the_water", zone_kinds=("water",), direction="inside", priority=1),
]


def site_centre(site: int) -> tuple[float, float]:
    return 2.20 + 0.01 * site, LAT


def square(lon: float, lat: float, half_m: float) -> list[tuple[float, float]]:
    """A closed square ring of side 2 × half_m metres centred on (lon, lat)."""
    dlon = half_m / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
    dlat = half_m / METRES_PER_DEGREE
    west, east, south, north = lon - dlon, lon + dlon, lat - dlat, lat + dlat
    return [(west, south), (east, south), (east, north), (west, north), (west, south)]


def make_zones() -> list[Zone]:
    """Per site: a forbidden square of 200 m with a 60 m hole, a 120 m water square, and eight gate zones."""
    zones = []
    for site in range(SITES):
        lon, lat = site_centre(site)
        zones.append(
            Zone(
                f"z-{site}-forbidden",
                TENANT,
                f"site-{site:02d}",
                "forbidden",
                ZoneKind.FORBIDDEN,
                [square(lon + 0.0008, lat, 100.0), square(lon + 0.0008, lat, 30.0)],
                36_400.0,
                0,
            )
        )
        zones.append(
            Zone(
                f"z-{site}-water",
                TENANT,
                f"site-{site:02d}",
                "water",
                ZoneKind.WATER,
                [square(lon - 0.0012, lat, 60.0)],
                14_400.0,
                0,
            )
        )
        for gate in range(8):
            zones.append(
                Zone(
                    f"z-{site}-gate-{gate}",
                    TENANT,
                    f"site-{site:02d}",
                    "gate",
                    ZoneKind.GATE,
                    [square(lon + 0.0005 * (gate - 4), lat + 0.0015, 20.0)],
                    1_600.0,
                    400,
                )
            )
    return zones


def make_devices(count: int, rng: random.Random) -> list[Device]:
    """`count` devices cycling through every kind, spread over 50 sites and 400 zones."""
    kinds = list(DeviceKind)
    devices = []
    for index in range(count):
        kind = kinds[index % len(kinds)]
        profile = DEVICE_PROFILES[kind]
        site = index % SITES
        lon, lat = site_centre(site)
        devices.append(
            Device(
                id=f"dev-{index:06d}",
                tenant_id=TENANT,
                site_id=f"site-{site:02d}",
                zone_id=f"zone-{index % 400:03d}",
                kind=kind,
                position=Position(lon + rng.uniform(-0.001, 0.001), lat + rng.uniform(-0.001, 0.001)),
                interval_s=profile.interval_s,
                metrics=list(profile.metrics),
            )
        )
    return devices


class Series:
    """One (device, metric) series: a bounded random walk, with rare excursions and rapid rises."""

    __slots__ = ("frozen", "high", "low", "step", "value")

    def __init__(self, metric: str, rng: random.Random) -> None:
        low, high, step = TYPICAL.get(metric, (0.0, 100.0, 1.0))
        self.low, self.high, self.step = low, high, step
        self.value = rng.uniform(low, high)
        self.frozen = rng.random() < FROZEN_SHARE

    def next(self, metric: str, rng: random.Random) -> float:
        if self.frozen:
            return self.value
        if metric in EXCURSION and rng.random() < EXCURSION_RATE:
            return EXCURSION[metric]
        if metric == "temperature_c" and rng.random() < EXCURSION_RATE:
            self.value += 15.0  # a rapid rise
        self.value = min(max(self.value + rng.gauss(0.0, self.step), self.low), self.high + 20.0)
        return round(self.value, 2)


def make_readings(devices: Sequence[Device], total: int, rng: random.Random) -> list[Reading]:
    """`total` readings, round-robin over devices and their metrics, ROUND_S apart per round; trackers walk
    (about 1.5 m/s on average) around their site's zones and every reading of theirs carries the position."""
    pairs = [(device, metric) for device in devices for metric in device.metrics]
    series = {(device.id, metric): Series(metric, rng) for device, metric in pairs}
    walkers = {d.id: [d.position.lon, d.position.lat] for d in devices if d.kind is DeviceKind.GPS_TRACKER}
    step_deg = 1.5 / METRES_PER_DEGREE
    readings = []
    for index, (device, metric) in zip(range(total), itertools.cycle(pairs), strict=False):
        ts = T0 + ROUND_S * (index // len(pairs))
        value = series[(device.id, metric)].next(metric, rng)
        position = None
        walker = walkers.get(device.id)
        if walker is not None:
            if metric == device.metrics[0]:
                lon0, lat0 = site_centre(int(device.site_id[5:]))
                walker[0] += rng.gauss(0.0, step_deg * 8) + (lon0 - walker[0]) * 0.01
                walker[1] += rng.gauss(0.0, step_deg * 8) + (lat0 - walker[1]) * 0.01
            position = Position(walker[0], walker[1])
        readings.append(Reading(TENANT, device.id, metric, value, ts, device.site_id, device.zone_id, position))
    return readings


def make_events(devices: Sequence[Device], total: int, rng: random.Random) -> list[Event]:
    """`total` events of the kinds devices send (denied badges, tamper, door forced, drones), time-ordered."""
    senders = [(d, event_type) for d in devices for event_type in DEVICE_PROFILES[d.kind].events]
    events = []
    for index in range(total):
        device, event_type = rng.choice(senders)
        events.append(
            Event(f"ev-{index}", TENANT, event_type, device.id, T0 + index * 0.01, device.site_id, device.zone_id)
        )
    return events


def all_detectors() -> list[Detector]:
    """Every registered detector with the default configuration's rules plus the extra rules above."""
    config = BeffroiConfig()
    return build_detectors(
        [*threshold_rules_from(config), *EXTRA_THRESHOLD_RULES],
        event_rules_from(config),
        rate_of_change_rules=[*rate_of_change_rules_from(config), *EXTRA_RATE_RULES],
        stuck_value_rules=stuck_value_rules_from(config),
        geofence_rules=GEOFENCE_RULES,
        window_count_rules=[*window_count_rules_from(config), *EXTRA_WINDOW_RULES],
        battery=battery_rule_from(config),
        tamper=tamper_rule_from(config),
    )


def threshold_only() -> list[Detector]:
    """The baseline: the threshold detector alone, with the same threshold rules."""
    config = BeffroiConfig()
    return build_detectors([*threshold_rules_from(config), *EXTRA_THRESHOLD_RULES], [], kinds=["threshold"])


def new_engine(devices: Sequence[Device], zones: Sequence[Zone], detectors: list[Detector]) -> Engine:
    ids = itertools.count()
    return Engine(devices, detectors, AlarmManager(lambda: f"id-{next(ids)}"), zones)


def bench_readings(
    devices: Sequence[Device], zones: Sequence[Zone], readings: list[Reading], batch: int, *, baseline: bool
) -> dict[str, float]:
    """Readings/s through process_readings, best of three passes (a fresh engine each)."""
    batches = [readings[i : i + batch] for i in range(0, len(readings), batch)]
    best = math.inf
    changes = 0
    detector_count = 0
    for _ in range(3):
        engine = new_engine(devices, zones, threshold_only() if baseline else all_detectors())
        detector_count = len(engine.detectors)
        engine.tick(T0)
        start = time.perf_counter()
        changes = sum(len(engine.process_readings(b)) for b in batches)
        best = min(best, time.perf_counter() - start)
        assert engine.counters()["readings_evaluated"] == len(readings), engine.counters()
        assert engine.counters()["detector_errors"] == 0, engine.counters()
    return {
        "detectors": detector_count,
        "readings": len(readings),
        "seconds": round(best, 4),
        "readings_per_s": round(len(readings) / best),
        "us_per_reading": round(best / len(readings) * 1e6, 3),
        "alarm_changes": changes,
    }


def bench_events(devices: Sequence[Device], zones: Sequence[Zone], events: list[Event]) -> dict[str, float]:
    """Events/s through process_event with every detector, best of three passes."""
    best = math.inf
    changes = 0
    for _ in range(3):
        engine = new_engine(devices, zones, all_detectors())
        start = time.perf_counter()
        changes = sum(len(engine.process_event(event)) for event in events)
        best = min(best, time.perf_counter() - start)
    return {"events": len(events), "events_per_s": round(len(events) / best), "alarm_changes": changes}


def bench_ticks(
    devices: Sequence[Device], zones: Sequence[Zone], readings: list[Reading], events: list[Event]
) -> dict[str, float]:
    """Tick cost with every detector after the readings and events (holds, windows and silences due)."""
    engine = new_engine(devices, zones, all_detectors())
    engine.tick(T0)
    engine.process_readings(readings)
    for event in events:
        engine.process_event(event)
    end = max(readings[-1].ts, events[-1].ts)
    times = []
    changes = 0
    for step in range(1, 121):
        start = time.perf_counter()
        changes += len(engine.tick(end + 5.0 * step))
        times.append(time.perf_counter() - start)
    times.sort()
    return {
        "ticks": len(times),
        "tick_step_s": 5.0,
        "tick_median_ms": round(times[len(times) // 2] * 1000, 3),
        "tick_max_ms": round(times[-1] * 1000, 3),
        "alarm_changes": changes,
    }


def main() -> None:
    """Run the benchmarks and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=3000)
    parser.add_argument("--readings", type=int, default=300_000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    devices = make_devices(args.devices, rng)
    zones = make_zones()
    readings = make_readings(devices, args.readings, rng)
    events = make_events(devices, args.events, rng)
    every = bench_readings(devices, zones, readings, args.batch, baseline=False)
    baseline = bench_readings(devices, zones, readings, args.batch, baseline=True)
    result = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "devices": args.devices,
        "zones": len(zones),
        "batch": args.batch,
        "trackers_positioned_readings": sum(1 for r in readings if r.position is not None),
        "all_detectors": every,
        "threshold_only_baseline": baseline,
        "cost_ratio_all_vs_threshold": round(baseline["readings_per_s"] / every["readings_per_s"], 2),
        "events_all_detectors": bench_events(devices, zones, events),
        "tick_all_detectors": bench_ticks(devices, zones, readings, events),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
