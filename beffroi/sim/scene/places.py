"""Places of a synthetic scene, drawn on the ground in metres: zones (with what makes an event in them) and lines
(with the direction the flow is meant to take)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

GroundXY = tuple[float, float]
Direction = Literal["in", "out"]


@dataclass(frozen=True, slots=True)
class GroundZone:
    """A polygon on the ground (metres). `kind` is written to the camera config ("forbidden" zones make
    camera_intrusion events); `density_threshold` (p/m²) makes crowd_density events while the true density is at or
    above it; `loiter_after_s` makes loitering events for every stay at least that long."""

    name: str
    polygon: tuple[GroundXY, ...]
    kind: str = "area"
    density_threshold: float | None = None
    loiter_after_s: float | None = None

    @property
    def area_m2(self) -> float:
        """The zone's area on the ground."""
        points = np.array(self.polygon, dtype=np.float64)
        x, y = points[:, 0], points[:, 1]
        return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)

    def contains(self, points: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Whether ground points (…, 2) lie inside the zone."""
        return inside_polygon(np.asarray(points, dtype=np.float64), self.polygon)


@dataclass(frozen=True, slots=True)
class GroundLine:
    """A line on the ground from `a` to `b` (metres), `width_m` the walkway it spans. Crossing it from its left to
    its right, looking from a to b on the image (y down), is "in". `flow` is the direction people are meant to
    take: crossing the other way is a wrong_way event (None: both ways are fine)."""

    name: str
    a: GroundXY
    b: GroundXY
    width_m: float
    flow: Direction | None = None


def rectangle(x0: float, y0: float, x1: float, y1: float) -> tuple[GroundXY, ...]:
    """The ground rectangle between two corners, as a polygon."""
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def inside_polygon(points: npt.NDArray[np.float64], polygon: tuple[GroundXY, ...]) -> npt.NDArray[np.bool_]:
    """Whether points (…, 2) lie inside a polygon (even-odd rule); NaN points are outside."""
    x, y = points[..., 0], points[..., 1]
    inside = np.zeros(x.shape, dtype=bool)
    count = len(polygon)
    with np.errstate(invalid="ignore", divide="ignore"):
        for index in range(count):
            (x0, y0), (x1, y1) = polygon[index], polygon[(index + 1) % count]
            straddles = (y0 > y) != (y1 > y)
            if y1 == y0:
                continue
            x_cross = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
            inside ^= straddles & (x < x_cross)
    return inside


def side_of(
    a: npt.NDArray[np.float64], b: npt.NDArray[np.float64], points: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """The cross product (b − a) × (p − a) for image points (…, 2): positive on the right of a→b (y down)."""
    direction = b - a
    offset = points - a
    return np.asarray(direction[0] * offset[..., 1] - direction[1] * offset[..., 0], dtype=np.float64)


def crossings(
    a: npt.NDArray[np.float64],
    b: npt.NDArray[np.float64],
    before: npt.NDArray[np.float64],
    after: npt.NDArray[np.float64],
) -> npt.NDArray[np.int8]:
    """For moves of image points from `before` to `after` (n × 2): +1 where the move crosses segment a–b from its
    left to its right ("in"), −1 the other way ("out"), 0 where it does not cross it."""
    side_before = side_of(a, b, before)
    side_after = side_of(a, b, after)
    switched = (side_before < 0) != (side_after < 0)
    # The crossing point must fall between a and b: the segment's ends on either side of the move.
    move = after - before
    end_a = move[:, 0] * (a[1] - before[:, 1]) - move[:, 1] * (a[0] - before[:, 0])
    end_b = move[:, 0] * (b[1] - before[:, 1]) - move[:, 1] * (b[0] - before[:, 0])
    between = np.sign(end_a) != np.sign(end_b)
    valid = np.isfinite(before).all(axis=1) & np.isfinite(after).all(axis=1)
    crossed = switched & between & valid
    direction = np.where(side_after >= 0, 1, -1)
    return np.asarray(np.where(crossed, direction, 0), dtype=np.int8)
