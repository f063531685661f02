"""A camera's ground plane: image pixels → metres on the ground (a homography) → longitude/latitude on the map."""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from beffroi.errors import ConfigError
from beffroi.video.camera import GroundConfig

EARTH_RADIUS_M = 6_371_008.8


class GroundPlane:
    """Maps points of an image of `width` × `height` pixels to the ground. Built from the camera's normalised image
    points, so one config serves every analysis resolution."""

    def __init__(self, config: GroundConfig, width: int, height: int, source: str = "ground") -> None:
        image = np.array([(x * width, y * height) for x, y in config.image_points], dtype=np.float64)
        ground = np.array(config.ground_points, dtype=np.float64)
        matrix, _ = cv2.findHomography(image, ground, 0)
        if matrix is None or not np.isfinite(matrix).all() or abs(np.linalg.det(matrix)) < 1e-12:
            raise ConfigError(source, ["image_points: the points do not define a ground plane (three in a line?)"])
        self._to_ground: npt.NDArray[np.float64] = np.asarray(matrix, dtype=np.float64)
        self._to_image: npt.NDArray[np.float64] = np.asarray(np.linalg.inv(matrix), dtype=np.float64)
        self._origin = config.origin
        self._bearing = math.radians(config.bearing_deg)
        self.width = width
        self.height = height

    def to_ground(self, x: float, y: float) -> tuple[float, float]:
        """The ground point (metres) under image pixel (x, y)."""
        gx, gy, w = self._to_ground @ np.array([x, y, 1.0])
        return (float(gx / w), float(gy / w))

    def to_ground_many(self, points: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Ground points (n × 2, metres) under image points (n × 2, pixels)."""
        if len(points) == 0:
            return np.zeros((0, 2))
        mapped = cv2.perspectiveTransform(points.reshape(-1, 1, 2).astype(np.float64), self._to_ground)
        return np.asarray(mapped.reshape(-1, 2), dtype=np.float64)

    def to_image(self, x_m: float, y_m: float) -> tuple[float, float]:
        """The image pixel showing ground point (x, y) in metres."""
        ix, iy, w = self._to_image @ np.array([x_m, y_m, 1.0])
        return (float(ix / w), float(iy / w))

    def area_m2(self, polygon_px: list[tuple[float, float]]) -> float:
        """The ground area (m²) of a polygon drawn on the image in pixels."""
        ground = self.to_ground_many(np.array(polygon_px, dtype=np.float64))
        x, y = ground[:, 0], ground[:, 1]
        return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)

    def to_lonlat(self, x_m: float, y_m: float) -> tuple[float, float] | None:
        """The map position (lon, lat) of a ground point, or None when the plane has no `origin`."""
        if self._origin is None:
            return None
        east = x_m * math.cos(self._bearing) + y_m * math.sin(self._bearing)
        north = -x_m * math.sin(self._bearing) + y_m * math.cos(self._bearing)
        lon0, lat0 = self._origin
        lat = lat0 + math.degrees(north / EARTH_RADIUS_M)
        lon = lon0 + math.degrees(east / (EARTH_RADIUS_M * math.cos(math.radians(lat0))))
        return (lon, lat)
