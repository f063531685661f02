"""The camera model of a synthetic scene: a pinhole camera standing above a flat ground, tilted down.

Ground coordinates are metres: x to the right of the camera, y straight ahead (away from it), z up; the camera stands
at (0, 0, height_m). Image coordinates are pixels, x to the right and y down, (0, 0) the top-left corner.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


class PinholeCamera:
    """A pinhole camera of `width` × `height` pixels at `height_m` above the ground, its optical axis `tilt_deg`
    below the horizon, with a focal length of `focal_px` pixels (square pixels, principal point at the centre)."""

    def __init__(self, width: int, height: int, *, height_m: float, tilt_deg: float, focal_px: float) -> None:
        if width <= 0 or height <= 0 or height_m <= 0 or focal_px <= 0 or not 0 < tilt_deg < 90:
            raise ValueError("camera: positive size, height and focal length, and a tilt in (0, 90) degrees")
        self.width = width
        self.height = height
        self.height_m = height_m
        self.tilt_deg = tilt_deg
        self.focal_px = focal_px
        tilt = math.radians(tilt_deg)
        self.rotation: FloatArray = np.array(
            [[1.0, 0.0, 0.0], [0.0, -math.sin(tilt), -math.cos(tilt)], [0.0, math.cos(tilt), -math.sin(tilt)]]
        )
        """Rows: the camera's right, down and forward axes in ground coordinates."""
        self.position: FloatArray = np.array([0.0, 0.0, height_m])
        self.intrinsics: FloatArray = np.array(
            [[focal_px, 0.0, width / 2.0], [0.0, focal_px, height / 2.0], [0.0, 0.0, 1.0]]
        )
        translation = -self.rotation @ self.position
        self.projection: FloatArray = self.intrinsics @ np.column_stack([self.rotation, translation])
        """The 3 × 4 matrix from ground coordinates (x, y, z, 1) to homogeneous pixels."""
        self.ground_to_image: FloatArray = self.projection[:, [0, 1, 3]].copy()
        """The homography from ground points (x, y) in metres to pixels."""
        self.image_to_ground: FloatArray = np.asarray(np.linalg.inv(self.ground_to_image), dtype=np.float64)

    @property
    def horizon_y(self) -> float:
        """The image row of the horizon (negative when it lies above the picture)."""
        return self.height / 2.0 - self.focal_px * math.tan(math.radians(self.tilt_deg))

    def depth(self, points: npt.ArrayLike) -> FloatArray:
        """Distance along the optical axis of ground points (…, 3) in metres (negative: behind the camera)."""
        array = np.asarray(points, dtype=np.float64)
        return np.asarray((array - self.position) @ self.rotation[2], dtype=np.float64)

    def project(self, points: npt.ArrayLike) -> FloatArray:
        """Pixels (…, 2) of ground points (…, 3) in metres; the points must lie in front of the camera."""
        array = np.asarray(points, dtype=np.float64)
        homogeneous = array @ self.projection[:, :3].T + self.projection[:, 3]
        return np.asarray(homogeneous[..., :2] / homogeneous[..., 2:3], dtype=np.float64)

    def project_ground(self, points: npt.ArrayLike) -> FloatArray:
        """Pixels (…, 2) of points (…, 2) on the ground, in metres."""
        array = np.asarray(points, dtype=np.float64)
        homogeneous = array @ self.ground_to_image[:, :2].T + self.ground_to_image[:, 2]
        return np.asarray(homogeneous[..., :2] / homogeneous[..., 2:3], dtype=np.float64)

    def to_ground(self, pixels: npt.ArrayLike) -> FloatArray:
        """Ground points (…, 2) in metres seen at pixels (…, 2); NaN for pixels at or above the horizon."""
        array = np.asarray(pixels, dtype=np.float64)
        homogeneous = array @ self.image_to_ground[:, :2].T + self.image_to_ground[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            ground = homogeneous[..., :2] / homogeneous[..., 2:3]
        behind = array[..., 1] <= self.horizon_y
        ground[behind] = np.nan
        return np.asarray(ground, dtype=np.float64)

    def rays(self, pixels: npt.ArrayLike) -> FloatArray:
        """Directions (…, 3) in ground coordinates of the rays through pixels (…, 2), not normalised."""
        array = np.asarray(pixels, dtype=np.float64)
        camera = np.stack(
            [(array[..., 0] - self.width / 2.0) / self.focal_px, (array[..., 1] - self.height / 2.0) / self.focal_px],
            axis=-1,
        )
        return np.asarray(
            camera[..., 0:1] * self.rotation[0] + camera[..., 1:2] * self.rotation[1] + self.rotation[2],
            dtype=np.float64,
        )

    def pixels_per_metre(self, points: npt.ArrayLike) -> FloatArray:
        """The image scale (pixels for one metre seen face-on) at ground points (…, 3)."""
        return np.asarray(self.focal_px / self.depth(points), dtype=np.float64)

    def half_width_at(self, y_m: float) -> float:
        """How far left or right (metres) the picture reaches on the ground line at distance `y_m` ahead."""
        row = self.project_ground([0.0, y_m])[1]
        edge = self.to_ground([float(self.width), float(row)])
        return float(edge[0])

    def visible(self, points: npt.ArrayLike, margin_px: float = 0.0) -> npt.NDArray[np.bool_]:
        """Whether ground points (…, 2) show inside the picture (shrunk by `margin_px`)."""
        pixels = self.project_ground(points)
        x, y = pixels[..., 0], pixels[..., 1]
        inside = (x >= margin_px) & (x <= self.width - margin_px) & (y >= margin_px) & (y <= self.height - margin_px)
        ahead = np.asarray(points, dtype=np.float64)[..., 1] > 0
        return np.asarray(inside & ahead)

    def ground_reference(self, top: float = 0.5) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        """Four image points (normalised 0..1, rounded to 1e-4) and the ground points (metres) they show: a ground
        homography a camera config can carry. The points span the picture from row `top` (normalised) down."""
        top = max(top, (self.horizon_y / self.height) + 0.15)
        if top > 0.85:
            raise ValueError("camera: the horizon is too low in the picture for a ground reference")
        normalised = [(0.05, round(top, 4)), (0.95, round(top, 4)), (0.95, 0.95), (0.05, 0.95)]
        pixels = np.array([(x * self.width, y * self.height) for x, y in normalised])
        ground = self.to_ground(pixels)
        return normalised, [(round(float(x), 4), round(float(y), 4)) for x, y in ground]
