"""The multi-object tracker on synthetic detections with known ground truth."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest

from beffroi.video import assignment
from beffroi.video.assignment import PairCost, best_pairs, hungarian, iou_matrix
from beffroi.video.camera import GroundConfig
from beffroi.video.detections import OBJECT, PERSON, Box, Detection
from beffroi.video.ground import GroundPlane
from beffroi.video.motion_model import BoxMotionModel
from beffroi.video.tracker import Tracker
from beffroi.video.tracks import Track, TrackState


def person(cx: float, foot_y: float, height: float = 100.0, score: float = 0.9, **kw: bool | str) -> Detection:
    """A person-shaped detection (width 0.4 × height) standing at (cx, foot_y)."""
    half = 0.2 * height
    label = str(kw.get("label", PERSON))
    return Detection(Box(cx - half, foot_y - height, cx + half, foot_y), score, label, bool(kw.get("low", False)))


def track_on(tracks: list[Track], box: Box) -> Track:
    """The live track whose current box overlaps `box` most."""
    return max(tracks, key=lambda t: t.box.iou(box))


def test_one_object_moving_linearly_keeps_one_id_for_100_frames() -> None:
    tracker = Tracker()
    rng = random.Random(1)
    states = []
    for i in range(100):
        ts = i * 0.1
        det = person(100 + 30 * ts + rng.gauss(0, 1.5), 300 + rng.gauss(0, 1.5))
        tracks = tracker.update([det], ts)
        assert [t.id for t in tracks] == [1]
        states.append(tracks[0].state)
        assert tracker.ended == []
    track = tracks[0]
    assert states[:2] == [TrackState.TENTATIVE] * 2
    assert set(states[2:]) == {TrackState.CONFIRMED}
    assert track.hits == 100 and track.first_seen == 0.0 and track.last_seen == pytest.approx(9.9)
    assert track.velocity[0] == pytest.approx(30.0, abs=3.0)
    assert track.velocity[1] == pytest.approx(0.0, abs=3.0)
    assert len(track.history) == 64  # bounded
    assert track.box.centre[0] == pytest.approx(100 + 30 * 9.9, abs=3.0)
    assert track.ground is None and track.ground_velocity is None


@pytest.mark.parametrize(
    ("start_a", "end_a", "start_b", "end_b"),
    [
        ((60, 150), (580, 420), (60, 420), (580, 150)),  # an X: the boxes coincide mid-way
        ((60, 300), (580, 300), (580, 310), (60, 310)),  # head-on on nearly the same line
    ],
    ids=["x", "head-on"],
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_crossing_people_keep_their_ids(
    start_a: tuple[float, float],
    end_a: tuple[float, float],
    start_b: tuple[float, float],
    end_b: tuple[float, float],
    seed: int,
) -> None:
    tracker = Tracker()
    rng = random.Random(seed)
    followers_a: set[int] = set()
    followers_b: set[int] = set()
    frames = 50
    for i in range(frames):
        f = i / (frames - 1)
        true_a = person(start_a[0] + f * (end_a[0] - start_a[0]), start_a[1] + f * (end_a[1] - start_a[1]))
        true_b = person(start_b[0] + f * (end_b[0] - start_b[0]), start_b[1] + f * (end_b[1] - start_b[1]))
        a = person(true_a.box.foot[0] + rng.gauss(0, 2), true_a.box.foot[1] + rng.gauss(0, 2))
        b = person(true_b.box.foot[0] + rng.gauss(0, 2), true_b.box.foot[1] + rng.gauss(0, 2))
        tracks = tracker.update([a, b] if i % 2 else [b, a], i * 0.1)
        assert len(tracks) == 2 and tracker.ended == []
        if i >= 2:
            assert all(t.state is TrackState.CONFIRMED for t in tracks)
        if i >= 2 and true_a.box.iou(true_b.box) < 0.2:  # who is who is only defined while they are apart
            followers_a.add(track_on(tracks, true_a.box).id)
            followers_b.add(track_on(tracks, true_b.box).id)
    assert len(followers_a) == 1 and len(followers_b) == 1 and followers_a != followers_b
    # Each track went where its person went.
    final = {t.id: t for t in tracker.tracks}
    assert final[followers_a.pop()].box.foot[1] == pytest.approx(end_a[1], abs=4)
    assert final[followers_b.pop()].box.foot[1] == pytest.approx(end_b[1], abs=4)


def test_an_occluded_object_is_lost_then_found_again_under_its_id() -> None:
    tracker = Tracker()
    states: dict[int, TrackState] = {}
    for i in range(40):
        ts = i * 0.1
        hidden = 15 <= i < 22  # 0.7 s behind a pillar
        tracks = tracker.update([] if hidden else [person(50 + 80 * ts, 300)], ts)
        assert [t.id for t in tracks] == [1] and tracker.ended == []
        states[i] = tracks[0].state
    assert {states[i] for i in range(15, 22)} == {TrackState.LOST}
    assert {states[i] for i in range(22, 40)} == {TrackState.CONFIRMED}
    track = tracker.tracks[0]
    assert track.hits == 33
    # While lost, its last observed box stayed where it was last seen.
    assert track.history[-1].ts == pytest.approx(3.9)
    assert track.box.centre[0] == pytest.approx(50 + 80 * 3.9, abs=1.0)


def test_a_runner_at_5_fps_keeps_one_id_although_boxes_never_overlap() -> None:
    # 1.7 m tall = 100 px, running at 4 m/s = 235 px/s: 47 px per frame at 5 fps, boxes 40 px wide.
    speed_px = 4.0 / 1.7 * 100
    detections = [person(40 + speed_px * i * 0.2, 300, height=100) for i in range(12)]
    assert all(a.box.iou(b.box) == 0.0 for a, b in itertools.pairwise(detections))

    tracker = Tracker()
    for i, det in enumerate(detections):
        tracks = tracker.update([det], i * 0.2)
        assert [t.id for t in tracks] == [1]
    assert tracks[0].state is TrackState.CONFIRMED and tracks[0].hits == 12
    assert tracks[0].velocity[0] == pytest.approx(speed_px, rel=0.02)

    # Without the centre-distance fallback, IoU alone gives a new id at every frame.
    iou_only = Tracker(centre_gate=0.0, max_speed=0.0)
    seen = {t.id for i, det in enumerate(detections) for t in iou_only.update([det], i * 0.2)}
    assert seen == set(range(1, 13))


def test_a_runner_turning_a_corner_at_5_fps_keeps_its_id() -> None:
    speed_px = 4.0 / 1.7 * 100
    tracker = Tracker()
    ids = set()
    for i in range(20):
        ts = i * 0.2
        along, down = min(ts, 2.0), max(ts - 2.0, 0.0)  # right for 2 s, then a right angle down the image
        tracks = tracker.update([person(40 + speed_px * along, 150 + speed_px * down)], ts)
        ids |= {t.id for t in tracks}
    assert ids == {1} and tracks[0].hits == 20
    assert tracks[0].velocity[1] == pytest.approx(speed_px, rel=0.1)
    assert abs(tracks[0].velocity[0]) < 0.1 * speed_px


def test_random_noise_detections_never_become_confirmed_tracks() -> None:
    rng = random.Random(7)
    tracker = Tracker()
    started = 0
    for i in range(300):
        noise = []
        for _ in range(2):
            height = rng.uniform(30, 120)
            noise.append(person(rng.uniform(0, 640), rng.uniform(height, 480), height=height, score=0.8))
        tracks = tracker.update(noise, i * 0.2)
        assert all(t.state is TrackState.TENTATIVE for t in tracks)
        started = max([started, *[t.id for t in tracks]])
        assert len(tracks) <= 2
    assert started >= 500  # they did start tentative tracks, which were dropped


def test_low_score_detections_extend_tracks_but_never_start_one() -> None:
    tracker = Tracker()
    for i in range(3):
        tracker.update([person(100 + 10 * i, 300, score=0.9)], i * 0.1)
    for i in range(3, 23):
        stranger = person(500, 300, score=0.3)  # low score, away from any track
        tracks = tracker.update([person(100 + 10 * i, 300, score=0.3), stranger], i * 0.1)
        assert [t.id for t in tracks] == [1]
        assert tracks[0].state is TrackState.CONFIRMED
    track = tracker.tracks[0]
    assert track.hits == 23
    assert track.score == pytest.approx(0.3, abs=0.01)  # smoothed towards the recent scores
    # A scene of low scores only starts nothing.
    quiet = Tracker()
    for i in range(10):
        assert quiet.update([person(300, 300, score=0.45)], i * 0.1) == []
    # Scores below low_score are ignored even for existing tracks.
    assert tracker.update([person(330, 300, score=0.05)], 2.3)[0].state is TrackState.LOST


def test_labels_must_agree_unless_both_are_low_confidence() -> None:
    tracker = Tracker(confirm_hits=1)
    tracker.update([person(100, 300)], 0.0)
    tracks = tracker.update([person(100, 300, label=OBJECT)], 0.1)
    assert [(t.id, t.label, t.state) for t in tracks] == [
        (1, PERSON, TrackState.LOST),
        (2, OBJECT, TrackState.CONFIRMED),
    ]

    # A fallback detector calls the same blob a person twice and an object once: one track, labelled by majority.
    fallback = Tracker()
    labels = [PERSON, PERSON, OBJECT, PERSON, OBJECT, PERSON]
    for i, label in enumerate(labels):
        tracks = fallback.update([person(100 + 5 * i, 300, score=0.6, label=label, low=True)], i * 0.1)
        assert [t.id for t in tracks] == [1] and tracks[0].label == PERSON and tracks[0].low_confidence


def test_ground_velocity_is_the_true_speed_in_metres_per_second() -> None:
    # The lower half of a 640 × 480 image shows a 16 m × 12 m rectangle: 20 px/m across, 20 px/m down.
    config = GroundConfig(
        image_points=[(0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0)],
        ground_points=[(0.0, 12.0), (32.0, 12.0), (32.0, 0.0), (0.0, 0.0)],
    )
    ground = GroundPlane(config, 640, 480)
    tracker = Tracker(ground)
    velocity = (1.5, 0.5)  # m/s: east and away from the camera
    for i in range(40):
        ts = i * 0.1
        x_m, y_m = 4.0 + velocity[0] * ts, 2.0 + velocity[1] * ts
        foot = ground.to_image(x_m, y_m)
        tracks = tracker.update([person(foot[0], foot[1], height=60)], ts)
    track = tracks[0]
    assert track.ground_velocity is not None and track.ground is not None
    assert track.ground_velocity[0] == pytest.approx(1.5, rel=0.01)
    assert track.ground_velocity[1] == pytest.approx(0.5, rel=0.01)
    assert track.ground == pytest.approx((4.0 + 1.5 * 3.9, 2.0 + 0.5 * 3.9), abs=0.02)
    assert track.velocity == pytest.approx((30.0, -10.0), rel=0.01)  # px/s: 20 px/m, y down the image


def test_ground_velocity_under_perspective() -> None:
    # A trapezoid: the far edge (top of the image) is narrower, as a camera looking down a street sees it.
    config = GroundConfig(
        image_points=[(0.35, 0.3), (0.65, 0.3), (1.0, 1.0), (0.0, 1.0)],
        ground_points=[(0.0, 30.0), (10.0, 30.0), (10.0, 0.0), (0.0, 0.0)],
    )
    ground = GroundPlane(config, 640, 480)
    tracker = Tracker(ground)
    for i in range(50):
        ts = i * 0.2
        foot = ground.to_image(2.0 + 0.6 * ts, 3.0 + 1.2 * ts)  # 1.34 m/s diagonally away
        height = 120 * (foot[1] - 144) / 336 + 20  # smaller further away
        tracks = tracker.update([person(foot[0], foot[1], height=height)], ts)
    (track,) = tracks
    assert track.ground_velocity is not None
    speed = math.hypot(*track.ground_velocity)
    assert speed == pytest.approx(math.hypot(0.6, 1.2), rel=0.05)
    assert track.ground_velocity[0] == pytest.approx(0.6, abs=0.06)
    assert track.ground_velocity[1] == pytest.approx(1.2, abs=0.06)


def test_uneven_frame_times_use_real_seconds() -> None:
    rng = random.Random(3)
    tracker = Tracker()
    ts = 0.0
    for _ in range(60):
        ts += rng.choice([0.04, 0.04, 0.1, 0.25, 0.45])  # a stuttering stream: 25 fps bursts and stalls
        tracks = tracker.update([person(50 + 80 * ts, 400 - 20 * ts)], ts)
        assert [t.id for t in tracks] == [1]
    assert tracks[0].velocity == pytest.approx((80.0, -20.0), rel=0.01)
    assert tracks[0].box.foot == pytest.approx((50 + 80 * ts, 400 - 20 * ts), abs=1.0)


def test_ids_are_small_increasing_and_never_reused() -> None:
    tracker = Tracker(max_lost_s=1.0)
    first_seen_order: list[int] = []
    ended_ids: list[int] = []
    ts = 0.0
    for round_ in range(4):
        for _ in range(5):  # the same place each round: a new person there is a new id
            ts += 0.1
            tracks = tracker.update([person(200, 300), person(400 + 30 * round_, 200, height=50)], ts)
            first_seen_order += [t.id for t in tracks if t.id not in first_seen_order]
            ended_ids += [t.id for t in tracker.ended]
        for _ in range(12):  # everyone leaves for 1.2 s
            ts += 0.1
            tracker.update([], ts)
            ended_ids += [t.id for t in tracker.ended]
    assert first_seen_order == list(range(1, 9))
    assert sorted(ended_ids) == list(range(1, 9))  # each reported once
    assert tracker.tracks == []


def test_removed_tracks_are_reported_once() -> None:
    tracker = Tracker(max_lost_s=0.5)
    for i in range(5):
        tracker.update([person(100, 300), person(400, 300)], i * 0.1)
    # One tentative blip, and the person at 400 walks out.
    tracker.update([person(100, 300), person(600, 100, height=40)], 0.5)
    assert tracker.ended == []
    tracks = tracker.update([person(100, 300)], 0.6)
    assert [t.id for t in tracker.ended] == [3]  # the blip, dropped while tentative
    assert [(t.id, t.state) for t in tracks] == [(1, TrackState.CONFIRMED), (2, TrackState.LOST)]
    ended: dict[float, list[int]] = {}
    for i in range(7, 20):
        ts = i * 0.1
        tracker.update([person(100, 300)], ts)
        ended[ts] = [t.id for t in tracker.ended]
    assert [(round(ts, 1), ids) for ts, ids in ended.items() if ids] == [(1.0, [2])]  # unseen since 0.4 s
    assert [t.id for t in tracker.tracks] == [1]


def test_bad_detections_and_time_going_back_do_not_break_it() -> None:
    tracker = Tracker(confirm_hits=1)
    junk = [
        Detection(Box(float("nan"), 0, 10, 10), 0.9, PERSON),
        Detection(Box(10, 10, 10, 50), 0.9, PERSON),  # no width
        Detection(Box(0, 0, 10, 10), float("nan"), PERSON),
    ]
    assert tracker.update(junk, 0.0) == []
    tracker.update([person(100, 300)], 1.0)
    tracks = tracker.update([person(100, 300)], 0.5)  # out of order: treated as no time passing
    assert [(t.id, t.hits, t.last_seen) for t in tracks] == [(1, 2, 1.0)]
    assert [p.ts for p in tracks[0].history] == [1.0, 1.0]
    with pytest.raises(ValueError, match="low_score"):
        Tracker(high_score=0.2, low_score=0.4)


def test_iou_matrix() -> None:
    a = np.array([[0, 0, 10, 10], [20, 20, 30, 30]], dtype=np.float64)
    b = np.array([[5, 0, 15, 10], [20, 20, 30, 30], [100, 100, 101, 101]], dtype=np.float64)
    iou = iou_matrix(a, b)
    assert iou == pytest.approx(np.array([[1 / 3, 0, 0], [0, 1, 0]]))
    assert iou[0, 0] == Box(0, 0, 10, 10).iou(Box(5, 0, 15, 10))


def lookup(matrix: np.ndarray) -> PairCost:
    """A pair-cost function reading a matrix, recording which cells it was asked."""
    asked.clear()

    def cost(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        asked.extend(zip(rows.tolist(), cols.tolist(), strict=True))
        return np.asarray(matrix[rows, cols], dtype=np.float64)

    return cost


asked: list[tuple[int, int]] = []


def test_best_pairs_beat_greedy_where_pairs_compete(monkeypatch: pytest.MonkeyPatch) -> None:
    # Greedy would take (0, 0) at 0.1 and leave row 1 with 0.9; the best total is 0.2 + 0.15.
    cost = np.array([[0.1, 0.2], [0.15, 0.9]])
    assert best_pairs(np.ones((2, 2), dtype=bool), lookup(cost)) == [(0, 1), (1, 0)]
    # As many pairs as possible: row 0 gives up its cheapest column so that row 1 gets one.
    assert best_pairs(np.array([[True, True], [True, False]]), lookup(cost)) == [(0, 1), (1, 0)]
    assert best_pairs(np.zeros((2, 2), dtype=bool), lookup(cost)) == []
    # Two independent groups and a lone pair, in a wider matrix.
    big = np.full((4, 5), 5.0)
    big[0, 0], big[0, 1], big[1, 0], big[1, 1] = 1.0, 2.0, 2.0, 9.0
    big[2, 3], big[3, 4] = 0.5, 0.7
    assert best_pairs(big < 5, lookup(big)) == [(0, 1), (1, 0), (2, 3), (3, 4)]
    assert sorted(asked) == [(0, 0), (0, 1), (1, 0)]  # costs only where pairs compete
    # A huge group falls back to greedy: cheapest first.
    monkeypatch.setattr(assignment, "EXACT_LIMIT", 1)
    assert best_pairs(np.ones((2, 2), dtype=bool), lookup(cost)) == [(0, 0), (1, 1)]


def test_hungarian_finds_the_minimum_total_cost() -> None:
    rng = np.random.default_rng(5)
    for n, m in [(3, 3), (4, 6), (5, 5)]:
        cost = rng.uniform(0, 10, (n, m))
        chosen = hungarian(cost.tolist())
        assert len(set(chosen)) == n
        total = sum(cost[i, j] for i, j in enumerate(chosen))
        best = min(sum(cost[i, p[i]] for i in range(n)) for p in itertools.permutations(range(m), n))
        assert total == pytest.approx(best)


def test_motion_model_predicts_with_real_time() -> None:
    model = BoxMotionModel()
    mean, cov = model.initiate(np.array([[100.0, 200.0, 40.0, 100.0]]))
    mean[0, 4:6] = (50.0, -10.0)
    predicted, predicted_cov = model.predict(mean, cov, 0.5)
    assert predicted[0, :4] == pytest.approx([125.0, 195.0, 40.0, 100.0])
    assert np.all(np.diag(predicted_cov[0]) > np.diag(cov[0]) - 1e-9)
    updated, updated_cov = model.update(predicted, predicted_cov, np.array([[130.0, 195.0, 40.0, 100.0]]))
    assert 125.0 < updated[0, 0] < 130.0 and updated[0, 4] > 50.0
    assert np.all(np.linalg.eigvalsh(updated_cov[0]) > 0)


def test_a_person_who_stops_while_hidden_is_found_again() -> None:
    # Walking at 80 px/s, hidden for 1 s during which they stop: the prediction runs 80 px ahead (no overlap).
    tracker = Tracker()
    for i in range(30):
        ts = i * 0.1
        x = 100 + 80 * min(ts, 1.5)
        tracks = tracker.update([] if 15 <= i < 25 else [person(x, 300)], ts)
        assert [t.id for t in tracks] == [1]
    assert tracks[0].state is TrackState.CONFIRMED and tracks[0].hits == 20
    assert tracks[0].box.centre[0] == pytest.approx(220, abs=3)


def test_a_duplicate_detection_of_a_tracked_person_starts_no_track() -> None:
    tracker = Tracker()
    for i in range(10):
        main = person(100 + 5 * i, 300)
        echo = Detection(Box(main.box.x1 + 2, main.box.y1 + 4, main.box.x2 + 1, main.box.y2), 0.7, PERSON)
        tracks = tracker.update([main, echo] if i >= 3 else [main], i * 0.1)
        assert [t.id for t in tracks] == [1]


def lying(left: float, foot_y: float, length: float = 100.0, score: float = 0.9, **kw: bool | str) -> Detection:
    """A body lying along the ground from `left`: as long as it stood tall, a third of that high."""
    label = str(kw.get("label", PERSON))
    return Detection(Box(left, foot_y - length / 3, left + length, foot_y), score, label, bool(kw.get("low", False)))


def test_a_person_who_falls_keeps_their_track_through_the_change_of_shape() -> None:
    # Walking right at 50 px/s, then falling forward in 0.2 s: the box turns from 40 × 100 to 100 × 33, its bottom
    # stays on the ground, its centre jumps 50 px right and 30 px down — no overlap the IoU stages accept. A fallback
    # detector's detections (low-confidence) throughout.
    tracker = Tracker()
    for i in range(20):
        tracks = tracker.update([person(100 + 5 * i, 300, low=True)], i * 0.1)
    mid_fall = Detection(Box(190, 245, 250, 295), 0.7, PERSON, True)
    tracks = tracker.update([mid_fall], 2.0)
    assert [(t.id, t.state) for t in tracks] == [(1, TrackState.CONFIRMED)]
    # Lying: the detector calls the low shape an object at a low score; the track keeps it and stays a person.
    for i in range(21, 40):
        tracks = tracker.update([lying(195, 300, score=0.4, label=OBJECT, low=True)], i * 0.1)
        assert [t.id for t in tracks] == [1]
    track = tracks[0]
    assert track.state is TrackState.CONFIRMED and track.label == PERSON and track.hits == 40
    assert track.box.width > 2 * track.box.height  # the filter restarted at the new shape, not a blend of both
    assert track.box.y2 == pytest.approx(300, abs=1)
    # Getting up where they lay: the same track again.
    for i in range(40, 45):
        tracks = tracker.update([person(240, 300, low=True)], i * 0.1)
        assert [t.id for t in tracks] == [1]
    assert tracks[0].box.height > 2 * tracks[0].box.width


def test_a_short_object_at_a_persons_feet_is_not_a_fall() -> None:
    # A bag put down at the feet (low, but much shorter than the person is tall) and a long low shape far from the
    # feet are not the person after a change of posture: they start tracks of their own.
    tracker = Tracker()
    for i in range(10):
        tracks = tracker.update([person(300, 300)], i * 0.1)
    bag = Detection(Box(310, 270, 340, 300), 0.9, OBJECT)
    tracks = tracker.update([bag], 1.0)
    assert [(t.id, t.state) for t in tracks] == [(1, TrackState.LOST), (2, TrackState.TENTATIVE)]
    tracker = Tracker()
    for i in range(10):
        tracker.update([person(300, 300)], i * 0.1)
    tracks = tracker.update([lying(300, 360)], 1.0)  # its bottom 60 px below the feet
    assert [(t.id, t.state) for t in tracks] == [(1, TrackState.LOST), (2, TrackState.TENTATIVE)]


def test_a_negative_reshape_gate_is_refused() -> None:
    with pytest.raises(ValueError, match="reshape_gate >= 0"):
        Tracker(reshape_gate=-0.1)
