"""Demo cameras whose frames are synthetic scenes (`beffroi.sim.scene`) rendered live and looping, each with the
analytics its scene is made to show. The video worker treats them like any camera."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from beffroi.config_video import SimulatedCameraConfig
from beffroi.sim.scene import SCENES, Scene
from beffroi.video.camera import CameraConfig, parse_camera
from beffroi.video.frames import Frame

SCENE_ANALYTICS: dict[str, dict[str, dict[str, Any]]] = {
    "incidents": {
        "forbidden_zone": {"zones": ["restricted"]},
        "person_down": {},
        "abandoned_object": {"unattended_s": 20.0},
        "zone_count": {},
    },
    "concourse": {"density": {"zones": ["crowd"]}, "crowd_movement": {}, "zone_count": {}},
    "gate": {"wrong_way": {"line": "gate", "forbidden_direction": "out"}, "line_crossing": {}, "zone_count": {}},
    "plaza": {"zone_count": {}, "line_crossing": {}},
}
"""What each scene shows (loitering is outside the decree: a demo does not run it)."""
DEMO_CAMERAS: list[dict[str, Any]] = [
    {
        "id": "stade-de-france-gate-a-video",
        "scene": "gate",
        "site_id": "stade-de-france",
        "zone_id": "stade-de-france-gate-a",
        "position": (2.35832, 48.92392),
        "heading_deg": 60.0,
        "seed": 1,
    },
    {
        "id": "stade-de-france-concourse-w-video",
        "scene": "concourse",
        "site_id": "stade-de-france",
        "zone_id": "stade-de-france-concourse-w",
        "position": (2.35925, 48.92425),
        "heading_deg": 75.0,
        "seed": 2,
    },
    {
        "id": "stade-de-france-rer-d-forecourt-video",
        "scene": "incidents",
        "site_id": "stade-de-france-rer-d",
        "zone_id": "stade-de-france-rer-d-forecourt",
        "position": (2.35005, 48.91635),
        "heading_deg": 30.0,
        "seed": 3,
    },
]
"""The simulated cameras of the demo on the default scenario (Paris 2024): a gate and a concourse of the Stade de
France, and the forecourt of its RER D station."""
SCENE_DURATION_S = 120.0
FIELD_OF_VIEW_DEG = 70.0
RANGE_M = 35.0


def build_scene(config: SimulatedCameraConfig) -> Scene:
    """The scene a simulated camera shows, at its analysis size and rate."""
    height = round(config.width * 9 / 16) // 2 * 2
    return SCENES[config.scene](
        config.seed, width=config.width, height=height, fps=config.fps, duration_s=SCENE_DURATION_S
    )


def simulated_camera(config: SimulatedCameraConfig, tenant_id: str, scene: Scene) -> CameraConfig:
    """The camera config of a simulated camera: its scene's ground, zones and lines, placed on the map."""
    data = scene.camera_dict(
        f"sim:{config.scene}",
        camera_id=config.id,
        analysis_width=config.width,
        analytics=SCENE_ANALYTICS[config.scene],
        origin=config.position,
        bearing_deg=config.heading_deg,
    )
    data.update(
        tenant_id=tenant_id,
        site_id=config.site_id,
        position=config.position,
        heading_deg=config.heading_deg,
        fov_deg=FIELD_OF_VIEW_DEG,
        range_m=RANGE_M,
    )
    if config.zone_id is not None:
        for zone in data["zones"]:
            zone["zone_id"] = config.zone_id
    return parse_camera(data, f"video.simulated[{config.id}]")


def scene_frames(scene: Scene, stop: threading.Event) -> Iterator[Frame]:
    """The scene's frames at its own pace, looping, until `stop` is set; frame times are the wall clock."""
    period = 1.0 / scene.fps
    index = 0
    next_at = time.monotonic()
    while not stop.is_set():
        for rendered in scene.frames():
            if stop.is_set():
                return
            delay = next_at - time.monotonic()
            if delay > 0:
                stop.wait(delay)
            next_at = max(next_at + period, time.monotonic() - period)
            yield Frame(rendered.image, time.time(), index)
            index += 1
