"""Live hub throughput: readings/s through the live stream's hub, against just decoding the same bus messages.

Run: .venv/bin/python bench/live_hub.py [--devices 3663] [--zones 1053] [--subscribers 50] [--readings 300000]
Prints one JSON object. The registry has the demo's size (one tenant, 50 sites); the readings are the bus's
MessagePack reading batches, round-robin over the devices and their metrics (counts wander, batteries drain, so
devices and zones do change). Each pass decodes every batch as the live worker does; the hub pass also applies it,
and every `--tick-readings` readings runs the hub's tick (zones due, frames to the subscribers) with its clock moved
by the batch interval (250 ms), the subscribers' frames being taken away as a sender would. Best of three passes.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import random
import time
from collections.abc import Sequence

from beffroi.api.live import LiveHub, LiveSettings
from beffroi.domain import messages
from beffroi.domain.observations import Position, Reading, ReadingBatch
from beffroi.domain.registry import DEVICE_PROFILES, Device, DeviceKind, Zone, ZoneKind

TENANT = "bench"
T0 = 1_750_000_000.0
SITES = 50
RING = [[(2.35, 48.85), (2.351, 48.85), (2.351, 48.851), (2.35, 48.85)]]


class SimulatedClock:
    """The hub's clock, moved by the benchmark."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def make_zones(count: int) -> list[Zone]:
    """`count` zones of every kind over the sites, 100 to 5,000 m²."""
    kinds = list(ZoneKind)
    return [
        Zone(
            f"zone-{index:05d}",
            TENANT,
            f"site-{index % SITES:02d}",
            f"Zone {index}",
            kinds[index % len(kinds)],
            RING,
            100.0 + (index * 37) % 4900,
            1000,
        )
        for index in range(count)
    ]


def make_devices(count: int, zones: Sequence[Zone]) -> list[Device]:
    """`count` devices cycling through every kind, each in a zone (and that zone's site)."""
    kinds = list(DeviceKind)
    devices = []
    for index in range(count):
        kind = kinds[index % len(kinds)]
        zone = zones[index % len(zones)]
        profile = DEVICE_PROFILES[kind]
        devices.append(
            Device(
                f"dev-{index:06d}",
                TENANT,
                zone.site_id,
                kind,
                Position(2.35, 48.85),
                profile.interval_s,
                list(profile.metrics),
                zone.id,
            )
        )
    return devices


def make_batches(devices: Sequence[Device], total: int, batch: int, rng: random.Random) -> list[bytes]:
    """`total` readings in encoded batches of `batch`, round-robin over (device, metric)."""
    pairs = [(device, metric) for device in devices for metric in device.metrics]
    battery = {device.id: rng.uniform(15.0, 100.0) for device in devices}
    readings = []
    for index, (device, metric) in zip(range(total), itertools.cycle(pairs), strict=False):
        if metric == "battery_pct":
            battery[device.id] = max(0.0, battery[device.id] - rng.uniform(0.0, 0.4))
            value = battery[device.id]
        elif metric in ("occupancy", "people_count"):
            value = float(rng.randint(0, 3000))
        else:
            value = rng.uniform(0.0, 100.0)
        ts = T0 + index // len(pairs)
        readings.append(Reading(TENANT, device.id, metric, value, ts, device.site_id, device.zone_id))
    return [
        messages.encode(ReadingBatch(f"b-{start}", TENANT, readings[start : start + batch]))
        for start in range(0, len(readings), batch)
    ]


def decode_only(batches: Sequence[bytes]) -> float:
    """Seconds to decode every batch."""
    start = time.perf_counter()
    for data in batches:
        messages.decode(data, ReadingBatch)
    return time.perf_counter() - start


def through_hub(
    batches: Sequence[bytes],
    zones: Sequence[Zone],
    devices: Sequence[Device],
    subscribers: int,
    tick_readings: int,
    batch: int,
) -> dict[str, float]:
    """Seconds to decode and apply every batch with ticks and fan-out, and what the hub produced."""
    clock = SimulatedClock()
    settings = LiveSettings()
    hub = LiveHub(settings, clock=clock, epoch="bench")
    hub.replace_registry(TENANT, zones, devices)
    hub.load_alarms([])
    hub.tick()
    filtered = subscribers // 5
    sessions = [hub.connect(TENANT, None, None) for _ in range(subscribers - filtered)]
    sessions += [hub.connect(TENANT, None, [f"site-{i % SITES:02d}"]) for i in range(filtered)]
    snapshot_bytes = len(sessions[0].opening or b"")
    start = time.perf_counter()
    hub.connect(TENANT, None, None)
    snapshot_ms = (time.perf_counter() - start) * 1000
    seq_before = hub.feed(TENANT).seq
    ticks_every = max(1, tick_readings // batch)
    frames = frame_bytes = 0
    tick_times: list[float] = []
    start = time.perf_counter()
    for index, data in enumerate(batches, 1):
        decoded = messages.decode(data, ReadingBatch)
        hub.apply_readings(decoded.tenant_id, decoded.readings)
        if index % ticks_every == 0:
            clock.now += settings.batch_interval_s
            tick_start = time.perf_counter()
            hub.tick()
            tick_times.append(time.perf_counter() - tick_start)
            for session in sessions:
                for frame in session.subscriber.take_waiting():
                    frames += 1
                    frame_bytes += len(frame)
    seconds = time.perf_counter() - start
    tick_times.sort()
    return {
        "seconds": seconds,
        "changes": hub.feed(TENANT).seq - seq_before,
        "frames": frames,
        "frame_mib": round(frame_bytes / 2**20, 2),
        "ticks": len(tick_times),
        "tick_median_ms": round(tick_times[len(tick_times) // 2] * 1000, 3) if tick_times else 0.0,
        "tick_max_ms": round(tick_times[-1] * 1000, 3) if tick_times else 0.0,
        "snapshot_ms": round(snapshot_ms, 2),
        "snapshot_kib": round(snapshot_bytes / 1024, 1),
    }


def main() -> None:
    """Run the baseline and the hub pass, best of three each, and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=3663)
    parser.add_argument("--zones", type=int, default=1053)
    parser.add_argument("--subscribers", type=int, default=50)
    parser.add_argument("--readings", type=int, default=300_000)
    parser.add_argument("--batch", type=int, default=200, help="readings per bus message")
    parser.add_argument("--tick-readings", type=int, default=1000, help="readings between two hub ticks")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    zones = make_zones(args.zones)
    devices = make_devices(args.devices, zones)
    batches = make_batches(devices, args.readings, args.batch, rng)
    total = args.readings
    baseline = min(decode_only(batches) for _ in range(3))
    runs = [through_hub(batches, zones, devices, args.subscribers, args.tick_readings, args.batch) for _ in range(3)]
    hub = min(runs, key=lambda run: run["seconds"])
    result = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "devices": args.devices,
        "zones": args.zones,
        "subscribers": args.subscribers,
        "readings": total,
        "batch": args.batch,
        "tick_every_readings": args.tick_readings,
        "decode_only": {
            "readings_per_s": round(total / baseline),
            "us_per_reading": round(baseline / total * 1e6, 3),
        },
        "decode_and_hub": {
            "readings_per_s": round(total / hub["seconds"]),
            "us_per_reading": round(hub["seconds"] / total * 1e6, 3),
            **{key: value for key, value in hub.items() if key != "seconds"},
        },
        "hub_overhead_us_per_reading": round((hub["seconds"] - baseline) / total * 1e6, 3),
        "hub_vs_decode_only": round(hub["seconds"] / baseline, 2),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
