"""One camera's analysis, frame by frame: motion gate → detector (on the moving regions, or the whole frame now and
then) → tracker → analytics. Pure and synchronous: the video worker and `beffroi video analyse` feed it frames.

When nothing moved, the detector does not run and the tracks stay where they were (a standing crowd, a bag on the
floor, a person lying down do not move: they must not be lost for it); when only some regions moved, the detector
looks there, and the tracks outside them are held in place. A whole-frame pass every `full_frame_every_s`, and
whenever most of the frame moved (a dense crowd, a lighting change), checks everything again.

The tracker is set for 5 analysed frames a second and detectors that lose people in groups (`TrackerSettings`):
tight gates, so that a track lost a moment is dropped rather than handed to the next person in a queue. A detector
that keeps its own backgrounds may be told where the people standing still are (`expect_people`), so as not to
merge them with who passes by. The expected size of a person at each row comes from the camera model that the
ground plane's homography gives.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

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
from beffroi.video.detections import PERSON, Box, Detection, Detector
from beffroi.video.detectors import build_detector
from beffroi.video.detectors.registry import PersonSize
from beffroi.video.frames import Frame
from beffroi.video.ground import GroundPlane
from beffroi.video.motion import MotionGate, MotionResult, MotionSettings, small_grey
from beffroi.video.presence import Presence, PresenceBackground, people_mask
from beffroi.video.tracker import Tracker
from beffroi.video.tracks import Track, TrackState

PERSON_HEIGHT_M = 1.7
PERSON_BOX_WIDTH_M = 0.7
"""The width of a person's box, arms and stride included (pedestrian boxes are about 0.41 as wide as tall)."""
UPRIGHT_FORESHORTENING = 0.9
"""Without a usable camera model, a standing person seen by a camera looking down at the usual 20–40° is taken as
this much shorter than the ground's own scale at their feet would make 1.7 m."""


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


@dataclass(frozen=True, slots=True)
class TrackerSettings:
    """The tracker's parameters the pipeline chooses (see `Tracker`), for detections at 5 analysed frames a
    second."""

    high_score: float = 0.5
    low_score: float = 0.1
    match_iou: float = 0.4
    low_match_iou: float = 0.5
    confirm_hits: int = 3
    max_lost_s: float = 1.0
    centre_gate: float = 0.2
    max_speed: float = 0.3
    duplicate_iou: float = 0.7
    velocity_window_s: float = 1.0

    def build(self, ground: GroundPlane | None) -> Tracker:
        """A tracker with these settings."""
        return Tracker(ground, **{name: getattr(self, name) for name in self.__slots__})


TRACKER_SETTINGS = TrackerSettings()


def upright_projection(ground: GroundPlane) -> npt.NDArray[np.float64] | None:
    """The camera's 3 × 4 projection of ground points (x, y metres, z metres up), recovered from the ground plane's
    homography assuming square pixels and the principal point at the image centre (Zhang's constraints on the first
    two rotation columns); None when the homography does not give a focal length (a degenerate or odd calibration)."""
    ground_points = np.array([(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)], dtype=np.float64)
    centre = ground.to_ground(ground.width / 2, ground.height / 2)
    ground_points += np.array(centre)
    image_points = np.array([ground.to_image(x, y) for x, y in ground_points], dtype=np.float64)
    if not np.isfinite(image_points).all():
        return None
    homography = np.asarray(
        cv2.getPerspectiveTransform(ground_points.astype(np.float32), image_points.astype(np.float32)), np.float64
    )
    h = homography / homography[2, 2]
    cx, cy = ground.width / 2, ground.height / 2
    a1 = np.array([h[0, 0] - cx * h[2, 0], h[1, 0] - cy * h[2, 0]])
    a2 = np.array([h[0, 1] - cx * h[2, 1], h[1, 1] - cy * h[2, 1]])
    # r1 · r2 = 0 and |r1| = |r2|, linear in 1/f²
    system = np.array([[a1 @ a2], [a1 @ a1 - a2 @ a2]])
    target = -np.array([h[2, 0] * h[2, 1], h[2, 0] ** 2 - h[2, 1] ** 2])
    inverse_f2 = float(np.linalg.lstsq(system, target, rcond=None)[0][0])
    if not inverse_f2 > 0:
        return None
    focal = 1.0 / math.sqrt(inverse_f2)
    intrinsics = np.array([[focal, 0.0, cx], [0.0, focal, cy], [0.0, 0.0, 1.0]])
    columns = np.linalg.inv(intrinsics) @ h
    scale = 1.0 / float(np.linalg.norm(columns[:, 0]))
    r1, r2, translation = scale * columns[:, 0], scale * columns[:, 1], scale * columns[:, 2]
    if translation[2] < 0:  # the ground in front of the camera
        r1, r2, translation = -r1, -r2, -translation
    up = np.cross(r1, r2)
    projection = intrinsics @ np.column_stack([r1, r2, up, translation])
    foot, head = projection @ np.array([*centre, 0.0, 1.0]), projection @ np.array([*centre, 1.0, 1.0])
    if head[2] <= 0 or foot[2] <= 0:
        return None
    if head[1] / head[2] > foot[1] / foot[2]:  # up must be up the picture
        projection[:, 2] = -projection[:, 2]
    return np.asarray(projection, dtype=np.float64)


def person_size_from(ground: GroundPlane | None, width: int) -> PersonSize | None:
    """The expected box size (px) of a standing person whose feet are at row y: the height from the camera model
    the ground plane gives (else from the ground's scale), the width from the ground's scale there."""
    if ground is None:
        return None
    centre_x = width / 2
    projection = upright_projection(ground)

    def size(y: float) -> tuple[float, float]:
        gx, gy = ground.to_ground(centre_x, y)
        left = ground.to_image(gx - PERSON_BOX_WIDTH_M / 2, gy)
        right = ground.to_image(gx + PERSON_BOX_WIDTH_M / 2, gy)
        px_per_m = max(1e-6, math.hypot(right[0] - left[0], right[1] - left[1]) / PERSON_BOX_WIDTH_M)
        height = PERSON_HEIGHT_M * px_per_m * UPRIGHT_FORESHORTENING
        if projection is not None:
            foot = projection @ np.array([gx, gy, 0.0, 1.0])
            head = projection @ np.array([gx, gy, PERSON_HEIGHT_M, 1.0])
            if foot[2] > 0 and head[2] > 0:
                height = max(1e-6, float(foot[1] / foot[2] - head[1] / head[2]))
        return (PERSON_BOX_WIDTH_M * px_per_m, height)

    return size


STANDING_SPEED_M_S = 0.2
"""Under this speed someone stands: a detector that keeps its own backgrounds is told where, so as not to merge
them with who passes by."""
STANDING_MIN_HITS = 10
"""A track is taken as standing once followed for this many frames (before, its speed is not known well enough)."""


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
        tracker_settings: TrackerSettings = TRACKER_SETTINGS,
    ) -> None:
        self.camera = camera
        self.view = CameraView.build(camera, width, height)
        analysis = camera.analysis
        self.detector = detector or build_detector(analysis, person_size_from(self.view.ground, width))
        self.gate = MotionGate(analysis.motion) if analysis.motion_gate else None
        self.analytics: list[Analytic] = build_analytics(self.view)
        self.presence = PresenceBackground() if any(_uses_presence(a) for a in self.analytics) else None
        """What stands out from the empty scene, on the motion gate's small grey frame: the occupancy of dense
        zones (whatever the detector), kept only for analytics that say they use it (`uses_presence`)."""
        self.tracker = tracker or tracker_settings.build(self.view.ground)
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
            expect = getattr(self.detector, "expect_people", None)
            if callable(expect):
                expect(_standing_people(tracks))
            detections = self.detector.detect(frame.image, None if whole else regions)
            after_detector = time.perf_counter()
            times.detector += after_detector - after_motion
            stats.detector_runs += 1
            held = [] if whole or self.detector.sees_every_frame else _held_outside(tracks, regions)
            tracks = self.tracker.update(detections + held, frame.ts)
            times.tracker += time.perf_counter() - after_detector
        else:
            stats.skipped_still += 1
        presence_started = time.perf_counter()
        presence = self._presence(frame, motion, tracks, detections)
        analytics_started = time.perf_counter()
        times.motion += analytics_started - presence_started
        context = FrameContext(
            ts=frame.ts,
            tracks=tracks,
            detections=detections,
            motion_fraction=motion.fraction if motion is not None else 1.0,
            view=self.view,
            image=frame.image,
            presence=presence,
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

    def _presence(
        self, frame: Frame, motion: MotionResult | None, tracks: list[Track], detections: list[Detection]
    ) -> Presence | None:
        """This frame's presence mask, on the motion gate's grey frame (or one made alike without a gate), where
        the person tracks (lost ones too: someone hidden a moment) and this frame's person detections are."""
        if self.presence is None:
            return None
        grey = motion.grey if motion is not None else None
        if grey is None:
            height = self.gate.settings.height if self.gate is not None else MotionSettings().height
            grey, _ = small_grey(frame.image, height)
        size = (frame.width, frame.height)
        boxes = [t.box for t in tracks if t.label == PERSON] + [d.box for d in detections if d.label == PERSON]
        people = people_mask((grey.shape[0], grey.shape[1]), size, boxes)
        return Presence(self.presence.update(grey, people), size)

    def _regions_to_detect(self, ts: float, motion: MotionResult | None) -> tuple[list[Box] | None, bool]:
        """Where the detector looks, and whether that is the whole frame: (regions, False) for the moving regions,
        ([], True) for the whole frame, (None, False) not at all. A detector that sees every frame (it keeps its own
        backgrounds) looks at the whole of every frame: it works on all of it anyway, and its backgrounds see
        changes the motion gate misses (a dark figure on a dark ground)."""
        analysis = self.camera.analysis
        due = self._last_full is None or ts - self._last_full >= analysis.full_frame_every_s
        if (
            motion is None
            or due
            or self.detector.sees_every_frame
            or motion.lighting_change
            or motion.fraction > analysis.full_frame_above
        ):
            self._last_full = ts
            self.stats.full_frame_runs += 1
            return [], True
        if motion.regions:
            return motion.regions, False
        return None, False


def _uses_presence(analytic: Analytic) -> bool:
    """Whether an analytic reads `FrameContext.presence` (it says so with a true `uses_presence`)."""
    return bool(getattr(analytic, "uses_presence", False))


def _standing_people(tracks: list[Track]) -> list[Box]:
    """The boxes of the people followed for a while who stand still, or nearly."""
    return [
        track.box
        for track in tracks
        if track.label == PERSON
        and track.state is TrackState.CONFIRMED
        and track.hits >= STANDING_MIN_HITS
        and _speed(track) <= STANDING_SPEED_M_S
    ]


def _speed(track: Track) -> float:
    """A track's speed in m/s: on the ground plane, else from its image speed in person heights."""
    if track.ground_velocity is not None:
        return math.hypot(*track.ground_velocity)
    return math.hypot(*track.velocity) / max(track.box.height, 1.0) * PERSON_HEIGHT_M


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
