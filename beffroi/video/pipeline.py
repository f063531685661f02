"""One camera's analysis, frame by frame: motion gate → detector (on the moving regions, or the whole frame now and
then) → tracker → analytics. Pure and synchronous: the video worker and `beffroi video analyse` feed it frames.

When nothing moved, the detector does not run and the tracks stay where they were (a standing crowd, a bag on the
floor, a person lying down do not move: they must not be lost for it); when only some regions moved, the detector
looks there, and the tracks outside them are held in place. A whole-frame pass every `full_frame_every_s`, and
whenever most of the frame moved (a dense crowd, a lighting change), checks everything again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from beffroi.video.analytics import catalogue  # noqa: F401 (registers the shipped analytics)
from beffroi.video.analytics.base import (
    Analytic,
    CameraView,
    FrameContext,
    LineCount,
    VideoEvent,
    ZoneCount,
    build_analytics,
)
from beffroi.video.camera import CameraConfig
from beffroi.video.detections import Box, Detection, Detector
from beffroi.video.detectors import build_detector
from beffroi.video.detectors.registry import PersonSize
from beffroi.video.frames import Frame
from beffroi.video.ground import GroundPlane
from beffroi.video.motion import MotionGate, MotionResult
from beffroi.video.tracker import Tracker
from beffroi.video.tracks import Track, TrackState

PERSON_HEIGHT_M = 1.7
PERSON_WIDTH_M = 0.5
UPRIGHT_FORESHORTENING = 0.9
"""A standing person seen by a camera looking down at the usual 20–40° appears this much shorter than the ground's
own scale at their feet would make 1.7 m."""


@dataclass(slots=True)
class StageTimes:
    """Seconds spent in each stage since the pipeline started."""

    motion: float = 0.0
    detector: float = 0.0
    tracker: float = 0.0
    analytics: float = 0.0


@dataclass(slots=True)
class PipelineStats:
    """Frames seen, frames the detector ran on (whole or in regions), and time per stage."""

    frames: int = 0
    detector_runs: int = 0
    full_frame_runs: int = 0
    skipped_still: int = 0
    times: StageTimes = field(default_factory=StageTimes)


@dataclass(frozen=True, slots=True)
class FrameResult:
    """What one frame gave: events, zone and line counts, the live tracks and this frame's detections."""

    ts: float
    events: list[VideoEvent]
    zone_counts: list[ZoneCount]
    line_counts: list[LineCount]
    tracks: list[Track]
    detections: list[Detection]
    motion: MotionResult | None
    detector_ran: bool


def person_size_from(ground: GroundPlane | None, width: int) -> PersonSize | None:
    """The expected size (px) of a standing person whose feet are at row y, from the ground's scale there."""
    if ground is None:
        return None
    centre_x = width / 2

    def size(y: float) -> tuple[float, float]:
        gx, gy = ground.to_ground(centre_x, y)
        left = ground.to_image(gx - PERSON_WIDTH_M / 2, gy)
        right = ground.to_image(gx + PERSON_WIDTH_M / 2, gy)
        px_per_m = max(1e-6, ((right[0] - left[0]) ** 2 + (right[1] - left[1]) ** 2) ** 0.5 / PERSON_WIDTH_M)
        return (PERSON_WIDTH_M * px_per_m, PERSON_HEIGHT_M * px_per_m * UPRIGHT_FORESHORTENING)

    return size


class CameraPipeline:
    """The analysis of one camera for frames of `width` × `height` (the analysis resolution)."""

    def __init__(
        self,
        camera: CameraConfig,
        width: int,
        height: int,
        *,
        detector: Detector | None = None,
        tracker: Tracker | None = None,
    ) -> None:
        self.camera = camera
        self.view = CameraView.build(camera, width, height)
        analysis = camera.analysis
        self.detector = detector or build_detector(analysis, person_size_from(self.view.ground, width))
        self.gate = MotionGate(analysis.motion) if analysis.motion_gate else None
        self.tracker = tracker or Tracker(self.view.ground)
        self.analytics: list[Analytic] = build_analytics(self.view)
        self.stats = PipelineStats()
        self._last_full: float | None = None

    @classmethod
    def for_frame(cls, camera: CameraConfig, frame: Frame) -> CameraPipeline:
        """A pipeline sized for frames like this one."""
        return cls(camera, frame.width, frame.height)

    def process(self, frame: Frame) -> FrameResult:
        """Analyse one frame (frames in time order)."""
        stats, times = self.stats, self.stats.times
        stats.frames += 1
        started = time.perf_counter()
        motion = self.gate.update(frame.image) if self.gate is not None else None
        after_motion = time.perf_counter()
        times.motion += after_motion - started
        regions, whole = self._regions_to_detect(frame.ts, motion)
        detections: list[Detection] = []
        tracks = self.tracker.tracks
        if regions is not None:
            detections = self.detector.detect(frame.image, None if whole else regions)
            after_detector = time.perf_counter()
            times.detector += after_detector - after_motion
            stats.detector_runs += 1
            held = [] if whole or self.detector.sees_every_frame else _held_outside(tracks, regions)
            tracks = self.tracker.update(detections + held, frame.ts)
            times.tracker += time.perf_counter() - after_detector
        else:
            stats.skipped_still += 1
        analytics_started = time.perf_counter()
        context = FrameContext(
            ts=frame.ts,
            tracks=tracks,
            detections=detections,
            motion_fraction=motion.fraction if motion is not None else 1.0,
            view=self.view,
            image=frame.image,
        )
        events: list[VideoEvent] = []
        zone_counts: list[ZoneCount] = []
        line_counts: list[LineCount] = []
        for analytic in self.analytics:
            output = analytic.update(context)
            events += output.events
            zone_counts += output.zone_counts
            line_counts += output.line_counts
        times.analytics += time.perf_counter() - analytics_started
        return FrameResult(frame.ts, events, zone_counts, line_counts, tracks, detections, motion, regions is not None)

    def _regions_to_detect(self, ts: float, motion: MotionResult | None) -> tuple[list[Box] | None, bool]:
        """Where the detector looks, and whether that is the whole frame: (regions, False) for the moving regions,
        ([], True) for the whole frame, (None, False) not at all. A detector that sees every frame is given the
        moving regions, none when nothing moved."""
        analysis = self.camera.analysis
        due = self._last_full is None or ts - self._last_full >= analysis.full_frame_every_s
        if motion is None or due or motion.lighting_change or motion.fraction > analysis.full_frame_above:
            self._last_full = ts
            self.stats.full_frame_runs += 1
            return [], True
        if motion.regions or self.detector.sees_every_frame:
            return motion.regions, False
        return None, False


def _held_outside(tracks: list[Track], regions: list[Box]) -> list[Detection]:
    """Confirmed tracks that no moving region touches, as detections where they were: they did not move."""
    held: list[Detection] = []
    for track in tracks:
        if track.state is not TrackState.CONFIRMED:
            continue
        box = track.box
        if any(box.iou(region) > 0 or _inside(box, region) for region in regions):
            continue
        held.append(Detection(box, max(track.score, 0.5), track.label, track.low_confidence))
    return held


def _inside(box: Box, region: Box) -> bool:
    return region.x1 <= box.x1 and region.y1 <= box.y1 and box.x2 <= region.x2 and box.y2 <= region.y2
