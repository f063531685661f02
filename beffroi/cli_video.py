"""`beffroi video analyse CLIP --camera CAMERA.toml`: the whole video pipeline over a recorded clip, as fast as it
can, printing one JSON line per event (type, time in the clip, track ids, zone, confidence) and the zone counts per
second — how an integrator checks a camera's zones and thresholds on footage before going live.

Lines on stdout, each a JSON object with a `kind`: `event`, `zone_count`, `line_count`, then one `summary` (frames,
analysed fps, time per stage). `--snapshots DIR` writes each event's annotated picture there. The clip replaces the
camera's `source`; zone counting is added when the camera has zones and does not list `zone_count` itself.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import click

from beffroi.errors import BeffroiError
from beffroi.video.analytics.base import LegalBasis, LineCount, VideoEvent, ZoneCount
from beffroi.video.camera import CameraConfig, load_camera
from beffroi.video.pipeline import CameraPipeline
from beffroi.video.snapshot import annotate, encode_jpeg
from beffroi.video.sources import open_source


@click.group()
def video() -> None:
    """Video analytics: check a camera's settings on recorded footage."""


@video.command("analyse")
@click.argument("clip", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--camera", "camera_file", required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--snapshots", type=click.Path(file_okay=False, path_type=Path), help="Write each event's picture here.")
@click.option("--counts/--no-counts", default=True, help="Print zone counts per second (default: on).")
def analyse(clip: Path, camera_file: Path, snapshots: Path | None, counts: bool) -> None:
    """Run CAMERA.toml's analysis over CLIP and print JSON lines."""
    try:
        camera = with_counting(load_camera(camera_file), counts)
        summary = analyse_clip(clip, camera, sys.stdout, snapshots)
    except BeffroiError as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps(summary, separators=(",", ":")))


def with_counting(camera: CameraConfig, counts: bool) -> CameraConfig:
    """The camera with zone counting on when asked, it has zones and counting is authorised."""
    authorised = camera.authorised is None or LegalBasis.COUNTING.value in camera.authorised
    if not counts or not camera.zones or "zone_count" in camera.analytics or not authorised:
        return camera
    return camera.model_copy(update={"analytics": {**camera.analytics, "zone_count": {}}})


def analyse_clip(clip: Path, camera: CameraConfig, out: TextIO, snapshots: Path | None = None) -> dict[str, Any]:
    """Analyse the clip, writing JSON lines to `out`; the summary."""
    if snapshots is not None:
        snapshots.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    pipeline: CameraPipeline | None = None
    events = 0
    with open_source(clip, fps=camera.analysis.fps, width=camera.analysis.width) as source:
        for frame in source:
            if pipeline is None:
                pipeline = CameraPipeline.for_frame(camera, frame)
            result = pipeline.process(frame)
            for event in result.events:
                events += 1
                picture = None
                if snapshots is not None:
                    picture = snapshots / f"{events:05d}-{event.type}.jpg"
                    image = annotate(frame.image, pipeline.view, result.tracks, event, frame.ts)
                    picture.write_bytes(encode_jpeg(image))
                _write(out, event_line(event, picture))
            for count in result.zone_counts:
                _write(out, zone_count_line(count))
            for line in result.line_counts:
                _write(out, line_count_line(line))
    wall = time.perf_counter() - started
    if pipeline is None:
        return {"kind": "summary", "frames": 0, "events": 0, "seconds": round(wall, 3)}
    stats = pipeline.stats
    return {
        "kind": "summary",
        "camera": camera.id,
        "frames": stats.frames,
        "detector": pipeline.detector.name,
        "detector_runs": stats.detector_runs,
        "full_frame_runs": stats.full_frame_runs,
        "frames_without_motion": stats.skipped_still,
        "events": events,
        "seconds": round(wall, 3),
        "analysed_fps": round(stats.frames / wall, 1) if wall > 0 else None,
        "seconds_per_stage": {
            "motion": round(stats.times.motion, 3),
            "detector": round(stats.times.detector, 3),
            "tracker": round(stats.times.tracker, 3),
            "analytics": round(stats.times.analytics, 3),
        },
    }


def event_line(event: VideoEvent, picture: Path | None = None) -> dict[str, Any]:
    """An event as the CLI prints it."""
    line: dict[str, Any] = {
        "kind": "event",
        "type": event.type,
        "t": round(event.ts, 2),
        "track_ids": list(event.track_ids),
        "zone": event.zone,
        "confidence": round(event.confidence, 3),
        "analytic": event.analytic,
        "legal_basis": event.legal_basis.value,
        "details": event.details,
    }
    if picture is not None:
        line["snapshot"] = str(picture)
    return line


def zone_count_line(count: ZoneCount) -> dict[str, Any]:
    """A zone count as the CLI prints it."""
    density = None if count.density is None else round(count.density, 3)
    return {"kind": "zone_count", "t": round(count.ts, 2), "zone": count.zone, "count": count.count, "density": density}


def line_count_line(count: LineCount) -> dict[str, Any]:
    """A line count as the CLI prints it."""
    return {
        "kind": "line_count",
        "t": round(count.ts, 2),
        "line": count.line,
        "in": count.inward,
        "out": count.outward,
        "period_s": round(count.period_s, 3),
    }


def _write(out: TextIO, line: dict[str, Any]) -> None:
    out.write(json.dumps(line, separators=(",", ":"), default=str) + "\n")
