"""Foreground blobs to boxes: a person when the blob's size and shape fit a person standing at its row, several
people when it is a group or a crowd (split by area), an object otherwise."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from beffroi.video.detections import OBJECT, PERSON, Box
from beffroi.video.detectors.masks import Blob
from beffroi.video.detectors.registry import PersonSize


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
    min_area_ratio: float = 0.04
    person_fill: float = 0.6
    crowd_fill: float = 0.47


def classify(blob: Blob, rules: BlobRules, person_size: PersonSize | None) -> list[Shape]:
    """What a blob is: one person, several (a group split by area), one object, or nothing (noise)."""
    if person_size is None:
        aspect = blob.h / max(blob.w, 1)
        low, high = rules.person_aspect
        is_person = blob.h >= rules.min_person_height and low <= aspect <= high
        return [Shape(blob.box, PERSON if is_person else OBJECT, 0.4 if is_person else 0.3)]
    width, height = person_size(float(blob.y + blob.h))
    if width <= 0 or height <= 0:
        return [Shape(blob.box, OBJECT, 0.3)]
    one_person = width * height * rules.person_fill
    if blob.pixels < rules.min_area_ratio * width * height:
        return []
    if blob.h < rules.min_height_ratio * height:
        return [Shape(blob.box, OBJECT, 0.3)]
    if blob.pixels < 1.5 * one_person and blob.w < 1.6 * width and blob.h < 1.7 * height:
        fit = min(blob.h / height, height / blob.h)
        return [Shape(blob.box, PERSON, round(0.3 + 0.3 * fit, 3))]
    return split_people(blob, rules, person_size)


def split_people(blob: Blob, rules: BlobRules, person_size: PersonSize) -> list[Shape]:
    """A group or a crowd cut into people: in bands one person tall from the bottom of the blob up, the blob's
    people (its area over a person's, `crowd_fill` when several rows deep hide each other) shared among the bands
    by their areas, each band cut into slices of equal foreground area, one per person."""
    bands: list[tuple[int, int, float]] = []
    bottom = blob.h
    while bottom > 0:
        width, height = person_size(float(blob.y + bottom))
        top = max(0, round(bottom - height))
        if top > 0 and person_size(float(blob.y + top))[1] * 0.5 > top:
            top = 0  # what is left above is too short for a row of people: it belongs to this band
        bands.append((top, bottom, max(width * height, 1.0)))
        bottom = top
    deep = blob.h > 1.2 * person_size(float(blob.y + blob.h))[1]  # more than one row of people
    fill = rules.crowd_fill if deep else rules.person_fill
    masks = [blob.mask[top:bottom] > 0 for top, bottom, _ in bands]
    shares = [int(mask.sum()) / (area * fill) for mask, (_, _, area) in zip(masks, bands, strict=True)]
    shapes: list[Shape] = []
    for mask, (top, _, _), people in zip(masks, bands, share_out(shares), strict=True):
        if people >= 1:
            shapes += _slices(mask, people, blob.x, blob.y + top)
    return shapes


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
            shapes.append(Shape(box, PERSON, 0.3))
    return shapes
