"""The detector that needs no model file: foreground blobs from two backgrounds that follow the light (people by
size and shape at their row, groups split by area or along who stands there, objects that arrived and stayed) and
OpenCV's HOG people detector on the tall ones. Its detections are marked low-confidence: it guesses from shapes,
it does not recognise anything; its scores rank its guesses (a person-shaped blob 0.5–0.8, HOG's people above),
on the usual scale of a tracker's thresholds."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from beffroi.video.camera import AnalysisConfig
from beffroi.video.detections import PERSON, Box, Detection
from beffroi.video.detectors.background import DualBackground
from beffroi.video.detectors.blobs import BlobRules, Shape, classify, follow
from beffroi.video.detectors.masks import Blob, as_uint8, find_blobs
from beffroi.video.detectors.registry import PersonSize, register_detector
from beffroi.video.frames import Image

HOG_PERSON_HEIGHT = 100
"""The height (pixels) a person is scaled to before HOG looks: its 64 × 128 window holds a person ~96 px tall."""


MIN_SHOWING = 0.5
"""A person cut by the frame's edge is reported while at least this share of them shows (a box cut shorter looks
like someone lying)."""


@dataclass(frozen=True, slots=True)
class HogSettings:
    """When HOG runs: on moving blobs at least `min_height` pixels tall (it is blind to smaller people), at most
    `max_crops` of them per frame, every `every` frames; a window scoring `hit_threshold` or more is a person."""

    min_height: float = 48.0
    max_crops: int = 2
    every: int = 1
    hit_threshold: float = 0.3


class FallbackDetector:
    """People and objects from foreground blobs, for a camera analysed at `fps` frames a second; `person_size`
    (from the camera's ground plane) makes blob classification and group splitting follow perspective. It must
    see every analysed frame: it keeps its own backgrounds. Frames wider than `work_width` are reduced for the
    blob search. `hog` None turns HOG off."""

    sees_every_frame = True

    def __init__(
        self,
        fps: float,
        person_size: PersonSize | None = None,
        rules: BlobRules | None = None,
        hog: HogSettings | None = HogSettings(),
        work_width: int = 640,
        threshold: int = 25,
        static_memory_s: float = 300.0,
        name: str = "fallback",
    ) -> None:
        self.name = name
        self.person_size = person_size
        self.rules = rules or BlobRules()
        self.hog_settings = hog
        self.work_width = work_width
        self.background = DualBackground(fps, slow_s=static_memory_s, threshold=threshold)
        self._hog: cv2.HOGDescriptor | None = None
        if hog is not None:
            self._hog = cv2.HOGDescriptor()
            self._hog.setSVMDetector(np.array(cv2.HOGDescriptor.getDefaultPeopleDetector(), dtype=np.float32))
        self._frames = 0
        self._expected: list[Box] = []
        self._size_table: tuple[tuple[float, int], list[float], list[float]] | None = None

    def detect(self, image: Image, regions: list[Box] | None = None) -> list[Detection]:
        """People and objects in the frame (low-confidence); with `regions`, moving things only where they
        overlap a region (things that stopped are reported wherever they are). Its backgrounds learn from the
        whole frame whatever the regions, and see changes a motion gate misses (a dark figure on a dark ground):
        regions only narrow what it reports."""
        self._frames += 1
        factor = min(1.0, self.work_width / image.shape[1])
        work = image
        if factor < 1.0:
            size = (round(image.shape[1] * factor), round(image.shape[0] * factor))
            work = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
        work = np.asarray(cv2.GaussianBlur(work, (3, 3), 0), dtype=np.uint8)
        foreground = self.background.apply(work)
        person_size = self._person_size_at(factor, work.shape[0])
        found: list[_Found] = []
        either = as_uint8(cv2.bitwise_or(foreground.moving, foreground.static))
        before = [_scale_box(box, factor) for box in self._expected]
        self._expected = []
        for blob in find_blobs(either, self.rules.min_pixels):
            if person_size is not None and _cut_by_bottom(blob, person_size, work.shape[0]):
                continue
            own_static = foreground.static[blob.y : blob.y + blob.h, blob.x : blob.x + blob.w]
            static = cv2.countNonZero(cv2.bitwise_and(own_static, blob.mask)) > blob.pixels / 2
            shapes = classify(blob, self.rules, person_size)
            if person_size is not None and any(shape.label == PERSON for shape in shapes):
                shapes = follow(blob, before, self.rules, person_size) or shapes
            found.append(_Found(blob.box, shapes, static).scaled(1 / factor, image.shape[1], image.shape[0]))
        if regions is not None:
            found = [f for f in found if f.static or any(_overlap(f.box, region) for region in regions)]
        hog = self.hog_settings
        if self._hog is not None and hog is not None and self._frames % hog.every == 0:
            candidates = [f for f in found if not f.static and f.box.height >= hog.min_height]
            tall = sorted(candidates, key=lambda f: -f.box.height)
            for blob_found in tall[: hog.max_crops]:
                people = self._hog_people(image, blob_found.box, hog.hit_threshold)
                if people and len(people) >= len(blob_found.shapes):
                    blob_found.shapes = people
        return [
            Detection(shape.box, shape.score, shape.label, low_confidence=True)
            for blob_found in found
            for shape in blob_found.shapes
        ]

    def expect_people(self, boxes: list[Box]) -> None:
        """Where people standing still are (a tracker's): in the next frame, a blob that holds one of them and
        more is cut along them, the rest by its shape (someone who stands is not merged with who passes by)."""
        self._expected = list(boxes)

    def _person_size_at(self, factor: float, height: int) -> PersonSize | None:
        """The camera's person size for the work frame (`factor` × the frame, `height` rows), from a table of
        every row down to twice the frame's height (feet hidden below it), rows between interpolated."""
        if self.person_size is None:
            return None
        if self._size_table is None or self._size_table[0] != (factor, height):
            person_size = self.person_size
            rows = np.arange(2 * height + 1, dtype=np.float64)
            sizes = np.array([person_size(row / factor) for row in rows], dtype=np.float64) * factor
            self._size_table = ((factor, height), sizes[:, 0].tolist(), sizes[:, 1].tolist())
        _, widths, heights = self._size_table
        last = len(widths) - 1

        def size(row: float) -> tuple[float, float]:
            at = min(max(row, 0.0), float(last))
            below = min(int(at), last - 1)
            part = at - below
            return (
                widths[below] + part * (widths[below + 1] - widths[below]),
                heights[below] + part * (heights[below + 1] - heights[below]),
            )

        return size

    def _hog_people(self, image: Image, region: Box, hit_threshold: float) -> list[Shape]:
        """The people HOG finds around a region, the crop scaled so that a person as tall as the region is as
        tall as HOG's people."""
        assert self._hog is not None
        margin = round(region.height * 0.3)
        height, width = image.shape[:2]
        x1, y1 = round(region.x1) - margin, round(region.y1) - margin
        x2, y2 = round(region.x2) + margin, round(region.y2) + margin
        part = image[max(0, y1) : min(height, y2), max(0, x1) : min(width, x2)]
        # A person at the frame's edge stays centred: the crop is completed by repeating the edge.
        part = as_uint8(
            cv2.copyMakeBorder(
                part, max(0, -y1), max(0, y2 - height), max(0, -x1), max(0, x2 - width), cv2.BORDER_REPLICATE
            )
        )
        scale = HOG_PERSON_HEIGHT / max(region.height, 1.0)
        crop = cv2.resize(part, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        if crop.shape[0] < 128 or crop.shape[1] < 64:
            return []
        # No grouping by OpenCV (it needs several hits per person, which a small crop does not give): own NMS.
        rects, weights = self._hog.detectMultiScale(
            crop, hitThreshold=hit_threshold, winStride=(8, 8), padding=(8, 8), scale=1.1, groupThreshold=0
        )
        people = []
        for (rx, ry, rw, rh), weight in zip(rects, np.ravel(weights), strict=True):
            # HOG's window holds a person in its middle half across and three quarters down
            box = Box(
                max(0.0, x1 + (rx + 0.25 * rw) / scale),
                max(0.0, y1 + (ry + 0.125 * rh) / scale),
                min(float(width), x1 + (rx + 0.75 * rw) / scale),
                min(float(height), y1 + (ry + 0.875 * rh) / scale),
            )
            people.append(Shape(box, PERSON, round(float(0.8 + 0.15 * np.tanh(weight)), 3)))
        return _suppress(people)


@dataclass(slots=True)
class _Found:
    """A blob's box, what it was taken for, and whether it stands still (mostly static foreground)."""

    box: Box
    shapes: list[Shape]
    static: bool

    def scaled(self, factor: float, width: int, height: int) -> _Found:
        """In pixels of the frame (the work frame's over `factor`), boxes cut to its `width` × `height`; a person
        of whom less than half shows above the frame's bottom edge (leaving, or too near) is left out."""
        shapes = []
        for shape in self.shapes:
            whole = _scale_box(shape.box, factor)
            box = _inside(whole, width, height)
            if shape.label == PERSON and box.height < MIN_SHOWING * whole.height:
                continue
            shapes.append(Shape(box, shape.label, shape.score))
        return _Found(_scale_box(self.box, factor), shapes, self.static)


def _suppress(shapes: list[Shape], iou: float = 0.3) -> list[Shape]:
    kept: list[Shape] = []
    for shape in sorted(shapes, key=lambda s: -s.score):
        if all(shape.box.iou(other.box) <= iou for other in kept):
            kept.append(shape)
    return kept


def _scale_box(box: Box, factor: float) -> Box:
    if factor == 1.0:
        return box
    return Box(box.x1 * factor, box.y1 * factor, box.x2 * factor, box.y2 * factor)


def _inside(box: Box, width: int, height: int) -> Box:
    """The box cut to the frame (a person whose feet are below its edge ends at the edge)."""
    return Box(max(0.0, box.x1), max(0.0, box.y1), min(float(width), box.x2), min(float(height), box.y2))


def _cut_by_bottom(blob: Blob, person_size: PersonSize, height: int) -> bool:
    """Whether a blob is someone of whom less than `MIN_SHOWING` shows above the frame's bottom edge: their feet
    are below it, and their box would look like someone lying."""
    return blob.y + blob.h >= height - 1 and blob.h < MIN_SHOWING * person_size(float(height))[1]


def _overlap(box: Box, region: Box) -> bool:
    return box.x1 < region.x2 and region.x1 < box.x2 and box.y1 < region.y2 and region.y1 < box.y2


def _from_config(config: AnalysisConfig, person_size: PersonSize | None) -> FallbackDetector:
    return FallbackDetector(config.fps, person_size)


register_detector("fallback", _from_config)
