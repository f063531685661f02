"""The multi-object tracker: follows detections from frame to frame under small, never reused ids (ByteTrack-like:
IoU of boxes predicted by a constant-velocity Kalman filter, low-score detections kept to extend existing tracks,
a centre-distance fallback so fast objects at low frame rates keep their id, and a change of posture — a fall,
getting up — recognised by the box keeping its place on the ground while its shape turns)."""

from __future__ import annotations

import bisect
import math

import numpy as np
import numpy.typing as npt

from beffroi.video.assignment import best_pairs, iou_matrix
from beffroi.video.detections import Box, Detection
from beffroi.video.ground import GroundPlane
from beffroi.video.motion_model import BoxMotionModel, boxes_to_measurements, states_to_boxes
from beffroi.video.tracks import Track, TrackPoint, TrackState

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]

_TENTATIVE, _CONFIRMED, _LOST = 0, 1, 2
_STATE_CODE = {TrackState.TENTATIVE: _TENTATIVE, TrackState.CONFIRMED: _CONFIRMED, TrackState.LOST: _LOST}
_MAX_HEIGHT_RATIO = 1.5
"""The centre-distance fallback only pairs boxes whose heights differ by less than this factor."""
_MAX_WIDTH_RATIO = 2.0
_LYING_LENGTH = (0.5, 2.0)
"""A change of posture pairs a tall box with a low one at least the first fraction of the tall box's height wide (a
body lying along the ground is about as long as it stood tall; a bag at someone's feet is much shorter) and at most
the second fraction of the tall box's height or width (not a whole group seen as one blob)."""


class _Memory:
    """What the tracker keeps about a track besides the track itself: the labels its detections gave, how many
    were low-confidence, and the times of its history points (for quick look-ups)."""

    __slots__ = ("labels", "low_confidence", "times")

    def __init__(self, label: str, low_confidence: bool, ts: float) -> None:
        self.labels = {label: 1}
        self.low_confidence = int(low_confidence)
        self.times = [ts]


class Tracker:
    """Follows detections over time. Call `update` with each analysed frame's detections and its time (seconds,
    frames may come at uneven times); it returns the live tracks (tentative, confirmed and lost-but-kept), and
    `ended` then lists the tracks dropped at that update, each reported once. Track objects are updated in place.

    Detections scoring `high_score` or more start and extend tracks; those between `low_score` and `high_score`
    only extend confirmed ones. A match needs an IoU of `match_iou` (`low_match_iou` for low-score detections) with
    the predicted box, or else, for what is left, a centre within `centre_gate` box heights of the predicted centre
    plus `max_speed` box heights per second since the track was last seen (sizes alike). Where pairs compete, the
    likeliest under the motion model win. A confirmed or lost track left unmatched then takes a detection (of any
    usable score) that looks like the same object after a change of posture: one box `_MAX_HEIGHT_RATIO` times
    taller than the other, the low one wider than high and about as long as the tall one is high, their bottoms
    (where they touch the ground) within `reshape_gate` of the object's length, overlapping across the image; the motion
    model then restarts at the new box. Labels must agree, unless track and detection are both low-confidence; only
    detections scoring `high_score` or more vote for a track's label (a low-score one may be a fallen person's
    shape that the detector calls an object).
    A track is confirmed after `confirm_hits` matches in a row; a tentative track missing one frame is dropped; a
    confirmed one becomes lost and is dropped after `max_lost_s` unseen. A new high-score detection overlapping a
    matched one by more than `duplicate_iou` starts nothing. Tracks keep their last `history` points (filtered
    boxes); `velocity` (px/s) and `ground_velocity` (m/s, with a ground plane) are means over the last
    `velocity_window_s`; `score` is smoothed with weight `score_smoothing`."""

    def __init__(
        self,
        ground: GroundPlane | None = None,
        *,
        high_score: float = 0.5,
        low_score: float = 0.1,
        match_iou: float = 0.3,
        low_match_iou: float = 0.5,
        confirm_hits: int = 3,
        max_lost_s: float = 2.0,
        history: int = 64,
        centre_gate: float = 0.5,
        max_speed: float = 3.0,
        duplicate_iou: float = 0.7,
        velocity_window_s: float = 1.0,
        score_smoothing: float = 0.3,
        reshape_gate: float = 0.3,
        motion: BoxMotionModel | None = None,
    ) -> None:
        if not 0.0 <= low_score <= high_score <= 1.0:
            raise ValueError("scores must satisfy 0 <= low_score <= high_score <= 1")
        if confirm_hits < 1 or history < 2 or max_lost_s < 0 or velocity_window_s <= 0 or reshape_gate < 0:
            raise ValueError(
                "confirm_hits >= 1, history >= 2, max_lost_s >= 0, velocity_window_s > 0 and reshape_gate >= 0 are"
                " needed"
            )
        self.ground = ground
        self.high_score = high_score
        self.low_score = low_score
        self.match_iou = match_iou
        self.low_match_iou = low_match_iou
        self.confirm_hits = confirm_hits
        self.max_lost_s = max_lost_s
        self.history = history
        self.centre_gate = centre_gate
        self.max_speed = max_speed
        self.duplicate_iou = duplicate_iou
        self.velocity_window_s = velocity_window_s
        self.score_smoothing = score_smoothing
        self.reshape_gate = reshape_gate
        self.motion = motion or BoxMotionModel()
        self._tracks: list[Track] = []
        self._memory: list[_Memory] = []
        self._mean: FloatArray = np.zeros((0, 8))
        self._cov: FloatArray = np.zeros((0, 8, 8))
        self._ended: list[Track] = []
        self._next_id = 1
        self._last_ts: float | None = None
        self._label_codes: dict[str, int] = {}

    @property
    def tracks(self) -> list[Track]:
        """The live tracks (tentative, confirmed, lost), oldest first."""
        return list(self._tracks)

    @property
    def ended(self) -> list[Track]:
        """The tracks dropped at the last update (a tentative track unmatched, a lost one unseen too long)."""
        return list(self._ended)

    def update(self, detections: list[Detection], ts: float) -> list[Track]:
        """Advances to time `ts` with the detections of that frame; returns the live tracks. A time earlier than
        the last one counts as the last one."""
        self._ended = []
        if self._last_ts is not None:
            ts = max(ts, self._last_ts)
        dt = 0.0 if self._last_ts is None else ts - self._last_ts
        self._last_ts = ts
        mean, cov = self.motion.predict(self._mean, self._cov, dt)

        dets, det_boxes, scores = self._usable(detections)
        matches, reshaped = self._associate(dets, det_boxes, scores, mean, cov, ts)

        det_rows = np.array([d for d, _ in matches], dtype=np.intp)
        track_rows = np.array([t for _, t in matches], dtype=np.intp)
        if len(matches):
            measured = boxes_to_measurements(det_boxes[det_rows])
            mean[track_rows], cov[track_rows] = self.motion.update(mean[track_rows], cov[track_rows], measured)
            if reshaped.any():
                # A new posture: the box's past sizes and speeds say nothing about the next ones.
                rows = track_rows[reshaped]
                mean[rows], cov[rows] = self.motion.initiate(measured[reshaped])
        matched_boxes = states_to_boxes(mean[track_rows]) if len(matches) else np.zeros((0, 4))
        new_rows = self._new_track_rows(dets, det_boxes, scores, det_rows)
        grounds = self._grounds(np.concatenate((matched_boxes, det_boxes[new_rows])))

        for (d, t), box, ground in zip(matches, matched_boxes.tolist(), grounds, strict=False):
            self._extend(self._tracks[t], self._memory[t], dets[d], ts, box, ground)
        keep = self._age_unmatched(track_rows, ts)

        self._tracks = [track for track, kept in zip(self._tracks, keep, strict=True) if kept]
        self._memory = [memory for memory, kept in zip(self._memory, keep, strict=True) if kept]
        mean, cov = mean[keep], cov[keep]
        if len(new_rows):
            new_mean, new_cov = self.motion.initiate(boxes_to_measurements(det_boxes[new_rows]))
            mean, cov = np.concatenate((mean, new_mean)), np.concatenate((cov, new_cov))
            for i, d in enumerate(new_rows.tolist()):
                self._start(dets[d], ts, grounds[len(matches) + i])
        self._mean, self._cov = mean, cov
        return list(self._tracks)

    def _usable(self, detections: list[Detection]) -> tuple[list[Detection], FloatArray, FloatArray]:
        """The detections worth tracking (finite, non-empty box, score ≥ low_score), their boxes and scores."""
        if not detections:
            return [], np.zeros((0, 4)), np.zeros(0)
        boxes = np.array([(d.box.x1, d.box.y1, d.box.x2, d.box.y2) for d in detections], dtype=np.float64)
        scores = np.array([d.score for d in detections], dtype=np.float64)
        valid = (
            np.isfinite(boxes).all(axis=1)
            & np.isfinite(scores)
            & (boxes[:, 2] > boxes[:, 0])
            & (boxes[:, 3] > boxes[:, 1])
            & (scores >= self.low_score)
        )
        if valid.all():
            return list(detections), boxes, scores
        kept = np.flatnonzero(valid)
        return [detections[i] for i in kept.tolist()], boxes[kept], scores[kept]

    def _associate(
        self,
        dets: list[Detection],
        det_boxes: FloatArray,
        scores: FloatArray,
        mean: FloatArray,
        cov: FloatArray,
        ts: float,
    ) -> tuple[list[tuple[int, int]], BoolArray]:
        """(detection, track) pairs and which of them are changes of posture: high-score detections by IoU with
        confirmed and lost tracks, low-score ones with confirmed tracks, high-score ones with tentative tracks, the
        centre-distance fallback, then changes of posture."""
        n_dets, n_tracks = len(dets), len(self._tracks)
        if n_dets == 0 or n_tracks == 0:
            return [], np.zeros(0, dtype=bool)
        predicted = states_to_boxes(mean)
        iou = iou_matrix(det_boxes, predicted)
        compatible = self._compatible(dets)
        states = np.array([_STATE_CODE[t.state] for t in self._tracks], dtype=np.int64)
        det_free = np.ones(n_dets, dtype=bool)
        track_free = np.ones(n_tracks, dtype=bool)
        high = scores >= self.high_score
        matches: list[tuple[int, int]] = []
        reshaped: list[bool] = []
        det_centres = boxes_to_measurements(det_boxes)  # (cx, cy, w, h) rows
        pred_centres = boxes_to_measurements(predicted)
        # The predicted spread of each track's measurement (cx, cy, w, h), for the likelihood of a detection.
        innovation_cov = cov[:, :4, :4] + np.eye(4) * (self.motion.measurement_noise * pred_centres[:, 3:4, None]) ** 2
        inverse = np.linalg.inv(innovation_cov)
        log_det = np.linalg.slogdet(innovation_cov)[1]

        def stage(rows: BoolArray, cols: BoolArray, allowed: BoolArray | None, reshape: bool = False) -> None:
            row_idx, col_idx = np.flatnonzero(rows & det_free), np.flatnonzero(cols & track_free)
            if row_idx.size == 0 or col_idx.size == 0:
                return
            sub = compatible[row_idx][:, col_idx]
            if reshape:
                sub &= self._reshaped(det_boxes[row_idx], predicted[col_idx])
            elif allowed is None:
                sub &= self._near(det_centres[row_idx], pred_centres[col_idx], col_idx, ts)
            else:
                sub &= allowed[row_idx][:, col_idx]

            def foot_cost(r: IntArray, c: IntArray) -> FloatArray:
                # Changes of posture compete on how far the ground contact moved, in lengths of the object.
                d, t = det_boxes[row_idx[r]], predicted[col_idx[c]]
                length = np.maximum(d[:, 2:] - d[:, :2], t[:, 2:] - t[:, :2]).max(axis=1)
                gap = np.hypot((d[:, 0] + d[:, 2] - t[:, 0] - t[:, 2]) / 2, d[:, 3] - t[:, 3])
                return np.asarray(gap / length, dtype=np.float64)

            def likelihood_cost(r: IntArray, c: IntArray) -> FloatArray:
                # Where pairs compete the likeliest under the motion model win (IoU would weigh the narrow side
                # of a box most): the negative log-likelihood of the detected box, up to a constant.
                d, t = row_idx[r], col_idx[c]
                offset = det_centres[d] - pred_centres[t]
                distance2 = np.einsum("ki,kij,kj->k", offset, inverse[t], offset)
                return np.asarray(distance2 + log_det[t], dtype=np.float64)

            for r, c in best_pairs(sub, foot_cost if reshape else likelihood_cost):
                d, t = int(row_idx[r]), int(col_idx[c])
                det_free[d] = False
                track_free[t] = False
                matches.append((d, t))
                reshaped.append(reshape)

        stage(high, states != _TENTATIVE, iou >= self.match_iou)
        stage(~high, states == _CONFIRMED, iou >= self.low_match_iou)
        stage(high, states == _TENTATIVE, iou >= self.match_iou)
        # The fallback on centres; a tentative track with a velocity already has its prediction: only IoU confirms it.
        hits = np.array([t.hits for t in self._tracks], dtype=np.int64)
        stage(high, (states != _TENTATIVE) | (hits == 1), None)
        stage(np.ones(n_dets, dtype=bool), states != _TENTATIVE, None, reshape=True)
        return matches, np.array(reshaped, dtype=bool)

    def _compatible(self, dets: list[Detection]) -> BoolArray:
        """Which detection may extend which track: the same label, or both low-confidence."""
        codes = self._label_codes
        det_codes = np.array([codes.setdefault(d.label, len(codes)) for d in dets], dtype=np.int64)
        track_codes = np.array([codes.setdefault(t.label, len(codes)) for t in self._tracks], dtype=np.int64)
        det_low = np.array([d.low_confidence for d in dets], dtype=bool)
        track_low = np.array([t.low_confidence for t in self._tracks], dtype=bool)
        compatible: BoolArray = (det_codes[:, None] == track_codes[None, :]) | (det_low[:, None] & track_low[None, :])
        return compatible

    def _near(self, det: FloatArray, pred: FloatArray, track_rows: IntArray, ts: float) -> BoolArray:
        """Which detections (cx, cy, w, h rows) are near enough to which predicted boxes for the fallback: a centre
        within `centre_gate` + `max_speed` × time unseen box heights, and sizes alike."""
        height = np.maximum(det[:, None, 3], pred[None, :, 3])
        distance = np.hypot(det[:, None, 0] - pred[None, :, 0], det[:, None, 1] - pred[None, :, 1]) / height
        unseen = np.array([ts - self._tracks[t].last_seen for t in track_rows.tolist()], dtype=np.float64)
        gate = self.centre_gate + self.max_speed * np.clip(unseen, 0.0, self.max_lost_s)
        height_ratio = height / np.minimum(det[:, None, 3], pred[None, :, 3])
        width_ratio = np.maximum(det[:, None, 2], pred[None, :, 2]) / np.minimum(det[:, None, 2], pred[None, :, 2])
        near: BoolArray = (
            (distance <= gate[None, :]) & (height_ratio <= _MAX_HEIGHT_RATIO) & (width_ratio <= _MAX_WIDTH_RATIO)
        )
        return near

    def _reshaped(self, det: FloatArray, pred: FloatArray) -> BoolArray:
        """Which detections (x1, y1, x2, y2 rows) may be which predicted boxes' objects after a change of posture:
        one box `_MAX_HEIGHT_RATIO` times taller than the other, the low one wider than high and about as long as
        the tall one is high, their bottoms within `reshape_gate` of the object's length (the longest side of the
        two boxes: standing or lying, a body's length does not change), overlapping across the image."""
        det_h, pred_h = det[:, None, 3] - det[:, None, 1], pred[None, :, 3] - pred[None, :, 1]
        det_w, pred_w = det[:, None, 2] - det[:, None, 0], pred[None, :, 2] - pred[None, :, 0]
        det_low = det_h <= pred_h
        tall = np.maximum(det_h, pred_h)
        low_h = np.minimum(det_h, pred_h)
        low_w = np.where(det_low, det_w, pred_w)
        length = np.maximum(tall, np.maximum(det_w, pred_w))
        across = np.minimum(det[:, None, 2], pred[None, :, 2]) - np.maximum(det[:, None, 0], pred[None, :, 0])
        reshaped: BoolArray = (
            (tall >= _MAX_HEIGHT_RATIO * low_h)
            & (low_w >= low_h)
            & (low_w >= _LYING_LENGTH[0] * tall)
            & (low_w <= _LYING_LENGTH[1] * np.maximum(tall, np.where(det_low, pred_w, det_w)))
            & (np.abs(det[:, None, 3] - pred[None, :, 3]) <= self.reshape_gate * length)
            & (across > 0)
        )
        return reshaped

    def _new_track_rows(
        self, dets: list[Detection], det_boxes: FloatArray, scores: FloatArray, matched: IntArray
    ) -> IntArray:
        """The unmatched high-score detections that start tracks (not duplicates of a matched detection)."""
        free = np.ones(len(dets), dtype=bool)
        free[matched] = False
        candidates = np.flatnonzero(free & (scores >= self.high_score))
        if candidates.size == 0 or matched.size == 0:
            return candidates
        overlap = iou_matrix(det_boxes[candidates], det_boxes[matched]).max(axis=1)
        starting: IntArray = candidates[overlap <= self.duplicate_iou]
        return starting

    def _grounds(self, boxes: FloatArray) -> list[tuple[float, float] | None]:
        """The ground point (metres) under the foot of each box, None without a ground plane or off the plane."""
        if self.ground is None or len(boxes) == 0:
            return [None] * len(boxes)
        feet = np.stack(((boxes[:, 0] + boxes[:, 2]) / 2, boxes[:, 3]), axis=1)
        points = self.ground.to_ground_many(feet)
        return [(x, y) if math.isfinite(x) and math.isfinite(y) else None for x, y in points.tolist()]

    def _extend(
        self,
        track: Track,
        memory: _Memory,
        det: Detection,
        ts: float,
        box: list[float],
        ground: tuple[float, float] | None,
    ) -> None:
        """Records a detection matched to a track, its filtered box (x1, y1, x2, y2) and ground point."""
        track.hits += 1
        track.last_seen = ts
        track.score += self.score_smoothing * (det.score - track.score)
        memory.low_confidence += int(det.low_confidence)
        track.low_confidence = 2 * memory.low_confidence > track.hits
        if det.score >= self.high_score:
            labels = memory.labels
            labels[det.label] = labels.get(det.label, 0) + 1
            if labels.get(track.label, 0) < labels[det.label]:
                track.label = det.label
        x1, y1, x2, y2 = box
        track.history.append(TrackPoint(ts, Box(x1, y1, x2, y2), ground))
        memory.times.append(ts)
        if len(track.history) > self.history:
            del track.history[0]
            del memory.times[0]
        if track.state is TrackState.LOST or (track.state is TrackState.TENTATIVE and track.hits >= self.confirm_hits):
            track.state = TrackState.CONFIRMED
        self._set_velocities(track, memory.times)

    def _set_velocities(self, track: Track, times: list[float]) -> None:
        """The mean image and ground velocities since the oldest point of the window (at least the point before
        the last)."""
        history = track.history
        if len(history) < 2:
            return
        last = history[-1]
        start = bisect.bisect_left(times, last.ts - self.velocity_window_s)
        first = history[min(start, len(history) - 2)]
        span = last.ts - first.ts
        if span <= 0:
            return
        (fx, fy), (lx, ly) = first.box.centre, last.box.centre
        track.velocity = ((lx - fx) / span, (ly - fy) / span)
        if first.ground is not None and last.ground is not None:
            (gx0, gy0), (gx1, gy1) = first.ground, last.ground
            track.ground_velocity = ((gx1 - gx0) / span, (gy1 - gy0) / span)

    def _age_unmatched(self, matched: IntArray, ts: float) -> BoolArray:
        """Marks unmatched tracks lost, collects the ones to drop in `ended`; returns which tracks stay."""
        keep = np.ones(len(self._tracks), dtype=bool)
        unmatched = np.ones(len(self._tracks), dtype=bool)
        unmatched[matched] = False
        for t in np.flatnonzero(unmatched).tolist():
            track = self._tracks[t]
            if track.state is TrackState.TENTATIVE:
                keep[t] = False
            else:
                track.state = TrackState.LOST
                keep[t] = ts - track.last_seen <= self.max_lost_s
            if not keep[t]:
                self._ended.append(track)
        return keep

    def _start(self, det: Detection, ts: float, ground: tuple[float, float] | None) -> None:
        """Starts a track on an unmatched high-score detection."""
        state = TrackState.CONFIRMED if self.confirm_hits <= 1 else TrackState.TENTATIVE
        track = Track(
            id=self._next_id,
            label=det.label,
            score=det.score,
            state=state,
            first_seen=ts,
            last_seen=ts,
            hits=1,
            history=[TrackPoint(ts, det.box, ground)],
            ground_velocity=(0.0, 0.0) if self.ground is not None else None,
            low_confidence=det.low_confidence,
        )
        self._next_id += 1
        self._tracks.append(track)
        self._memory.append(_Memory(det.label, det.low_confidence, ts))
