"""Scenes written to disk (H.264 MP4, truth JSON, CAMERA.toml) and the light over time."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import av
import numpy as np
import pytest

from beffroi.sim.scene import incidents_scene, plaza_scene, toml_text, write_clip
from beffroi.video.analytics.base import CameraView
from beffroi.video.camera import load_camera


def test_a_written_clip_decodes_back_with_its_truth_and_camera(tmp_path: Path) -> None:
    scene = incidents_scene(4, width=320, height=180, duration_s=4.0)
    clip = write_clip(scene, tmp_path / "incidents.mp4")
    assert clip.frame_count == scene.frame_count == 40
    with av.open(str(clip.video)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = [frame.to_ndarray(format="bgr24") for frame in container.decode(stream)]
    assert len(frames) == 40
    assert frames[0].shape == (180, 320, 3)
    # What comes back looks like what was rendered.
    rendered = scene.render(20).image.astype(float)
    assert np.abs(frames[20].astype(float) - rendered).mean() < 6.0

    truth = json.loads(clip.truth.read_text())
    assert clip.truth == tmp_path / "incidents.truth.json"
    assert truth["video"] == "incidents.mp4" and truth["fps"] == 10.0 and len(truth["frames"]) == 40
    assert truth["frames"][20] == json.loads(json.dumps(scene.truth(20).to_json()))
    assert truth["events"] == [json.loads(json.dumps(event.to_json())) for event in scene.events]
    assert truth["objects"][0]["id"] == 1001 and truth["objects"][0]["drop_ts"] == scene.props[0].drop_ts

    camera = load_camera(clip.camera)
    assert camera.source == str(tmp_path / "incidents.mp4")
    assert camera.analysis.fps == 10.0 and camera.analysis.width == 320
    view = CameraView.build(camera, 320, 180)
    for zone in scene.zones:
        assert view.zones[zone.name].area_m2 == pytest.approx(zone.area_m2, rel=1e-6)
        assert view.ground is not None
        # The config's ground plane puts the zone's corners where the scene's camera shows them.
        area = view.ground.area_m2(list(view.zones[zone.name].polygon.exterior.coords)[:-1])
        assert area == pytest.approx(zone.area_m2, rel=0.02)
    assert camera.zone("restricted").kind == "forbidden"


def test_camera_toml_round_trips() -> None:
    scene = plaza_scene(1, duration_s=2.0)
    described = scene.camera_dict(
        "plaza.mp4", camera_id="cam-7", analysis_width=640, analytics={"crowd": {"zones": ["plaza"]}}
    )
    parsed = tomllib.loads(toml_text(described))
    assert parsed["id"] == "cam-7" and parsed["analysis"] == {"fps": 10.0, "width": 640}
    assert parsed["analytics"] == {"crowd": {"zones": ["plaza"]}}
    assert parsed["lines"][0]["name"] == "midline" and parsed["lines"][0]["width_m"] == 14.0
    assert [tuple(p) for p in parsed["ground"]["image_points"]] == [
        tuple(p) for p in described["ground"]["image_points"]
    ]
    assert parsed["zones"][0]["polygon"] == described["zones"][0]["polygon"]


def test_a_cloud_darkens_the_picture_and_the_light_drifts() -> None:
    scene = plaza_scene(2, width=320, height=180)
    cloud = scene.lighting.cloud_ts
    assert cloud is not None
    before = scene.render(round((cloud - 1.0) * scene.fps))
    after = scene.render(round((cloud + 1.0) * scene.fps))
    ratio = after.image.mean() / before.image.mean()
    assert ratio == pytest.approx(scene.lighting.cloud_gain, abs=0.06)
    assert after.truth.light_gain / before.truth.light_gain == pytest.approx(ratio, abs=0.03)
    # Without the cloud, the light still drifts a little, and each frame has its own noise.
    gains = [scene.lighting.gain(ts) for ts in np.arange(0.0, cloud - 1.0, 0.5)]
    assert 0.005 < max(gains) - min(gains) < 0.15
    first, second = scene.render(0).image.astype(int), scene.render(1).image.astype(int)
    assert 1.0 < np.abs(first - second).mean() < 8.0
