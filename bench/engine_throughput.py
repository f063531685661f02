"""Engine throughput: readings/s through Engine.process_readings, and the cost of a tick.

Run: .venv/bin/python bench/engine_throughput.py [--devices 3000] [--readings 300000] [--batch 2000]
Prints one JSON object. Readings come from devices of every kind with the default rules of beffroi.config;
values are mostly normal, with a few excursions so rules raise and return to normal along the way.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import random
import time
from collections.abc import Sequence

from beffroi.config_engine import DEFAULT_EVENT_RULES, DEFAULT_THRESHOLD_RULES
from beffroi.domain.observations import Position, Reading
from beffroi.domain.registry import DEVICE_PROFILES, Device, DeviceKind
from beffroi.engine import AlarmManager, Engine, EventRule, ThresholdRule, build_detectors

TENANT = "bench"
T0 = 1_750_000_000.0

NORMAL_RANGES: dict[str, tuple[float, float]] = {
    "smoke_obscuration_pct_m": (0.0, 1.0),
    "temperature_c": (18.0, 32.0),
    "battery_pct": (30.0, 100.0),
    "motion": (0.0, 0.0),
    "vibration_g": (0.0, 0.3),
    "pm2_5_ug_m3": (5.0, 40.0),
    "co2_ppm": (400.0, 1500.0),
    "laeq_db": (60.0, 95.0),
    "pressed": (0.0, 0.0),
    "occupancy_ratio": (0.1, 0.75),
}
EXCURSION = {"smoke_obscuration_pct_m": 8.0, "battery_pct": 10.0, "motion": 1.0, "vibration_g": 3.0, "laeq_db": 110.0}
EXCURSION_RATE = 0.002


def make_devices(count: int, rng: random.Random) -> list[Device]:
    """`count` devices cycling through every kind, spread over 50 sites."""
    kinds = list(DeviceKind)
    devices = []
    for index in range(count):
        kind = kinds[index % len(kinds)]
        profile = DEVICE_PROFILES[kind]
        devices.append(
            Device(
                id=f"dev-{index:06d}",
                tenant_id=TENANT,
                site_id=f"site-{index % 50:02d}",
                zone_id=f"zone-{index % 400:03d}",
                kind=kind,
                position=Position(2.35 + rng.random() / 100, 48.85 + rng.random() / 100),
                interval_s=profile.interval_s,
                metrics=list(profile.metrics),
            )
        )
    return devices


def make_readings(devices: Sequence[Device], total: int, rng: random.Random) -> list[Reading]:
    """`total` readings, round-robin over devices and their metrics, one second apart per round."""
    pairs = [(device, metric) for device in devices for metric in device.metrics]
    readings = []
    for index, (device, metric) in zip(range(total), itertools.cycle(pairs), strict=False):
        low, high = NORMAL_RANGES.get(metric, (0.0, 100.0))
        value = rng.uniform(low, high)
        if metric in EXCURSION and rng.random() < EXCURSION_RATE:
            value = EXCURSION[metric]
        ts = T0 + index // len(pairs)
        readings.append(Reading(TENANT, device.id, metric, value, ts, device.site_id, device.zone_id))
    return readings


def new_engine(devices: Sequence[Device], kinds: Sequence[str] | None = None) -> Engine:
    """An engine with the default rules of beffroi.config (converted as the worker does)."""
    threshold = [ThresholdRule(**rule.model_dump()) for rule in DEFAULT_THRESHOLD_RULES]
    events = [EventRule(**rule.model_dump()) for rule in DEFAULT_EVENT_RULES]
    ids = itertools.count()
    detectors = build_detectors(threshold, events, absence_factor=3.0, kinds=kinds)
    return Engine(devices, detectors, AlarmManager(lambda: f"id-{next(ids)}"))


def ruled_metrics() -> set[tuple[str | None, str]]:
    """(device kind, metric) pairs that some default threshold rule watches (kind None: every kind)."""
    return {(rule.device_kind, rule.metric) for rule in DEFAULT_THRESHOLD_RULES}


def bench_readings(
    devices: Sequence[Device], total: int, batch: int, rng: random.Random, *, ruled_only: bool = False
) -> dict[str, float]:
    """Readings/s through process_readings with every detector, best of three passes (fresh engine each).

    `ruled_only` keeps only readings that a threshold rule evaluates (the worst case for the hot path).
    """
    readings = make_readings(devices, total * 3 if ruled_only else total, rng)
    if ruled_only:
        watched = ruled_metrics()
        kinds = {device.id: device.kind.value for device in devices}
        readings = [r for r in readings if (kinds[r.device_id], r.metric) in watched or (None, r.metric) in watched][
            :total
        ]
    batches = [readings[i : i + batch] for i in range(0, len(readings), batch)]
    best = float("inf")
    changes = 0
    for _ in range(3):
        engine = new_engine(devices)
        engine.tick(T0)
        start = time.perf_counter()
        changes = sum(len(engine.process_readings(b)) for b in batches)
        best = min(best, time.perf_counter() - start)
        assert engine.counters()["readings_evaluated"] == len(readings), engine.counters()
    return {
        "readings": len(readings),
        "seconds": round(best, 4),
        "readings_per_s": round(len(readings) / best),
        "us_per_reading": round(best / len(readings) * 1e6, 3),
        "alarm_changes": changes,
    }


def bench_ticks(count: int, rng: random.Random, step_s: float = 5.0, steps: int = 120) -> dict[str, float]:
    """Tick cost (every detector) with `count` devices reporting on their interval (staggered), 1 % silent."""
    devices = make_devices(count, rng)
    engine = new_engine(devices)
    start = time.perf_counter()
    engine.tick(T0)
    first_tick_ms = (time.perf_counter() - start) * 1000
    silent = {device.id for device in rng.sample(devices, count // 100)}
    phase = {device.id: rng.uniform(0, device.interval_s) for device in devices}
    next_report = {device.id: T0 + phase[device.id] for device in devices if device.id not in silent}
    by_id = {device.id: device for device in devices}
    tick_times = []
    raised = 0
    for step in range(1, steps + 1):
        now = T0 + step * step_s
        due = [device_id for device_id, at in next_report.items() if at <= now]
        batch = []
        for device_id in due:
            device = by_id[device_id]
            batch.append(Reading(TENANT, device_id, device.metrics[0], 1.0, next_report[device_id], device.site_id))
            next_report[device_id] += device.interval_s
        engine.process_readings(batch)
        start = time.perf_counter()
        raised += len(engine.tick(now))
        tick_times.append(time.perf_counter() - start)
    tick_times.sort()
    return {
        "devices": count,
        "first_tick_ms": round(first_tick_ms, 3),
        "tick_median_ms": round(tick_times[len(tick_times) // 2] * 1000, 3),
        "tick_max_ms": round(tick_times[-1] * 1000, 3),
        "ticks": steps,
        "tick_step_s": step_s,
        "offline_raised": raised,
        "silent_devices": len(silent),
    }


def main() -> None:
    """Run both benchmarks and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=3000)
    parser.add_argument("--readings", type=int, default=300_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    devices = make_devices(args.devices, rng)
    result = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "process_readings": {
            "devices": args.devices,
            "batch": args.batch,
            **bench_readings(devices, args.readings, args.batch, rng),
        },
        "process_readings_ruled_only": {
            "devices": args.devices,
            "batch": args.batch,
            **bench_readings(devices, args.readings, args.batch, rng, ruled_only=True),
        },
        "tick": [bench_ticks(count, rng) for count in (3_000, 100_000)],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
