"""How fast the simulator generates device payloads on one core (as fast as possible, no publishing).

Usage: python bench/sim_throughput.py [--scenario scenarios/paris2024.json] [--hours 2] [--seed 42]
Without --scenario it uses scenarios/paris2024.json when present, else a synthetic scenario of ~3,300 devices
(60 stadium-like sites with every device kind). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from beffroi.domain.registry import DeviceKind  # noqa: E402
from beffroi.sim.scenario import Scenario, load_scenario, parse_scenario  # noqa: E402
from beffroi.sim.simulator import Simulator  # noqa: E402

DEFAULT_SCENARIO = ROOT / "scenarios" / "paris2024.json"
DEVICES_PER_SITE = {
    DeviceKind.PEOPLE_COUNTER: 10,
    DeviceKind.TURNSTILE: 8,
    DeviceKind.ACCESS_CONTROL: 4,
    DeviceKind.INTRUSION_PIR: 4,
    DeviceKind.PERIMETER_FENCE: 4,
    DeviceKind.SMOKE_HEAT: 6,
    DeviceKind.AIR_QUALITY: 1,
    DeviceKind.NOISE_LEVEL: 2,
    DeviceKind.TEMPERATURE: 2,
    DeviceKind.PANIC_BUTTON: 3,
    DeviceKind.CAMERA: 8,
    DeviceKind.GPS_TRACKER: 3,
    DeviceKind.DRONE_DETECTOR: 1,
}
ZONE_FOR_KIND = {
    DeviceKind.PEOPLE_COUNTER: "gate",
    DeviceKind.TURNSTILE: "gate",
    DeviceKind.ACCESS_CONTROL: "tech",
    DeviceKind.INTRUSION_PIR: "tech",
    DeviceKind.PERIMETER_FENCE: "perimeter",
    DeviceKind.CAMERA: "stand",
}


def _square(lon: float, lat: float, side_m: float) -> dict[str, Any]:
    dlat = side_m / 2 / 111_320.0
    dlon = side_m / 2 / (111_320.0 * math.cos(math.radians(lat)))
    ring = [[lon - dlon, lat - dlat], [lon + dlon, lat - dlat], [lon + dlon, lat + dlat], [lon - dlon, lat + dlat]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def synthetic_scenario(sites: int = 60) -> Scenario:
    """`sites` stadium-like sites with every device kind and an evening session each (~55 devices a site)."""
    site_list = []
    for n in range(sites):
        lon, lat = 2.2 + 0.01 * (n % 10), 48.8 + 0.01 * (n // 10)
        zones = [
            ("gate", "gate", 60, 3000),
            ("stand", "stand", 150, 20000),
            ("concourse", "concourse", 80, 5000),
            ("tech", "technical", 20, 0),
            ("perimeter", "perimeter", 200, 500),
        ]
        devices = []
        for kind, count in DEVICES_PER_SITE.items():
            for i in range(count):
                zone = ZONE_FOR_KIND.get(kind, "concourse")
                devices.append(
                    {"id": f"s{n}-{kind}-{i}", "kind": str(kind), "position": [lon, lat], "zone": f"s{n}-{zone}"}
                )
        site_list.append(
            {
                "id": f"s{n}",
                "name": f"Site {n}",
                "kind": "stadium",
                "position": [lon, lat],
                "zones": [
                    {
                        "id": f"s{n}-{zid}",
                        "name": zid,
                        "kind": kind,
                        "area_m2": side * side,
                        "capacity": cap,
                        "geometry": _square(lon, lat, side),
                    }
                    for zid, kind, side, cap in zones
                ],
                "devices": devices,
                "schedule": [
                    {
                        "name": "Evening session",
                        "start": "2024-07-27T19:00:00+02:00",
                        "end": "2024-07-27T21:00:00+02:00",
                        "attendance": 18000,
                    }
                ],
            }
        )
    data = {
        "format_version": 1,
        "name": "synthetic benchmark",
        "tenant": {"id": "bench", "name": "Bench"},
        "start": "2024-07-27T16:00:00+02:00",
        "sites": site_list,
    }
    return parse_scenario(data, "synthetic")


def main() -> None:
    """Run the benchmark and print its JSON result."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", type=Path, default=None)
    parser.add_argument("--hours", type=float, default=2.0, help="scenario hours to generate")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    path = args.scenario or (DEFAULT_SCENARIO if DEFAULT_SCENARIO.exists() else None)
    scenario = load_scenario(path) if path is not None else synthetic_scenario()
    built = time.perf_counter()
    simulator = Simulator(scenario, seed=args.seed, speed=math.inf, time_origin="scenario", random_incidents_per_hour=6)
    build_s = time.perf_counter() - built
    end = simulator.position + args.hours * 3600
    messages = 0
    payload_bytes = 0
    started = time.perf_counter()
    while simulator.position < end:
        batch = simulator.messages_until(min(simulator.position + 300.0, end))
        messages += len(batch)
        payload_bytes += sum(len(m.payload) for m in batch)
    elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "benchmark": "sim_throughput",
                "scenario": str(path) if path is not None else "synthetic",
                "devices": len(simulator.devices),
                "scenario_hours": args.hours,
                "build_s": round(build_s, 3),
                "messages": messages,
                "seconds": round(elapsed, 3),
                "messages_per_s": round(messages / elapsed),
                "mean_payload_bytes": round(payload_bytes / max(messages, 1), 1),
                "incidents": len(simulator.ground_truth.records),
                "real_time_messages_per_s": round(messages / (args.hours * 3600), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
