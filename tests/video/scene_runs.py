"""A rendered scene run through the whole camera pipeline, with what it gave beside the scene's truth: the events,
the line crossings counted (in, out) per line, and per zone each second's count with that second's true count (the
median of its frames' true counts, rounded half up). Shared by the pipeline regression tests."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from beffroi.sim.scene import Scene
from beffroi.video.analytics.base import VideoEvent, ZoneCount
from beffroi.video.camera import parse_camera
from beffroi.video.frames import Frame
from beffroi.video.pipeline import CameraPipeline

WARM_UP_S = 5
"""The first seconds left out of counting errors: the detector's backgrounds warming up."""


@dataclass
class SceneRun:
    """What the pipeline gave on a scene (see the module docstring)."""

    events: list[VideoEvent] = field(default_factory=list)
    crossings: dict[str, list[int]] = field(default_factory=dict)
    counts: dict[str, list[tuple[ZoneCount, int]]] = field(default_factory=dict)

    def of_type(self, kind: str) -> list[VideoEvent]:
        return [event for event in self.events if event.type == kind]

    def count_errors(self, zone: str) -> list[int]:
        """The absolute errors of the zone's per-second counts after the warm-up."""
        return [abs(count.count - true) for count, true in self.counts[zone] if round(count.ts) - 1 >= WARM_UP_S]


def run_scene(scene: Scene, analytics: dict[str, dict[str, Any]], authorised: list[str]) -> SceneRun:
    """Every frame of the scene through a pipeline with these analytics and legal bases."""
    camera = parse_camera({**scene.camera_dict("memory", analytics=analytics), "authorised": authorised}, "test")
    outcome = SceneRun()
    pipeline: CameraPipeline | None = None
    truth_counts: dict[tuple[str, int], list[int]] = {}
    for index, ts, image, truth in scene.frames():
        frame = Frame(image, ts, index)
        pipeline = pipeline or CameraPipeline.for_frame(camera, frame)
        result = pipeline.process(frame)
        outcome.events += result.events
        for zone, count in truth.zone_counts.items():
            truth_counts.setdefault((zone, math.floor(ts + 1e-9)), []).append(count)
        for line in result.line_counts:
            totals = outcome.crossings.setdefault(line.line, [0, 0])
            totals[0] += line.inward
            totals[1] += line.outward
        for zone_count in result.zone_counts:
            true = float(np.median(truth_counts[(zone_count.zone, round(zone_count.ts) - 1)]))
            outcome.counts.setdefault(zone_count.zone, []).append((zone_count, math.floor(true + 0.5)))
    return outcome
