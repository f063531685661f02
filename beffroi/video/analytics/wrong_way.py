"""Wrong-way movement of a person or vehicle (decree n° 2023-828): one `wrong_way` event per confirmed track that
moves against the allowed direction, either

- through a line: `line` and `forbidden_direction` ("in": crossing from the line's left to its right, "out": the
  reverse; sides as in `line_crossing`), the track crossing the drawn segment that way; or
- along a corridor: `zone` and the allowed direction, as a vector in image coordinates (`allowed_direction`,
  x right, y down) or as a map bearing (`allowed_bearing_deg`, 0 = north, 90 = east; needs the ground plane).

The foot of a track is taken as the median of its last `smooth_points` positions (each coordinate apart), so a box
that jumps for one frame (a detection merged with a neighbour's, or split) moves nothing. Progress against the
allowed direction is that foot's position along the wrong way minus the lowest it has been since the run began (the
run begins when the track enters the corridor, or when it is first seen for a line): a track has gone the wrong way
once that progress reaches `min_distance_m` (metres on the ground plane) or `min_distance_px` (pixels, a camera
without a ground plane) over at least `min_s` seconds. Walking the right way keeps the progress at zero; standing
still keeps it within the foot's jitter; walking along a line gives none. With a ground plane, an image
`allowed_direction` is taken at the corridor's centroid and distances are metres.

A foot that moves faster than `max_speed_m_s` on the ground (`max_speed_heights_s` box heights per second without a
ground plane) between two points did not walk there: the tracker swapped people (in a flow, onto someone further
away), and the run starts again from there (the line side included). A lost track's run waits `handover_s` seconds:
the track carries it on if the tracker finds it again, or a new track that appears where the lost one was last seen,
soon after and at a similar size, takes it over (people walking against a flow cross others, and trackers drop their
ids there) with where its walk began, unless it is first seen on the other side of the line (the step from the one to
the other would make up a crossing: in a flow the new track is often someone else). Position and size only, no
identity.

Settings (`[analytics.wrong_way]`): `line` + `forbidden_direction`, or `zone` + `allowed_direction` |
`allowed_bearing_deg`; `labels` (default ["person"]), `min_distance_m` (1.5), `min_distance_px` (60), `min_s` (1.0),
`smooth_points` (3), `max_speed_m_s` (4.0), `max_speed_heights_s` (2.5), `handover_s` (2.0).
Event details: `mode` ("line" | "corridor"), `direction` ("in" | "out" | "against"), `distance_m` or
`distance_px`, `duration_s`, `speed_m_s` or `speed_px_s`, `label`, `low_confidence`, `confidence_factor` (the
confidence is the track's score, × 0.6 for a track from a fallback detector). The event's `zone` is the line's or
the corridor's name.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass, field
from typing import Annotated, Literal

import numpy as np
import numpy.typing as npt
import shapely
from pydantic import Field, FiniteFloat, field_validator

from beffroi.config_base import Section
from beffroi.domain.observations import AttributeValue
from beffroi.errors import ConfigError
from beffroi.video.analytics.base import (
    AnalyticOutput,
    CameraView,
    FrameContext,
    LegalBasis,
    VideoEvent,
    register,
)
from beffroi.video.analytics.line_crossing import RIGHT, DirectedLine, LineSide
from beffroi.video.analytics.track_handover import Handover
from beffroi.video.analytics.zone_stays import LOW_CONFIDENCE_FACTOR, TIME_TOLERANCE_S, points_after
from beffroi.video.detections import PERSON
from beffroi.video.ground import GroundPlane
from beffroi.video.tracks import Track, TrackPoint, TrackState

KIND = "wrong_way"
EVENT_TYPE = "wrong_way"
_PROBE_PX = 5.0
"""The image step used to turn an image direction into a ground direction."""


class WrongWaySettings(Section):
    """A line with its forbidden crossing direction, or a corridor zone with its allowed direction; the distance
    and time a track must go against it."""

    line: str | None = None
    """A line of the camera: crossing it the `forbidden_direction` way is wrong."""
    forbidden_direction: Literal["in", "out"] | None = None
    zone: str | None = None
    """A corridor zone of the camera: moving in it against the allowed direction is wrong."""
    allowed_direction: tuple[FiniteFloat, FiniteFloat] | None = None
    """The allowed way along the corridor as an image vector (x right, y down), e.g. [1, 0] for rightward."""
    allowed_bearing_deg: Annotated[float, Field(ge=0.0, lt=360.0, allow_inf_nan=False)] | None = None
    """The allowed way along the corridor as a map bearing (0 = north, 90 = east); needs the ground plane."""
    labels: Annotated[tuple[str, ...], Field(min_length=1)] = (PERSON,)
    min_distance_m: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = 1.5
    """How far against the allowed way a track must go, on a camera with a ground plane."""
    min_distance_px: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = 60.0
    """How far against the allowed way a track must go, on a camera without a ground plane."""
    min_s: Annotated[float, Field(ge=0.0, le=60.0, allow_inf_nan=False)] = 1.0
    """For how long at least (a jump of the foot in one frame is not a walk)."""
    smooth_points: Annotated[int, Field(ge=1, le=15)] = 3
    """The foot is the median of this many last positions of the track (1: the last one as is)."""
    max_speed_m_s: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = 4.0
    """A foot moving faster than this on the ground between two points has not walked or run there: the track
    jumped to someone else (identities swap in a crowd), and the run starts again from there."""
    max_speed_heights_s: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = 2.5
    """The same on a camera without a ground plane, in the foot's box heights per second (about 4 m/s)."""
    handover_s: Annotated[float, Field(ge=0.0, le=60.0, allow_inf_nan=False)] = 2.0
    """A lost track's run waits this long for the track, or a new one in its place, to carry it on (0: never)."""

    @field_validator("allowed_direction")
    @classmethod
    def _not_zero(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and math.hypot(*value) == 0.0:
            raise ValueError("the direction vector must not be (0, 0)")
        return value


@dataclass(frozen=True, slots=True)
class WrongWayGeometry:
    """Where the rule applies and which way is wrong: `wrong` is the unit vector of the wrong way, in metres on the
    ground plane when `ground` is given, else in pixels."""

    place: str
    wrong: tuple[float, float]
    ground: GroundPlane | None
    line: DirectedLine | None = None
    forbidden_side: int = RIGHT
    corridor: shapely.Polygon | None = None
    direction: str = "against"


@dataclass(slots=True)
class _Run:
    recent: deque[tuple[float, float, float, float, float]]
    """The last points of the foot: time, image x, y and the position in the unit of `wrong` (x, y)."""
    last_ts: float = -math.inf
    low: float | None = None
    """The lowest position along the wrong way since the run began; None outside the corridor."""
    low_ts: float = 0.0
    side: LineSide = field(default_factory=LineSide)
    through: bool = False
    """Line mode: the track crossed the segment the forbidden way and is still on that side."""
    alerted: bool = False
    previous: tuple[float, float, float] | None = None
    """The last median foot: time, x, y (metres on the ground plane, else image pixels)."""


class WrongWay:
    """Raises `wrong_way` once per confirmed track that goes against the allowed direction."""

    kind = KIND
    legal_basis = LegalBasis.WRONG_WAY

    def __init__(self, settings: WrongWaySettings, geometry: WrongWayGeometry) -> None:
        self.settings = settings
        self.geometry = geometry
        if geometry.corridor is not None:
            shapely.prepare(geometry.corridor)
        self._labels = frozenset(settings.labels)
        self._min_distance = settings.min_distance_m if geometry.ground is not None else settings.min_distance_px
        self._max_speed = settings.max_speed_m_s if geometry.ground is not None else settings.max_speed_heights_s
        self._runs: dict[int, _Run] = {}
        self._handover: Handover[_Run] | None = Handover(settings.handover_s) if settings.handover_s > 0 else None

    def update(self, context: FrameContext) -> AnalyticOutput:
        """Follow each confirmed track's new points along the wrong way; an event when one has gone far enough."""
        live = {track.id for track in context.tracks}
        for gone in self._runs.keys() - live:
            del self._runs[gone]
        owners: list[Track] = []
        points: list[TrackPoint] = []
        for track in context.tracks:
            if track.label not in self._labels:
                continue
            if track.state is not TrackState.CONFIRMED:
                if track.state is TrackState.LOST and self._handover is not None and track.id in self._runs:
                    self._handover.leave(track.id, self._runs.pop(track.id), track.box, track.last_seen)
                continue
            run = self._runs.get(track.id) or self._taken_over(track)
            if run is None:
                run = self._runs[track.id] = self._new_run()
            if run.alerted:
                continue
            fresh = points_after(track, run.last_ts)
            owners += [track] * len(fresh)
            points += fresh
        output = AnalyticOutput()
        if not points:
            return output
        geometry = self.geometry
        raw_feet = np.array([point.box.foot for point in points], dtype=np.float64)
        metric = self._metric(raw_feet, points)
        feet = np.empty_like(raw_feet)
        positions: list[float] = []
        times: list[float] = []
        jumps: list[bool] = []
        on_ground = geometry.ground is not None
        for row, (track, point) in enumerate(zip(owners, points, strict=True)):
            # The median of the last points (and of their times), point by point in time order.
            run = self._runs[track.id]
            run.recent.append((point.ts, raw_feet[row, 0], raw_feet[row, 1], metric[row, 0], metric[row, 1]))
            ts, fx, fy, mx, my = (statistics.median(column) for column in zip(*run.recent, strict=True))
            previous = run.previous
            if previous is None or ts <= previous[0]:
                jumps.append(False)
            elif on_ground:
                jumps.append(math.hypot(mx - previous[1], my - previous[2]) > self._max_speed * (ts - previous[0]))
            else:
                step = math.hypot(fx - previous[1], fy - previous[2]) / max(point.box.height, 1.0)
                jumps.append(step > self._max_speed * (ts - previous[0]))
            run.previous = (ts, mx, my) if on_ground else (ts, fx, fy)
            times.append(ts)
            feet[row] = (fx, fy)
            positions.append(mx * geometry.wrong[0] + my * geometry.wrong[1])
            run.last_ts = point.ts
        if geometry.line is not None:
            offsets = geometry.line.offsets(feet).tolist()
            inside = [True] * len(points)
        else:
            offsets = [0.0] * len(points)
            inside = shapely.contains_xy(geometry.corridor, feet[:, 0], feet[:, 1]).tolist()
        for track, ts, foot, position, offset, is_inside, jump in zip(
            owners, times, feet.tolist(), positions, offsets, inside, jumps, strict=True
        ):
            run = self._runs[track.id]
            if run.alerted:
                continue
            if jump:
                # Faster than anyone runs: the track went over to someone else. Start again from here.
                run.side, run.through, run.low = LineSide(), False, None
            if geometry.line is not None:
                crossed = run.side.step(geometry.line, ts, (foot[0], foot[1]), offset, 0.0)
                if run.side.side != geometry.forbidden_side:
                    run.through = False
                elif crossed:
                    run.through = True
            elif not is_inside:
                run.low = None
                continue
            if run.low is None or position < run.low:
                run.low, run.low_ts = position, ts
            distance, duration = position - run.low, ts - run.low_ts
            wrong_way = geometry.line is None or run.through
            if wrong_way and distance >= self._min_distance and duration >= self.settings.min_s - TIME_TOLERANCE_S:
                run.alerted = True
                output.events.append(self._event(context.ts, track, distance, duration))
        return output

    def _new_run(self) -> _Run:
        return _Run(deque(maxlen=self.settings.smooth_points))

    def _taken_over(self, track: Track) -> _Run | None:
        """The run a confirmed track the analytic does not follow yet gets from the handover: its own (found
        again), or that of a lost track whose place it takes (from its first point on)."""
        taken = self._handover.take_over(track) if self._handover is not None else None
        if taken is None:
            return None
        run, claimed = taken
        first = track.history[0]
        if claimed:
            if self._across(run, first):
                return None  # on the other side of the line already: taking over would make up a crossing
            run.last_ts = first.ts - TIME_TOLERANCE_S
        self._runs[track.id] = run
        return run

    def _across(self, run: _Run, point: TrackPoint) -> bool:
        """Line mode: whether `point` is on the other side of the line from where the run was last."""
        line = self.geometry.line
        if line is None or run.side.side == 0:
            return False
        offset = float(line.offsets(np.array([point.box.foot], dtype=np.float64))[0])
        return offset != 0 and (offset > 0) != (run.side.side > 0)

    def _metric(self, feet: npt.NDArray[np.float64], points: list[TrackPoint]) -> npt.NDArray[np.float64]:
        """The feet in the unit of `wrong`: metres on the ground (the tracker's when it gave them), else pixels."""
        ground = self.geometry.ground
        if ground is None:
            return feet
        metric = ground.to_ground_many(feet)
        for row, point in enumerate(points):
            if point.ground is not None:
                metric[row] = point.ground
        return metric

    def _event(self, ts: float, track: Track, distance: float, duration: float) -> VideoEvent:
        factor = LOW_CONFIDENCE_FACTOR if track.low_confidence else 1.0
        unit = "m" if self.geometry.ground is not None else "px"
        speed = distance / duration if duration > 0 else 0.0
        details: dict[str, AttributeValue] = {
            "mode": "line" if self.geometry.line is not None else "corridor",
            "direction": self.geometry.direction,
            f"distance_{unit}": round(distance, 3),
            "duration_s": round(duration, 3),
            f"speed_{unit}_s": round(speed, 3),
            "label": track.label,
            "low_confidence": track.low_confidence,
            "confidence_factor": factor,
        }
        return VideoEvent(
            type=EVENT_TYPE,
            ts=ts,
            analytic=KIND,
            legal_basis=self.legal_basis,
            confidence=min(1.0, max(0.0, track.score * factor)),
            track_ids=(track.id,),
            zone=self.geometry.place,
            boxes=(track.box,),
            details=details,
        )


def _unit(vector: tuple[float, float]) -> tuple[float, float] | None:
    length = math.hypot(*vector)
    return None if length < 1e-12 else (vector[0] / length, vector[1] / length)


def _ground_direction(
    ground: GroundPlane, at: tuple[float, float], image_direction: tuple[float, float]
) -> tuple[float, float] | None:
    """The ground direction (unit, metres) of a small image step from `at` along `image_direction`."""
    step = _unit(image_direction)
    if step is None:
        return None
    x0, y0 = ground.to_ground(*at)
    x1, y1 = ground.to_ground(at[0] + step[0] * _PROBE_PX, at[1] + step[1] * _PROBE_PX)
    return _unit((x1 - x0, y1 - y0))


def _line_geometry(settings: WrongWaySettings, view: CameraView, problems: list[str]) -> WrongWayGeometry | None:
    name = settings.line or ""
    camera = view.camera.id
    if settings.forbidden_direction is None:
        problems.append("forbidden_direction: needed with `line` ('in' or 'out')")
    if settings.allowed_direction is not None or settings.allowed_bearing_deg is not None:
        problems.append("line: a line takes `forbidden_direction`, not an allowed direction (that is for `zone`)")
    camera_line = view.lines.get(name)
    if camera_line is None:
        problems.append(f"line: no line {name!r} on camera {camera}")
        return None
    if camera_line.a == camera_line.b:
        problems.append(f"line: line {name!r} of camera {camera} has both ends at the same place")
        return None
    line = DirectedLine(camera_line.a, camera_line.b)
    sign = -1.0 if settings.forbidden_direction == "out" else 1.0
    wrong = (sign * line.right_normal[0], sign * line.right_normal[1])
    if view.ground is not None:
        along = _unit(_difference(view.ground.to_ground(*line.b), view.ground.to_ground(*line.a)))
        middle = ((line.a[0] + line.b[0]) / 2, (line.a[1] + line.b[1]) / 2)
        probe = _ground_direction(view.ground, middle, wrong)
        if along is None or probe is None:
            problems.append(f"line: line {name!r} has no length on the ground plane")
            return None
        across = (-along[1], along[0])
        flip = 1.0 if across[0] * probe[0] + across[1] * probe[1] >= 0 else -1.0
        wrong = (flip * across[0], flip * across[1])
    side = RIGHT if settings.forbidden_direction != "out" else -RIGHT
    return WrongWayGeometry(
        name, wrong, view.ground, line=line, forbidden_side=side, direction=settings.forbidden_direction or "in"
    )


def _corridor_geometry(settings: WrongWaySettings, view: CameraView, problems: list[str]) -> WrongWayGeometry | None:
    name = settings.zone or ""
    camera = view.camera
    if settings.forbidden_direction is not None:
        problems.append("forbidden_direction: only with `line`; a corridor takes an allowed direction")
    if (settings.allowed_direction is None) == (settings.allowed_bearing_deg is None):
        problems.append("zone: a corridor needs one of `allowed_direction` (image) or `allowed_bearing_deg` (map)")
        return None
    zone = view.zones.get(name)
    if zone is None:
        problems.append(f"zone: no zone {name!r} on camera {camera.id}")
        return None
    allowed: tuple[float, float] | None
    if settings.allowed_bearing_deg is not None:
        if view.ground is None or camera.ground is None:
            problems.append(f"allowed_bearing_deg: camera {camera.id} has no ground plane (use allowed_direction)")
            return None
        angle = math.radians(settings.allowed_bearing_deg - camera.ground.bearing_deg)
        allowed = (math.sin(angle), math.cos(angle))
    elif view.ground is not None and settings.allowed_direction is not None:
        centroid = zone.polygon.centroid
        allowed = _ground_direction(view.ground, (centroid.x, centroid.y), settings.allowed_direction)
        if allowed is None:
            problems.append("allowed_direction: has no length on the ground plane at the corridor")
            return None
    else:
        allowed = _unit(settings.allowed_direction or (0.0, 0.0))
    if allowed is None:
        problems.append("allowed_direction: the direction vector must not be (0, 0)")
        return None
    corridor = shapely.Polygon(zone.polygon.exterior.coords)
    return WrongWayGeometry(name, (-allowed[0], -allowed[1]), view.ground, corridor=corridor)


def _difference(p: tuple[float, float], q: tuple[float, float]) -> tuple[float, float]:
    return (p[0] - q[0], p[1] - q[1])


def build(settings: WrongWaySettings, view: CameraView) -> WrongWay:
    """The analytic on a camera's view; ConfigError naming the key when the line or corridor is not usable."""
    problems: list[str] = []
    geometry: WrongWayGeometry | None = None
    if (settings.line is None) == (settings.zone is None):
        problems.append("line: give exactly one of `line` (with forbidden_direction) or `zone` (a corridor)")
    elif settings.line is not None:
        geometry = _line_geometry(settings, view, problems)
    else:
        geometry = _corridor_geometry(settings, view, problems)
    if geometry is None or problems:
        raise ConfigError(f"camera {view.camera.id}", problems)
    return WrongWay(settings, geometry)


register(KIND, LegalBasis.WRONG_WAY, WrongWaySettings, build)
