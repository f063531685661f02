"""Video files as frame sources: rate reduction by the file's own times, resizing, realtime pacing, looping, errors."""

from __future__ import annotations

import time
from pathlib import Path

import av
import numpy as np
import pytest

from beffroi.errors import ConfigError
from beffroi.video.sources import FileSource, SourceState, SourceStatus, open_source


def write_clip(path: Path, *, frames: int, fps: int = 30, size: tuple[int, int] = (640, 360)) -> Path:
    """A clip whose frame number i is a flat grey of level 2·i, ± a few levels after compression (so a delivered
    frame tells roughly which one it was)."""
    width, height = size
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"qscale": "2"}
        for index in range(frames):
            image = np.full((height, width, 3), 2 * index, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 s at 30 fps, 640 × 360."""
    return write_clip(tmp_path_factory.mktemp("clips") / "three_seconds.mp4", frames=90)


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1 s at 30 fps, 640 × 360."""
    return write_clip(tmp_path_factory.mktemp("clips") / "one_second.mp4", frames=30)


def grey_level(image: np.ndarray) -> float:
    return float(image.mean())


def test_a_30_fps_clip_at_5_fps_gives_every_sixth_frame_at_its_own_time(clip: Path) -> None:
    reports: list[SourceStatus] = []
    source = FileSource(clip, fps=5, width=320, on_status=reports.append)

    frames = list(source)

    assert len(frames) == 15
    assert [f.index for f in frames] == list(range(0, 90, 6))
    assert [f.ts for f in frames] == pytest.approx([i * 0.2 for i in range(15)], abs=1e-6)
    assert [grey_level(f.image) for f in frames] == pytest.approx([2 * f.index for f in frames], abs=5)
    assert {(f.width, f.height) for f in frames} == {(320, 180)}
    assert frames[0].image.dtype == np.uint8 and frames[0].image.shape == (180, 320, 3)
    assert [r.state for r in reports] == [SourceState.CONNECTING, SourceState.ONLINE, SourceState.ENDED]
    final = source.status()
    assert (final.frames_decoded, final.frames_delivered, final.frames_dropped) == (90, 15, 0)
    assert source.size == (320, 180) and source.source_fps == pytest.approx(30)


def test_a_rate_that_does_not_divide_the_clips_picks_the_nearest_frames(clip: Path) -> None:
    frames = list(FileSource(clip, fps=7, width=640))

    assert len(frames) == 21
    grid = np.arange(21) / 7
    assert np.all(np.abs(np.array([f.ts for f in frames]) - grid) <= 1 / 60 + 1e-6)  # the nearest frame to each
    assert frames[0].image.shape == (360, 640, 3)  # already at most 640 wide: never enlarged


def test_a_rate_above_the_clips_keeps_every_frame(short_clip: Path) -> None:
    frames = list(FileSource(short_clip, fps=60, width=1280))

    assert [f.index for f in frames] == list(range(30))
    assert frames[0].image.shape == (360, 640, 3)


def test_realtime_paces_frames_at_the_clips_time_stamped_with_the_wall_clock(short_clip: Path) -> None:
    started = time.time()
    lags = []
    frames = []
    for frame in FileSource(short_clip, fps=10, width=160, realtime=True):
        lags.append(time.time() - frame.ts)
        frames.append(frame)
    elapsed = time.time() - started

    assert len(frames) == 10
    assert 0.85 <= elapsed < 1.5
    assert frames[0].ts == pytest.approx(started, abs=0.3)
    assert np.diff([f.ts for f in frames]) == pytest.approx([0.1] * 9, abs=1e-6)
    assert max(lags) < 0.15  # released on time (a frame later than one period would be dropped)


def test_realtime_drops_frames_a_slow_consumer_could_not_take_and_says_so(short_clip: Path) -> None:
    reports: list[SourceStatus] = []
    source = FileSource(short_clip, fps=10, width=160, realtime=True, on_status=reports.append, report_every_s=0)
    indices = []
    for frame in source:
        indices.append(frame.index)
        if len(indices) == 2:
            time.sleep(0.45)  # the frames due meanwhile are gone, as with a live camera

    assert indices[:2] == [0, 3]
    assert 3 <= source.status().frames_dropped <= 5
    assert len(indices) + source.status().frames_dropped == 10
    assert any(r.frames_dropped > 0 and r.state == SourceState.ONLINE for r in reports)


def test_a_looping_clip_goes_on_with_increasing_times_and_indices_until_closed(short_clip: Path) -> None:
    source = FileSource(short_clip, fps=5, width=160, loop=True)
    frames = []
    for frame in source:
        frames.append(frame)
        if len(frames) == 12:
            source.close()

    assert len(frames) == 12
    assert [f.ts for f in frames] == pytest.approx([i * 0.2 for i in range(12)], abs=1e-6)
    assert [f.index for f in frames] == [i * 6 for i in range(12)]
    assert grey_level(frames[5].image) == pytest.approx(0, abs=2)  # second pass starts at the clip's first frame
    assert source.status().state == SourceState.CLOSED


def test_closing_between_frames_releases_the_clip(short_clip: Path) -> None:
    with FileSource(short_clip, fps=5, width=160, loop=True) as source:
        iterator = iter(source)
        first = next(iterator)
    assert first.index == 0
    assert list(iterator) == []
    assert source.status().state == SourceState.CLOSED


async def test_async_iteration_gives_the_same_frames(short_clip: Path) -> None:
    frames = [frame async for frame in FileSource(short_clip, fps=5, width=160)]

    assert [f.index for f in frames] == [0, 6, 12, 18, 24]


def test_a_missing_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.mp4"
    with pytest.raises(ConfigError) as caught:
        open_source(missing)
    assert caught.value.source == str(missing)
    assert caught.value.problems == ["file not found"]


def test_a_file_that_is_not_a_video_is_a_config_error_with_ffmpegs_reason(tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("not a video at all\n" * 20)
    with pytest.raises(ConfigError) as caught:
        FileSource(text)
    assert caught.value.source == str(text)
    assert "cannot be read as video" in caught.value.problems[0]
    assert "Invalid data" in caught.value.problems[0]


def test_the_factory_picks_the_source_by_its_form_and_refuses_unknown_schemes(short_clip: Path) -> None:
    assert isinstance(open_source(short_clip), FileSource)
    assert isinstance(open_source(f"file://{short_clip}"), FileSource)
    with pytest.raises(ConfigError) as caught:
        open_source("gopher://user:secret@camera.local/feed")
    assert "secret" not in str(caught.value) and "gopher" in str(caught.value)
