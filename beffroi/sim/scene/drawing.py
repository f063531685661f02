"""What is drawn on a frame of a synthetic scene, placed by the camera: people (head, torso, swinging arms and legs,
falling forward), objects on the ground or in a hand, and static fixtures (pillars, bins, posts). Each placed thing
knows its depth (to draw far to near), its box in pixels and the part of it that hides what stands behind."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from beffroi.sim.scene.camera import PinholeCamera
from beffroi.sim.scene.motion import BGR, RUNNING, WALKING, Person, Prop
from beffroi.sim.scene.places import GroundXY

Box = tuple[float, float, float, float]
"""x1, y1, x2, y2 in pixels."""
Image = npt.NDArray[np.uint8]
SHIFT = 4
SCALE = 1 << SHIFT
AA = cv2.LINE_AA

# Body points, by index: height and width fractions, and how far ahead (width fraction) of the body's axis; the
# gait's swing is added along the heading. Points 15-18 are the back of the torso (it has some depth).
HEAD, HEAD_TOP, SHOULDER_L, SHOULDER_R, HIP_R, HIP_L, LEG_L, LEG_R, FOOT_L, FOOT_R = range(10)
ARM_L, ARM_R, HAND_L, HAND_R, TORSO = range(10, 15)
TORSO_OUTLINE = [SHOULDER_L, SHOULDER_R, HIP_R, HIP_L, 15, 16, 17, 18]
_UP = np.array([0.0, 1.0, 0.81, 0.81, 0.50, 0.50, 0.49, 0.49, 0.0, 0.0, 0.79, 0.79, 0.45, 0.45, 0.65])
_SIDE = np.array([0.0, 0.0, -0.5, 0.5, 0.38, -0.38, -0.2, 0.2, -0.17, 0.17, -0.44, 0.44, -0.5, 0.5, 0.0])
_AHEAD = np.zeros(15)
_AHEAD[[SHOULDER_L, SHOULDER_R, HIP_R, HIP_L]] = 0.22
_UP = np.concatenate([_UP, _UP[[SHOULDER_L, SHOULDER_R, HIP_R, HIP_L]]])
_SIDE = np.concatenate([_SIDE, _SIDE[[SHOULDER_L, SHOULDER_R, HIP_R, HIP_L]]])
_AHEAD = np.concatenate([_AHEAD, -_AHEAD[[SHOULDER_L, SHOULDER_R, HIP_R, HIP_L]]])
_FOOT_SWING = np.zeros(len(_UP))
_FOOT_SWING[[FOOT_L, FOOT_R, HAND_L, HAND_R]] = (1.0, -1.0, -0.7, 0.7)
HEAD_RADIUS = 0.068
"""Head radius as a fraction of the person's height."""


@dataclass(slots=True)
class PlacedPerson:
    """A person placed on one frame: body points in pixels, scale (pixels per metre), depth (of the body's middle
    brought down to the ground: what orders the drawing) and box."""

    person: Person
    points: npt.NDArray[np.float64]
    ppm: float
    depth: float
    box: Box
    carried: Prop | None

    @property
    def core(self) -> Box:
        """The part of the box the body fills well enough to hide what is behind."""
        return _shrink(self.box, 0.7, 0.92)

    def draw(self, image: Image) -> None:
        """Draw the figure: legs, torso, arms, head."""
        look, person = self.person.look, self.person
        fixed = np.round(self.points * SCALE).astype(np.int32)
        p = [tuple(point) for point in fixed.tolist()]
        leg = max(1, round(0.3 * person.width_m * self.ppm))
        arm = max(1, round(0.17 * person.width_m * self.ppm))
        cv2.line(image, p[LEG_L], p[FOOT_L], look.bottom, leg, AA, SHIFT)
        cv2.line(image, p[LEG_R], p[FOOT_R], look.bottom, leg, AA, SHIFT)
        cv2.fillConvexPoly(image, cv2.convexHull(fixed[TORSO_OUTLINE]), look.top, AA, SHIFT)
        hand = arm * SCALE // 2
        for root, end in ((ARM_L, HAND_L), (ARM_R, HAND_R)):
            cv2.line(image, p[root], p[end], look.top, arm, AA, SHIFT)
            cv2.circle(image, p[end], hand, look.skin, -1, AA, SHIFT)
        radius = HEAD_RADIUS * person.height_m * self.ppm * SCALE
        offset = 0.25 * (fixed[HEAD] - fixed[HEAD_TOP])
        hair = fixed[HEAD] - 0.3 * offset
        face = fixed[HEAD] + offset
        cv2.circle(image, (int(hair[0]), int(hair[1])), round(radius), look.hair, -1, AA, SHIFT)
        cv2.circle(image, (int(face[0]), int(face[1])), round(radius * 0.8), look.skin, -1, AA, SHIFT)
        if self.carried is not None:
            length, _, height = self.carried.size_m
            half = np.array([0.5 * length, 0.5 * height]) * self.ppm
            centre = self.points[HAND_R] + (0.0, half[1] * 0.8)
            corners = centre + half * np.array([(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)])
            cv2.fillConvexPoly(image, np.round(corners * SCALE).astype(np.int32), self.carried.colour, AA, SHIFT)


def place_people(
    camera: PinholeCamera,
    people: list[Person],
    carried: list[Prop | None],
    xy: npt.NDArray[np.float64],
    heading: npt.NDArray[np.float64],
    distance: npt.NDArray[np.float64],
    mode: npt.NDArray[np.int8],
    fall: npt.NDArray[np.float64],
) -> list[PlacedPerson]:
    """Place people (their states given as arrays, one row each) on the image."""
    if not people:
        return []
    height = np.array([person.height_m for person in people])
    width = np.array([person.width_m for person in people])
    running = mode == RUNNING
    moving = (mode == WALKING) | running
    stride = np.where(running, 1.4, 0.8) * height
    phase = 2 * math.pi * distance / stride
    swing = np.where(moving, np.where(running, 0.27, 0.17) * height, 0.0) * np.sin(phase)
    lift = np.where(running, 0.09, 0.025) * height * moving
    tilt = fall * (math.pi / 2) + np.where(running, 0.18, 0.0)
    forward = np.stack([np.cos(heading), np.sin(heading), np.zeros_like(heading)], axis=1)
    right = np.stack([np.sin(heading), -np.cos(heading), np.zeros_like(heading)], axis=1)
    z = np.array([0.0, 0.0, 1.0])
    up_axis = np.cos(tilt)[:, None] * z + np.sin(tilt)[:, None] * forward
    along = height[:, None] * _UP[None, :]
    along[:, HEAD] = height * (1 - HEAD_RADIUS)
    along[:, FOOT_L] = lift * np.maximum(np.sin(phase), 0)
    along[:, FOOT_R] = lift * np.maximum(-np.sin(phase), 0)
    across = width[:, None] * _SIDE[None, :]
    ahead = swing[:, None] * _FOOT_SWING[None, :] + width[:, None] * _AHEAD[None, :]
    base = np.column_stack([xy, 0.12 * fall * height / 1.72])
    world = (
        base[:, None, :]
        + along[..., None] * up_axis[:, None, :]
        + across[..., None] * right[:, None, :]
        + ahead[..., None] * forward[:, None, :]
    )
    pixels = camera.project(world)
    ppm = camera.pixels_per_metre(world[:, TORSO])
    on_ground = world[:, TORSO].copy()
    on_ground[:, 2] = 0.0
    depth = camera.depth(on_ground)
    radius = HEAD_RADIUS * height * ppm
    limb = 0.15 * width * ppm
    low = np.minimum(pixels.min(axis=1) - limb[:, None], pixels[:, HEAD] - radius[:, None])
    high = np.maximum(pixels.max(axis=1) + limb[:, None], pixels[:, HEAD] + radius[:, None])
    placed = []
    for index, person in enumerate(people):
        box = (float(low[index, 0]), float(low[index, 1]), float(high[index, 0]), float(high[index, 1]))
        holding = carried[index] if fall[index] == 0 else None
        placed.append(PlacedPerson(person, pixels[index], float(ppm[index]), float(depth[index]), box, holding))
    return placed


@dataclass(slots=True)
class PlacedBlock:
    """A box-shaped thing standing on the ground (a dropped bag or box, a bin, a post), placed on the image."""

    top: npt.NDArray[np.float64]
    hull: npt.NDArray[np.int32]
    depth: float
    box: Box
    colour: BGR

    @property
    def core(self) -> Box:
        """The part of the box the thing fills (all of it)."""
        return self.box

    def draw(self, image: Image) -> None:
        """Draw the block: its silhouette, then its lit top."""
        cv2.fillConvexPoly(image, self.hull, self.colour, AA, SHIFT)
        lighter = tuple(min(255, round(channel * 1.35 + 12)) for channel in self.colour)
        cv2.fillConvexPoly(image, np.round(self.top * SCALE).astype(np.int32), lighter, AA, SHIFT)


def place_block(
    camera: PinholeCamera, centre: GroundXY, size_m: tuple[float, float, float], angle: float, colour: BGR
) -> PlacedBlock:
    """A block of `size_m` (length, width, height) standing at `centre`, turned by `angle` radians."""
    length, width, height = size_m
    along = np.array([math.cos(angle), math.sin(angle), 0.0]) * length / 2
    across = np.array([-math.sin(angle), math.cos(angle), 0.0]) * width / 2
    middle = np.array([centre[0], centre[1], 0.0])
    bottom = np.array([middle + sa * along + sb * across for sa, sb in ((-1, -1), (1, -1), (1, 1), (-1, 1))])
    top = bottom + np.array([0.0, 0.0, height])
    pixels = camera.project(np.vstack([bottom, top]))
    hull = np.asarray(cv2.convexHull(np.round(pixels * SCALE).astype(np.int32)), dtype=np.int32)
    low, high = pixels.min(axis=0), pixels.max(axis=0)
    box = (float(low[0]), float(low[1]), float(high[0]), float(high[1]))
    return PlacedBlock(pixels[4:], hull, float(camera.depth(middle)), box, colour)


FixtureKind = Literal["pillar", "bin", "post", "bench"]


@dataclass(frozen=True, slots=True)
class Fixture:
    """Static scenery on the ground: a round pillar (`size_m[0]` its diameter), a bin, a post or a bench
    (length, width, height)."""

    kind: FixtureKind
    ground: GroundXY
    size_m: tuple[float, float, float]
    colour: BGR


@dataclass(slots=True)
class PlacedPillar:
    """A round pillar placed on the image: a shaded upright band facing the camera."""

    left: npt.NDArray[np.int32]
    right: npt.NDArray[np.int32]
    depth: float
    box: Box
    colour: BGR

    @property
    def core(self) -> Box:
        """The pillar hides everything behind its band."""
        return self.box

    def draw(self, image: Image) -> None:
        """Draw the pillar's lit and shaded halves."""
        shade = tuple(round(channel * 0.72) for channel in self.colour)
        cv2.fillConvexPoly(image, self.left, self.colour, AA, SHIFT)
        cv2.fillConvexPoly(image, self.right, shade, AA, SHIFT)


def place_fixture(camera: PinholeCamera, fixture: Fixture) -> PlacedPillar | PlacedBlock:
    """Place a fixture on the image (once: fixtures do not move)."""
    if fixture.kind != "pillar":
        return place_block(camera, fixture.ground, fixture.size_m, 0.0, fixture.colour)
    x, y = fixture.ground
    radius, height = fixture.size_m[0] / 2, fixture.size_m[2]
    norm = math.hypot(x, y)
    side = np.array([y / norm, -x / norm, 0.0]) * radius
    foot = np.array([x, y, 0.0])
    up = np.array([0.0, 0.0, height])
    corners = camera.project(np.array([foot - side, foot, foot + side, foot - side + up, foot + up, foot + side + up]))
    fixed = np.round(corners * SCALE).astype(np.int32)
    left = fixed[[0, 1, 4, 3]]
    right = fixed[[1, 2, 5, 4]]
    low, high = corners.min(axis=0), corners.max(axis=0)
    box = (float(low[0]), float(low[1]), float(high[0]), float(high[1]))
    return PlacedPillar(left, right, float(camera.depth(foot)), box, fixture.colour)


def _shrink(box: Box, width_factor: float, height_factor: float) -> Box:
    x1, y1, x2, y2 = box
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    hw, hh = (x2 - x1) * width_factor / 2, (y2 - y1) * height_factor / 2
    return (cx - hw, cy - hh, cx + hw, cy + hh)
