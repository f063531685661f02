"""Foreground blobs to boxes: a person when the blob's size and shape fit a person standing at its row, several
people when it is a group or a crowd (split by area, or along people known to stand there), an object otherwise.
People's boxes reach down to their feet, hidden or not."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np

from beffroi.video.detections import OBJECT, PERSON, Box
from beffroi.video.detectors.masks import Blob, as_uint8, find_blobs
from beffroi.video.detectors.registry import PersonSize

PERSON_SCORE = 0.5
"""The score of a blob shaped like one person (up to 0.3 more as its height fits): at a tracker's usual threshold
for starting tracks (0.5), the shape being all this detector has to go on."""
GROUP_SCORE = 0.5
"""The score of one person cut out of a group."""
OBJECT_SCORE = 0.4
"""The score of a blob that is not a person: it extends tracks, it starts none (a static object is reported every
frame anyway)."""


@dataclass(frozen=True, slots=True)
class Shape:
    """What a blob is taken for: its label and box, and how sure the shape makes us (a score in [0, 1])."""

    box: Box
    label: str
    score: float


@dataclass(frozen=True, slots=True)
class BlobRules:
    """Thresholds of blob classification. `min_pixels`: smaller blobs are noise. Without a person size: a person
    is at least `min_person_height` pixels tall with a height/width ratio in `person_aspect`. With one: a blob at
    least `min_height_ratio` of a person's height is a person, or several when its pixel count is more than a
    person's (width × height × `person_fill`) by half; a blob under `min_area_ratio` of a person's area is noise.
    In a crowd several rows deep, people hide each other: a person shows `crowd_fill` of its box (0.47 fits the
    drawn crowds of the tests, about 0.78 of a lone person's; calibrate on the camera's own footage)."""

    min_pixels: int = 24
    min_person_height: float = 20.0
    person_aspect: tuple[float, float] = (1.3, 5.0)
    min_height_ratio: float = 0.55
    max_height_ratio: float = 1.3
    """A blob taller than this many person heights is several people, one behind the other."""
    min_area_ratio: float = 0.04
    person_fill: float = 0.6
    crowd_fill: float = 0.47
    min_band_ratio: float = 0.2
    """A band shorter than this fraction of a person's height holds no head: it is part of the band below."""
    upright_aspect: float = 1.2
    """A person's box at least this many times as tall as wide is upright (its feet are below its head)."""
    hidden_feet_ratio: float = 0.15
    """Feet further than this fraction of a person's height below a box are hidden: the box is lengthened."""
    follow_inside: float = 0.5
    """Someone standing with this share of their box inside a blob is one of its people."""
    follow_min_extra: float = 0.3
    """A blob holding people standing is cut along them when it has foreground for this share of a person more
    (a person's area × fill) than they are: someone or something else is in it."""
    follow_min_cover: float = 0.4
    """A person expected in a blob whose box, at best, covers less than this share of foreground not taken by
    the people in front is not there."""
    min_band_share: float = 0.35
    """A band above the front row with foreground for at least this share of a person holds someone standing
    behind the others (a head and shoulders)."""


def classify(blob: Blob, rules: BlobRules, person_size: PersonSize | None) -> list[Shape]:
    """What a blob is: one person, several (a group split by area), one object, or nothing (noise)."""
    if person_size is None:
        aspect = blob.h / max(blob.w, 1)
        low, high = rules.person_aspect
        is_person = blob.h >= rules.min_person_height and low <= aspect <= high
        return [Shape(blob.box, PERSON, PERSON_SCORE) if is_person else Shape(blob.box, OBJECT, OBJECT_SCORE)]
    width, height = person_size(float(blob.y + blob.h))
    if width <= 0 or height <= 0:
        return [Shape(blob.box, OBJECT, OBJECT_SCORE)]
    one_person = width * height * rules.person_fill
    if blob.pixels < rules.min_area_ratio * width * height:
        return []
    if blob.h < rules.min_height_ratio * height:
        return [Shape(blob.box, OBJECT, OBJECT_SCORE)]
    if blob.pixels < 1.5 * one_person and blob.w < 1.6 * width and blob.h < rules.max_height_ratio * height:
        fit = min(blob.h / height, height / blob.h)
        return [Shape(grounded(blob.box, rules, person_size), PERSON, round(PERSON_SCORE + 0.3 * fit, 3))]
    return split_people(blob, rules, person_size)


def grounded(box: Box, rules: BlobRules, person_size: PersonSize, behind: bool = False) -> Box:
    """The box of an upright person (or of one standing `behind` others) reaching down to where their feet are:
    heads show, feet do not always (hidden by someone in front, or as light as the ground), so a box whose
    bottom is well above the feet of a person whose head is at its top is lengthened to them."""
    if not behind and box.height < rules.upright_aspect * box.width:
        return box  # bending, sitting or lying: its shape is what it is
    feet = _feet_below(box.y1, person_size)
    if feet - box.y2 <= rules.hidden_feet_ratio * person_size(feet)[1]:
        return box
    return Box(box.x1, box.y1, box.x2, feet)


def split_people(blob: Blob, rules: BlobRules, person_size: PersonSize) -> list[Shape]:
    """A group or a crowd cut into people, in bands one person tall from the bottom of the blob up: the bottom band
    holds the front row, whole; a band above holds the upper parts of people standing further back, whose feet
    the people in front hide. The blob's people (its area over a person's, `crowd_fill` when several rows deep
    hide each other) are shared among the bands by their areas, a band above with at least `min_band_share` of
    a person holding one; each band is cut into slices of equal foreground area, one per person, and someone in
    a band above is boxed from the slice's top down to where the feet of a person that tall would be."""
    bands: list[tuple[int, int, float]] = []
    bottom = blob.h
    while bottom > 0:
        width, height = person_size(float(blob.y + bottom))
        top = max(0, round(bottom - height))
        if top < rules.min_band_ratio * person_size(float(blob.y + top))[1]:
            top = 0  # what is left above is too short to hold a head: it belongs to this band
        bands.append((top, bottom, max(width * height, 1.0)))
        bottom = top
    deep = blob.h > 1.2 * person_size(float(blob.y + blob.h))[1]  # more than one row of people
    fill = rules.crowd_fill if deep else rules.person_fill
    masks = [blob.mask[top:bottom] > 0 for top, bottom, _ in bands]
    shares = [int(mask.sum()) / (area * fill) for mask, (_, _, area) in zip(masks, bands, strict=True)]
    shares = [
        max(1.0, share) if index and share >= rules.min_band_share else share for index, share in enumerate(shares)
    ]
    shapes: list[Shape] = []
    for index, (mask, (top, _, _), people) in enumerate(zip(masks, bands, share_out(shares), strict=True)):
        for shape in _slices(mask, people, blob.x, blob.y + top) if people >= 1 else []:
            shapes.append(Shape(grounded(shape.box, rules, person_size, behind=index > 0), PERSON, shape.score))
    return shapes


def _feet_below(head: float, person_size: PersonSize) -> float:
    """The row of the feet of a person whose head is at row `head` (a few steps of y = head + height(y))."""
    feet = head + person_size(head)[1]
    for _ in range(3):
        feet = head + person_size(feet)[1]
    return feet


def follow(blob: Blob, standing: list[Box], rules: BlobRules, person_size: PersonSize) -> list[Shape] | None:
    """The people and things of a blob that holds people known to stand there (`standing`: their boxes, frame
    pixels): each of them placed where their box covers the most of the blob not taken by those in front, the
    least far from where they stood, and the rest of the blob (someone passing by, a bag put down) classified by
    its shape. None when no one standing is in the blob, or when it is only them: split it by its shape."""
    inside = [
        box for box in standing if _share_inside(box, blob) >= rules.follow_inside and _person_like(box, person_size)
    ]
    if not inside:
        return None
    one_person = rules.person_fill * float(np.prod(person_size(float(blob.y + blob.h))))
    if blob.pixels < (len(inside) + rules.follow_min_extra) * one_person:
        return None
    mask = (blob.mask > 0).astype(np.uint8)
    taken = np.zeros_like(mask)
    shapes = []
    for box in sorted(inside, key=lambda b: -b.y2):  # the nearest first: they hide the others
        free = cv2.integral(mask & (1 - taken))
        placed, cover = _best_place(free, box, blob, person_size)
        if cover < rules.follow_min_cover:
            continue  # not there any more
        x1, x2 = (min(max(0, round(v - blob.x)), blob.w) for v in (placed.x1, placed.x2))
        y1, y2 = (min(max(0, round(v - blob.y)), blob.h) for v in (placed.y1, placed.y2))
        taken[y1:y2, x1:x2] = 1
        shapes.append(Shape(placed, PERSON, GROUP_SCORE))
    if not shapes:
        return None
    rest = as_uint8((mask & (1 - taken)) * 255)
    for part in find_blobs(rest, rules.min_pixels):
        moved = Blob(blob.x + part.x, blob.y + part.y, part.w, part.h, part.pixels, part.mask)
        shapes += classify(moved, rules, person_size)
    return shapes


def _person_like(box: Box, person_size: PersonSize) -> bool:
    """Whether a box has about the size of a person standing at its bottom row."""
    width, height = person_size(box.y2)
    return 0.6 * height <= box.height <= 1.5 * height and box.width <= 1.8 * width


def _share_inside(box: Box, blob: Blob) -> float:
    overlap = max(0.0, min(box.x2, blob.x + blob.w) - max(box.x1, blob.x)) * max(
        0.0, min(box.y2, blob.y + blob.h) - max(box.y1, blob.y)
    )
    return overlap / box.area if box.area > 0 else 0.0


def _best_place(free: np.ndarray, box: Box, blob: Blob, person_size: PersonSize) -> tuple[Box, float]:
    """Where a person expected at `box` (frame pixels) covers the most free foreground of the blob (`free`: its
    integral image), leaves the least free foreground just under their feet, and moved the least; their box has
    the size of a person standing where it goes. The box there, and the share of it covered."""
    reach = max(1, round(0.3 * box.height))
    offsets = np.arange(-reach, reach + 1, max(1, reach // 6), dtype=np.float64)
    bottoms = box.y2 + offsets[:, None]  # one row per vertical move, one column per horizontal move
    sizes = np.array([person_size(float(row)) for row in bottoms[:, 0]])
    widths, heights = sizes[:, :1], sizes[:, 1:]
    centres = (box.x1 + box.x2) / 2 + offsets[None, :]
    x1, x2 = centres - widths / 2, centres + widths / 2
    y1, y2 = bottoms - heights, bottoms
    x1, x2, y1, y2, under = np.broadcast_arrays(x1, x2, y1, y2, bottoms + UNDER_FEET * heights)

    def free_in(left: np.ndarray, top: np.ndarray, right: np.ndarray, bottom: np.ndarray) -> np.ndarray:
        cols = [np.clip(np.round(v - blob.x).astype(np.intp), 0, blob.w) for v in (left, right)]
        rows = [np.clip(np.round(v - blob.y).astype(np.intp), 0, blob.h) for v in (top, bottom)]
        (x1, x2), (y1, y2) = cols, rows
        return np.asarray(free[y2, x2] - free[y1, x2] - free[y2, x1] + free[y1, x1], dtype=np.float64)

    area = np.maximum(widths * heights, 1.0)
    covered = free_in(x1, y1, x2, y2) / area
    below = free_in(x1, y2, x2, under) / (UNDER_FEET * area)
    moved = np.hypot(offsets[:, None], offsets[None, :]) / max(box.height, 1.0)
    best = np.unravel_index(int(np.argmax(covered - below - STAY * moved)), covered.shape)
    placed = Box(float(x1[best]), float(y1[best]), float(x2[best]), float(y2[best]))
    return placed, float(covered[best])


UNDER_FEET = 0.2
"""The strip under a person's feet (a fraction of their height) that should hold no one else."""
STAY = 2.0
"""The cost of moving someone standing by their own height, against the share of their box foreground covers:
people who stand stay put, unless the foreground says otherwise."""


def share_out(shares: list[float]) -> list[int]:
    """Whole numbers summing to the rounded total of `shares`, each as near its share as can be (largest
    remainders)."""
    total = round(sum(shares))
    floors = [int(share) for share in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: floors[i] - shares[i])
    for i in by_remainder[: max(0, total - sum(floors))]:
        floors[i] += 1
    return floors


def _slices(band: np.ndarray, people: int, x0: int, y0: int) -> list[Shape]:
    columns = np.cumsum(band.sum(axis=0))
    cuts = np.searchsorted(columns, columns[-1] * np.arange(1, people) / people, side="left")
    edges = [0, *(int(c) + 1 for c in cuts), band.shape[1]]
    shapes = []
    for left, right in itertools.pairwise(edges):
        rows = np.flatnonzero(band[:, left:right].any(axis=1))
        if right > left and rows.size:
            box = Box(float(x0 + left), float(y0 + rows[0]), float(x0 + right), float(y0 + rows[-1] + 1))
            shapes.append(Shape(box, PERSON, GROUP_SCORE))
    return shapes
