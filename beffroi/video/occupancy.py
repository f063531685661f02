"""How many people fill a zone, from how much of its ground the crowd hides: the classic pixel-counting estimate
(Davies, Yin & Velastin 1995; Chan & Vasconcelos), normalised for perspective through the ground calibration.

Where people are packed, a detector cannot tell them apart and counts far too few; what the camera still sees is
how much of the zone's ground is hidden by what stands on it (the presence mask, `beffroi.video.presence`). Each
present pixel of the zone is weighted by 1 / (the image area, at that pixel, of the ground one person takes in a
packed crowd), that is by its ground area (m², from the homography: pixels far away hold more ground) times
`full_cover_density`, the density a zone wholly hidden stands for. The sum is the occupancy estimate of the zone.

Seen obliquely, one person hides the ground behind them too (a standing person 15 m from a camera 7 m up hides a
strip ~5 m long), so a sparse zone looks far fuller than it is: the estimate is meant for dense zones only, and the
analytics use it where the hidden share (`cover`) reaches `dense_cover` and it exceeds what the detections count
(see `beffroi.video.analytics.people_in_zones`). (The silhouette-area variant, weighting by a whole person's image
area, cannot count a dense crowd seen this way: a 12 m² zone holding 60 people shows room for ~11 unhidden
silhouettes.)

Walkers seen obliquely can still hide enough ground to look dense (ten people walking to a gate 15–20 m from a
camera 5 m up hide half of its approach). A packed crowd cannot walk at a free pace, though: by the fundamental
diagram of pedestrian flow (Weidmann 1993), people at 2 p/m² walk at ~0.6 m/s, at 4 p/m² at ~0.15 m/s. Where the
zone's followed people walk faster than the estimate's density allows (`flow_allows`), the estimate is not used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

import cv2
import numpy as np
import numpy.typing as npt
import shapely
from pydantic import Field

from beffroi.config_base import Section
from beffroi.video.ground import GroundPlane
from beffroi.video.presence import Presence

FloatArray = npt.NDArray[np.float64]
ImagePolygon = Sequence[tuple[float, float]]
"""A polygon in pixels of the analysed frame."""

METHOD_DETECTIONS = "detections"
"""A zone's count came from the tracks and detections in it."""
METHOD_OCCUPANCY = "occupancy"
"""A zone's count came from the occupancy estimate (a dense zone)."""


FREE_SPEED_M_S = 1.34
"""Weidmann's free walking speed."""
JAM_DENSITY = 5.4
"""Weidmann's density (p/m²) at which a crowd stops."""
WEIDMANN_GAMMA = 1.913
"""Weidmann's shape parameter (m⁻²)."""
FLOW_TOLERANCE_M_S = 0.5
"""How much faster than the fundamental diagram's speed the followed people may walk before a density is ruled
out (the measured diagrams spread by ~0.3 m/s, and a track's speed over its last second is noisier still)."""
FLOW_QUANTILE = 0.5
"""The followed people's speed that judges the flow: their median."""
MIN_FLOW_TRACKS = 2
"""The fewest followed people with a known speed that can rule a density out."""


def crowd_speed(density: float) -> float:
    """The walking speed (m/s) of a crowd at `density` p/m² by Weidmann's fundamental diagram (0 from the jam
    density on)."""
    if density <= 0:
        return FREE_SPEED_M_S
    if density >= JAM_DENSITY:
        return 0.0
    return FREE_SPEED_M_S * (1.0 - math.exp(-WEIDMANN_GAMMA * (1.0 / density - 1.0 / JAM_DENSITY)))


def flow_allows(density: float, speeds: Sequence[float]) -> bool:
    """Whether people walking at `speeds` (m/s, the known speeds of a zone's followed people) can be in a crowd of
    `density` p/m²: false when at least MIN_FLOW_TRACKS of them walk faster than the fundamental diagram allows at
    that density (plus FLOW_TOLERANCE_M_S), judged by their median (the tracker's boxes jump between merged people
    and give a standing crowd's tracks some speed, a walker's track some more or less)."""
    if len(speeds) < MIN_FLOW_TRACKS:
        return True
    return float(np.quantile(speeds, FLOW_QUANTILE)) <= crowd_speed(density) + FLOW_TOLERANCE_M_S


class OccupancySettings(Section):
    """When and how a zone's count comes from the share of its ground the crowd hides."""

    full_cover_density: Annotated[float, Field(gt=0, le=20, allow_inf_nan=False)] = 6.0
    """People per m² that a zone whose ground is wholly hidden stands for (what a camera 5–8 m up sees of a crowd
    packed at 5 p/m² leaves about a fifth of its ground visible)."""
    dense_cover: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.4
    """The share of a zone's ground hidden from which the zone is dense and the estimate is used."""
    enabled: bool = True
    """False counts from the tracks and detections only."""


@dataclass(frozen=True, slots=True)
class ZoneOccupancy:
    """One zone's occupancy in one frame: `cover`, the share of its ground (by area) that something hides, and
    `people`, the occupancy estimate (cover × ground area × `full_cover_density`)."""

    cover: float
    people: float


@dataclass(frozen=True, slots=True)
class _ZoneWeights:
    """A zone on the small grid: the rows and columns of its bounding box and each pixel's weight there (its
    ground area in m², 0 outside the zone)."""

    rows: slice
    columns: slice
    weights: npt.NDArray[np.float32]
    grid_m2: float
    """The sum of the weights: the zone's ground area as the grid's pixels hold it."""
    area_m2: float
    """The zone's ground area (its polygon taken to the ground): the grid's share times this is what is hidden."""


class OccupancyEstimator:
    """The occupancy of zones (polygons in pixels of the analysed frame, in order) of a camera with a ground
    plane, from the presence masks of its frames. The zones' weights are computed for the first mask's grid, and
    again only when the grid changes."""

    def __init__(
        self, ground: GroundPlane, polygons: Sequence[ImagePolygon], settings: OccupancySettings | None = None
    ) -> None:
        for index, polygon in enumerate(polygons):
            if len(polygon) < 3:
                raise ValueError(f"zone {index}: a polygon needs at least 3 points, got {len(polygon)}")
        self.ground = ground
        self.polygons = [list(polygon) for polygon in polygons]
        self.settings = settings or OccupancySettings()
        self._grid: tuple[tuple[int, int], tuple[int, int]] | None = None
        self._zones: list[_ZoneWeights] = []

    def estimate(self, presence: Presence) -> list[ZoneOccupancy]:
        """Each zone's occupancy in this frame's presence mask."""
        mask = presence.mask
        grid = ((mask.shape[1], mask.shape[0]), presence.frame_size)
        if grid != self._grid:
            self._zones = [self._weights(polygon, *grid) for polygon in self.polygons]
            self._grid = grid
        density = self.settings.full_cover_density
        found = []
        for zone in self._zones:
            if zone.grid_m2 <= 0:
                found.append(ZoneOccupancy(0.0, 0.0))
                continue
            present = mask[zone.rows, zone.columns]
            covered = float(cv2.sumElems(cv2.multiply(present, zone.weights, dtype=cv2.CV_32F))[0])
            cover = min(1.0, max(0.0, covered / zone.grid_m2))
            found.append(ZoneOccupancy(cover, cover * zone.area_m2 * density))
        return found

    def _weights(self, polygon: ImagePolygon, small: tuple[int, int], frame: tuple[int, int]) -> _ZoneWeights:
        """A zone's weights on a small grid of `small` (width, height) pixels over a frame of `frame` pixels."""
        small_w, small_h = small
        scale_x, scale_y = frame[0] / small_w, frame[1] / small_h
        points = np.array(polygon, dtype=np.float64) / np.array([scale_x, scale_y])
        low = np.maximum(np.floor(points.min(axis=0)).astype(int), 0)
        high = np.minimum(np.ceil(points.max(axis=0)).astype(int), [small_w, small_h])
        if (high <= low).any():
            return _ZoneWeights(slice(0, 0), slice(0, 0), np.zeros((0, 0), np.float32), 0.0, 0.0)
        rows, columns = slice(int(low[1]), int(high[1])), slice(int(low[0]), int(high[0]))
        # a pixel (i, j) covers [j, j + 1) × [i, i + 1): it is the zone's when its centre is inside
        centres_x, centres_y = np.meshgrid(
            np.arange(columns.start, columns.stop) + 0.5, np.arange(rows.start, rows.stop) + 0.5
        )
        inside = shapely.contains_xy(shapely.Polygon(points), centres_x, centres_y)
        areas = self._pixel_areas(rows, columns, scale_x, scale_y)
        weights = np.where(inside, areas, 0.0).astype(np.float32)
        area_m2 = self.ground.area_m2([(float(x), float(y)) for x, y in polygon])
        return _ZoneWeights(rows, columns, weights, float(weights.sum(dtype=np.float64)), area_m2)

    def _pixel_areas(self, rows: slice, columns: slice, scale_x: float, scale_y: float) -> FloatArray:
        """The ground area (m²) of each small pixel of a block: its four corners taken to the ground, the
        quadrilateral's area (a zone lies on the ground, below the horizon, where this is finite)."""
        xs = np.arange(columns.start, columns.stop + 1, dtype=np.float64) * scale_x
        ys = np.arange(rows.start, rows.stop + 1, dtype=np.float64) * scale_y
        grid_x, grid_y = np.meshgrid(xs, ys)
        corners = self.ground.to_ground_many(np.stack([grid_x.ravel(), grid_y.ravel()], axis=1))
        gx = corners[:, 0].reshape(grid_x.shape)
        gy = corners[:, 1].reshape(grid_x.shape)
        # shoelace over (top-left, top-right, bottom-right, bottom-left) of every cell at once
        x0, x1, x2, x3 = gx[:-1, :-1], gx[:-1, 1:], gx[1:, 1:], gx[1:, :-1]
        y0, y1, y2, y3 = gy[:-1, :-1], gy[:-1, 1:], gy[1:, 1:], gy[1:, :-1]
        areas = 0.5 * np.abs((x0 * y1 - x1 * y0) + (x1 * y2 - x2 * y1) + (x2 * y3 - x3 * y2) + (x3 * y0 - x0 * y3))
        return np.asarray(np.where(np.isfinite(areas), areas, 0.0), dtype=np.float64)
