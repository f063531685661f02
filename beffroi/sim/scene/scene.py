"""A synthetic camera scene: a camera over a ground plane, people moving on it by script, objects, fixtures, light;
it renders frames (BGR) with their ground truth, and describes its camera as a CAMERA.toml-ready dict."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import cv2
import numpy as np
import numpy.typing as npt

from beffroi.sim.scene.backdrop import Image, Lighting, SensorNoise, Surroundings, render_backdrop
from beffroi.sim.scene.camera import PinholeCamera
from beffroi.sim.scene.drawing import (
    Box,
    Fixture,
    PlacedBlock,
    PlacedPerson,
    PlacedPillar,
    place_block,
    place_fixture,
    place_people,
)
from beffroi.sim.scene.events import (
    ATTENDED_WITHIN_M,
    abandoned_events,
    fall_events,
    wrong_way_events,
    zone_events,
)
from beffroi.sim.scene.motion import FALLEN, FALLING, MODES, RISING, Person, Prop
from beffroi.sim.scene.occlusion import visibility
from beffroi.sim.scene.places import Direction, GroundLine, GroundZone, crossings
from beffroi.sim.scene.truth import (
    OCCLUDED_BELOW,
    FrameTruth,
    LineCrossing,
    ObjectTruth,
    PersonState,
    PersonTruth,
    SceneEvent,
)

Placed = PlacedPerson | PlacedBlock | PlacedPillar


class SceneFrame(NamedTuple):
    """One rendered frame: its index, time (s from the scene's start), image (BGR, uint8) and ground truth."""

    frame_index: int
    ts: float
    image: Image
    truth: FrameTruth


@dataclass(frozen=True, slots=True)
class SceneParts:
    """What a scene is made of, besides its camera and timing."""

    people: Sequence[Person]
    props: Sequence[Prop] = ()
    fixtures: Sequence[Fixture] = ()
    zones: Sequence[GroundZone] = ()
    lines: Sequence[GroundLine] = ()
    surroundings: Surroundings = field(default_factory=Surroundings)
    lighting: Lighting = field(default_factory=Lighting)
    extra_events: Sequence[SceneEvent] = ()
    """Events the script states itself (crowd_movement): the others are found from the motion."""


class Scene:
    """A scene of `duration_s` seconds at `fps`, seen by `camera`. Zones and lines must show inside the picture.
    Frames and truth are the same every time for the same seed."""

    def __init__(
        self,
        name: str,
        seed: int,
        camera: PinholeCamera,
        parts: SceneParts,
        *,
        fps: float = 10.0,
        duration_s: float = 60.0,
        description: str = "",
        origin: tuple[float, float] | None = None,
        bearing_deg: float = 0.0,
    ) -> None:
        if camera.width % 2 or camera.height % 2:
            raise ValueError("scene: width and height must be even (H.264 4:2:0)")
        self.name, self.seed, self.camera, self.fps, self.duration_s = name, seed, camera, fps, duration_s
        self.description, self.origin, self.bearing_deg = description, origin, bearing_deg
        self.people, self.props, self.fixtures = tuple(parts.people), tuple(parts.props), tuple(parts.fixtures)
        self.zones, self.lines = tuple(parts.zones), tuple(parts.lines)
        self.surroundings, self.lighting = parts.surroundings, parts.lighting
        self.frame_count = math.floor(duration_s * fps + 1e-9)
        self.ts: npt.NDArray[np.float64] = np.arange(self.frame_count) / fps
        self._check_places()
        self._sample_people()
        self._find_crossings()
        self._columns = {person.id: column for column, person in enumerate(self.people)}
        self._owner = {prop.id: self._columns[prop.owner_id] for prop in self.props}
        self._prop_ground = {prop.id: self._drop_point(prop) for prop in self.props}
        self._fixtures_placed = [place_fixture(camera, fixture) for fixture in self.fixtures]
        self._dropped_placed = {
            prop.id: place_block(
                camera, self._prop_ground[prop.id][0], prop.size_m, self._prop_ground[prop.id][1], prop.colour
            )
            for prop in self.props
        }
        self.events: tuple[SceneEvent, ...] = self._find_events(parts.extra_events)
        self._backdrop: Image | None = None
        self._noise: SensorNoise | None = None

    # ----------------------------------------------------------------- set-up

    def _check_places(self) -> None:
        for name, points in [(z.name, z.polygon) for z in self.zones] + [(ln.name, (ln.a, ln.b)) for ln in self.lines]:
            if not self.camera.visible(np.array(points)).all():
                raise ValueError(f"scene {self.name}: {name} does not lie inside the picture")

    def _sample_people(self) -> None:
        samples = [person.route.sample(self.ts) for person in self.people]
        count = len(self.people)
        shape = (self.frame_count, count)
        self._xy = np.zeros((*shape, 2))
        self._present = np.zeros(shape, dtype=bool)
        self._mode = np.zeros(shape, dtype=np.int8)
        self._heading = np.zeros(shape)
        self._distance = np.zeros(shape)
        self._fall = np.zeros(shape)
        for column, sample in enumerate(samples):
            self._xy[:, column] = sample.xy
            self._present[:, column] = sample.present
            self._mode[:, column] = sample.mode
            self._heading[:, column] = sample.heading
            self._distance[:, column] = sample.distance
            self._fall[:, column] = sample.fall
        self._inside = {zone.name: zone.contains(self._xy) & self._present for zone in self.zones}
        self._counts = {name: inside.sum(axis=1) for name, inside in self._inside.items()}

    def _find_crossings(self) -> None:
        self._crossings: list[list[LineCrossing]] = [[] for _ in range(self.frame_count)]
        if not self.lines or not self.people:
            return
        feet = self.camera.project_ground(self._xy)
        for line in self.lines:
            a, b = self.camera.project_ground(np.array([line.a, line.b]))
            for index in range(1, self.frame_count):
                both = self._present[index - 1] & self._present[index]
                moves = crossings(a, b, feet[index - 1], feet[index])
                for column in np.flatnonzero(both & (moves != 0)):
                    direction: Direction = "in" if moves[column] > 0 else "out"
                    crossing = LineCrossing(line.name, self.people[column].id, direction, float(self.ts[index]))
                    self._crossings[index].append(crossing)

    def _drop_point(self, prop: Prop) -> tuple[tuple[float, float], float]:
        """Where the object is put down (on its owner's right) and which way it is turned."""
        sample = self.people[self._owner[prop.id]].route.sample(np.array([prop.drop_ts]))
        heading = float(sample.heading[0])
        x, y = sample.xy[0]
        return (float(x + 0.4 * math.sin(heading)), float(y - 0.4 * math.cos(heading))), heading

    def drop_point(self, prop_id: int) -> tuple[float, float]:
        """Where object `prop_id` lies once put down (metres)."""
        return self._prop_ground[prop_id][0]

    def _find_events(self, extra: Sequence[SceneEvent]) -> tuple[SceneEvent, ...]:
        ids = [person.id for person in self.people]
        events = list(extra)
        for zone in self.zones:
            events += zone_events(zone, self._inside[zone.name], self._counts[zone.name], self.ts, ids)
        every_crossing = [crossing for frame in self._crossings for crossing in frame]
        for line in self.lines:
            events += wrong_way_events(line, every_crossing)
        events += fall_events(self.people, self.zones, self.duration_s)
        if self.props and self.frame_count:
            owner_xy = {prop.id: self._xy[:, self._owner[prop.id]] for prop in self.props}
            owner_present = {prop.id: self._present[:, self._owner[prop.id]] for prop in self.props}
            spots = {prop_id: spot for prop_id, (spot, _) in self._prop_ground.items()}
            events += abandoned_events(self.props, spots, owner_xy, owner_present, self.zones, self.ts)
        return tuple(sorted(events, key=lambda event: (event.start_ts, event.type)))

    # ----------------------------------------------------------------- per frame

    def _layout(self, index: int) -> tuple[list[PlacedPerson], list[tuple[Prop, PlacedBlock]]]:
        ts = float(self.ts[index])
        columns = np.flatnonzero(self._present[index])
        people = [self.people[column] for column in columns]
        carried: list[Prop | None] = [None] * len(people)
        dropped: list[tuple[Prop, PlacedBlock]] = []
        position = {int(column): slot for slot, column in enumerate(columns)}
        for prop in self.props:
            owner = self._owner[prop.id]
            if ts < prop.drop_ts:
                if owner in position:
                    carried[position[owner]] = prop
                continue
            dropped.append((prop, self._dropped_placed[prop.id]))
        placed = place_people(
            self.camera,
            people,
            carried,
            self._xy[index, columns],
            self._heading[index, columns],
            self._distance[index, columns],
            self._mode[index, columns],
            self._fall[index, columns],
        )
        return placed, dropped

    def truth(self, index: int) -> FrameTruth:
        """The ground truth of frame `index`, without rendering it."""
        placed, dropped = self._layout(index)
        return self._truth(index, placed, dropped)

    def _truth(self, index: int, placed: list[PlacedPerson], dropped: list[tuple[Prop, PlacedBlock]]) -> FrameTruth:
        ts = float(self.ts[index])
        things: list[Placed] = [*placed, *(block for _, block in dropped), *self._fixtures_placed]
        depths = np.array([thing.depth for thing in things])
        cores = np.array([thing.core for thing in things]).reshape(-1, 4)
        boxes = np.array([thing.box for thing in things]).reshape(-1, 4)
        counted = len(placed) + len(dropped)
        fractions, shown = visibility(
            boxes[:counted], depths[:counted], cores, depths, self.camera.width, self.camera.height
        )
        in_picture = (
            (boxes[:counted, 2] > 0)
            & (boxes[:counted, 3] > 0)
            & (boxes[:counted, 0] < self.camera.width)
            & (boxes[:counted, 1] < self.camera.height)
        )
        people = []
        for slot, figure in enumerate(placed):
            if not in_picture[slot]:
                continue
            column = self._columns[figure.person.id]
            visible = round(float(fractions[slot]), 3)
            people.append(
                PersonTruth(
                    figure.person.id,
                    _box_or_none(shown[slot]),
                    _rounded(figure.box),
                    visible,
                    visible < OCCLUDED_BELOW,
                    _xy(self._xy[index, column]),
                    _state(int(self._mode[index, column])),
                    figure.person.height_m,
                )
            )
        objects = []
        for slot, (prop, block) in enumerate(dropped, start=len(placed)):
            if not in_picture[slot]:
                continue
            owner = self._owner[prop.id]
            ground = self._prop_ground[prop.id][0]
            near = math.dist(self._xy[index, owner], ground) <= ATTENDED_WITHIN_M
            attended = bool(self._present[index, owner]) and near
            visible = round(float(fractions[slot]), 3)
            objects.append(
                ObjectTruth(
                    prop.id, prop.kind, _box_or_none(shown[slot]), _rounded(block.box), visible,
                    visible < OCCLUDED_BELOW, _xy(ground), prop.owner_id, attended,
                )
            )  # fmt: skip
        counts = {name: int(count[index]) for name, count in self._counts.items()}
        return FrameTruth(
            index, ts, tuple(people), tuple(objects), counts, tuple(self._crossings[index]), self.lighting.gain(ts)
        )

    def _in_picture(self, box: Box) -> bool:
        x1, y1, x2, y2 = box
        return x2 > 0 and y2 > 0 and x1 < self.camera.width and y1 < self.camera.height

    def render(self, index: int) -> SceneFrame:
        """Frame `index`: its image and its truth."""
        placed, dropped = self._layout(index)
        truth = self._truth(index, placed, dropped)
        if self._backdrop is None or self._noise is None:
            self._backdrop = render_backdrop(self.camera, self.surroundings, np.random.default_rng([self.seed, 1]))
            sigma = self.lighting.noise_sigma
            self._noise = SensorNoise(self.camera.width, self.camera.height, sigma, self.seed)
        image = self._backdrop.copy()
        things: list[Placed] = [*placed, *(block for _, block in dropped), *self._fixtures_placed]
        for thing in sorted(things, key=lambda thing: -thing.depth):
            if self._in_picture(thing.box):
                thing.draw(image)
        if self.lighting.noise_sigma > 0:
            image = self._noise.apply(image, index, truth.light_gain)
        else:
            image = np.asarray(cv2.convertScaleAbs(image, alpha=truth.light_gain), dtype=np.uint8)
        return SceneFrame(index, truth.ts, image, truth)

    def frames(self, start: int = 0, stop: int | None = None) -> Iterator[SceneFrame]:
        """Render frames `start` to `stop` (default: the end) in order."""
        for index in range(start, self.frame_count if stop is None else min(stop, self.frame_count)):
            yield self.render(index)

    def __iter__(self) -> Iterator[SceneFrame]:
        return self.frames()

    # ----------------------------------------------------------------- camera config

    def normalised(self, points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
        """Ground points (metres) as normalised image points (0..1, rounded to 1e-4)."""
        pixels = self.camera.project_ground(np.array(points, dtype=np.float64))
        size = np.array([self.camera.width, self.camera.height], dtype=np.float64)
        return [(round(float(x), 4), round(float(y), 4)) for x, y in np.clip(pixels / size, 0.0, 1.0)]

    def camera_dict(
        self,
        source: str,
        *,
        camera_id: str | None = None,
        analysis_width: int | None = None,
        analytics: dict[str, dict[str, Any]] | None = None,
        origin: tuple[float, float] | None = None,
        bearing_deg: float | None = None,
    ) -> dict[str, Any]:
        """The camera's description, ready to be written as CAMERA.toml: its ground homography (four image points
        and their ground points), its zones (normalised polygons, kind, true area) and lines. Analysis at the
        scene's fps and `analysis_width` (default: the scene's width); `origin` (lon, lat) and `bearing_deg` place
        the ground on the map (default: the scene's)."""
        image_points, ground_points = self.camera.ground_reference()
        ground: dict[str, Any] = {
            "image_points": [list(point) for point in image_points],
            "ground_points": [list(point) for point in ground_points],
            "bearing_deg": self.bearing_deg if bearing_deg is None else bearing_deg,
        }
        if (origin or self.origin) is not None:
            ground["origin"] = list(origin or self.origin or ())
        return {
            "id": camera_id or self.name,
            "source": source,
            "analysis": {"fps": self.fps, "width": analysis_width or self.camera.width},
            "ground": ground,
            "zones": [
                {
                    "name": zone.name,
                    "polygon": [list(point) for point in self.normalised(zone.polygon)],
                    "kind": zone.kind,
                    "area_m2": round(zone.area_m2, 3),
                }
                for zone in self.zones
            ],
            "lines": [
                {
                    "name": line.name,
                    "a": list(self.normalised([line.a])[0]),
                    "b": list(self.normalised([line.b])[0]),
                    "width_m": line.width_m,
                }
                for line in self.lines
            ],
            "analytics": analytics or {},
        }


def _state(mode: int) -> PersonState:
    if mode in (FALLING, FALLEN, RISING):
        return "fallen"
    name = MODES[mode]
    if name == "walking":
        return "walking"
    if name == "running":
        return "running"
    return "standing"


def _box_or_none(box: npt.NDArray[np.float64]) -> Box | None:
    if np.isnan(box).any():
        return None
    return _rounded((float(box[0]), float(box[1]), float(box[2]), float(box[3])))


def _rounded(box: Box) -> Box:
    return (round(box[0], 2), round(box[1], 2), round(box[2], 2), round(box[3], 2))


def _xy(point: Sequence[float] | npt.NDArray[np.float64]) -> tuple[float, float]:
    return (round(float(point[0]), 3), round(float(point[1]), 3))
