"""How many cameras of 720p one machine analyses at 5 frames/s: per camera cost, memory, and live capacity.

A 720p clip of the synthetic gate scene (people walking through a gate, one walking the wrong way) is rendered and
encoded to H.264 first. Then, for each configuration — the fallback detector (what OpenCV ships) and an ONNX model
of YOLOv8n's size and cost (random weights, built here, 320 px input), each with and without the motion gate —:
1. `per_camera`: one camera's clip decoded (720p) and analysed (640 × 360, 5 frames/s) as fast as it goes, on one
   thread: analysed frames/s and CPU ms per frame; the baseline in the same run is decoding alone.
2. `live`: N cameras at once, each playing the clip at its own pace in its own thread (as the video worker runs
   them), for `--seconds`: the frames/s each camera achieves, frames dropped (a camera behind its stream), and the
   largest N keeping ≥ 95 % of 5 frames/s with < 2 % dropped ("cameras per machine"); RSS per camera.
Prints one JSON object.

Usage: .venv/bin/python bench/video_cameras.py [--cameras 4,8,12] [--seconds 30] [--only fallback] [--no-onnx]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import psutil  # noqa: E402
from yolo_sized_model import build_model  # noqa: E402

from beffroi.sim.scene import gate_scene, write_clip  # noqa: E402
from beffroi.video.camera import CameraConfig, parse_camera  # noqa: E402
from beffroi.video.pipeline import CameraPipeline  # noqa: E402
from beffroi.video.sources import open_source  # noqa: E402

FPS = 5.0
ANALYSIS_WIDTH = 640
ANALYTICS = {"wrong_way": {"line": "gate", "forbidden_direction": "out"}, "line_crossing": {}, "zone_count": {}}


def render_clip(folder: Path, seconds: float) -> tuple[Path, dict[str, Any]]:
    """A 720p, 15 frames/s H.264 clip of the gate scene and its camera (as a dict)."""
    scene = gate_scene(21, width=1280, height=720, fps=15.0, duration_s=seconds)
    clip = write_clip(scene, folder / "gate.mp4", analysis_width=ANALYSIS_WIDTH, analytics=ANALYTICS)
    camera = scene.camera_dict(str(clip.video), analysis_width=ANALYSIS_WIDTH, analytics=ANALYTICS)
    camera["analysis"]["fps"] = FPS
    return clip.video, camera


def configurations(camera: dict[str, Any], model: Path | None) -> dict[str, CameraConfig]:
    """The camera under each detector, with and without the motion gate."""
    found: dict[str, CameraConfig] = {}
    detectors: list[tuple[str, dict[str, Any]]] = [("fallback", {"detector": "fallback"})]
    if model is not None:
        digest = hashlib.sha256(model.read_bytes()).hexdigest()
        onnx = {"detector": "onnx_yolo", "model": str(model), "model_sha256": digest, "model_input": 320}
        detectors.append(("onnx_yolov8n_size_320", onnx))
    for name, detector in detectors:
        for gate in (True, False):
            analysis = {**camera["analysis"], **detector, "motion_gate": gate}
            data = {**camera, "id": f"{name}-{'gate' if gate else 'nogate'}", "analysis": analysis}
            found[f"{name}{'' if gate else '_no_motion_gate'}"] = parse_camera(data, "bench")
    return found


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def decode_only(clip: Path) -> dict[str, Any]:
    """Baseline: the clip decoded and reduced to the analysis rate and width, nothing analysed."""
    started, cpu = time.perf_counter(), cpu_s()
    with open_source(clip, fps=FPS, width=ANALYSIS_WIDTH) as source:
        frames = sum(1 for _ in source)
    wall, used = time.perf_counter() - started, cpu_s() - cpu
    return {
        "frames": frames,
        "frames_per_s": round(frames / wall, 1),
        "cpu_ms_per_frame": round(1000 * used / frames, 2),
    }


def per_camera(clip: Path, camera: CameraConfig) -> dict[str, Any]:
    """One camera analysed as fast as it goes (decode included)."""
    started, cpu = time.perf_counter(), cpu_s()
    pipeline: CameraPipeline | None = None
    events = 0
    with open_source(clip, fps=FPS, width=ANALYSIS_WIDTH) as source:
        for frame in source:
            pipeline = pipeline or CameraPipeline.for_frame(camera, frame)
            events += len(pipeline.process(frame).events)
    assert pipeline is not None
    wall, used = time.perf_counter() - started, cpu_s() - cpu
    stats = pipeline.stats
    times = stats.times
    return {
        "frames": stats.frames,
        "frames_per_s": round(stats.frames / wall, 1),
        "cpu_ms_per_frame": round(1000 * used / stats.frames, 2),
        "detector_runs": stats.detector_runs,
        "full_frame_runs": stats.full_frame_runs,
        "ms_per_frame_by_stage": {
            stage: round(1000 * getattr(times, stage) / stats.frames, 2)
            for stage in ("motion", "detector", "tracker", "analytics")
        },
        "events": events,
    }


def live(clip: Path, camera: CameraConfig, cameras: int, seconds: float) -> dict[str, Any]:
    """`cameras` cameras playing the clip at its pace, each in its thread, for `seconds`."""
    process = psutil.Process()
    rss_before = process.memory_info().rss
    stop = threading.Event()
    analysed = [0] * cameras
    dropped = [0] * cameras
    peak_rss = [rss_before]

    def run(index: int) -> None:
        pipeline: CameraPipeline | None = None
        with open_source(clip, fps=FPS, width=ANALYSIS_WIDTH, realtime=True, loop=True) as source:
            for frame in source:
                if stop.is_set():
                    break
                pipeline = pipeline or CameraPipeline.for_frame(camera, frame)
                pipeline.process(frame)
                analysed[index] += 1
            dropped[index] = source.status().frames_dropped

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(cameras)]
    cpu = cpu_s()
    for thread in threads:
        thread.start()
    warm_s = 3.0
    time.sleep(warm_s)
    counted_from = list(analysed)
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        time.sleep(0.5)
        peak_rss[0] = max(peak_rss[0], process.memory_info().rss)
    counts = [now - before for now, before in zip(analysed, counted_from, strict=True)]
    wall = time.perf_counter() - started
    stop.set()
    for thread in threads:
        thread.join(10.0)
    fps = [count / wall for count in counts]
    expected = sum(analysed) + sum(dropped)
    return {
        "cameras": cameras,
        "fps_per_camera_min": round(min(fps), 2),
        "fps_per_camera_mean": round(sum(fps) / cameras, 2),
        "dropped_share": round(sum(dropped) / expected, 4) if expected else 0.0,
        "cpu_cores_used": round((cpu_s() - cpu) / (wall + warm_s), 2),
        "rss_mb_per_camera": round((peak_rss[0] - rss_before) / cameras / 2**20, 1),
        "keeps_up": min(fps) >= 0.95 * FPS and (sum(dropped) / expected if expected else 0.0) < 0.02,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cameras", default="4,8,12", help="camera counts for the live run")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured seconds per live run")
    parser.add_argument("--clip-seconds", type=float, default=40.0)
    parser.add_argument("--only", default=None, help="only configurations whose name contains this")
    parser.add_argument("--no-onnx", action="store_true", help="skip the ONNX model")
    arguments = parser.parse_args()
    counts = [int(n) for n in arguments.cameras.split(",")]
    with tempfile.TemporaryDirectory(prefix="beffroi-video-bench-") as folder_name:
        folder = Path(folder_name)
        clip, camera = render_clip(folder, arguments.clip_seconds)
        model = None
        model_info: dict[str, Any] = {}
        if not arguments.no_onnx:
            model = folder / "yolov8n_sized.onnx"
            model_info = build_model(model)
        configs = configurations(camera, model)
        if arguments.only:
            configs = {name: config for name, config in configs.items() if arguments.only in name}
        result: dict[str, Any] = {
            "benchmark": "video_cameras",
            "cpu_count": os.cpu_count(),
            "source": "1280x720 H.264, 15 fps (synthetic gate scene)",
            "analysis": {"fps": FPS, "width": ANALYSIS_WIDTH},
            "onnx_model": model_info,
            "baseline_decode_only": decode_only(clip),
            "per_camera": {name: per_camera(clip, config) for name, config in configs.items()},
            "live": {},
        }
        for name, config in configs.items():
            runs = []
            for cameras in counts:
                run = live(clip, config, cameras, arguments.seconds)
                runs.append(run)
                if not run["keeps_up"]:
                    break
            kept = [run["cameras"] for run in runs if run["keeps_up"]]
            result["live"][name] = {"runs": runs, "cameras_kept_up": max(kept) if kept else 0}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
