"""The video worker's configuration: the cameras it analyses (CAMERA.toml files), the simulated cameras of the demo
(synthetic scenes rendered live), where event pictures go and how often the live view refreshes. Part of the one
config tree (`beffroi.config`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from beffroi.config_base import Section

SceneName = Literal["incidents", "concourse", "gate", "plaza"]


class SimulatedCameraConfig(Section):
    """A camera whose frames are a synthetic scene rendered live (`beffroi.sim.scene`), looping: the demo's way to
    show video analytics without footage. It is placed on the map like a real camera."""

    id: str
    scene: SceneName
    site_id: str
    zone_id: str | None = None
    position: tuple[float, float]
    """(lon, lat) of the camera."""
    heading_deg: float = 0.0
    """Where it looks (0 = north, 90 = east)."""
    seed: int = 0
    width: Annotated[int, Field(ge=160, le=1920)] = 640
    fps: Annotated[float, Field(gt=0, le=30)] = 5.0


class VideoConfig(Section):
    """Video analytics. `cameras`: CAMERA.toml files (see `beffroi video analyse` to tune one on footage);
    `simulated`: demo cameras showing synthetic scenes. Pictures of events are kept under `<data_dir>/snapshots`."""

    cameras: list[Path] = Field(default_factory=list)
    simulated: list[SimulatedCameraConfig] = Field(default_factory=list)
    live_fps: Annotated[float, Field(gt=0, le=15)] = 2.0
    """Annotated frames per second kept for the console's live view."""
    counts_every_s: Annotated[float, Field(gt=0)] = 1.0
    """How often a camera's people count in view goes out as a reading."""
    status_every_s: Annotated[float, Field(gt=0)] = 10.0
    """How often a camera's `online` and `fps` readings go out."""
    realtime_files: bool = True
    """A camera whose source is a file plays it at its own pace, looping (a stand-in for a live camera)."""
