"""The interface of a video analytic, what it is given each analysed frame, what it returns, and the registry.

An analytic is one file: a settings class (pydantic, unknown keys refused), a class with `update(context)`, and a
`register(...)` call naming its kind and its legal basis. The pipeline builds the analytics a camera lists in
`[analytics.KIND]`, refusing those whose legal basis the deployment's authorisation does not cover.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pydantic
from shapely.geometry import LineString, Polygon

from beffroi.config_base import Section
from beffroi.domain.observations import AttributeValue
from beffroi.errors import ConfigError
from beffroi.validation import describe_errors
from beffroi.video.camera import CameraConfig, LineConfig, ZoneConfig
from beffroi.video.detections import Box, Detection
from beffroi.video.frames import Image
from beffroi.video.ground import GroundPlane
from beffroi.video.presence import Presence
from beffroi.video.tracks import Track


class LegalBasis(enum.StrEnum):
    """The eight event types decree n° 2023-828 authorised, and two tags for what is not an event type of it."""

    ABANDONED_OBJECT = "abandoned_object"
    WEAPON = "weapon"
    WRONG_WAY = "wrong_way"
    FORBIDDEN_ZONE = "forbidden_zone"
    PERSON_ON_GROUND = "person_on_ground"
    CROWD_MOVEMENT = "crowd_movement"
    EXCESSIVE_DENSITY = "excessive_density"
    FIRE_START = "fire_start"
    COUNTING = "counting"
    """Anonymous counts (line crossings): aggregates, no event about a person."""
    OUTSIDE_DECREE = "outside_decree"
    """Not one of the decree's types (loitering): only where the deployment's authorisation names it."""


DECREE_2023_828 = frozenset(LegalBasis) - {LegalBasis.COUNTING, LegalBasis.OUTSIDE_DECREE}
"""The event types the decree authorised; a camera with no `authorised` list may run these and counting."""


@dataclass(frozen=True, slots=True)
class CameraZone:
    """A zone of the camera in pixels of the analysed frame, with its ground area (m²) when known."""

    config: ZoneConfig
    polygon: Polygon
    area_m2: float | None

    @property
    def name(self) -> str:
        return self.config.name


@dataclass(frozen=True, slots=True)
class CameraLine:
    """A line of the camera in pixels of the analysed frame; "in" is crossing from its left to its right."""

    config: LineConfig
    a: tuple[float, float]
    b: tuple[float, float]

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def geometry(self) -> LineString:
        return LineString([self.a, self.b])


@dataclass(frozen=True, slots=True)
class CameraView:
    """The camera's places in pixels of frames of `width` × `height`: zones, lines and the ground plane."""

    camera: CameraConfig
    width: int
    height: int
    zones: dict[str, CameraZone]
    lines: dict[str, CameraLine]
    ground: GroundPlane | None

    @classmethod
    def build(cls, camera: CameraConfig, width: int, height: int) -> CameraView:
        """Scale the camera's normalised places to a frame size."""
        ground = None if camera.ground is None else GroundPlane(camera.ground, width, height, f"{camera.id}.ground")
        zones: dict[str, CameraZone] = {}
        for zone in camera.zones:
            points = [(x * width, y * height) for x, y in zone.polygon]
            area = zone.area_m2 if zone.area_m2 is not None else (ground.area_m2(points) if ground else None)
            zones[zone.name] = CameraZone(zone, Polygon(points), area)
        lines = {
            line.name: CameraLine(
                line, (line.a[0] * width, line.a[1] * height), (line.b[0] * width, line.b[1] * height)
            )
            for line in camera.lines
        }
        return cls(camera, width, height, zones, lines, ground)


@dataclass(frozen=True, slots=True)
class FrameContext:
    """What an analytic sees of one analysed frame: its time, the live tracks (tentative ones included: check
    `state`), the detections of this frame (with static objects), how much of the frame moved, the view, the
    image itself (for plug-ins that run their own model on it; read-only), and what stands out from the empty
    scene (`presence`, for the occupancy of dense zones; None when not computed)."""

    ts: float
    tracks: list[Track]
    detections: list[Detection]
    motion_fraction: float
    view: CameraView
    image: Image
    presence: Presence | None = None


@dataclass(frozen=True, slots=True)
class VideoEvent:
    """An event an analytic raises: its type (the analytic's event type), time, the tracks involved, the zone or
    line, a confidence in [0, 1], the boxes to draw on the snapshot, and details (counts, speeds…). Numbers computed
    with numpy become plain Python numbers here, so the event always encodes for the bus."""

    type: str
    ts: float
    analytic: str
    legal_basis: LegalBasis
    confidence: float
    track_ids: tuple[int, ...] = ()
    zone: str | None = None
    boxes: tuple[Box, ...] = ()
    details: dict[str, AttributeValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ts", float(self.ts))
        object.__setattr__(self, "confidence", float(self.confidence))
        object.__setattr__(self, "track_ids", tuple(int(i) for i in self.track_ids))
        object.__setattr__(self, "details", {key: _plain(value) for key, value in self.details.items()})


def _plain(value: AttributeValue) -> AttributeValue:
    """A numpy scalar (np.float64 is a float, np.bool_ is not a bool) as the Python value it holds."""
    if isinstance(value, np.generic):
        plain: AttributeValue = value.item()
        return plain
    return value


@dataclass(frozen=True, slots=True)
class ZoneCount:
    """People in a zone at a time, the density (p/m²) when the zone's area is known, and the method that gave the
    count ("detections", or "occupancy" for a dense zone; None when the analytic does not say)."""

    zone: str
    ts: float
    count: int
    density: float | None = None
    method: str | None = None


@dataclass(frozen=True, slots=True)
class LineCount:
    """Crossings of a line since the previous count: `inward` and `outward`, over `period_s` seconds."""

    line: str
    ts: float
    inward: int
    outward: int
    period_s: float


@dataclass(slots=True)
class AnalyticOutput:
    """What an analytic returns for one frame."""

    events: list[VideoEvent] = field(default_factory=list)
    zone_counts: list[ZoneCount] = field(default_factory=list)
    line_counts: list[LineCount] = field(default_factory=list)


class Analytic(Protocol):
    """One analytic on one camera."""

    kind: str
    legal_basis: LegalBasis

    def update(self, context: FrameContext) -> AnalyticOutput: ...


AnalyticFactory = Callable[[Any, CameraView], Analytic]


@dataclass(frozen=True, slots=True)
class AnalyticSpec:
    kind: str
    legal_basis: LegalBasis
    settings: type[Section]
    factory: AnalyticFactory


_REGISTRY: dict[str, AnalyticSpec] = {}


def register(
    kind: str,
    legal_basis: LegalBasis,
    settings: type[Section],
    factory: AnalyticFactory,
) -> None:
    """Make an analytic available under `kind` (called once, at import of its module)."""
    if kind in _REGISTRY:
        raise ValueError(f"analytic {kind!r} registered twice")
    _REGISTRY[kind] = AnalyticSpec(kind, legal_basis, settings, factory)


def registered() -> dict[str, AnalyticSpec]:
    """Every registered analytic by kind (importing `beffroi.video.analytics.catalogue` registers the shipped ones)."""
    return dict(_REGISTRY)


def build_analytics(view: CameraView) -> list[Analytic]:
    """The camera's analytics, built from its `[analytics.KIND]` settings; ConfigError naming the key when a kind is
    unknown, its settings are bad, or its legal basis is outside the camera's authorisation."""
    camera = view.camera
    source = f"camera {camera.id}"
    authorised = (
        set(DECREE_2023_828) | {LegalBasis.COUNTING}
        if camera.authorised is None
        else {LegalBasis(basis) for basis in camera.authorised if basis in LegalBasis.__members__.values()}
    )
    problems: list[str] = []
    if camera.authorised is not None:
        unknown = [basis for basis in camera.authorised if basis not in LegalBasis.__members__.values()]
        problems += [f"authorised: unknown legal basis {basis!r}" for basis in unknown]
    built: list[Analytic] = []
    for kind, settings in camera.analytics.items():
        spec = _REGISTRY.get(kind)
        if spec is None:
            problems.append(f"analytics.{kind}: unknown analytic (known: {', '.join(sorted(_REGISTRY))})")
            continue
        if spec.legal_basis not in authorised:
            problems.append(f"analytics.{kind}: legal basis {spec.legal_basis.value} is not in `authorised`")
            continue
        try:
            parsed = spec.settings.model_validate(settings)
        except pydantic.ValidationError as error:
            problems += [f"analytics.{kind}.{line}" for line in describe_errors(error)]
            continue
        try:
            built.append(spec.factory(parsed, view))
        except ConfigError as error:
            problems += [f"analytics.{kind}: {problem}" for problem in error.problems]
    if problems:
        raise ConfigError(source, problems)
    return built
