"""A scene written to disk: the video (H.264 in MP4), its ground truth (JSON) and its camera (CAMERA.toml)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from beffroi.sim.scene.scene import Scene

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True, slots=True)
class Clip:
    """The files of a written scene and how many frames the video holds."""

    video: Path
    truth: Path
    camera: Path
    frame_count: int


def write_clip(
    scene: Scene,
    path: Path,
    *,
    crf: int = 20,
    preset: str = "veryfast",
    analysis_width: int | None = None,
    analytics: dict[str, dict[str, Any]] | None = None,
) -> Clip:
    """Render the whole scene into `path` (H.264, yuv420p, MP4), its truth into `path.with_suffix('.truth.json')`
    and its camera into `path.with_suffix('.camera.toml')` (source: the video's file name, next to it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = []
    rate = Fraction(scene.fps).limit_denominator(1001)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width = scene.camera.width
        stream.height = scene.camera.height
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "preset": preset}
        for frame in scene.frames():
            video_frame = av.VideoFrame.from_ndarray(frame.image, format="bgr24")
            video_frame.pts = frame.frame_index
            video_frame.time_base = 1 / rate
            container.mux(stream.encode(video_frame))
            frames.append(frame.truth.to_json())
        container.mux(stream.encode(None))
    truth_path = path.with_suffix(".truth.json")
    document = {**scene_summary(scene), "video": path.name, "frames": frames}
    truth_path.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
    camera_path = path.with_suffix(".camera.toml")
    camera = scene.camera_dict(path.name, analysis_width=analysis_width, analytics=analytics)
    camera_path.write_text(toml_text(camera), encoding="utf-8")
    return Clip(path, truth_path, camera_path, len(frames))


def scene_summary(scene: Scene) -> dict[str, Any]:
    """The scene's description for its truth file: name, seed, size, timing, places (metres), people, objects
    and events."""
    return {
        "scene": scene.name,
        "seed": scene.seed,
        "description": scene.description,
        "width": scene.camera.width,
        "height": scene.camera.height,
        "fps": scene.fps,
        "duration_s": scene.duration_s,
        "frame_count": scene.frame_count,
        "zones": [
            {
                "name": z.name,
                "kind": z.kind,
                "polygon_m": [list(p) for p in z.polygon],
                "polygon": [list(p) for p in scene.normalised(z.polygon)],
                "area_m2": z.area_m2,
                "density_threshold": z.density_threshold,
                "loiter_after_s": z.loiter_after_s,
            }
            for z in scene.zones
        ],
        "lines": [
            {
                "name": ln.name,
                "a_m": list(ln.a),
                "b_m": list(ln.b),
                "a": list(scene.normalised([ln.a])[0]),
                "b": list(scene.normalised([ln.b])[0]),
                "width_m": ln.width_m,
                "flow": ln.flow,
            }
            for ln in scene.lines
        ],
        "people": [{"id": p.id, "height_m": p.height_m, "width_m": p.width_m} for p in scene.people],
        "objects": [
            {
                "id": o.id,
                "kind": o.kind,
                "owner_id": o.owner_id,
                "drop_ts": o.drop_ts,
                "ground": list(scene.drop_point(o.id)),
            }
            for o in scene.props
        ],
        "events": [event.to_json() for event in scene.events],
    }


def toml_text(data: Mapping[str, Any]) -> str:
    """A TOML document for nested dicts of strings, numbers, booleans and lists (None values are left out)."""
    lines: list[str] = []
    _table(lines, (), data)
    return "\n".join(lines).lstrip("\n") + "\n"


def _table(lines: list[str], path: tuple[str, ...], table: Mapping[str, Any]) -> None:
    nested = []
    for key, value in table.items():
        if value is None:
            continue
        if isinstance(value, Mapping) or _is_table_list(value):
            nested.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in nested:
        name = ".".join(_key(part) for part in (*path, key))
        if isinstance(value, Mapping):
            lines += ["", f"[{name}]"]
            _table(lines, (*path, key), value)
        else:
            for item in value:
                lines += ["", f"[[{name}]]"]
                _table(lines, (*path, key), item)


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list | tuple) and bool(value) and all(isinstance(item, Mapping) for item in value)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError("TOML: no NaN or infinity here")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items() if v is not None) + "}"
    raise TypeError(f"TOML: cannot write {type(value).__name__}")
