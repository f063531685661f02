"""Small scenarios built in code for the simulator tests (no dependence on the scenario files)."""

from __future__ import annotations

import math
from typing import Any

from beffroi.domain.registry import DeviceKind
from beffroi.sim.scenario import Scenario, parse_scenario

LON, LAT = 2.3601, 48.9244
METRES_PER_DEGREE = 111_320.0


def square(lon: float, lat: float, side_m: float) -> dict[str, Any]:
    """A GeoJSON square of `side_m` metres centred on (lon, lat)."""
    half_lat = side_m / 2 / METRES_PER_DEGREE
    half_lon = side_m / 2 / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
    ring = [
        [lon - half_lon, lat - half_lat],
        [lon + half_lon, lat - half_lat],
        [lon + half_lon, lat + half_lat],
        [lon - half_lon, lat + half_lat],
        [lon - half_lon, lat - half_lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def zone(zone_id: str, kind: str, side_m: float, capacity: int, dx: float = 0.0, dy: float = 0.0) -> dict[str, Any]:
    """A square zone offset (dx, dy) degrees from the test site."""
    return {
        "id": zone_id,
        "name": zone_id.replace("-", " ").title(),
        "kind": kind,
        "area_m2": side_m * side_m,
        "capacity": capacity,
        "geometry": square(LON + dx, LAT + dy, side_m),
    }


def device(device_id: str, kind: DeviceKind | str, zone_id: str | None, **extra: Any) -> dict[str, Any]:
    """A device at the test site."""
    return {"id": device_id, "kind": str(kind), "position": [LON, LAT], "zone": zone_id, **extra}


STADIUM_DEVICES = [
    device("pc-gate-1", DeviceKind.PEOPLE_COUNTER, "gate-a", model="Xovis PC2S"),
    device("pc-gate-2", DeviceKind.PEOPLE_COUNTER, "gate-a"),
    device("pc-stand", DeviceKind.PEOPLE_COUNTER, "stand-north"),
    device("pc-conc", DeviceKind.PEOPLE_COUNTER, "concourse"),
    device("ts-gate-1", DeviceKind.TURNSTILE, "gate-a"),
    device("ts-gate-2", DeviceKind.TURNSTILE, "gate-a"),
    device("door-1", DeviceKind.ACCESS_CONTROL, "technical"),
    device("pir-1", DeviceKind.INTRUSION_PIR, "technical"),
    device("pir-2", DeviceKind.INTRUSION_PIR, "technical"),
    device("fence-1", DeviceKind.PERIMETER_FENCE, "perimeter"),
    device("smoke-1", DeviceKind.SMOKE_HEAT, "concourse"),
    device("smoke-2", DeviceKind.SMOKE_HEAT, "concourse"),
    device("aq-1", DeviceKind.AIR_QUALITY, "concourse"),
    device("noise-1", DeviceKind.NOISE_LEVEL, "stand-north"),
    device("temp-1", DeviceKind.TEMPERATURE, None),
    device("panic-1", DeviceKind.PANIC_BUTTON, "concourse"),
    device("cam-gate", DeviceKind.CAMERA, "gate-a"),
    device("cam-stand", DeviceKind.CAMERA, "stand-north"),
    device("gps-1", DeviceKind.GPS_TRACKER, None),
    device("drone-1", DeviceKind.DRONE_DETECTOR, None),
]


def scenario_data() -> dict[str, Any]:
    """A stadium with one evening match and every device kind, and a station with no schedule."""
    return {
        "format_version": 1,
        "name": "test stadium",
        "tenant": {"id": "testcity", "name": "Test City"},
        "timezone": "Europe/Paris",
        "start": "2024-07-26T15:00:00+02:00",
        "sites": [
            {
                "id": "stade",
                "name": "Stade",
                "kind": "stadium",
                "position": [LON, LAT],
                "outline": square(LON, LAT, 600),
                "zones": [
                    zone("gate-a", "gate", 60, 3000, dx=-0.003),
                    zone("stand-north", "stand", 150, 25000, dy=0.001),
                    zone("concourse", "concourse", 80, 6000, dy=-0.001),
                    zone("technical", "technical", 20, 0, dx=0.002),
                    zone("perimeter", "perimeter", 200, 500, dx=0.0025, dy=0.0025),
                ],
                "devices": STADIUM_DEVICES,
                "schedule": [
                    {
                        "name": "Football, group stage",
                        "start": "2024-07-26T19:00:00+02:00",
                        "end": "2024-07-26T20:50:00+02:00",
                        "attendance": 30000,
                    }
                ],
            },
            {
                "id": "gare",
                "name": "Gare",
                "kind": "station",
                "position": [LON + 0.01, LAT],
                "zones": [zone("platform-1", "platform", 100, 2000, dx=0.01)],
                "devices": [
                    {
                        "id": "pc-platform",
                        "kind": "people_counter",
                        "position": [LON + 0.01, LAT],
                        "zone": "platform-1",
                        "interval_s": 30,
                    }
                ],
            },
        ],
    }


def stadium_scenario() -> Scenario:
    """The test scenario, validated."""
    return parse_scenario(scenario_data(), "test stadium")
