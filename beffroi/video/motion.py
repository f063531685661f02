"""The motion gate: where in a frame something moved, from a cheap difference between a small grey copy of the frame
and a running-average background (Frigate's approach), so that the detector only looks there.

Sensor noise is smoothed away by a blur of the small copy; global brightness changes (a cloud, the camera's
exposure, lights switched on) are taken out by fitting the frame's brightness to the background's (a robust linear
fit, gain and offset) before differencing, and a change too large for that (more than `lighting_shift` grey levels
of mean in one frame, or most of the frame moving) is reported as a lighting change and the background re-learned
from that frame."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, cast

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import Field

from beffroi.config_base import Section
from beffroi.video.detections import Box
from beffroi.video.frames import Image

Grey = npt.NDArray[np.float32]
Mask = npt.NDArray[np.uint8]
UnitFloat = Annotated[float, Field(ge=0.0, le=1.0)]
MaskPolygon = Annotated[list[tuple[UnitFloat, UnitFloat]], Field(min_length=3)]
"""A polygon of the image, normalised ((0, 0) top-left, (1, 1) bottom-right), whose motion is ignored."""


class MotionSettings(Section):
    """How the motion gate works; the defaults suit a 5 fps analysis."""

    height: Annotated[int, Field(ge=16, le=720)] = 120
    """How high (px) the grey copy is (never more than the frame)."""
    threshold: Annotated[float, Field(gt=0, le=255)] = 25.0
    """Grey levels a pixel must differ from the background by to count as moving."""
    learning_rate: Annotated[float, Field(gt=0, le=1)] = 0.05
    """How much of each frame goes into the background (a thing that stops joins it in about 1/rate frames)."""
    min_area: UnitFloat = 0.001
    """Smallest moving blob kept, as a fraction of the frame."""
    padding: UnitFloat = 0.03
    """Margin added around each region, as a fraction of the frame's height."""
    lighting_shift: Annotated[float, Field(gt=0)] = 12.0
    """A global brightness change of more grey levels than this in one frame is a lighting change."""
    lighting_fraction: UnitFloat = 0.6
    """More of the frame moving than this is a lighting change (or the camera moved): no regions."""
    mask: list[MaskPolygon] = Field(default_factory=list)
    """Places whose motion is ignored (trees, screens, a road outside the site)."""


@dataclass(frozen=True, slots=True)
class MotionResult:
    """What moved in a frame: `regions` (boxes in pixels of the analysed frame, padded, overlapping ones merged),
    `fraction` of the (unmasked) frame that moved, `changed_at_all` when anything beyond noise changed (regions, or a
    lighting change), and `lighting_change` when the change was global: the background was re-learned and there are
    no regions (look at the whole frame if it matters)."""

    regions: list[Box]
    fraction: float
    changed_at_all: bool
    lighting_change: bool = False
    grey: Grey | None = field(default=None, compare=False, repr=False)
    """The small, blurred grey copy of the frame the gate compared (float32), for stages that work on it too (what
    stands in the scene: `beffroi.video.presence`)."""


_KERNEL = np.ones((3, 3), np.uint8)


class MotionGate:
    """Finds the regions of each frame that moved, against a background it learns from the frames it is given
    (one gate per camera, frames in order). The first frame, and a frame of another size, start a new background."""

    def __init__(self, settings: MotionSettings | None = None) -> None:
        self.settings = settings or MotionSettings()
        self._background: Grey | None = None
        self._frame_size = (0, 0)
        self._scale = (1.0, 1.0)
        self._mask: Mask | None = None
        self._mask_pixels = 0

    def reset(self) -> None:
        """Forget the background: the next frame starts a new one."""
        self._background = None

    def update(self, image: Image) -> MotionResult:
        """The motion in `image` (BGR or grey, the analysed frame), learning it into the background."""
        small, self._scale = small_grey(image, self.settings.height)
        background = self._background
        if background is None or self._frame_size != image.shape[:2]:
            self._start(small, image.shape[:2])
            return MotionResult(regions=[], fraction=0.0, changed_at_all=False, grey=small)
        settings = self.settings
        gain, offset, shift = brightness_fit(background, small, settings.threshold)
        expected = background * np.float32(gain) + np.float32(offset)
        difference = cast(Grey, cv2.absdiff(small, expected))
        moving: Mask = (difference > np.float32(settings.threshold)).view(np.uint8)  # 1 where moving
        if self._mask is not None:
            moving = cast(Mask, cv2.bitwise_and(moving, self._mask))
        fraction = cv2.countNonZero(moving) / self._mask_pixels
        if abs(shift) > settings.lighting_shift or fraction > settings.lighting_fraction:
            self._background = small
            return MotionResult(regions=[], fraction=fraction, changed_at_all=True, lighting_change=True, grey=small)
        cv2.accumulateWeighted(small, expected, settings.learning_rate)
        self._background = expected
        if fraction == 0.0:
            return MotionResult(regions=[], fraction=0.0, changed_at_all=False, grey=small)
        regions = self._regions(moving, image.shape[1], image.shape[0])
        return MotionResult(regions=regions, fraction=fraction, changed_at_all=bool(regions), grey=small)

    def _start(self, small: Grey, frame_size: tuple[int, ...]) -> None:
        self._background = small
        self._frame_size = (frame_size[0], frame_size[1])
        small_h, small_w = small.shape
        if self.settings.mask:
            mask = np.full((small_h, small_w), 255, np.uint8)
            scale = np.array([small_w, small_h], np.float64)
            polygons = [np.round(np.array(p, np.float64) * scale).astype(np.int32) for p in self.settings.mask]
            cv2.fillPoly(mask, polygons, 0)
            self._mask = mask
            self._mask_pixels = max(1, cv2.countNonZero(mask))
        else:
            self._mask = None
            self._mask_pixels = small_h * small_w

    def _regions(self, moving: Mask, width: int, height: int) -> list[Box]:
        settings = self.settings
        grown = cv2.dilate(moving, _KERNEL, iterations=2)
        contours, _ = cv2.findContours(grown, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        min_area = settings.min_area * moving.shape[0] * moving.shape[1]
        scale_x, scale_y = self._scale
        pad = settings.padding * height
        boxes = []
        for contour in contours:
            if cv2.contourArea(contour) < min_area:
                continue
            x, y, w, h = cv2.boundingRect(contour)
            boxes.append(
                Box(
                    max(0.0, x * scale_x - pad),
                    max(0.0, y * scale_y - pad),
                    min(float(width), (x + w) * scale_x + pad),
                    min(float(height), (y + h) * scale_y + pad),
                )
            )
        return merge_overlapping(boxes)


def small_grey(image: Image, height: int) -> tuple[Grey, tuple[float, float]]:
    """A grey copy of `image` (BGR or grey) `height` rows high (never more than the image; aspect kept), blurred
    5 × 5 to take the sensor noise, as float32; and the frame's pixels per small pixel (x, y)."""
    frame_h, frame_w = image.shape[:2]
    small_h = min(frame_h, height)
    small_w = max(1, round(frame_w * small_h / frame_h))
    # bilinear, as Frigate does: ~5x cheaper than area averaging; the 5 × 5 blur takes the noise it leaves
    small = cast(Image, cv2.resize(image, (small_w, small_h), interpolation=cv2.INTER_LINEAR))
    if small.ndim == 3:
        small = cast(Image, cv2.cvtColor(small, cv2.COLOR_BGR2GRAY))
    return cv2.GaussianBlur(small, (5, 5), 0).astype(np.float32), (frame_w / small_w, frame_h / small_h)


def merge_overlapping(boxes: list[Box]) -> list[Box]:
    """The boxes with every overlapping (or touching) group replaced by its bounding box, largest first."""
    merged = list(boxes)
    changed = True
    while changed and len(merged) > 1:
        changed = False
        result: list[Box] = []
        for box in merged:
            for i, other in enumerate(result):
                if box.x1 <= other.x2 and other.x1 <= box.x2 and box.y1 <= other.y2 and other.y1 <= box.y2:
                    result[i] = Box(
                        min(box.x1, other.x1), min(box.y1, other.y1), max(box.x2, other.x2), max(box.y2, other.y2)
                    )
                    changed = True
                    break
            else:
                result.append(box)
        merged = result
    return sorted(merged, key=lambda b: b.area, reverse=True)


def brightness_fit(background: Grey, frame: Grey, threshold: float) -> tuple[float, float, float]:
    """Gain and offset mapping the background's brightness onto the frame's, fitted on a sparse grid of pixels,
    then again on the pixels the first fit explains (so that moving things do not bend it); and the change of mean
    brightness they make."""
    x = background[::4, ::4].ravel().astype(np.float64)
    y = frame[::4, ::4].ravel().astype(np.float64)
    gain, offset = _linear_fit(x, y)
    inliers = np.abs(y - (gain * x + offset)) < threshold
    if np.count_nonzero(inliers) >= max(16, x.size // 4):
        gain, offset = _linear_fit(x[inliers], y[inliers])
    mean = float(x.mean())
    return gain, offset, (gain - 1.0) * mean + offset


def _linear_fit(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> tuple[float, float]:
    mean_x, mean_y = float(x.mean()), float(y.mean())
    dx = x - mean_x
    variance = float(np.dot(dx, dx)) / x.size
    if variance < 25.0:  # a flat scene: brightness can only be an offset
        return 1.0, mean_y - mean_x
    gain = min(4.0, max(0.25, float(np.dot(dx, y - mean_y)) / x.size / variance))
    return gain, mean_y - gain * mean_x
