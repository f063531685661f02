"""What stands in the scene: the pixels of a small grey copy of each frame that differ from the empty scene, for
estimating how many people fill a zone where they are too packed to be told apart (`beffroi.video.occupancy`).

The motion gate's background follows the scene within seconds, so a standing crowd joins it; this one learns the
empty scene slowly and only where nothing stands (a selective update): what stands still for minutes, a queue or a
packed crowd, stays present. Under what stands it still learns, far more slowly, so that something left for good
fades in the end. Global changes of light (a cloud, the camera's exposure) are taken out by fitting the frame's
brightness to the background's (gain and offset) first, as the motion gate does. The first `warm_frames` frames
build the background as their running mean, so that whoever passes at start-up fades out of it. It works on the
grey frame the motion gate already makes, whatever the detector (the ONNX one keeps no background).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from beffroi.video.motion import Grey, brightness_fit

PresenceMask = npt.NDArray[np.uint8]
"""1 where something stands out from the empty scene, 0 elsewhere, on the small grey frame."""


@dataclass(frozen=True, slots=True)
class Presence:
    """The presence mask of one frame, on a small copy of the analysed frame of `frame_size` (width, height)."""

    mask: PresenceMask
    frame_size: tuple[int, int]


@dataclass(frozen=True, slots=True)
class PresenceSettings:
    """How the empty scene is learnt, per analysed frame: `threshold` grey levels from it is present; where nothing
    is present it learns at `empty_rate`, under what is present at `present_rate` (a crowd standing a minute at
    5 fps leaves ~15 % of its difference in the background at the default); the first `warm_frames` frames are
    averaged."""

    threshold: float = 15.0
    empty_rate: float = 0.01
    present_rate: float = 0.0005
    warm_frames: int = 25

    def __post_init__(self) -> None:
        problems = []
        if not 0 < self.threshold <= 255:
            problems.append(f"threshold must be in (0, 255], got {self.threshold}")
        for name in ("empty_rate", "present_rate"):
            rate = getattr(self, name)
            if not 0 <= rate <= 1:
                problems.append(f"{name} must be in [0, 1], got {rate}")
        if self.warm_frames < 1:
            problems.append(f"warm_frames must be at least 1, got {self.warm_frames}")
        if problems:
            raise ValueError("; ".join(problems))


class PresenceBackground:
    """The empty scene of one camera, learnt from its small grey frames in order; a frame of another size starts
    a new one."""

    def __init__(self, settings: PresenceSettings | None = None) -> None:
        self.settings = settings or PresenceSettings()
        self._background: Grey | None = None
        self._frames = 0

    @property
    def warming_up(self) -> bool:
        """True while the background has seen fewer than `warm_frames` frames (nothing is reported present)."""
        return self._frames < self.settings.warm_frames

    def update(self, grey: Grey) -> PresenceMask:
        """The presence mask of a small grey frame (float32, as the motion gate makes it), learning the frame."""
        settings = self.settings
        background = self._background
        if background is None or background.shape != grey.shape:
            self._background = grey.copy()
            self._frames = 1
            return np.zeros(grey.shape, dtype=np.uint8)
        self._frames += 1
        gain, offset, _ = brightness_fit(background, grey, settings.threshold)
        background = background * np.float32(gain) + np.float32(offset)
        difference = np.abs(grey - background)
        present = difference > np.float32(settings.threshold)
        if self.warming_up:
            cv2.accumulateWeighted(grey, background, 1.0 / self._frames)
            self._background = background
            return np.zeros(grey.shape, dtype=np.uint8)
        rate = np.where(present, np.float32(settings.present_rate), np.float32(settings.empty_rate))
        background += rate.astype(np.float32) * (grey - background)
        self._background = background
        return np.asarray(present, dtype=np.uint8)
