"""`beffroi video analyse CLIP --camera CAMERA.toml`: JSON lines of events, zone counts and line counts for a
recorded clip, a summary, pictures of the events, and clear errors for a bad camera file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from beffroi.cli import main
from beffroi.sim.scene import Clip, gate_scene, write_clip

ANALYTICS = {"wrong_way": {"line": "gate", "forbidden_direction": "out"}, "line_crossing": {}}


@pytest.fixture(scope="module")
def gate_clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    folder = tmp_path_factory.mktemp("clip")
    scene = gate_scene(11, width=640, height=360, fps=5.0, duration_s=50.0)
    return write_clip(scene, folder / "gate.mp4", analytics=ANALYTICS)


def test_a_clip_gives_json_lines_and_a_summary(gate_clip: Clip, tmp_path: Path) -> None:
    pictures = tmp_path / "pictures"
    arguments = ["video", "analyse", str(gate_clip.video), "--camera", str(gate_clip.camera)]
    result = CliRunner().invoke(main, [*arguments, "--snapshots", str(pictures)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    summary = lines[-1]
    assert summary["kind"] == "summary" and summary["frames"] == gate_clip.frame_count
    assert summary["detector"] == "fallback" and summary["analysed_fps"] > 0
    counts = [line for line in lines if line["kind"] == "zone_count"]
    assert {line["zone"] for line in counts} == {"approach", "exit"}  # counting added: the camera has zones
    assert [line["t"] for line in counts if line["zone"] == "approach"] == sorted(
        line["t"] for line in counts if line["zone"] == "approach"
    )
    crossings = [line for line in lines if line["kind"] == "line_count"]
    assert crossings and all(line["line"] == "gate" for line in crossings)
    assert sum(line["in"] for line in crossings) > 0  # people walk through the gate toward the camera
    for event in (line for line in lines if line["kind"] == "event"):
        assert event["legal_basis"] in {"wrong_way", "counting"}
        assert Path(event["snapshot"]).read_bytes().startswith(b"\xff\xd8")


def test_without_counts_no_zone_count_is_printed(gate_clip: Clip) -> None:
    result = CliRunner().invoke(
        main, ["video", "analyse", str(gate_clip.video), "--camera", str(gate_clip.camera), "--no-counts"]
    )
    assert result.exit_code == 0, result.output
    assert not [line for line in result.stdout.splitlines() if '"zone_count"' in line]


def test_a_bad_camera_file_names_the_key(gate_clip: Clip, tmp_path: Path) -> None:
    camera = tmp_path / "bad.toml"
    camera.write_text('id = "cam"\nsource = "x.mp4"\n[analysis]\nfps = -1\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["video", "analyse", str(gate_clip.video), "--camera", str(camera)])
    assert result.exit_code == 1
    assert "analysis.fps" in result.output
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('id = "cam"\nsource = "x.mp4"\n[analytics.face_recognition]\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["video", "analyse", str(gate_clip.video), "--camera", str(unknown)])
    assert result.exit_code == 1
    assert "analytics.face_recognition: unknown analytic" in result.output
