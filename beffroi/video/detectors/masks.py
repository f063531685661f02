"""Foreground masks and the blobs (connected regions) in them."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from beffroi.video.detections import Box

Mask = npt.NDArray[np.uint8]
"""0 or 255 per pixel."""


def as_uint8(image: object) -> Mask:
    """An OpenCV result as a typed 8-bit array (no copy)."""
    return np.asarray(image, dtype=np.uint8)


@dataclass(frozen=True, slots=True)
class Blob:
    """One connected foreground region: its bounding box (x, y, w, h), its pixel count and its own mask cut to
    the box."""

    x: int
    y: int
    w: int
    h: int
    pixels: int
    mask: Mask

    @property
    def box(self) -> Box:
        return Box(float(self.x), float(self.y), float(self.x + self.w), float(self.y + self.h))


def find_blobs(mask: Mask, min_pixels: int) -> list[Blob]:
    """The connected regions (outer outlines; holes count as theirs) of a mask with at least `min_pixels`
    foreground pixels."""
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    blobs = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if w * h < min_pixels:
            continue
        own = np.zeros((h, w), dtype=np.uint8)
        cv2.drawContours(own, [contour], -1, 255, thickness=cv2.FILLED, offset=(-x, -y))
        own = as_uint8(cv2.bitwise_and(own, mask[y : y + h, x : x + w]))
        pixels = cv2.countNonZero(own)
        if pixels >= min_pixels:
            blobs.append(Blob(x, y, w, h, pixels, own))
    return blobs
