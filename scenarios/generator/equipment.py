"""Which devices each zone gets, where they stand, and what they are called."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Literal

from beffroi.domain.registry import DeviceKind, ZoneKind

from .geometry import XY, Frame, along_edge, polygon_area, random_inside, ring_length
from .layouts import ZoneShape

ABBREVIATIONS: dict[DeviceKind, str] = {
    DeviceKind.PEOPLE_COUNTER: "pc",
    DeviceKind.TURNSTILE: "ts",
    DeviceKind.ACCESS_CONTROL: "ac",
    DeviceKind.INTRUSION_PIR: "pir",
    DeviceKind.PERIMETER_FENCE: "fence",
    DeviceKind.SMOKE_HEAT: "smoke",
    DeviceKind.AIR_QUALITY: "aq",
    DeviceKind.NOISE_LEVEL: "noise",
    DeviceKind.TEMPERATURE: "temp",
    DeviceKind.PANIC_BUTTON: "panic",
    DeviceKind.CAMERA: "cam",
    DeviceKind.GPS_TRACKER: "gps",
    DeviceKind.DRONE_DETECTOR: "drone",
}
"""The short kind code in a device id: `<zone id>-<code>-<nn>`."""

MODELS: dict[DeviceKind, tuple[str, ...]] = {
    DeviceKind.PEOPLE_COUNTER: ("Xovis PC2SE", "Axis P8815-2 3D People Counter", "Irisys Gen5 Vision"),
    DeviceKind.TURNSTILE: ("Gunnebo SpeedStile FP", "Automatic Systems SlimLane 950", "Boon Edam Lifeline Speedlane"),
    DeviceKind.ACCESS_CONTROL: ("STid Architect Blue", "HID Signo 40", "Nedap AEOS AP7803"),
    DeviceKind.INTRUSION_PIR: ("Optex VXI-RAM", "Bosch ISC-BPR2-W12", "Honeywell DT8035"),
    DeviceKind.PERIMETER_FENCE: ("Senstar FlexZone", "Southwest Microwave MicroPoint II", "Sorhea Maxiris 4000"),
    DeviceKind.SMOKE_HEAT: ("Siemens FDOOT241-A9", "Apollo Soteria Multisensor", "Hochiki ACC-EN"),
    DeviceKind.AIR_QUALITY: ("Aeroqual AQS 1", "Airparif micro-capteur Pollutrack", "Vaisala AQT530"),
    DeviceKind.NOISE_LEVEL: ("Acoem 01dB DUO", "Cirrus Optimus CR:171B", "Bruitparif Méduse"),
    DeviceKind.TEMPERATURE: ("Elsys ERS", "Milesight EM300-TH", "Adeunis Temp 4"),
    DeviceKind.PANIC_BUTTON: ("Commend SOS ET 908", "Ajax Button Jeweller", "Axis A8207-VE"),
    DeviceKind.CAMERA: ("Axis Q6135-LE PTZ", "Bosch AUTODOME 7100i", "Hanwha XNV-8081Z", "Axis P1468-LE"),
    DeviceKind.GPS_TRACKER: ("Airbus Tactilon Dabat", "Motorola MXP600", "Teltonika TMT250"),
    DeviceKind.DRONE_DETECTOR: ("Dedrone RF-160", "Aaronia AARTOS X7", "CerbAir Hydra"),
}
"""Plausible makes and models, picked deterministically per device."""


@dataclass(frozen=True)
class Equipment:
    """How a site is equipped beyond its zones' own kit: turnstiles per gate, field agents, drone detectors."""

    turnstiles_per_gate: int
    agents: int
    drones: int
    access_badges: bool = False
    panic_at_gates: bool = False


Placement = Literal["inside", "edge"]


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def zone_kit(shape: ZoneShape, equipment: Equipment) -> list[tuple[DeviceKind, int, Placement]]:
    """The devices a zone gets from its kind, size and indoor flag (site-wide agents and drones come apart)."""
    area = polygon_area(shape.outer, shape.holes)
    kit: list[tuple[DeviceKind, int, Placement]] = []
    k = DeviceKind
    indoor = shape.indoor
    match shape.kind:
        case ZoneKind.GATE:
            kit += [(k.PEOPLE_COUNTER, 1, "inside"), (k.CAMERA, 1, "inside")]
            if equipment.turnstiles_per_gate:
                kit.append((k.TURNSTILE, equipment.turnstiles_per_gate, "inside"))
            if equipment.access_badges:
                kit.append((k.ACCESS_CONTROL, 2, "inside"))
            if equipment.panic_at_gates:
                kit.append((k.PANIC_BUTTON, 1, "inside"))
        case ZoneKind.CONCOURSE:
            kit += [(k.PEOPLE_COUNTER, 1, "inside"), (k.CAMERA, _clamp(area / 4000, 1, 2), "inside")]
            if indoor:
                kit += [
                    (k.SMOKE_HEAT, _clamp(area / 3000, 1, 2), "inside"),
                    (k.AIR_QUALITY, 1, "inside"),
                    (k.PANIC_BUTTON, 1, "inside"),
                ]
        case ZoneKind.STAND:
            kit += [(k.PEOPLE_COUNTER, 1, "inside"), (k.CAMERA, 1, "inside")]
            if indoor:
                kit.append((k.SMOKE_HEAT, 1, "inside"))
            elif shape.capacity > 5000:
                kit.append((k.NOISE_LEVEL, 1, "inside"))
        case ZoneKind.FIELD:
            kit += [(k.CAMERA, _clamp(area / 100000, 1, 2), "edge"), (k.INTRUSION_PIR, 1, "edge")]
        case ZoneKind.FORBIDDEN:
            kit += [(k.INTRUSION_PIR, 1, "inside"), (k.CAMERA if area >= 3000 else k.ACCESS_CONTROL, 1, "inside")]
        case ZoneKind.TECHNICAL:
            kit += [(k.SMOKE_HEAT, 1, "inside"), (k.ACCESS_CONTROL, 1, "edge")]
            if shape.indoor:
                kit.append((k.TEMPERATURE, 1, "inside"))
        case ZoneKind.PERIMETER:
            length = ring_length(shape.outer)
            kit += [
                (k.PERIMETER_FENCE, _clamp(length / 400, 3, 8), "edge"),
                (k.CAMERA, _clamp(length / 800, 1, 3), "edge"),
            ]
        case ZoneKind.PLAZA:
            kit += [
                (k.PEOPLE_COUNTER, _clamp(area / 20000, 1, 3), "inside"),
                (k.CAMERA, _clamp(area / 15000, 1, 3), "inside"),
            ]
            kit.append((k.PANIC_BUTTON, 1, "inside"))
            if area > 5000:
                kit.append((k.NOISE_LEVEL, 1, "inside"))
            if area > 20000:
                kit += [(k.AIR_QUALITY, 1, "inside"), (k.TEMPERATURE, 1, "inside")]
        case ZoneKind.FAN_ZONE:
            kit += [
                (k.PEOPLE_COUNTER, _clamp(area / 15000, 1, 2), "inside"),
                (k.CAMERA, _clamp(area / 8000, 1, 3), "inside"),
            ]
            kit += [(k.NOISE_LEVEL, 1, "inside"), (k.PANIC_BUTTON, 1, "inside")]
            if area > 10000:
                kit += [(k.AIR_QUALITY, 1, "inside"), (k.TEMPERATURE, 1, "inside")]
        case ZoneKind.PLATFORM:
            kit += [(k.PEOPLE_COUNTER, 1, "inside"), (k.CAMERA, 1, "inside"), (k.PANIC_BUTTON, 1, "inside")]
            if indoor:
                kit.append((k.SMOKE_HEAT, 1, "inside"))
        case ZoneKind.PARKING:
            kit += [(k.CAMERA, 1, "inside")]
        case ZoneKind.WATER:
            kit += [(k.CAMERA, _clamp(area / 100000, 1, 3), "edge"), (k.GPS_TRACKER, 1, "inside")]
    return kit


def place(rng: random.Random, shape: ZoneShape, count: int, placement: Placement) -> list[XY]:
    """count positions in a zone: drawn inside it, or spread along its outer edge just inside."""
    if placement == "edge":
        return along_edge(shape.outer, shape.holes, count)
    return [random_inside(rng, shape.outer, shape.holes) for _ in range(count)]


def device_rows(
    frame: Frame, zone_id: str, shape: ZoneShape, kit: list[tuple[DeviceKind, int, Placement]], seed: str = ""
) -> list[dict[str, Any]]:
    """The scenario rows of a zone's devices, ids `<zone id>-<kind code>-<nn>`; positions drawn from a seeded RNG."""
    rng = random.Random(f"{zone_id}{seed}")
    rows: list[dict[str, Any]] = []
    for kind, count, placement in kit:
        for number, (x, y) in enumerate(place(rng, shape, count, placement), start=1):
            models = MODELS[kind]
            rows.append(
                {
                    "id": f"{zone_id}-{ABBREVIATIONS[kind]}-{number:02d}",
                    "kind": kind.value,
                    "zone": zone_id,
                    "position": list(frame.to_lonlat(x, y)),
                    "model": models[rng.randrange(len(models))],
                }
            )
    return rows


def host_zone(shapes: list[ZoneShape]) -> ZoneShape:
    """The zone that carries a site's roaming agents and drone detectors: its largest perimeter or open area."""
    for kinds in ((ZoneKind.PERIMETER,), (ZoneKind.PLAZA, ZoneKind.FAN_ZONE), (ZoneKind.CONCOURSE, ZoneKind.GATE)):
        candidates = [shape for shape in shapes if shape.kind in kinds]
        if candidates:
            return max(candidates, key=lambda shape: polygon_area(shape.outer, shape.holes))
    return shapes[0]


def site_kit(equipment: Equipment) -> list[tuple[DeviceKind, int, Placement]]:
    """The site-wide devices: field agents' GPS trackers inside the host zone, drone detectors along its edge."""
    kit: list[tuple[DeviceKind, int, Placement]] = [(DeviceKind.GPS_TRACKER, equipment.agents, "inside")]
    if equipment.drones:
        kit.append((DeviceKind.DRONE_DETECTOR, equipment.drones, "edge"))
    return kit
