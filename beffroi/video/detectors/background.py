"""Two backgrounds of one camera, to tell what moves from what arrived and stayed (a dropped bag).

The fast background follows the scene within seconds, the slow one within minutes and never learns under what
moves. A pixel far from both is moving foreground; far from the slow one only is static foreground (something
that stopped: it stays so for minutes, until the slow background learns it too); far from the fast one only is
ground that was revealed, not foreground. A static blob whose edges are in the slow background rather than in
the frame is a ghost (what stood there at start-up and left) and is learnt at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from beffroi.video.detectors.masks import Mask, as_uint8, find_blobs
from beffroi.video.frames import Image

GLOBAL_CHANGE_FRACTION = 0.35
"""Static foreground over this fraction of the frame is a change of light, not objects: the slow background is
reset (what stood still in it, a dropped bag, is forgotten)."""
SUDDEN_CHANGE_FRACTION = 0.6
"""Moving foreground over this fraction of the frame is the light switched or the camera moved: both backgrounds
restart from the frame."""

LIGHT_GRID = 12
"""The light's change is measured on every 12th pixel of every 12th row."""
LIGHT_MIN_LEVEL = 16.0
"""Pixels darker than this in the background say nothing about the light."""
LIGHT_MIN_SAMPLES = 64
LIGHT_MIN_CHANGE = 0.01
"""A change of light under 1 % is left to the backgrounds' own learning."""


@dataclass(frozen=True, slots=True)
class Foreground:
    """The cleaned-up masks of one frame: what moves, and what arrived and stayed."""

    moving: Mask
    static: Mask


class DualBackground:
    """The fast and slow backgrounds of one camera fed with frames (BGR or grey) at `fps`: `fast_s` and `slow_s`
    are their time constants in seconds, `threshold` the difference (in any colour channel) that is foreground.
    Once warm, the slow background and the ghost check are updated once a second, not every frame."""

    def __init__(self, fps: float, fast_s: float = 4.0, slow_s: float = 300.0, threshold: int = 25) -> None:
        self.fast_alpha = min(1.0, 1.0 / (fast_s * fps))
        self.slow_every = max(1, round(fps))
        self.slow_alpha = min(1.0, self.slow_every / (slow_s * fps))
        self.threshold = threshold
        self.frames = 0
        self._fast: npt.NDArray[np.float32] | None = None
        self._slow: npt.NDArray[np.float32] | None = None
        self._slow_u8: Image | None = None
        self._open = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        self._close = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 9))

    @property
    def warming_up(self) -> bool:
        """True while the fast background has seen too few frames to be trusted."""
        return self.frames < 1.0 / self.fast_alpha

    def apply(self, image: Image) -> Foreground:
        """Update both backgrounds with a frame and return its foreground."""
        frame = image.astype(np.float32)
        if self._fast is None or self._slow is None or self._fast.shape != frame.shape:
            self._fast, self._slow, self._slow_u8 = frame.copy(), frame.copy(), image.copy()
            self.frames = 1
            empty = np.zeros(image.shape[:2], dtype=np.uint8)
            return Foreground(empty, empty)
        self.frames += 1
        self._follow_light(frame)
        far_fast = self._far(image, as_uint8(cv2.convertScaleAbs(self._fast)))
        far_slow = self._far(image, self._slow_u8 if self._slow_u8 is not None else image)
        moving = as_uint8(cv2.bitwise_and(far_fast, far_slow))
        if cv2.countNonZero(moving) > SUDDEN_CHANGE_FRACTION * moving.size:
            self._fast, self._slow, self._slow_u8 = frame.copy(), frame.copy(), image.copy()
            empty = np.zeros(image.shape[:2], dtype=np.uint8)
            return Foreground(empty, empty)
        static = as_uint8(cv2.bitwise_and(far_slow, cv2.bitwise_not(far_fast)))
        # Both start from the first frame and are the running mean of what they see (the slow one leaving out
        # what moves) until the fast one is warm, so what stood there at start fades; ghosts left go at the check.
        warm = 1.0 / self.frames if self.warming_up else 0.0
        cv2.accumulateWeighted(frame, self._fast, max(self.fast_alpha, warm))
        checking = self.warming_up or self.frames % self.slow_every == 0
        if checking:
            alpha = max(self.slow_alpha, warm)
            cv2.accumulateWeighted(frame, self._slow, alpha, mask=cv2.bitwise_not(moving))
        moving = self._clean(moving)
        static = self._clean(static)
        if cv2.countNonZero(static) > GLOBAL_CHANGE_FRACTION * static.size:
            self._slow = self._fast.copy()
            checking = True
            static = np.zeros_like(static)
        elif self.warming_up:
            static = np.zeros_like(static)
        if checking:
            self._slow_u8 = as_uint8(cv2.convertScaleAbs(self._slow))
            if not self.warming_up:
                static = self._drop_ghosts(image, static)
        return Foreground(moving, static)

    def _follow_light(self, frame: npt.NDArray[np.float32]) -> None:
        """Scale each background by the change of light since it was learnt (the median ratio of the frame to it
        on a sparse grid, what moves or stands out being too few to bend a median): a cloud or the camera's
        exposure changes no foreground, and a bag on the floor stays found through it."""
        assert self._fast is not None and self._slow is not None
        sample = frame[::LIGHT_GRID, ::LIGHT_GRID]
        for which in ("fast", "slow"):
            background = self._fast if which == "fast" else self._slow
            reference = background[::LIGHT_GRID, ::LIGHT_GRID]
            lit = reference > LIGHT_MIN_LEVEL
            if np.count_nonzero(lit) < LIGHT_MIN_SAMPLES:
                continue
            gain = float(np.median(sample[lit] / reference[lit]))
            if abs(gain - 1.0) < LIGHT_MIN_CHANGE:
                continue
            background *= np.float32(gain)
            if which == "slow":
                self._slow_u8 = as_uint8(cv2.convertScaleAbs(self._slow))

    def _drop_ghosts(self, image: Image, static: Mask) -> Mask:
        """The static mask less its ghosts, which the slow background learns at once."""
        for blob in find_blobs(static, 1):
            if self.is_ghost(image, blob.mask, blob.x, blob.y):
                self.forget(image, blob.mask, blob.x, blob.y)
                region = static[blob.y : blob.y + blob.h, blob.x : blob.x + blob.w]
                region[blob.mask > 0] = 0
        return static

    def forget(self, image: Image, mask: Mask, x: int, y: int) -> None:
        """Make the slow background learn the frame at once under a blob (its `mask` placed at `x`, `y`)."""
        if self._slow is not None:
            h, w = mask.shape
            where = mask > 0 if image.ndim == 2 else (mask > 0)[:, :, None]
            np.copyto(self._slow[y : y + h, x : x + w], image[y : y + h, x : x + w].astype(np.float32), where=where)
            if self._slow_u8 is not None:
                np.copyto(self._slow_u8[y : y + h, x : x + w], image[y : y + h, x : x + w], where=where)

    def is_ghost(self, image: Image, mask: Mask, x: int, y: int) -> bool:
        """True when the edges around a static blob (its `mask` placed at `x`, `y`) are stronger in the slow
        background than in the frame: what stood there has left, the blob is the hole it left behind."""
        if self._slow is None:
            return False
        h, w = mask.shape
        x1, y1 = max(0, x - 2), max(0, y - 2)
        x2, y2 = min(image.shape[1], x + w + 2), min(image.shape[0], y + h + 2)
        local = np.zeros((y2 - y1, x2 - x1), dtype=np.uint8)
        local[y - y1 : y - y1 + h, x - x1 : x - x1 + w] = mask
        ring = as_uint8(cv2.subtract(cv2.dilate(local, self._open), cv2.erode(local, self._open)))
        ys, xs = slice(y1, y2), slice(x1, x2)
        if cv2.countNonZero(ring) == 0:
            return False
        now = _edge_strength(image[ys, xs].astype(np.float32), ring)
        before = _edge_strength(self._slow[ys, xs], ring)
        return now < 0.6 * before

    def _far(self, image: Image, background: Image) -> Mask:
        difference = cv2.absdiff(image, background)
        _, mask = cv2.threshold(difference, self.threshold, 255, cv2.THRESH_BINARY)
        if mask.ndim == 3:  # far in any channel: the grey of a pixel with any channel at 255 is not 0
            _, mask = cv2.threshold(cv2.cvtColor(mask, cv2.COLOR_BGR2GRAY), 0, 255, cv2.THRESH_BINARY)
        return as_uint8(mask)

    def _clean(self, mask: Mask) -> Mask:
        opened = cv2.morphologyEx(mask, cv2.MORPH_OPEN, self._open)
        return as_uint8(cv2.morphologyEx(opened, cv2.MORPH_CLOSE, self._close))


def _edge_strength(image: npt.NDArray[np.float32], ring: Mask) -> float:
    gx = cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3)
    channels = 1 if image.ndim == 2 else image.shape[2]
    return float(sum(cv2.mean(cv2.magnitude(gx, gy), mask=ring)[:channels]))
