"""The sites of the default scenario: the Paris 2024 venues at their real coordinates, the Olympic Village, the
opening-ceremony sections of the Seine, fan zones and transport hubs, each with its layout and equipment.

Plain sites are rows of venues.yaml (templates with their parameters); the sites whose shapes follow the river or
a second real point (the Seine sections, Pont Alexandre III, Teahupo'o, the Village) are built here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from beffroi.domain.registry import ZoneKind

from .equipment import Equipment
from .geometry import XY, Frame, centred_rect, point_along, polyline_length, rect, sub_polyline
from .layouts import Bowl, Course, Extra, FanZone, Grounds, Part, Riverside, Station, Template, Waterway

VENUES_FILE = Path(__file__).with_name("venues.yaml")

EQUIPMENT: dict[str, Equipment] = {
    "stadium": Equipment(turnstiles_per_gate=2, agents=6, drones=3),
    "arena": Equipment(turnstiles_per_gate=1, agents=3, drones=1),
    "outdoor": Equipment(turnstiles_per_gate=1, agents=3, drones=1),
    "nautical": Equipment(turnstiles_per_gate=1, agents=2, drones=1),
    "fan": Equipment(turnstiles_per_gate=0, agents=2, drones=0),
    "big_fan": Equipment(turnstiles_per_gate=0, agents=4, drones=1),
    "hub": Equipment(turnstiles_per_gate=1, agents=2, drones=0),
    "ceremony": Equipment(turnstiles_per_gate=0, agents=8, drones=3),
    "village": Equipment(turnstiles_per_gate=0, agents=6, drones=3, access_badges=True),
}
"""Site-wide equipment presets: turnstile banks per gate, field agents (GPS trackers), drone detectors."""


@dataclass(frozen=True)
class Venue:
    """A site of the scenario: what and where it is, how it is laid out and equipped."""

    id: str
    name: str
    kind: str
    city: str
    lon: float
    lat: float
    parts: tuple[Part, ...]
    equipment: Equipment
    extras: tuple[Extra, ...] = ()
    grounds: Grounds | None = None
    rotation: float = 0.0

    def frame(self) -> Frame:
        """The venue's local plane."""
        return Frame(self.lon, self.lat, self.rotation)


def _bowl(parking: list[float] | None = None, **params: Any) -> Bowl:
    return Bowl(parking=(parking[0], parking[1]) if parking else None, **params)


def _arena(field: str, gates: int = 3, forecourt: float = 20, **params: Any) -> Bowl:
    """An indoor bowl of an arena."""
    return Bowl(
        **params,
        concourse_depth=8,
        margin=3,
        gates=gates,
        gate_width=16,
        forecourt=forecourt,
        indoor=True,
        field_name=field,
    )


def _court(field: str, gates: int = 2, **params: Any) -> Bowl:
    """A bowl inside shared grounds: no forecourt, fence or car park of its own."""
    return Bowl(
        **params,
        concourse_depth=5,
        margin=2,
        gates=gates,
        gate_width=12,
        gate_depth=8,
        forecourt=0,
        perimeter=False,
        field_name=field,
    )


def _football(seats: int, stand_depth: float, forecourt: float, parking: list[float] | None = None) -> Bowl:
    """A football stadium's bowl around a 105 x 68 m pitch."""
    gates = 6 if seats > 45_000 else 4
    return _bowl(
        parking,
        length=112,
        width=74,
        seats=seats,
        stand_depth=stand_depth,
        gates=gates,
        forecourt=forecourt,
        field_name="Pelouse",
    )


TEMPLATES: dict[str, Callable[..., Template]] = {
    "bowl": _bowl,
    "arena": _arena,
    "court": _court,
    "football": _football,
    "course": Course,
    "waterway": Waterway,
    "fan_zone": FanZone,
    "station": Station,
}
"""The template names a row of venues.yaml may use in its parts."""


def _part(spec: dict[str, Any]) -> Part:
    names = [name for name in spec if name in TEMPLATES]
    if len(names) != 1:
        raise ValueError(f"a part needs exactly one template among {sorted(TEMPLATES)}: {spec}")
    template = TEMPLATES[names[0]](**spec[names[0]])
    return Part(template, float(spec.get("dx", 0)), float(spec.get("dy", 0)), str(spec.get("prefix", "")))


def _extra(spec: dict[str, Any]) -> Extra:
    x0, y0, x1, y1 = spec["rect"]
    return Extra(
        spec["suffix"],
        spec["name"],
        ZoneKind(spec["kind"]),
        rect(x0, y0, x1, y1),
        spec.get("capacity"),
        bool(spec.get("indoor", False)),
        width_m=spec.get("width_m"),
    )


def _venue(row: dict[str, Any]) -> Venue:
    lon, lat = row["position"]
    if "station" in row:
        parts: tuple[Part, ...] = (Part(Station(**row["station"])),)
        kind, equipment = "transport_hub", "hub"
    else:
        parts = tuple(_part(spec) for spec in row.get("parts", []))
        kind, equipment = row["kind"], row["equipment"]
    grounds = Grounds(**row["grounds"]) if "grounds" in row else None
    return Venue(
        row["id"], row["name"], kind, row["city"], lon, lat, parts, EQUIPMENT[equipment],
        tuple(_extra(spec) for spec in row.get("extras", [])), grounds, float(row.get("rotation", 0)),
    )  # fmt: skip


def load_table(path: Path = VENUES_FILE) -> dict[str, list[Venue]]:
    """The plain sites of venues.yaml, per section (competition, football, fan_zones, hubs)."""
    table = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {section: [_venue(row) for row in rows] for section, rows in table.items()}


SEINE: tuple[XY, ...] = (
    (2.3665, 48.8437), (2.3635, 48.8470), (2.3600, 48.8505), (2.3570, 48.8527), (2.3540, 48.8543),
    (2.3505, 48.8553), (2.3468, 48.8563), (2.3415, 48.8575), (2.3375, 48.8584), (2.3330, 48.8596),
    (2.3295, 48.8606), (2.3250, 48.8621), (2.3195, 48.8637), (2.3134, 48.8638), (2.3105, 48.8637),
    (2.3060, 48.8632), (2.3020, 48.8625), (2.2975, 48.8614), (2.2928, 48.8596),
)  # fmt: skip
"""Centre line of the Seine, downstream, from the pont d'Austerlitz to the pont d'Iéna (the ceremony's route);
vertices at the bridges, read off the map (about ±30 m)."""

PARIS = Frame(2.3400, 48.8600)

SECTIONS: tuple[tuple[str, str, int, int, tuple[tuple[str, str, int], ...]], ...] = (
    ("seine-austerlitz", "Seine — Austerlitz à l'Hôtel de Ville", 0, 5,
     (("bridge-sully", "Pont de Sully", 2), ("bridge-marie", "Pont Marie", 3))),
    ("seine-cite", "Seine — Île de la Cité et Louvre", 5, 10,
     (("bridge-neuf", "Pont Neuf", 7), ("bridge-arts", "Pont des Arts", 8))),
    ("seine-concorde", "Seine — Orsay, Tuileries et Concorde", 10, 13,
     (("bridge-senghor", "Passerelle Léopold-Sédar-Senghor", 11), ("bridge-concorde", "Pont de la Concorde", 12))),
    ("seine-iena", "Seine — Grand Palais, Alma et Iéna", 13, 18,
     (("bridge-invalides", "Pont des Invalides", 14), ("bridge-alma", "Pont de l'Alma", 16))),
)  # fmt: skip
"""The ceremony route in four sections: site id, name, first and last SEINE vertex, bridges (id, name, vertex)."""

CEREMONY_PAID_SEATS = 104_000
"""Paying seats on the lower quays along the whole route (the free upper quays held about 222,000 more)."""


def _seine_local() -> list[XY]:
    return [PARIS.from_lonlat(lon, lat) for lon, lat in SEINE]


def _chainage(vertex: int) -> float:
    return polyline_length(_seine_local()[: vertex + 1])


def _river_lonlat(start: float, end: float) -> tuple[XY, ...]:
    return tuple(PARIS.to_lonlat(x, y) for x, y in sub_polyline(_seine_local(), start, end))


def ceremony_sections() -> list[Venue]:
    """The four Seine sections of the opening ceremony, paying seats shared by length."""
    total = polyline_length(_seine_local())
    venues = []
    for site_id, name, first, last, bridges in SECTIONS:
        start, end = _chainage(first), _chainage(last)
        lon, lat = PARIS.to_lonlat(*point_along(_seine_local(), (start + end) / 2))
        seats = round(CEREMONY_PAID_SEATS * (end - start) / total)
        spans = tuple(
            (suffix, f"{bridge} (fermé au public)", _chainage(vertex) - start) for suffix, bridge, vertex in bridges
        )
        river = Riverside(_river_lonlat(start, end), "La Seine (parcours des délégations)", seats, bridges=spans)
        venues.append(Venue(site_id, name, "ceremony", "Paris", lon, lat, (Part(river),), EQUIPMENT["ceremony"]))
    return venues


def pont_alexandre_iii() -> Venue:
    """The bridge and 900 m of the Seine around it: triathlon and marathon swimming, time-trial finish."""
    middle = _chainage(13)
    river = Riverside(_river_lonlat(middle - 450, middle + 450), "La Seine (parcours de nage)", 1_500, gate_spacing=300)
    extras = (
        Extra(
            "bridge",
            "Pont Alexandre-III (tribune officielle)",
            ZoneKind.STAND,
            centred_rect(0, 0, 40, 180),
            capacity=1_500,
        ),
        Extra("pontoon", "Ponton de départ", ZoneKind.FORBIDDEN, centred_rect(60, -30, 30, 10)),
        Extra(
            "transition",
            "Aire de transition (esplanade des Invalides)",
            ZoneKind.TECHNICAL,
            centred_rect(0, -200, 120, 60),
            400,
        ),
    )
    return Venue(
        "pont-alexandre-iii", "Pont Alexandre III", "outdoor_venue", "Paris 8e", 2.313400, 48.863700, (Part(river),),
        EQUIPMENT["outdoor"], extras,
    )  # fmt: skip


def teahupoo() -> Venue:
    """The surfing venue: the reef pass (open-data point) and the viewpoint at the end of the road, 2.7 km away."""
    lon, lat = -149.252080, -17.866930
    sx, sy = Frame(lon, lat).from_lonlat(-149.267000, -17.847000)
    extras = (
        Extra("lineup", "Vague de Teahupo'o (line-up)", ZoneKind.WATER, centred_rect(0, 0, 300, 150)),
        Extra(
            "channel", "Chenal des bateaux de spectateurs et des médias", ZoneKind.WATER, centred_rect(0, 260, 400, 200)
        ),
        Extra("judges-tower", "Tour des juges", ZoneKind.TECHNICAL, centred_rect(-250, 60, 20, 20), capacity=20),
        Extra("safety-zone", "Zone de sécurité des jet-skis", ZoneKind.FORBIDDEN, centred_rect(260, 0, 150, 150)),
        Extra(
            "viewpoint",
            "Point de vue de Teahupo'o (fin de route)",
            ZoneKind.PLAZA,
            centred_rect(sx, sy, 120, 60),
            3_000,
        ),
        Extra("shuttle-pier", "Embarcadère des navettes", ZoneKind.GATE, centred_rect(sx - 75, sy, 20, 12), width_m=20),
        Extra("parking", "Parking de Teahupo'o", ZoneKind.PARKING, centred_rect(sx + 130, sy, 100, 60)),
    )
    return Venue("teahupoo", "Teahupo'o (Tahiti)", "nautical", "Teahupo'o", lon, lat, (), EQUIPMENT["nautical"], extras)


def olympic_village() -> Venue:
    """The Village between Saint-Denis, Saint-Ouen and L'Île-Saint-Denis: six residential sectors and services."""
    sectors = (
        ("a", "Pleyel", -300, 140, 420), ("b", "Cité du Cinéma", -20, 140, 420),
        ("c", "Saint-Ouen", -300, -180, 80), ("d", "Quai de Seine", -20, -180, 80),
        ("e", "Île-Saint-Denis", -300, -480, -220), ("f", "Docks", -20, -480, -220),
    )  # fmt: skip
    extras = [
        Extra(
            f"residences-{code}",
            f"Secteur résidentiel {code.upper()} ({place})",
            ZoneKind.PLAZA,
            rect(x, y0, x + 240, y1),
            2_400,
        )
        for code, place, x, y0, y1 in sectors
    ]
    extras += [
        Extra(
            "dining-hall",
            "Restaurant principal (Cité du Cinéma)",
            ZoneKind.CONCOURSE,
            rect(250, 140, 320, 420),
            3_300,
            indoor=True,
        ),
        Extra("village-plaza", "Place du Village (zone internationale)", ZoneKind.PLAZA, rect(250, -180, 320, 80)),
        Extra(
            "operations-centre", "Centre opérationnel du Village", ZoneKind.TECHNICAL, rect(250, -480, 320, -400), 60
        ),
        Extra("logistics", "Zone logistique et livraisons", ZoneKind.FORBIDDEN, rect(250, -370, 320, -220)),
        Extra(
            "seine",
            "Seine (bras de L'Île-Saint-Denis)",
            ZoneKind.WATER,
            rect(-460, -520, -370, 460),
            inside_grounds=False,
        ),
        Extra(
            "athletes-bus",
            "Dépose des bus athlètes",
            ZoneKind.PARKING,
            rect(380, -480, 520, -200),
            inside_grounds=False,
        ),
    ]
    return Venue(
        "olympic-village", "Village olympique et paralympique", "village", "Saint-Denis", 2.334500, 48.915500, (),
        EQUIPMENT["village"], tuple(extras), Grounds("Allées du Village", 20, 4),
    )  # fmt: skip


def all_venues() -> list[Venue]:
    """Every site of the default scenario, in file order."""
    table = load_table()
    return [
        *table["competition"], pont_alexandre_iii(), teahupoo(), *table["football"], olympic_village(),
        *ceremony_sections(), *table["fan_zones"], *table["hubs"],
    ]  # fmt: skip
