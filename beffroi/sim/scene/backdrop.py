"""What does not move in a synthetic scene, rendered once: the paved ground, a building front across the far end,
the sky, painted markings; and what changes the whole picture each frame: the light and the sensor's noise."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from beffroi.sim.scene.camera import PinholeCamera
from beffroi.sim.scene.motion import BGR
from beffroi.sim.scene.places import GroundXY

Image = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Surroundings:
    """The look of the place: paving (colour, tile size, joints), how far the building front stands (metres
    ahead of the camera) and how high it is, sky colour, and markings painted on the ground (a, b, colour, width)."""

    paving: BGR = (150, 158, 163)
    tile_m: tuple[float, float] = (0.8, 0.8)
    joint_m: float = 0.025
    far_m: float = 45.0
    wall_height_m: float = 15.0
    wall: BGR = (120, 140, 165)
    sky: BGR = (225, 200, 170)
    markings: tuple[tuple[GroundXY, GroundXY, BGR, float], ...] = ()


def render_backdrop(camera: PinholeCamera, surroundings: Surroundings, rng: np.random.Generator) -> Image:
    """The empty scene as the camera sees it (BGR)."""
    width, height = camera.width, camera.height
    tilt = math.radians(camera.tilt_deg)
    across: FloatArray = np.asarray((np.arange(width) + 0.5 - width / 2) / camera.focal_px, dtype=np.float64)
    down = (np.arange(height) + 0.5 - height / 2) / camera.focal_px
    ray_y = math.cos(tilt) - down * math.sin(tilt)
    ray_z: FloatArray = np.asarray(-math.sin(tilt) - down * math.cos(tilt), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        reach: FloatArray = np.asarray(np.where(ray_z < 0, -camera.height_m / ray_z, np.inf), dtype=np.float64)
        ground_y: FloatArray = np.asarray(reach * ray_y, dtype=np.float64)
        wall_reach: FloatArray = np.asarray(surroundings.far_m / ray_y, dtype=np.float64)
    on_ground = np.isfinite(reach) & (ground_y < surroundings.far_m)
    image = np.empty((height, width, 3), dtype=np.float32)
    rows = np.flatnonzero(on_ground)
    if len(rows):
        image[rows] = _paving(surroundings, rng, reach[rows], ground_y[rows], across, camera.focal_px)
    sky_rows = np.flatnonzero(~on_ground)
    if len(sky_rows):
        image[sky_rows] = _facade(surroundings, camera.height_m, wall_reach[sky_rows], ray_z[sky_rows], across)
    coarse = rng.normal(1.0, 0.05, (9, 16)).astype(np.float32)
    blotches = np.asarray(cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC), dtype=np.float32)
    grain = rng.normal(0.0, 3.0, (height, width, 1)).astype(np.float32)
    image = image * blotches[..., None] + grain
    result: Image = np.clip(image, 0, 255).astype(np.uint8)
    for a, b, colour, line_width in surroundings.markings:
        _paint(result, camera, a, b, colour, line_width)
    return result


def _paving(
    surroundings: Surroundings,
    rng: np.random.Generator,
    reach: FloatArray,
    ground_y: FloatArray,
    across: FloatArray,
    focal_px: float,
) -> npt.NDArray[np.float32]:
    """Tiles with darker joints, faded where a pixel covers more ground than a joint (no aliasing far away)."""
    tile_x, tile_y = surroundings.tile_m
    x = reach[:, None] * across[None, :]
    y = ground_y[:, None]
    footprint_x = (reach / focal_px)[:, None]
    footprint_y = np.abs(np.gradient(ground_y))[:, None] + 1e-6
    shades = rng.normal(1.0, 0.06, (64, 64))
    tile = shades[np.floor(y / tile_y).astype(np.int64) % 64, np.floor(x / tile_x).astype(np.int64) % 64]
    joint = np.maximum(
        _joint_cover(x, tile_x, surroundings.joint_m, footprint_x),
        _joint_cover(np.broadcast_to(y, x.shape), tile_y, surroundings.joint_m, footprint_y),
    )
    far = np.clip(footprint_y / (tile_y * 0.5), 0.0, 1.0)
    value = tile * (1 - far) + far - 0.45 * joint
    return (np.array(surroundings.paving, dtype=np.float32) * value[..., None]).astype(np.float32)


def _joint_cover(coordinate: FloatArray, period: float, joint: float, footprint: FloatArray) -> FloatArray:
    """How much of a pixel a joint line covers (0..1), from the distance to the nearest joint and the footprint."""
    distance = np.abs((coordinate + period / 2) % period - period / 2)
    half = joint / 2
    cover = np.clip((half + footprint / 2 - distance) / footprint, 0.0, 1.0) * np.minimum(1.0, joint / footprint)
    return np.asarray(cover, dtype=np.float64)


def _facade(
    surroundings: Surroundings, camera_height: float, wall_reach: FloatArray, ray_z: FloatArray, across: FloatArray
) -> npt.NDArray[np.float32]:
    """A building front with windows and shop fronts under the sky."""
    z = camera_height + wall_reach * ray_z
    x = wall_reach[:, None] * across[None, :]
    zz = np.broadcast_to(z[:, None], x.shape)
    wall = np.array(surroundings.wall, dtype=np.float32)
    colour = np.broadcast_to(wall, (*x.shape, 3)).copy()
    window = (
        ((x % 3.5) > 0.9) & ((x % 3.5) < 2.6) & (zz > 3.5) & (((zz - 3.5) % 3.2) > 0.8) & (((zz - 3.5) % 3.2) < 2.5)
    )
    colour[window] = wall * 0.45 + np.array([40, 20, 0], dtype=np.float32)
    shop = (zz < 3.0) & ((x % 6.0) > 0.6)
    colour[shop] = wall * 0.6
    sky = (zz > surroundings.wall_height_m) | (wall_reach[:, None] <= 0) | ~np.isfinite(zz)
    fade = np.clip((zz - surroundings.wall_height_m) / 30.0, 0.0, 1.0)[..., None]
    sky_colour = np.array(surroundings.sky, dtype=np.float32) * (1.0 - 0.15 * fade)
    colour = np.where(sky[..., None], sky_colour, colour)
    return colour.astype(np.float32)


def _paint(image: Image, camera: PinholeCamera, a: GroundXY, b: GroundXY, colour: BGR, width_m: float) -> None:
    """A line painted on the ground, drawn as a thin quad so it narrows with distance."""
    ax, ay = a
    bx, by = b
    length = math.hypot(bx - ax, by - ay)
    nx, ny = -(by - ay) / length * width_m / 2, (bx - ax) / length * width_m / 2
    quad = camera.project_ground([(ax - nx, ay - ny), (bx - nx, by - ny), (bx + nx, by + ny), (ax + nx, ay + ny)])
    cv2.fillConvexPoly(image, np.round(quad * 16).astype(np.int32), colour, cv2.LINE_AA, 4)


@dataclass(frozen=True, slots=True)
class Lighting:
    """The light over time: a slow drift of the brightness (± `drift` over `drift_period_s`), one sudden change
    (a cloud: the brightness falls to `cloud_gain` at `cloud_ts` within `cloud_ramp_s`, and comes back at
    `cloud_end_ts` if given) and the sensor's noise (standard deviation in grey levels)."""

    drift: float = 0.05
    drift_period_s: float = 50.0
    drift_phase: float = 0.0
    cloud_ts: float | None = None
    cloud_gain: float = 0.7
    cloud_ramp_s: float = 0.5
    cloud_end_ts: float | None = None
    noise_sigma: float = 3.0

    def gain(self, ts: float) -> float:
        """The brightness factor at time `ts` (1: as rendered)."""
        value = 1.0 + self.drift * math.sin(2 * math.pi * ts / self.drift_period_s + self.drift_phase)
        if self.cloud_ts is not None:
            cover = min(max((ts - self.cloud_ts) / self.cloud_ramp_s, 0.0), 1.0)
            if self.cloud_end_ts is not None:
                cover *= 1.0 - min(max((ts - self.cloud_end_ts) / (4 * self.cloud_ramp_s), 0.0), 1.0)
            value *= 1.0 - (1.0 - self.cloud_gain) * cover
        return value


class SensorNoise:
    """Additive noise, different on every frame, from a pre-drawn field shifted by a per-frame offset; applied
    together with the light's gain in one pass."""

    PAD = 64

    def __init__(self, width: int, height: int, sigma: float, seed: int) -> None:
        self.seed = seed
        self.offset = max(1, math.ceil(4 * sigma))
        field = np.random.default_rng(seed).normal(float(self.offset), sigma, (height + self.PAD, width + self.PAD, 3))
        self._field = np.clip(np.round(field), 0, 2 * self.offset).astype(np.uint8)
        self.width = width
        self.height = height

    def apply(self, image: Image, frame_index: int, gain: float = 1.0) -> Image:
        """The image times `gain`, with this frame's noise added."""
        dx, dy = np.random.default_rng([self.seed, frame_index]).integers(0, self.PAD, size=2)
        window = self._field[int(dy) : int(dy) + self.height, int(dx) : int(dx) + self.width]
        return np.asarray(cv2.addWeighted(image, gain, window, 1.0, -float(self.offset)), dtype=np.uint8)
