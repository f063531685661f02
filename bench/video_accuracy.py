"""Accuracy of the video analytics on rendered camera scenes with ground truth, and the pipeline's speed.

Usage: .venv/bin/python bench/video_accuracy.py [--seeds 100,101,102,103,104] [--scenes gate,concourse,incidents,plaza]
       [--width 640] [--render-width W] [--fps 5] [--detector fallback] [--model PATH --model-sha256 HEX]
       [--clips] [--skip-s 5] [--details] [--tracker JSON]
Prints one JSON object.

Each scene of beffroi.sim.scene is rendered for each seed (in memory; with `--clips` written as H.264 and read back
through the file source, as real footage is) at `--render-width` (default: the analysis width; a larger one is
reduced with area averaging) and run through `CameraPipeline` with the scene's analytics (SCENE_ANALYTICS, plus
the false-alarm watchers every scene runs). The default seeds 100–104 were not used to tune the detector or the
pipeline (tuning used seeds 0–9).

Figures, per scene and overall:
- counting: per zone, the mean absolute error of the per-second zone counts (`zone_count`, the median of each
  second's frames) against the true counts (the median of the same frames' true counts, rounded the same way),
  its mean signed error (bias: < 0 counts too few) and the mean true count for scale; the first `--skip-s`
  seconds (the detector's backgrounds warming up) are left out.
- lines: per line, the crossings counted in and out (`line_crossing`) against the true crossings.
- events: per event type, the true events, the events raised, precision (raised events that match a true event of
  their type), recall (true events matched by at least one raised event) and delay. A raised event matches a true
  event of its type when its time lies in [ref − 2 s, end] where `ref` is when the event becomes detectable: the
  truth's start, the start + the analytic's `dwell_s` for loitering, `details.unattended_ts` + the analytic's
  `unattended_s` for abandoned_object; `end` is the truth's end (at least ref + 5 s), or ref + 30 s when it has
  none.
  An event about someone (wrong_way, camera_intrusion, loitering, person_down, abandoned_object) must also have a
  box that overlaps the box of one of the true event's people or objects at that time (by 30 % of the smaller).
  The delay is the first matching event's time − ref. Several events matching one true event count once for
  recall and are not false alarms (`duplicates` counts them).
- speed: milliseconds per frame of the pipeline alone (and per stage), frames per second of the whole run
  (rendering or decoding included).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from beffroi.sim.scene import SCENES, FrameTruth, Scene, SceneEvent, write_clip  # noqa: E402
from beffroi.video.camera import CameraConfig, load_camera, parse_camera  # noqa: E402
from beffroi.video.detections import Box  # noqa: E402
from beffroi.video.frames import Frame  # noqa: E402
from beffroi.video.pipeline import TRACKER_SETTINGS, CameraPipeline  # noqa: E402
from beffroi.video.sources import open_camera  # noqa: E402

DEFAULT_SEEDS = (100, 101, 102, 103, 104)
UNATTENDED_S = 20.0
"""The abandoned-object analytic's `unattended_s` here (its default, 60 s, outlasts the 90 s incidents scene)."""
LOITER_S = 30.0
"""The loitering analytic's `dwell_s`: the incidents scene's benches zone is watched from 30 s."""
EARLY_S = 2.0
"""A raised event up to this long before the true event still matches it."""
COVER = 0.3
"""An event about someone matches only if one of its boxes and the person's (or object's) box overlap by this
fraction of the smaller one."""
ABOUT_SOMEONE = frozenset({"wrong_way", "camera_intrusion", "loitering", "person_down", "abandoned_object"})
OPEN_END_S = 30.0
"""A true event without an end can be matched until this long after it becomes detectable."""
MIN_WINDOW_S = 5.0
"""A true event that ends sooner than this after it becomes detectable can be matched until then."""

WATCHERS: dict[str, dict[str, Any]] = {
    "person_down": {},
    "abandoned_object": {"unattended_s": UNATTENDED_S},
}
"""Analytics every scene runs, to count their false alarms where nothing happens."""
SCENE_ANALYTICS: dict[str, dict[str, dict[str, Any]]] = {
    "gate": {
        "wrong_way": {"line": "gate", "forbidden_direction": "out"},
        "line_crossing": {},
        "zone_count": {},
    },
    "concourse": {
        # The scene's crowd_density events start at 4 p/m²: the levels are set there.
        "density": {
            "zones": ["crowd"],
            "levels": {"standing_amber": 4.0, "standing_red": 4.7, "moving_amber": 4.0, "moving_red": 4.7},
        },
        "crowd_movement": {},
        "zone_count": {},
    },
    "incidents": {
        "forbidden_zone": {"zones": ["restricted"]},
        "loitering": {"zones": ["benches"], "dwell_s": LOITER_S},
        "crowd_movement": {},
        "zone_count": {},
    },
    "plaza": {
        "line_crossing": {},
        "crowd_movement": {},
        "zone_count": {},
    },
}
AUTHORISED = [
    "forbidden_zone",
    "person_on_ground",
    "abandoned_object",
    "outside_decree",
    "counting",
    "wrong_way",
    "crowd_movement",
    "excessive_density",
]
EVENT_OF_ANALYTIC = {
    "forbidden_zone": "camera_intrusion",
    "wrong_way": "wrong_way",
    "density": "crowd_density",
    "crowd_movement": "crowd_movement",
    "person_down": "person_down",
    "abandoned_object": "abandoned_object",
    "loitering": "loitering",
}


@dataclass
class Truth:
    """A true event: its type, when it becomes detectable, until when a raised event may match it, and the people
    and objects it is about (none: the crowd of a zone)."""

    type: str
    ref: float
    end: float
    about: frozenset[int] = frozenset()


@dataclass
class Raised:
    """An event the pipeline raised: its type, time, and the true people and objects its boxes cover then."""

    type: str
    ts: float
    covers: frozenset[int]


@dataclass
class Run:
    """What one scene and seed gave."""

    scene: str
    seed: int
    frames: int = 0
    pipeline_s: float = 0.0
    wall_s: float = 0.0
    stage_s: dict[str, float] = field(default_factory=dict)
    count_errors: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    """Per zone, counted − true for each second."""
    true_counts: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    lines_true: dict[str, list[int]] = field(default_factory=dict)
    lines_counted: dict[str, list[int]] = field(default_factory=dict)
    truths: list[Truth] = field(default_factory=list)
    raised: list[Raised] = field(default_factory=list)
    watched: set[str] = field(default_factory=set)


def analytics_of(scene_name: str) -> dict[str, dict[str, Any]]:
    """The analytics a scene runs: its own and the false-alarm watchers."""
    return {**SCENE_ANALYTICS[scene_name], **WATCHERS}


def truths_of(scene: Scene) -> list[Truth]:
    """The scene's true events with the time each becomes detectable."""
    truths = []
    for event in scene.events:
        ref = reference_ts(event)
        end = ref + OPEN_END_S if event.end_ts is None else max(event.end_ts, ref + MIN_WINDOW_S)
        about = frozenset((*event.person_ids, *event.object_ids)) if event.type in ABOUT_SOMEONE else frozenset()
        truths.append(Truth(str(event.type), ref, end, about))
    return truths


def covered(boxes: tuple[Box, ...], truth: FrameTruth) -> frozenset[int]:
    """The true people and objects at least `COVER` of whose (whole) box one of `boxes` covers, or who cover
    `COVER` of it."""
    ids = []
    for item in (*truth.people, *truth.objects):
        other = Box(*item.full_box)
        for box in boxes:
            inter = max(0.0, min(box.x2, other.x2) - max(box.x1, other.x1)) * max(
                0.0, min(box.y2, other.y2) - max(box.y1, other.y1)
            )
            if inter >= COVER * min(box.area, other.area) > 0:
                ids.append(item.id)
                break
    return frozenset(ids)


def reference_ts(event: SceneEvent) -> float:
    if event.type == "loitering":
        return event.start_ts + LOITER_S
    if event.type == "abandoned_object":
        return float(event.details.get("unattended_ts", event.start_ts)) + UNATTENDED_S
    return event.start_ts


def camera_for(scene: Scene, source: str, args: argparse.Namespace) -> dict[str, Any]:
    data = scene.camera_dict(source, analysis_width=args.width, analytics=analytics_of(scene.name))
    data["authorised"] = AUTHORISED
    data["analysis"]["detector"] = args.detector
    if args.model:
        data["analysis"]["model"] = args.model
        data["analysis"]["model_sha256"] = args.model_sha256
    return data


def memory_frames(scene: Scene, width: int) -> Iterator[Frame]:
    for index, ts, image, _ in scene.frames():
        if image.shape[1] == width:
            yield Frame(image, ts, index)
            continue
        size = (width, round(image.shape[0] * width / image.shape[1] / 2) * 2)
        yield Frame(np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8), ts, index)


def run_scene(name: str, seed: int, args: argparse.Namespace, workdir: Path) -> Run:
    render_width = args.render_width or args.width
    scene = SCENES[name](seed, width=render_width, height=render_width * 9 // 16 // 2 * 2, fps=args.fps)
    run = Run(name, seed)
    run.truths = truths_of(scene)
    run.watched = {EVENT_OF_ANALYTIC[kind] for kind in analytics_of(name) if kind in EVENT_OF_ANALYTIC}
    started = time.perf_counter()
    camera: CameraConfig
    if args.clips:
        path = workdir / f"{name}_{seed}.mp4"
        clip = write_clip(scene, path, analysis_width=args.width, analytics=analytics_of(name))
        camera = load_camera(clip.camera)
        camera = parse_camera({**camera.model_dump(mode="json"), **_overrides(camera, args)}, "bench")
        started = time.perf_counter()
        frames: Iterator[Frame] = iter(open_camera(camera))
    else:
        camera = parse_camera(camera_for(scene, "memory", args), "bench")
        frames = memory_frames(scene, args.width)
    truth_by_period: dict[tuple[str, int], list[int]] = defaultdict(list)
    counted: dict[tuple[str, int], int] = {}
    lines_counted: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    pipeline: CameraPipeline | None = None
    for frame in frames:
        index = round(frame.ts * scene.fps)
        if index >= scene.frame_count:
            break
        truth = scene.truth(index)
        if pipeline is None:
            settings = replace(TRACKER_SETTINGS, **json.loads(args.tracker))
            pipeline = CameraPipeline(camera, frame.width, frame.height, tracker_settings=settings)
        before = time.perf_counter()
        result = pipeline.process(frame)
        run.pipeline_s += time.perf_counter() - before
        run.frames += 1
        period = int(np.floor(frame.ts + 1e-9))
        for zone, count in truth.zone_counts.items():
            truth_by_period[(zone, period)].append(count)
        for zone_count in result.zone_counts:
            counted[(zone_count.zone, round(zone_count.ts) - 1)] = zone_count.count
        for line_count in result.line_counts:
            lines_counted[line_count.line][0] += line_count.inward
            lines_counted[line_count.line][1] += line_count.outward
        for event in result.events:
            boxes = tuple(_scale_box(box, render_width / frame.width) for box in event.boxes)
            run.raised.append(Raised(event.type, event.ts, covered(boxes, truth)))
    run.wall_s = time.perf_counter() - started
    for (zone, period), count in counted.items():
        truths = truth_by_period.get((zone, period))
        if not truths or period < args.skip_s:
            continue
        true = int(np.floor(float(np.median(truths)) + 0.5))
        run.count_errors[zone].append(count - true)
        run.true_counts[zone].append(true)
    lines_true: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for index in range(scene.frame_count):
        for crossing in scene.truth(index).crossings:
            lines_true[crossing.line][0 if crossing.direction == "in" else 1] += 1
    if "line_crossing" in analytics_of(name):
        run.lines_true = {line.name: lines_true[line.name] for line in scene.lines}
        run.lines_counted = {line.name: lines_counted[line.name] for line in scene.lines}
    if pipeline is not None:
        times = pipeline.stats.times
        run.stage_s = {
            "motion": times.motion,
            "detector": times.detector,
            "tracker": times.tracker,
            "analytics": times.analytics,
        }
    return run


def _scale_box(box: Box, factor: float) -> Box:
    return Box(box.x1 * factor, box.y1 * factor, box.x2 * factor, box.y2 * factor)


def _overrides(camera: CameraConfig, args: argparse.Namespace) -> dict[str, Any]:
    analysis = camera.analysis.model_dump(mode="json")
    analysis["detector"] = args.detector
    if args.model:
        analysis["model"], analysis["model_sha256"] = args.model, args.model_sha256
    return {"analysis": analysis, "authorised": AUTHORISED}


def match(runs: list[Run]) -> dict[str, dict[str, Any]]:
    """Precision, recall and delays per event type over the runs."""
    table: dict[str, dict[str, Any]] = {}
    per_type: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"truth": 0, "found": 0, "raised": 0, "true_raised": 0, "duplicates": 0, "delays": []}
    )
    for run in runs:
        for kind in run.watched:
            per_type[kind]  # every watched type shows, even with nothing raised
        for truth in run.truths:
            per_type[truth.type]["truth"] += 1
        matched: set[int] = set()
        delays: dict[int, float] = {}
        for raised in sorted(run.raised, key=lambda item: item.ts):
            kind, ts = raised.type, raised.ts
            row = per_type[kind]
            row["raised"] += 1
            hits = [
                i
                for i, truth in enumerate(run.truths)
                if truth.type == kind
                and truth.ref - EARLY_S <= ts <= truth.end + 1e-9
                and (not truth.about or truth.about & raised.covers)
            ]
            if not hits:
                continue
            row["true_raised"] += 1
            fresh = [i for i in hits if i not in matched]
            if not fresh:
                row["duplicates"] += 1
                continue
            first = fresh[0]
            matched.add(first)
            delays[first] = ts - run.truths[first].ref
        for i, delay in delays.items():
            per_type[run.truths[i].type]["found"] += 1
            per_type[run.truths[i].type]["delays"].append(delay)
    for kind, row in sorted(per_type.items()):
        delays_list: list[float] = row.pop("delays")
        table[kind] = {
            **row,
            "recall": _ratio(row["found"], row["truth"]),
            "precision": _ratio(row["true_raised"], row["raised"]),
            "delay_s": _spread(delays_list),
        }
    return table


def counting(runs: list[Run]) -> dict[str, Any]:
    zones: dict[str, dict[str, list[int]]] = defaultdict(lambda: {"errors": [], "true": []})
    for run in runs:
        for zone, errors in run.count_errors.items():
            zones[zone]["errors"] += errors
            zones[zone]["true"] += run.true_counts[zone]
    return {
        zone: {
            "mae": round(statistics.fmean(abs(error) for error in values["errors"]), 2),
            "bias": round(statistics.fmean(values["errors"]), 2),
            "mean_true": round(statistics.fmean(values["true"]), 2),
            "seconds": len(values["errors"]),
        }
        for zone, values in sorted(zones.items())
        if values["errors"]
    }


def lines(runs: list[Run]) -> dict[str, Any]:
    table: dict[str, dict[str, Any]] = {}
    for run in runs:
        for line, (true_in, true_out) in run.lines_true.items():
            row = table.setdefault(line, {"true_in": 0, "true_out": 0, "counted_in": 0, "counted_out": 0, "errors": []})
            counted_in, counted_out = run.lines_counted[line]
            row["true_in"] += true_in
            row["true_out"] += true_out
            row["counted_in"] += counted_in
            row["counted_out"] += counted_out
            row["errors"].append(abs(counted_in - true_in) + abs(counted_out - true_out))
    for row in table.values():
        errors = row.pop("errors")
        row["mean_abs_error_per_run"] = round(statistics.fmean(errors), 2)
    return table


def speed(runs: list[Run]) -> dict[str, Any]:
    frames = sum(run.frames for run in runs)
    pipeline_s = sum(run.pipeline_s for run in runs)
    stages = defaultdict(float)
    for run in runs:
        for stage, seconds in run.stage_s.items():
            stages[stage] += seconds
    return {
        "frames": frames,
        "pipeline_ms_per_frame": round(1000 * pipeline_s / max(frames, 1), 2),
        "stage_ms_per_frame": {stage: round(1000 * s / max(frames, 1), 2) for stage, s in stages.items()},
        "run_fps": round(frames / max(sum(run.wall_s for run in runs), 1e-9), 1),
    }


def summary(runs: list[Run]) -> dict[str, Any]:
    events = match(runs)
    found = sum(row["found"] for row in events.values())
    truth = sum(row["truth"] for row in events.values())
    raised = sum(row["raised"] for row in events.values())
    true_raised = sum(row["true_raised"] for row in events.values())
    out: dict[str, Any] = {"counting": counting(runs)}
    if any(run.lines_true for run in runs):
        out["lines"] = lines(runs)
    out["events"] = events
    out["events_all"] = {
        "truth": truth,
        "found": found,
        "recall": _ratio(found, truth),
        "raised": raised,
        "precision": _ratio(true_raised, raised),
    }
    out["speed"] = speed(runs)
    return out


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else round(numerator / denominator, 3)


def _spread(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {
        "mean": round(statistics.fmean(values), 2),
        "median": round(statistics.median(values), 2),
        "max": round(max(values), 2),
    }


def run_details(run: Run) -> dict[str, Any]:
    return {
        "scene": run.scene,
        "seed": run.seed,
        "truth": [(t.type, round(t.ref, 1)) for t in run.truths],
        "raised": [(raised.type, round(raised.ts, 1)) for raised in run.raised],
        "lines": {line: {"true": run.lines_true[line], "counted": run.lines_counted[line]} for line in run.lines_true},
        "count_mae": {zone: round(statistics.fmean(map(abs, e)), 2) for zone, e in run.count_errors.items() if e},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default=",".join(map(str, DEFAULT_SEEDS)))
    parser.add_argument("--scenes", default="gate,concourse,incidents,plaza")
    parser.add_argument("--width", type=int, default=640, help="analysis width")
    parser.add_argument("--render-width", type=int, default=None, help="rendered width (default: --width)")
    parser.add_argument("--fps", type=float, default=5.0)
    parser.add_argument("--detector", default="fallback")
    parser.add_argument("--model", default=None)
    parser.add_argument("--model-sha256", default=None)
    parser.add_argument("--clips", action="store_true", help="through H.264 clips and the file source")
    parser.add_argument("--skip-s", type=float, default=5.0, help="seconds of warm-up left out of counting")
    parser.add_argument("--details", action="store_true", help="one line per scene and seed")
    parser.add_argument("--tracker", default="{}", help="tracker settings over the pipeline's, as JSON (tuning)")
    args = parser.parse_args()
    seeds = [int(seed) for seed in args.seeds.split(",") if seed]
    scenes = [name for name in args.scenes.split(",") if name]
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="beffroi-video-accuracy-") as folder:
        for name in scenes:
            for seed in seeds:
                runs.append(run_scene(name, seed, args, Path(folder)))
    report: dict[str, Any] = {
        "settings": {
            "seeds": seeds,
            "width": args.width,
            "render_width": args.render_width or args.width,
            "fps": args.fps,
            "detector": args.detector,
            "clips": args.clips,
            "skip_s": args.skip_s,
            "unattended_s": UNATTENDED_S,
            "loiter_dwell_s": LOITER_S,
            "tracker": json.loads(args.tracker),
        },
        "scenes": {name: summary([run for run in runs if run.scene == name]) for name in scenes},
        "overall": summary(runs),
    }
    if args.details:
        report["runs"] = [run_details(run) for run in runs]
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
