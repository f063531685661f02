"""The whole camera pipeline (motion gate, fallback detector, tracker, analytics) on rendered scenes with ground
truth, at 640 × 360 and 5 fps: the accuracy reached, with a margin, so that a regression shows. The seeds are
not those the detector and the pipeline were tuned on (0–9) nor those of bench/video_accuracy.py (100–104)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from beffroi.sim.scene import Scene, concourse_scene, gate_scene, incidents_scene, plaza_scene
from beffroi.video.analytics.base import CameraView
from beffroi.video.camera import parse_camera
from beffroi.video.pipeline import person_size_from
from tests.video.scene_runs import SceneRun, run_scene

WIDTH, HEIGHT, FPS = 640, 360, 5.0
AUTHORISED = [
    "forbidden_zone",
    "person_on_ground",
    "abandoned_object",
    "counting",
    "wrong_way",
    "crowd_movement",
    "outside_decree",
]


def run(scene: Scene, analytics: dict[str, dict[str, Any]]) -> SceneRun:
    return run_scene(scene, analytics, AUTHORISED)


def true_crossings(scene: Scene, line: str) -> tuple[int, int]:
    crossings = [c for i in range(scene.frame_count) for c in scene.truth(i).crossings if c.line == line]
    return sum(c.direction == "in" for c in crossings), sum(c.direction == "out" for c in crossings)


def true_start(scene: Scene, kind: str) -> float:
    (event,) = [event for event in scene.events if event.type == kind]
    return event.start_ts


def test_the_size_of_a_person_follows_the_camera_that_the_ground_plane_gives() -> None:
    """The camera model recovered from the ground plane's homography puts a 1.7 m person's head where the camera
    that rendered the scene does, at every distance (a fixed foreshortening was 20 % off here)."""
    scene = gate_scene(0, width=WIDTH, height=HEIGHT, fps=FPS, duration_s=2.0)
    view = CameraView.build(parse_camera(scene.camera_dict("memory"), "test"), WIDTH, HEIGHT)
    size = person_size_from(view.ground, WIDTH)
    assert size is not None
    for distance in (8.0, 14.0, 25.0):
        foot, head = scene.camera.project(np.array([[0.0, distance, 0.0], [0.0, distance, 1.7]]))
        width, height = size(float(foot[1]))
        assert height == pytest.approx(foot[1] - head[1], rel=0.02)
        metres = scene.camera.pixels_per_metre(np.array([0.0, distance, 0.0]))
        assert width == pytest.approx(0.7 * float(metres), rel=0.02)


@pytest.mark.slow
def test_a_gate_is_counted_and_most_who_walk_the_wrong_way_are_found_at_once() -> None:
    """Four gates of 40 s: the crossings counted within 15 % of the truth over all, the one walking the wrong way
    found within 3 s in at least two (paths crossing in the oncoming flow swap a tracker's identities), few false
    wrong-way events, the queue before the gate counted within 2.5 people a second."""
    found, raised, errors = 0, 0, []
    true_in = true_out = counted_in = counted_out = 0
    for seed in (300, 301, 302, 303):
        scene = gate_scene(seed, width=WIDTH, height=HEIGHT, fps=FPS, duration_s=40.0)
        analytics = {"wrong_way": {"line": "gate", "forbidden_direction": "out"}, "line_crossing": {}, "zone_count": {}}
        outcome = run(scene, analytics)
        (in_, out), (counted, back) = true_crossings(scene, "gate"), outcome.crossings["gate"]
        assert abs(counted - in_) <= 8, (seed, counted, in_)
        true_in, true_out, counted_in, counted_out = (
            true_in + in_,
            true_out + out,
            counted_in + counted,
            counted_out + back,
        )
        start = true_start(scene, "wrong_way")
        found += any(start - 1.0 <= event.ts <= start + 3.0 for event in outcome.of_type("wrong_way"))
        raised += len(outcome.of_type("wrong_way"))
        errors += outcome.count_errors("approach")
    assert abs(counted_in - true_in) <= 0.15 * true_in, (counted_in, true_in)
    assert counted_out <= true_out + 6
    assert found >= 2
    assert raised <= 6  # 5 here: 2 right, 3 in the first seconds (the backgrounds warming up)
    assert float(np.mean(errors)) < 2.5


def test_an_entry_a_bag_left_behind_a_fall_and_a_long_stay_are_found() -> None:
    scene = incidents_scene(300, width=WIDTH, height=HEIGHT, fps=FPS, duration_s=70.0)
    analytics = {
        "forbidden_zone": {"zones": ["restricted"]},
        "abandoned_object": {"unattended_s": 15.0},
        "person_down": {},
        "loitering": {"zones": ["benches"], "dwell_s": 30.0},
        "zone_count": {},
    }
    outcome = run(scene, analytics)
    entered = true_start(scene, "camera_intrusion")
    intrusions = outcome.of_type("camera_intrusion")
    assert intrusions and all(entered - 1.0 <= event.ts <= entered + 4.0 for event in intrusions)
    (bag,) = [event for event in scene.events if event.type == "abandoned_object"]
    left = float(bag.details["unattended_ts"]) + 15.0
    assert any(left - 2.0 <= event.ts <= left + 8.0 for event in outcome.of_type("abandoned_object"))
    assert len(outcome.of_type("abandoned_object")) <= 2  # the box kept by its owner may show once
    # The fall: the tracker follows the person from upright to lying, down 5 s after; one place, one or two events.
    fell = true_start(scene, "person_down")
    downs = outcome.of_type("person_down")
    assert downs and all(fell + 4.0 <= event.ts <= fell + 15.0 for event in downs), [e.ts for e in downs]
    assert len(downs) <= 2
    # The long stay: the tracker loses the person several times here (merges with passers-by, a new id that starts
    # elsewhere); no stay may be made up, nor raised twice.
    stayed = true_start(scene, "loitering") + 30.0
    stays = outcome.of_type("loitering")
    assert len(stays) <= 1 and all(stayed - 1.0 <= event.ts for event in stays), [e.ts for e in stays]
    assert float(np.mean(outcome.count_errors("square"))) < 1.0


def test_a_crowd_that_flees_is_a_crowd_movement_and_a_quiet_plaza_raises_nothing() -> None:
    concourse = concourse_scene(300, width=WIDTH, height=HEIGHT, fps=FPS, duration_s=60.0)
    outcome = run(concourse, {"crowd_movement": {}})
    flight = true_start(concourse, "crowd_movement")
    assert [event.ts for event in outcome.of_type("crowd_movement") if flight - 1.0 <= event.ts <= flight + 4.0]
    plaza = plaza_scene(300, width=WIDTH, height=HEIGHT, fps=FPS, duration_s=40.0)
    quiet = run(plaza, {"crowd_movement": {}, "abandoned_object": {"unattended_s": 15.0}, "zone_count": {}})
    assert quiet.events == []
    assert float(np.mean(quiet.count_errors("plaza"))) < 3.0
