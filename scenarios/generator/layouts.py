"""Venue templates: the zones of a bowl, a fan zone, a station, an open course, a waterway and a riverside
section, drawn in metres in the venue's frame, plus free extra zones and the grounds around several parts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from beffroi.domain.registry import ZoneKind

from .geometry import (
    XY,
    Frame,
    Ring,
    centred_rect,
    chord,
    moved,
    polygon_area,
    polyline_length,
    rect,
    strip,
)

STANDING_DENSITY: dict[ZoneKind, float] = {
    ZoneKind.FAN_ZONE: 2.0,
    ZoneKind.PLAZA: 2.0,
    ZoneKind.GATE: 2.0,
    ZoneKind.CONCOURSE: 1.5,
    ZoneKind.PLATFORM: 1.5,
    ZoneKind.PERIMETER: 1.0,
    ZoneKind.PARKING: 0.1,
}
"""Design density (people per m²) giving the capacity of a zone where people stand or walk."""

DEFAULT_CAPACITY: dict[ZoneKind, int] = {
    ZoneKind.FIELD: 150,
    ZoneKind.TECHNICAL: 12,
    ZoneKind.FORBIDDEN: 0,
    ZoneKind.WATER: 0,
    ZoneKind.STAND: 0,
}
"""Capacity of the zones nobody stands in by the square metre (staff in a room, nobody on the water)."""

# Gates' opening widths in metres (the side along the venue's edge that people cross); a bowl's are its gate_width.
FAN_ZONE_GATE_WIDTH = 16.0
"""A fan zone's entrances."""
STATION_ENTRANCE_WIDTH = 20.0
"""A station's accesses."""
OPEN_SITE_GATE_WIDTH = 24.0
"""The entrances of an open course and of a waterway's spectator side."""
GROUNDS_GATE_WIDTH = 20.0
"""The entrances of grounds shared by several parts."""


@dataclass(frozen=True)
class ZoneShape:
    """A zone drawn in the venue's frame: outer ring and holes in metres, capacity in people, and for a gate its
    opening width in metres (the side along the venue's edge that people cross, not its depth)."""

    suffix: str
    name: str
    kind: ZoneKind
    outer: Ring
    holes: tuple[Ring, ...]
    capacity: int
    indoor: bool = False
    width_m: float | None = None


def zone(
    suffix: str,
    name: str,
    kind: ZoneKind,
    outer: Ring,
    holes: Sequence[Ring] = (),
    capacity: int | None = None,
    indoor: bool = False,
    width_m: float | None = None,
) -> ZoneShape:
    """A zone whose capacity, when not given, follows its kind (design density x area, or a fixed staff size)."""
    if capacity is None:
        density = STANDING_DENSITY.get(kind)
        area = polygon_area(outer, holes)
        capacity = round(area * density) if density is not None else DEFAULT_CAPACITY[kind]
    return ZoneShape(suffix, name, kind, outer, tuple(holes), capacity, indoor, width_m)


def shifted(shape: ZoneShape, prefix: str, dx: float, dy: float) -> ZoneShape:
    """The zone moved by (dx, dy) with its suffix prefixed."""
    return ZoneShape(
        prefix + shape.suffix,
        shape.name,
        shape.kind,
        moved(shape.outer, dx, dy),
        tuple(moved(hole, dx, dy) for hole in shape.holes),
        shape.capacity,
        shape.indoor,
        shape.width_m,
    )


def bounds(shapes: Sequence[ZoneShape]) -> tuple[float, float, float, float]:
    """(min x, min y, max x, max y) of the zones' outer rings."""
    xs = [x for shape in shapes for x, _ in shape.outer]
    ys = [y for shape in shapes for _, y in shape.outer]
    return min(xs), min(ys), max(xs), max(ys)


def band(box: tuple[float, float, float, float], gap: float, width: float) -> tuple[Ring, Ring]:
    """The outer ring and hole of a band of width metres drawn gap metres outside a box."""
    x0, y0, x1, y1 = box
    hole = rect(x0 - gap, y0 - gap, x1 + gap, y1 + gap)
    outer = rect(x0 - gap - width, y0 - gap - width, x1 + gap + width, y1 + gap + width)
    return outer, hole


COMPASS = (
    ("e", "Est"),
    ("ne", "Nord-Est"),
    ("n", "Nord"),
    ("nw", "Nord-Ouest"),
    ("w", "Ouest"),
    ("sw", "Sud-Ouest"),
    ("s", "Sud"),
    ("se", "Sud-Est"),
)


def compass(frame: Frame, local_angle_deg: float) -> tuple[str, str]:
    """The compass point (id code, French name) a direction of the frame faces on the ground."""
    angle = (local_angle_deg + frame.rotation_deg) % 360
    return COMPASS[round(angle / 45) % 8]


def _letters(count: int) -> list[str]:
    return [chr(ord("a") + index) for index in range(count)]


def gate_ring(side: str, position: float, edge: float, width: float, depth: float) -> Ring:
    """A gate of width x depth on the outside of a box edge: side n/s/e/w, position along the edge."""
    if side == "n":
        return centred_rect(position, edge + depth / 2, width, depth)
    if side == "s":
        return centred_rect(position, edge - depth / 2, width, depth)
    if side == "e":
        return centred_rect(edge + depth / 2, position, depth, width)
    return centred_rect(edge - depth / 2, position, depth, width)


def gates_around(
    box: tuple[float, float, float, float], count: int, width: float, depth: float, names: str = "Porte"
) -> list[ZoneShape]:
    """count gates spread over the four sides of a box (north and south first)."""
    x0, y0, x1, y1 = box
    per_side = {side: count // 4 + (1 if index < count % 4 else 0) for index, side in enumerate("nsew")}
    rings: list[Ring] = []
    for side in "nesw":
        n = per_side[side]
        low, high = (x0, x1) if side in "ns" else (y0, y1)
        edge = {"n": y1, "s": y0, "e": x1, "w": x0}[side]
        rings.extend(gate_ring(side, low + (i + 1) * (high - low) / (n + 1), edge, width, depth) for i in range(n))
    return [
        zone(f"gate-{letter}", f"{names} {letter.upper()}", ZoneKind.GATE, ring, width_m=width)
        for letter, ring in zip(_letters(len(rings)), rings, strict=True)
    ]


class Template(Protocol):
    """A venue template: something that draws its zones in the venue's frame."""

    def zones(self, frame: Frame) -> list[ZoneShape]:
        """The template's zones, centred on the frame's origin."""
        ...


@dataclass(frozen=True)
class Bowl:
    """A stadium or arena: the field, four stands, corner rooms, concourses, gates, forecourt, perimeter."""

    length: float
    width: float
    seats: int
    stand_depth: float
    concourse_depth: float = 10.0
    margin: float = 5.0
    gates: int = 6
    gate_width: float = 24.0
    gate_depth: float = 14.0
    forecourt: float = 40.0
    perimeter: bool = True
    parking: tuple[float, float] | None = None
    indoor: bool = False
    field_name: str = "Aire de jeu"
    field_capacity: int = 150

    def _half(self) -> tuple[float, float, float, float, float, float]:
        a1, b1 = self.length / 2 + self.margin, self.width / 2 + self.margin
        a2, b2 = a1 + self.stand_depth, b1 + self.stand_depth
        return a1, b1, a2, b2, a2 + self.concourse_depth, b2 + self.concourse_depth

    def zones(self, frame: Frame) -> list[ZoneShape]:
        """Field, stands, corner rooms, concourses and gates, then forecourt, perimeter and car park if asked."""
        a1, b1, a2, b2, a3, b3 = self._half()
        indoor = self.indoor
        sides = {angle: compass(frame, angle) for angle in (0, 90, 180, 270)}
        stands = [
            (f"stand-{sides[angle][0]}", f"Tribune {sides[angle][1]}", ring)
            for angle, ring in (
                (90, rect(-a1, b1, a1, b2)),
                (270, rect(-a1, -b2, a1, -b1)),
                (0, rect(a1, -b1, a2, b1)),
                (180, rect(-a2, -b1, -a1, b1)),
            )
        ]
        stand_area = sum(polygon_area(ring) for *_, ring in stands)
        shapes = [zone("field", self.field_name, ZoneKind.FIELD, rect(-a1, -b1, a1, b1), capacity=self.field_capacity)]
        shapes += [
            zone(suffix, name, ZoneKind.STAND, ring, capacity=round(self.seats * polygon_area(ring) / stand_area))
            for suffix, name, ring in stands
        ]
        shapes += [
            zone("control-room", "PC sécurité du site", ZoneKind.TECHNICAL, rect(a1, b1, a2, b2), indoor=True),
            zone("athletes-area", "Vestiaires et tunnel des athlètes", ZoneKind.FORBIDDEN, rect(-a2, -b2, -a1, -b1)),
        ]
        north = [(-a3, 0.0), (-a2, 0.0), (-a2, b2), (a2, b2), (a2, 0.0), (a3, 0.0), (a3, b3), (-a3, b3)]
        south = [(x, -y) for x, y in reversed(north)]
        shapes += [
            zone(f"concourse-{sides[angle][0]}", f"Coursive {sides[angle][1]}", ZoneKind.CONCOURSE, ring, indoor=indoor)
            for angle, ring in ((90, north), (270, south))
        ]
        shapes += gates_around((-a3, -b3, a3, b3), self.gates, self.gate_width, self.gate_depth)
        g = self.gate_depth
        reach = (-a3 - g, -b3 - g, a3 + g, b3 + g)
        if self.forecourt > 0:
            outer, hole = band(reach, 0, self.forecourt)
            shapes.append(zone("forecourt", "Parvis et files d'attente", ZoneKind.PLAZA, outer, [hole]))
            reach = (
                reach[0] - self.forecourt,
                reach[1] - self.forecourt,
                reach[2] + self.forecourt,
                reach[3] + self.forecourt,
            )
        if self.perimeter:
            outer, hole = band(reach, 0, 10)
            shapes.append(zone("perimeter", "Périmètre de sécurité (palpations)", ZoneKind.PERIMETER, outer, [hole]))
            reach = (reach[0] - 10, reach[1] - 10, reach[2] + 10, reach[3] + 10)
        if self.parking is not None:
            width, depth = self.parking
            ring = centred_rect(0, reach[1] - 20 - depth / 2, width, depth)
            shapes.append(zone("parking", "Parking et dépose autocars", ZoneKind.PARKING, ring))
        return shapes


@dataclass(frozen=True)
class FanZone:
    """A live site: esplanade, stage and stage front, bars, first-aid post, entrances, fence line."""

    width: float
    depth: float
    gates: int = 3
    esplanade_name: str = "Esplanade"
    stage_width: float = 40.0

    def zones(self, frame: Frame) -> list[ZoneShape]:
        """The fan zone's zones around the frame's origin, the stage to the north."""
        w, d = self.width / 2, self.depth / 2
        sw = min(self.stage_width, self.width / 2)
        stage = rect(-sw / 2, d - 25, sw / 2, d - 5)
        front_depth = min(30.0, self.depth / 4)
        front = rect(-sw, d - 27 - front_depth, sw, d - 27)
        shapes = [
            zone("esplanade", self.esplanade_name, ZoneKind.FAN_ZONE, rect(-w, -d, w, d), [stage, front]),
            zone(
                "stage-front",
                "Fosse devant la scène",
                ZoneKind.FAN_ZONE,
                front,
                capacity=round(polygon_area(front) * 2.5),
            ),
            zone("stage", "Scène et coulisses", ZoneKind.FORBIDDEN, stage),
            zone("bars", "Buvettes et restauration", ZoneKind.CONCOURSE, rect(-w - 15, -d, -w, d)),
            zone("first-aid", "Poste de secours", ZoneKind.TECHNICAL, rect(w, -d, w + 15, -d + 15)),
        ]
        span = (-w - 15, -d, w + 15, d)
        gate_x = [-w + (i + 1) * 2 * w / (self.gates + 1) for i in range(self.gates)]
        shapes += [
            zone(
                f"gate-{letter}",
                f"Entrée {letter.upper()}",
                ZoneKind.GATE,
                gate_ring("s", x, -d, FAN_ZONE_GATE_WIDTH, 12),
                width_m=FAN_ZONE_GATE_WIDTH,
            )
            for letter, x in zip(_letters(self.gates), gate_x, strict=True)
        ]
        outer, hole = band((span[0], span[1] - 12, span[2], span[3]), 2, 8)
        shapes.append(zone("fence", "Clôture et contrôle d'accès", ZoneKind.PERIMETER, outer, [hole]))
        return shapes


@dataclass(frozen=True)
class Station:
    """A station: forecourt, entrances, concourse, platforms with the track beds between them, a staff post."""

    concourse_width: float
    concourse_depth: float
    platforms: int
    platform_length: float
    entrances: int = 4
    forecourt_depth: float = 40.0
    underground: bool = False

    def zones(self, frame: Frame) -> list[ZoneShape]:
        """The station's zones, the concourse along the frame's x axis and the platforms to its north."""
        w, d = self.concourse_width / 2, self.concourse_depth
        indoor = self.underground
        shapes = [zone("concourse", "Hall et salle d'échanges", ZoneKind.CONCOURSE, rect(-w, 0, w, d), indoor=True)]
        pitch_platform, pitch_tracks = 10.0, 12.0
        total = self.platforms * pitch_platform + (self.platforms + 1) * pitch_tracks
        x = -total / 2
        top = d + self.platform_length
        for index in range(self.platforms + 1):
            shapes.append(
                zone(
                    f"tracks-{index + 1}",
                    f"Voies (faisceau {index + 1})",
                    ZoneKind.FORBIDDEN,
                    rect(x, d, x + pitch_tracks, top),
                )
            )
            x += pitch_tracks
            if index < self.platforms:
                ring = rect(x, d, x + pitch_platform, top)
                shapes.append(
                    zone(f"platform-{index + 1}", f"Quai {index + 1}", ZoneKind.PLATFORM, ring, indoor=indoor)
                )
                x += pitch_platform
        gate_x = [-w + (i + 1) * 2 * w / (self.entrances + 1) for i in range(self.entrances)]
        shapes += [
            zone(
                f"entrance-{letter}",
                f"Accès {letter.upper()}",
                ZoneKind.GATE,
                gate_ring("s", gx, 0, STATION_ENTRANCE_WIDTH, 12),
                indoor=indoor,
                width_m=STATION_ENTRANCE_WIDTH,
            )
            for letter, gx in zip(_letters(self.entrances), gate_x, strict=True)
        ]
        if self.forecourt_depth > 0:
            ring = rect(-w, -12 - self.forecourt_depth, w, -12)
            shapes.append(zone("forecourt", "Parvis de la gare", ZoneKind.PLAZA, ring))
        shapes.append(
            zone("staff-post", "Poste de commandement sûreté", ZoneKind.TECHNICAL, rect(w, 0, w + 20, 20), indoor=True)
        )
        return shapes


@dataclass(frozen=True)
class Course:
    """An open course (golf, mountain bike, cross-country): the course, galleries, grandstand, spectator village."""

    length: float
    width: float
    course_name: str
    grandstand_seats: int
    gates: int = 3
    course_capacity: int = 400

    def zones(self, frame: Frame) -> list[ZoneShape]:
        """The course centred on the frame's origin, spectator facilities at its east end."""
        a, b = self.length / 2, self.width / 2
        shapes = [
            zone("course", self.course_name, ZoneKind.FIELD, rect(-a, -b, a, b), capacity=self.course_capacity),
            zone("gallery-n", "Galerie spectateurs nord", ZoneKind.PLAZA, rect(-a, b, a, b + 30)),
            zone("gallery-s", "Galerie spectateurs sud", ZoneKind.PLAZA, rect(-a, -b - 30, a, -b)),
            zone(
                "grandstand",
                "Tribune d'arrivée",
                ZoneKind.STAND,
                rect(a, -60, a + 40, 60),
                capacity=self.grandstand_seats,
            ),
            zone("spectator-village", "Village spectateurs", ZoneKind.CONCOURSE, rect(a + 40, -100, a + 140, 100)),
            zone("course-control", "PC course et chronométrage", ZoneKind.TECHNICAL, rect(-a - 60, -40, -a, -2)),
            zone("athletes-area", "Zone athlètes et assistance", ZoneKind.FORBIDDEN, rect(-a - 60, 2, -a, 40)),
        ]
        gate_y = [-100 + (i + 1) * 200 / (self.gates + 1) for i in range(self.gates)]
        shapes += [
            zone(
                f"gate-{letter}",
                f"Entrée {letter.upper()}",
                ZoneKind.GATE,
                gate_ring("e", y, a + 140, OPEN_SITE_GATE_WIDTH, 14),
                width_m=OPEN_SITE_GATE_WIDTH,
            )
            for letter, y in zip(_letters(self.gates), gate_y, strict=True)
        ]
        outer, hole = band((-a - 60, -b - 30, a + 154, b + 30), 2, 8)
        shapes.append(zone("perimeter", "Clôture du site", ZoneKind.PERIMETER, outer, [hole]))
        shapes.append(zone("parking", "Parkings spectateurs", ZoneKind.PARKING, rect(a + 180, -150, a + 380, 150)))
        return shapes


@dataclass(frozen=True)
class Waterway:
    """A basin or course on the water with a grandstand and a spectator bank on its north side."""

    length: float
    width: float
    water_name: str
    grandstand_length: float
    grandstand_seats: int
    bank_length: float
    gates: int = 3
    bank_name: str = "Berges spectateurs"

    def zones(self, frame: Frame) -> list[ZoneShape]:
        """The water centred on the frame's origin, spectators to the north, athletes' pontoons to the south."""
        a, b = self.length / 2, self.width / 2
        g0 = a - self.grandstand_length
        bank0 = g0 - 10 - self.bank_length
        shapes = [
            zone("water", self.water_name, ZoneKind.WATER, rect(-a, -b, a, b)),
            zone("grandstand", "Tribunes", ZoneKind.STAND, rect(g0, b + 8, a, b + 38), capacity=self.grandstand_seats),
            zone("promenade", "Promenade des tribunes", ZoneKind.CONCOURSE, rect(g0, b + 38, a, b + 48)),
            zone("bank", self.bank_name, ZoneKind.PLAZA, rect(bank0, b + 8, g0 - 10, b + 48)),
            zone(
                "finish-tower",
                "Tour d'arrivée et chronométrage",
                ZoneKind.TECHNICAL,
                rect(a + 5, b + 8, a + 25, b + 28),
            ),
            zone(
                "pontoons", "Hangars et pontons des athlètes", ZoneKind.FORBIDDEN, rect(-a, -b - 60, -a + 150, -b - 8)
            ),
        ]
        gate_x = [bank0 + (i + 1) * (a - bank0) / (self.gates + 1) for i in range(self.gates)]
        shapes += [
            zone(
                f"gate-{letter}",
                f"Entrée {letter.upper()}",
                ZoneKind.GATE,
                gate_ring("n", x, b + 48, OPEN_SITE_GATE_WIDTH, 12),
                width_m=OPEN_SITE_GATE_WIDTH,
            )
            for letter, x in zip(_letters(self.gates), gate_x, strict=True)
        ]
        outer, hole = band(bounds(shapes), 2, 8)
        shapes.append(zone("perimeter", "Clôture du site", ZoneKind.PERIMETER, outer, [hole]))
        return shapes


@dataclass(frozen=True)
class Riverside:
    """A stretch of river with its lower quays (seated stands), upper quays (free), checkpoints and fence lines."""

    line: tuple[tuple[float, float], ...]
    river_name: str
    paid_seats: int
    half_width: float = 55.0
    lower_quay: float = 18.0
    upper_quay: float = 22.0
    gate_spacing: float = 500.0
    bridges: tuple[tuple[str, str, float], ...] = ()

    def zones(self, frame: Frame) -> list[ZoneShape]:
        """River, quays on both banks (left bank = rive gauche, downstream), checkpoints, fence lines, bridges."""
        line: list[XY] = [frame.from_lonlat(lon, lat) for lon, lat in self.line]
        hw, low, up = (
            self.half_width,
            self.half_width + self.lower_quay,
            self.half_width + self.lower_quay + self.upper_quay,
        )
        lower = {"left": strip(line, hw, low), "right": strip(line, -low, -hw)}
        seat_area = sum(polygon_area(ring) for ring in lower.values())
        shapes = [zone("river", self.river_name, ZoneKind.WATER, strip(line, -hw, hw))]
        bank_names = {"left": "rive gauche", "right": "rive droite"}
        for side, sign in (("left", 1.0), ("right", -1.0)):
            seats = round(self.paid_seats * polygon_area(lower[side]) / seat_area)
            shapes.append(
                zone(
                    f"lower-quay-{side}",
                    f"Quai bas {bank_names[side]} (tribunes)",
                    ZoneKind.STAND,
                    lower[side],
                    capacity=seats,
                )
            )
            upper = _strip_between(line, sign, low, up)
            shapes.append(zone(f"upper-quay-{side}", f"Quai haut {bank_names[side]}", ZoneKind.PLAZA, upper))
        length = polyline_length(line)
        count = max(1, math.floor(length / self.gate_spacing))
        for side, sign in (("left", 1.0), ("right", -1.0)):
            for index in range(count):
                chainage = (index + 0.5) * length / count
                first, last = max(chainage - 10, 0), min(chainage + 10, length)
                ring = _strip_between(chord(line, first, last), sign, up, up + 12)
                tag = "g" if side == "left" else "d"
                shapes.append(
                    zone(
                        f"gate-{tag}{index + 1}",
                        f"Point de contrôle {bank_names[side]} {index + 1}",
                        ZoneKind.GATE,
                        ring,
                        width_m=round(last - first, 1),
                    )
                )
            fence = _strip_between(line, sign, up + 12, up + 20)
            shapes.append(
                zone(f"perimeter-{side}", f"Périmètre de sécurité {bank_names[side]}", ZoneKind.PERIMETER, fence)
            )
        for suffix, name, chainage in self.bridges:
            piece = chord(line, max(chainage - 12, 0), min(chainage + 12, length))
            shapes.append(zone(suffix, name, ZoneKind.FORBIDDEN, strip(piece, -up, up)))
        post = chord(line, min(40.0, length / 4), min(80.0, length / 2))
        shapes.append(
            zone("sector-post", "PC de secteur", ZoneKind.TECHNICAL, _strip_between(post, -1.0, up + 22, up + 42))
        )
        return shapes


def _strip_between(line: Sequence[XY], sign: float, near: float, far: float) -> Ring:
    """The band between offsets near and far (metres) on one side of a line: sign +1 left, -1 right."""
    return strip(line, sign * near, sign * far)


@dataclass(frozen=True)
class Extra:
    """A free zone drawn as a ring in the venue's frame; inside_grounds makes it a hole of the grounds plaza."""

    suffix: str
    name: str
    kind: ZoneKind
    ring: Ring
    capacity: int | None = None
    indoor: bool = False
    inside_grounds: bool = True
    width_m: float | None = None

    def shape(self) -> ZoneShape:
        """The zone of this extra."""
        return zone(
            self.suffix,
            self.name,
            self.kind,
            self.ring,
            capacity=self.capacity,
            indoor=self.indoor,
            width_m=self.width_m,
        )


@dataclass(frozen=True)
class Grounds:
    """An open plaza around several parts (they are its holes), with its own entrances and fence line."""

    name: str
    margin: float
    gates: int
    kind: ZoneKind = ZoneKind.PLAZA


@dataclass(frozen=True)
class Part:
    """A template placed at (dx, dy) in the venue's frame, its zone ids prefixed."""

    template: Template
    dx: float = 0.0
    dy: float = 0.0
    prefix: str = ""


def lay_out(frame: Frame, parts: Sequence[Part], extras: Sequence[Extra], grounds: Grounds | None) -> list[ZoneShape]:
    """Every zone of a venue: its parts, its extras, then the grounds around them."""
    shapes: list[ZoneShape] = []
    holes: list[Ring] = []
    for part in parts:
        placed = [shifted(shape, part.prefix, part.dx, part.dy) for shape in part.template.zones(frame)]
        shapes += placed
        x0, y0, x1, y1 = bounds(placed)
        holes.append(rect(x0 - 1, y0 - 1, x1 + 1, y1 + 1))
    enclosed = list(shapes)
    for extra in extras:
        shapes.append(extra.shape())
        if extra.inside_grounds:
            holes.append(extra.ring)
            enclosed.append(shapes[-1])
    if grounds is not None:
        x0, y0, x1, y1 = bounds(enclosed)
        m = grounds.margin
        box = (x0 - m, y0 - m, x1 + m, y1 + m)
        shapes.append(zone("grounds", grounds.name, grounds.kind, rect(*box), holes))
        shapes += gates_around(box, grounds.gates, GROUNDS_GATE_WIDTH, 12, names="Entrée")
        outer, hole = band((box[0] - 12, box[1] - 12, box[2] + 12, box[3] + 12), 2, 8)
        shapes.append(zone("perimeter", "Périmètre de sécurité (palpations)", ZoneKind.PERIMETER, outer, [hole]))
    return shapes
