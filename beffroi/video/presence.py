"""What stands in the scene: the pixels of a small grey copy of each frame that differ from the empty scene, for
estimating how many people fill a zone where they are too packed to be told apart (`beffroi.video.occupancy`).

The motion gate's background follows the scene within seconds, so a standing crowd joins it; this one learns the
empty scene slowly and only where nothing stands (a selective update): what stands still for minutes, a queue or a
packed crowd, stays present. Under what stands it still learns, far more slowly, so that something left for good
fades in the end. Global changes of light (a cloud, the camera's exposure) are taken out by fitting the frame's
brightness to the background's (gain and offset) first, as the motion gate does. It works on the grey frame the
motion gate already makes, whatever the detector (the ONNX one keeps no background).

Only where people are seen is anything present, and only there is the learning held back: told where the detector
and the tracker see people (`people_mask` of their boxes), a present pixel outside them is no person (a ghost of
whoever stood there while the scene was learnt, a bag, a shadow) and is learnt at the empty scene's rate, and the
first `warm_frames` frames build the empty scene from the frames where no one is seen at each pixel (the mean of
them all where someone always is). Where people keep passing (a gate's approach) the start-up frames hold them:
their ghosts used to stay present for good, and a few walkers were counted as a packed crowd. A packed crowd lies
under the boxes of the people seen in it (the detector finds some of them; their boxes span the crowd).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from beffroi.video.detections import Box
from beffroi.video.motion import Grey, brightness_fit

PresenceMask = npt.NDArray[np.uint8]
"""1 where something stands out from the empty scene (where people are seen, when told), 0 elsewhere, on the small
grey frame."""

PEOPLE_MARGIN_PX = 1
"""Small pixels added around each person's box (the grey frame is blurred 5 × 5 and a box may be a little tight)."""


def people_mask(shape: tuple[int, int], frame_size: tuple[int, int], people: Sequence[Box]) -> PresenceMask:
    """1 under the boxes `people` (pixels of a frame of `frame_size`, width × height), widened by
    PEOPLE_MARGIN_PX, on a small grid of `shape` (rows, columns)."""
    rows, columns = shape
    scale_x, scale_y = columns / frame_size[0], rows / frame_size[1]
    mask = np.zeros(shape, dtype=np.uint8)
    for box in people:
        x1 = max(0, int(box.x1 * scale_x) - PEOPLE_MARGIN_PX)
        y1 = max(0, int(box.y1 * scale_y) - PEOPLE_MARGIN_PX)
        x2 = min(columns, int(np.ceil(box.x2 * scale_x)) + PEOPLE_MARGIN_PX)
        y2 = min(rows, int(np.ceil(box.y2 * scale_y)) + PEOPLE_MARGIN_PX)
        mask[y1:y2, x1:x2] = 1
    return mask


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
        self._empty: Grey | None = None
        """While warming up, the mean of each pixel over the frames where no person was seen on it."""
        self._empty_frames: Grey | None = None
        """While warming up, how many frames went into `_empty` at each pixel."""
        self._frames = 0

    @property
    def warming_up(self) -> bool:
        """True while the background has seen fewer than `warm_frames` frames (nothing is reported present)."""
        return self._frames < self.settings.warm_frames

    def update(self, grey: Grey, people: PresenceMask | None = None) -> PresenceMask:
        """The presence mask of a small grey frame (float32, as the motion gate makes it), learning the frame; with
        `people` (1 where people are seen, `people_mask`), only what is present there counts, what is present
        elsewhere is learnt as the empty scene, and the start-up frames are averaged where nobody is seen (a pixel
        never free of people then takes the mean of them all)."""
        settings = self.settings
        if people is not None and people.shape != grey.shape:
            raise ValueError(f"people mask of shape {people.shape} for a grey frame of shape {grey.shape}")
        free = np.ones(grey.shape, np.float32) if people is None else (people == 0).astype(np.float32)
        background = self._background
        if background is None or background.shape != grey.shape:
            self._background = grey.copy()
            self._empty, self._empty_frames = grey * free, free
            self._frames = 1
            return np.zeros(grey.shape, dtype=np.uint8)
        self._frames += 1
        gain, offset, _ = brightness_fit(background, grey, settings.threshold)
        background = background * np.float32(gain) + np.float32(offset)
        if self._empty is not None and self._empty_frames is not None:
            return self._warm(grey, background, free, gain, offset)
        present = np.abs(grey - background) > np.float32(settings.threshold)
        if people is not None:
            present &= people.astype(np.bool_)
        rate = np.where(present, np.float32(settings.present_rate), np.float32(settings.empty_rate))
        background += rate.astype(np.float32) * (grey - background)
        self._background = background
        return np.asarray(present, dtype=np.uint8)

    def _warm(self, grey: Grey, background: Grey, free: Grey, gain: float, offset: float) -> PresenceMask:
        """One start-up frame: the running mean of every frame and that of the frames free of people at each pixel;
        the last one makes the empty scene of the second where there is one, else of the first."""
        assert self._empty is not None and self._empty_frames is not None
        cv2.accumulateWeighted(grey, background, 1.0 / self._frames)
        empty = self._empty * np.float32(gain) + np.float32(offset)
        counts = self._empty_frames + free
        empty += free * (grey - empty) / np.maximum(counts, np.float32(1.0))
        if self.warming_up:
            self._background, self._empty, self._empty_frames = background, empty, counts
        else:
            self._background = np.where(counts > 0, empty, background).astype(np.float32)
            self._empty = self._empty_frames = None
        return np.zeros(grey.shape, dtype=np.uint8)
