"""The whole camera pipeline on rendered scenes where detections fall short: a crowd packed to 5 p/m² (counted from
its occupancy, an excessive density raised while it lasts and never before) and an intruder the tracker follows
under several ids (one intrusion). The seeds are not those the pipeline was tuned on (0–9) nor those of
bench/video_accuracy.py (100–104); the figures hold with a margin, so that a regression shows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from beffroi.sim.scene import Scene, concourse_scene, incidents_scene
from tests.video.scene_runs import SceneRun, run_scene

WIDTH, HEIGHT, FPS = 640, 360, 5.0
AUTHORISED = ["forbidden_zone", "counting", "excessive_density"]
DENSE_LEVELS = {"standing_amber": 4.0, "standing_red": 4.7, "moving_amber": 4.0, "moving_red": 4.7}
"""The concourse's truth raises crowd_density from 4 p/m²."""


def run(scene: Scene, analytics: dict[str, dict[str, Any]]) -> SceneRun:
    return run_scene(scene, analytics, AUTHORISED)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [400, 401])
def test_a_packed_crowd_is_counted_from_its_occupancy_and_its_density_raised_in_time(seed: int) -> None:
    scene = concourse_scene(seed, width=WIDTH, height=HEIGHT, fps=FPS, duration_s=70.0)
    outcome = run(scene, {"zone_count": {"zones": ["crowd"]}, "density": {"zones": ["crowd"], "levels": DENSE_LEVELS}})
    (truth,) = [event for event in scene.events if event.type == "crowd_density"]
    packed = [(count, true) for count, true in outcome.counts["crowd"] if true >= 40]
    assert len(packed) >= 10
    errors = [abs(count.count - true) for count, true in packed]
    assert np.mean(errors) <= 10, errors  # detections alone undercount a packed crowd by ~35 of 55
    assert sum(count.method == "occupancy" for count, _ in packed) >= 0.8 * len(packed)
    sparse = [(count, true) for count, true in outcome.counts["crowd"] if 0 < true <= 10]
    assert all(count.method == "detections" for count, _ in sparse)
    raised = outcome.of_type("crowd_density")
    assert raised, "no crowd_density"
    end = truth.end_ts if truth.end_ts is not None else scene.duration_s
    assert all(truth.start_ts - 2.0 <= event.ts <= end for event in raised), (truth.start_ts, end, raised)
    assert raised[0].details["method"] == "occupancy" and raised[0].details["density"] >= 4.0


@pytest.mark.slow
def test_an_intrusion_is_one_event_however_often_the_tracker_loses_the_intruder() -> None:
    for seed in (400, 401, 402):
        scene = incidents_scene(seed, width=WIDTH, height=HEIGHT, fps=FPS, duration_s=70.0)
        outcome = run(scene, {"forbidden_zone": {"zones": ["restricted"]}})
        (truth,) = [event for event in scene.events if event.type == "camera_intrusion"]
        raised = outcome.of_type("camera_intrusion")
        assert len(raised) == 1, (seed, [(round(event.ts, 1), event.track_ids) for event in raised])
        end = truth.end_ts if truth.end_ts is not None else scene.duration_s
        assert truth.start_ts - 2.0 <= raised[0].ts <= end, (seed, truth.start_ts, raised[0].ts)
