"""A decoded video frame and the reasons a source gives for the frames it did not deliver."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
"""An 8-bit BGR image, height × width × 3 (OpenCV's layout), or height × width for a grey one."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame as the pipeline sees it: the image (already reduced to the analysis resolution), its time in
    seconds (the clip's own time for a file, the wall clock for a live stream), and its index in the source."""

    image: Image
    ts: float
    index: int

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])
