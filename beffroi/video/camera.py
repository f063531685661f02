"""A camera's configuration (CAMERA.toml): its source, how it is analysed, its ground plane, its zones and lines,
and the analytics it runs. Places on the image are in normalised coordinates (x, y in [0, 1] from the top-left
corner), so they stay right whatever the analysis resolution."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any

import pydantic
from pydantic import Field, model_validator

from beffroi.config_base import Section
from beffroi.errors import ConfigError
from beffroi.validation import describe_errors
from beffroi.video.motion import MotionSettings

UnitFloat = Annotated[float, Field(ge=0.0, le=1.0)]
ImagePoint = tuple[UnitFloat, UnitFloat]
"""A point of the image, normalised: (0, 0) top-left, (1, 1) bottom-right."""
GroundPoint = tuple[float, float]
"""A point of the ground plane in metres (x east, y north of the plane's origin, unless `bearing_deg` turns it)."""


class AnalysisConfig(Section):
    """How frames are analysed: the rate and width they are reduced to, the detector, the motion gate."""

    fps: Annotated[float, Field(gt=0, le=60)] = 5.0
    width: Annotated[int, Field(ge=64, le=3840)] = 640
    detector: str = "fallback"
    """A registered detector: "fallback" (HOG people + foreground blobs, low confidence) or "onnx_yolo"."""
    model: Path | None = None
    """The ONNX model file (onnx_yolo): never downloaded, the operator installs it."""
    model_sha256: str | None = None
    """The model file's SHA-256; a file that does not match is refused."""
    model_input: Annotated[int, Field(ge=32, le=2048)] = 320
    model_classes: dict[int, str] = Field(default_factory=lambda: {0: "person"})
    """Class index → label; classes not named here are ignored. COCO's 0 is a person."""
    min_score: UnitFloat = 0.35
    motion_gate: bool = True
    full_frame_every_s: Annotated[float, Field(gt=0)] = 2.0
    """With the gate on, a whole-frame pass at this period (and whenever motion covers most of the frame)."""
    full_frame_above: UnitFloat = 0.5
    """With the gate on, a whole-frame pass when more than this fraction of the frame moved (a dense crowd)."""
    motion: MotionSettings = MotionSettings()

    @model_validator(mode="after")
    def _model_is_given(self) -> AnalysisConfig:
        if self.detector == "onnx_yolo" and (self.model is None or not self.model_sha256):
            raise ValueError("detector onnx_yolo needs `model` (path) and `model_sha256`")
        return self


class GroundConfig(Section):
    """The ground plane: four or more image points and where they lie on the ground, in metres (a homography);
    `origin` places the plane's (0, 0) on the map (lon, lat) and `bearing_deg` is the direction of its y axis
    (0 = north, 90 = east)."""

    image_points: Annotated[list[ImagePoint], Field(min_length=4)]
    ground_points: Annotated[list[GroundPoint], Field(min_length=4)]
    origin: tuple[float, float] | None = None
    bearing_deg: float = 0.0

    @model_validator(mode="after")
    def _same_count(self) -> GroundConfig:
        if len(self.image_points) != len(self.ground_points):
            raise ValueError("image_points and ground_points must have as many points each")
        return self


class ZoneConfig(Section):
    """A zone drawn on the image. `zone_id` links it to a zone of the scenario (its counts become that zone's
    readings); `area_m2` overrides the area the ground plane gives."""

    name: str
    polygon: Annotated[list[ImagePoint], Field(min_length=3)]
    zone_id: str | None = None
    kind: str = "area"
    area_m2: Annotated[float, Field(gt=0)] | None = None


class LineConfig(Section):
    """A line drawn on the image, from `a` to `b`. Crossing it from its left to its right (looking from a to b)
    is "in"; `width_m` is the walkway width for flow per metre."""

    name: str
    a: ImagePoint
    b: ImagePoint
    width_m: Annotated[float, Field(gt=0)] | None = None


class CameraConfig(Section):
    """One camera. `analytics` maps a registered analytic kind to its settings (each analytic validates its own);
    `authorised` lists the legal bases the deployment's authorisation covers: an analytic whose basis is not in
    it is refused at start-up."""

    id: str
    source: str
    """A file path, rtsp://…, or http(s)://… (MJPEG)."""
    tenant_id: str | None = None
    site_id: str | None = None
    position: tuple[float, float] | None = None
    """Where the camera stands (lon, lat)."""
    heading_deg: float | None = None
    fov_deg: Annotated[float, Field(gt=0, le=360)] | None = None
    range_m: Annotated[float, Field(gt=0)] | None = None
    analysis: AnalysisConfig = AnalysisConfig()
    ground: GroundConfig | None = None
    zones: list[ZoneConfig] = Field(default_factory=list)
    lines: list[LineConfig] = Field(default_factory=list)
    analytics: dict[str, dict[str, Any]] = Field(default_factory=dict)
    authorised: list[str] | None = None
    """None: every legal basis of the decree (DESIGN.md §5); analytics outside it must be listed explicitly."""

    @model_validator(mode="after")
    def _unique_names(self) -> CameraConfig:
        for kind, items in (("zone", [z.name for z in self.zones]), ("line", [ln.name for ln in self.lines])):
            duplicates = sorted({name for name in items if items.count(name) > 1})
            if duplicates:
                raise ValueError(f"{kind} names must be unique: {', '.join(duplicates)}")
        return self

    def zone(self, name: str) -> ZoneConfig:
        """The zone of that name; KeyError when there is none."""
        for zone in self.zones:
            if zone.name == name:
                return zone
        raise KeyError(name)

    def line(self, name: str) -> LineConfig:
        """The line of that name; KeyError when there is none."""
        for line in self.lines:
            if line.name == name:
                return line
        raise KeyError(name)


def parse_camera(data: dict[str, Any], source: str) -> CameraConfig:
    """Validate a camera's settings; ConfigError naming each bad key."""
    try:
        return CameraConfig.model_validate(data)
    except pydantic.ValidationError as error:
        raise ConfigError(source, describe_errors(error)) from None


def load_camera(path: Path) -> CameraConfig:
    """Read and validate CAMERA.toml; a relative `source` or `analysis.model` is taken from the file's folder."""
    source = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(source, ["file not found"]) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(source, [f"not valid TOML: {error}"]) from None
    camera = parse_camera(data, source)
    updates: dict[str, Any] = {}
    if "://" not in camera.source and not Path(camera.source).is_absolute():
        updates["source"] = str(path.parent / camera.source)
    model = camera.analysis.model
    if model is not None and not model.is_absolute():
        updates["analysis"] = camera.analysis.model_copy(update={"model": path.parent / model})
    return camera.model_copy(update=updates) if updates else camera
