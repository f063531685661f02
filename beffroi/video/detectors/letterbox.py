"""Fitting an image into a model's square input without distorting it, and mapping boxes back."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from beffroi.video.frames import Image

PAD_VALUE = 114
"""The grey the padding is filled with (what YOLO models were trained with)."""

BoxArray = npt.NDArray[np.float32]
"""Boxes as an N × 4 array of (x1, y1, x2, y2)."""


@dataclass(frozen=True, slots=True)
class Letterbox:
    """How an image of `width` × `height` was placed in a `size` × `size` input: scaled by `scale`, then shifted
    right by `pad_x` and down by `pad_y` pixels."""

    size: int
    scale: float
    pad_x: int
    pad_y: int
    width: int
    height: int

    @classmethod
    def fit(cls, width: int, height: int, size: int) -> Letterbox:
        """The placement of an image of `width` × `height` in a square of `size`: as large as fits, centred."""
        scale = min(size / width, size / height)
        new_width, new_height = min(size, round(width * scale)), min(size, round(height * scale))
        return cls(size, scale, (size - new_width) // 2, (size - new_height) // 2, width, height)

    @property
    def resized(self) -> tuple[int, int]:
        """The size (width, height) of the image once scaled, before padding."""
        return min(self.size, round(self.width * self.scale)), min(self.size, round(self.height * self.scale))

    def to_image(self, boxes: BoxArray) -> BoxArray:
        """Boxes in input pixels → boxes in pixels of the original image (not clipped)."""
        offset = np.array([self.pad_x, self.pad_y, self.pad_x, self.pad_y], dtype=np.float32)
        return ((boxes - offset) / np.float32(self.scale)).astype(np.float32)

    def to_input(self, boxes: BoxArray) -> BoxArray:
        """Boxes in pixels of the original image → boxes in input pixels."""
        offset = np.array([self.pad_x, self.pad_y, self.pad_x, self.pad_y], dtype=np.float32)
        return (boxes * np.float32(self.scale) + offset).astype(np.float32)


def letterbox(image: Image, size: int, pad_value: int = PAD_VALUE) -> tuple[Image, Letterbox]:
    """The image scaled to fit a `size` × `size` square (aspect kept), centred and padded with `pad_value`, and
    the placement to map boxes back."""
    height, width = image.shape[:2]
    placement = Letterbox.fit(width, height, size)
    new_width, new_height = placement.resized
    if (new_width, new_height) != (width, height):
        interpolation = cv2.INTER_AREA if placement.scale < 1 else cv2.INTER_LINEAR
        image = np.asarray(cv2.resize(image, (new_width, new_height), interpolation=interpolation), dtype=np.uint8)
    out = np.full((size, size, *image.shape[2:]), pad_value, dtype=np.uint8)
    out[placement.pad_y : placement.pad_y + new_height, placement.pad_x : placement.pad_x + new_width] = image
    return out, placement
