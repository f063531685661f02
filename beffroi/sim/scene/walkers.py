"""Building blocks of scene scripts: where people come in and go out of the picture unseen, passers-by crossing
the scene (keeping out of given zones), a crowd filling a zone, and a crowd fleeing."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from beffroi.sim.scene.camera import PinholeCamera
from beffroi.sim.scene.motion import Person, Route, random_person
from beffroi.sim.scene.places import GroundXY, inside_polygon

Side = Literal["left", "right", "near"]
TALLEST_M = 1.95


@dataclass(slots=True)
class Cast:
    """The people of a scene being scripted, numbered from 1 in the order they are added."""

    rng: np.random.Generator
    people: list[Person] = field(default_factory=list)

    def add(self, route: Route) -> Person:
        """A new person of random size and look on that route."""
        person = random_person(self.rng, len(self.people) + 1, route)
        self.people.append(person)
        return person


def hidden(camera: PinholeCamera, x: float, y: float) -> bool:
    """Whether a person standing at (x, y) is wholly out of the picture (feet and head)."""
    points = np.array([[x, y, 0.0], [x, y, TALLEST_M], [x, y, TALLEST_M / 2]])
    if (camera.depth(points) <= 0.1).any():
        return True
    pixels = camera.project(points)
    margin = 0.4 * camera.focal_px / max(float(camera.depth(points[0])), 0.1)
    outside_x = (pixels[:, 0] < -margin) | (pixels[:, 0] > camera.width + margin)
    outside_y = (pixels[:, 1] < -margin) | (pixels[:, 1] > camera.height + margin)
    return bool((outside_x | outside_y).all())


def near_y(camera: PinholeCamera) -> float:
    """A ground distance close to the camera where a person standing at x = 0 is out of the picture, below it."""
    y = float(camera.to_ground([camera.width / 2, float(camera.height)])[1])
    while y > 1.0 and not hidden(camera, 0.0, y):
        y -= 0.25
    return max(y, 1.0)


def offstage(camera: PinholeCamera, side: Side, along: float) -> GroundXY:
    """A ground point just out of the picture: on the left or right at distance `along` ahead, or near the camera
    (under the picture's bottom edge) at x = `along`."""
    if side == "near":
        y = near_y(camera)
        return (along, y)
    sign = -1.0 if side == "left" else 1.0
    x = camera.half_width_at(along) + 0.5
    while not hidden(camera, sign * x, along):
        x += 0.25
    return (sign * x, along)


def crosses(path: Sequence[GroundXY], polygons: Sequence[tuple[GroundXY, ...]], margin_m: float = 0.5) -> bool:
    """Whether a polyline on the ground passes through (or within `margin_m` of) any of the polygons."""
    if not polygons:
        return False
    points = []
    for (x0, y0), (x1, y1) in itertools.pairwise(path):
        steps = max(2, int(math.hypot(x1 - x0, y1 - y0) / 0.2))
        fractions = np.linspace(0.0, 1.0, steps)
        points.append(np.column_stack([x0 + (x1 - x0) * fractions, y0 + (y1 - y0) * fractions]))
    samples = np.vstack(points)
    offsets = np.array([(0, 0), (margin_m, 0), (-margin_m, 0), (0, margin_m), (0, -margin_m)])
    return any(inside_polygon(samples[:, None, :] + offsets[None], polygon).any() for polygon in polygons)


def passers_by(
    cast: Cast,
    camera: PinholeCamera,
    duration_s: float,
    rate_per_s: float,
    depth_m: tuple[float, float],
    avoid: Sequence[tuple[GroundXY, ...]] = (),
    speed: tuple[float, float] = (1.0, 1.5),
) -> list[Person]:
    """People walking across the picture (side to side, or between a side and the near edge) at a steady rate,
    some already under way at the start; their paths keep out of the `avoid` polygons."""
    rng = cast.rng
    count = rng.poisson(rate_per_s * (duration_s + 25.0))
    added = []
    for _ in range(count):
        for _attempt in range(20):
            path = _crossing_path(rng, camera, depth_m)
            if not crosses(path, avoid):
                break
        else:
            continue
        pace = float(rng.uniform(*speed))
        length = sum(math.dist(a, b) for a, b in itertools.pairwise(path))
        start = float(rng.uniform(-length / pace, duration_s))
        route = Route(start, path[0])
        for x, y in path[1:]:
            route.go_to(x, y, pace)
        added.append(cast.add(route))
    return added


def _crossing_path(rng: np.random.Generator, camera: PinholeCamera, depth_m: tuple[float, float]) -> list[GroundXY]:
    sides: tuple[Side, Side] = ("left", "right") if rng.random() < 0.5 else ("right", "left")
    if rng.random() < 0.25:
        sides = ("near", sides[0]) if rng.random() < 0.5 else (sides[0], "near")
    ends = []
    for side in sides:
        along = float(rng.uniform(-4.0, 4.0)) if side == "near" else float(rng.uniform(*depth_m))
        ends.append(offstage(camera, side, along))
    middle = (float(rng.uniform(-4.0, 4.0)), float(rng.uniform(*depth_m)))
    return [ends[0], middle, ends[1]]


def slots(
    rng: np.random.Generator, corner: GroundXY, size: GroundXY, count: int, margin_m: float = 0.2
) -> list[GroundXY]:
    """`count` standing places spread evenly (jittered grid) over a ground rectangle, shuffled."""
    width, depth = size[0] - 2 * margin_m, size[1] - 2 * margin_m
    columns = max(1, round(math.sqrt(count * width / depth)))
    rows = math.ceil(count / columns)
    cells = [(column, row) for row in range(rows) for column in range(columns)]
    picked = rng.permutation(len(cells))[:count]
    places = []
    for index in picked:
        column, row = cells[int(index)]
        x = corner[0] + margin_m + (column + 0.5 + rng.uniform(-0.2, 0.2)) * width / columns
        y = corner[1] + margin_m + (row + 0.5 + rng.uniform(-0.2, 0.2)) * depth / rows
        places.append((float(x), float(y)))
    return places


def flee(camera: PinholeCamera, route: Route, origin: GroundXY, speed: float, far_m: float) -> Route:
    """Run straight away from `origin` until out of the picture (the route then ends)."""
    x, y = route.position
    dx, dy = x - origin[0], y - origin[1]
    norm = math.hypot(dx, dy) or 1.0
    dx, dy = dx / norm, dy / norm
    floor = near_y(camera)
    for step in range(1, 200):
        tx, ty = x + dx * step * 0.5, y + dy * step * 0.5
        if ty < floor or ty > far_m - 1.0:
            ty = min(max(ty, floor), far_m - 1.0)
            side: Side = "left" if tx < 0 else "right"
            if not hidden(camera, tx, ty):
                exit_x, exit_y = offstage(camera, side, max(ty, floor + 0.5))
                route.go_to(tx, ty, speed)
                return route.go_to(exit_x, exit_y, speed)
        if hidden(camera, tx, ty):
            return route.go_to(tx, ty, speed)
    return route
