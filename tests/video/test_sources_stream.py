"""Live streams as frame sources: an MJPEG-over-HTTP camera served in the test, going away and coming back, and a
consumer slower than the stream."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from beffroi.video.sources import Backoff, SourceState, SourceStatus, StreamSource, open_source
from beffroi.video.sources.base import redact
from tests.video.mjpeg_camera import MjpegCamera


@pytest.fixture
def camera() -> Iterator[MjpegCamera]:
    camera = MjpegCamera()
    camera.start()
    yield camera
    if camera._server is not None:
        camera.stop()


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_frames_of_an_mjpeg_camera_arrive_at_the_analysis_rate_and_width(camera: MjpegCamera) -> None:
    reports: list[SourceStatus] = []
    source = open_source(camera.url, fps=10, width=160, on_status=reports.append)
    assert isinstance(source, StreamSource)
    frames = []
    started = time.time()
    with source:
        for frame in source:
            frames.append(frame)
            if len(frames) == 8:
                break
    elapsed = time.time() - started

    assert {f.image.shape for f in frames} == {(120, 160, 3)}
    assert all(started - 0.1 <= f.ts <= time.time() for f in frames)  # stamped with the wall clock
    assert 0.6 <= elapsed < 2.0  # 8 frames at 10 fps
    assert np.all(np.diff([f.index for f in frames]) >= 1)
    assert reports[0].state == SourceState.CONNECTING
    assert SourceState.ONLINE in [r.state for r in reports]
    assert reports[-1].state == SourceState.CLOSED
    final = source.status()
    assert final.frames_delivered == 8
    assert final.frames_decoded > 8  # the camera sends 30 fps; the rest were skipped, not dropped
    assert final.frames_dropped == 0


def test_a_camera_that_goes_away_is_reported_offline_then_reconnected(camera: MjpegCamera) -> None:
    reports: list[SourceStatus] = []
    seen = threading.Event()
    source = StreamSource(
        camera.url,
        fps=10,
        width=160,
        on_status=reports.append,
        backoff=Backoff(initial_s=0.05, max_s=0.2, jitter=0.0),
        read_timeout_s=2.0,
    )
    delivered: list[float] = []

    def consume() -> None:
        for frame in source:
            delivered.append(frame.ts)
            seen.set()

    consumer = threading.Thread(target=consume)
    consumer.start()
    try:
        assert seen.wait(5.0)
        camera.stop()
        assert wait_for(lambda: source.status().state in (SourceState.OFFLINE, SourceState.RECONNECTING))
        offline = next(r for r in reports if r.state == SourceState.OFFLINE)
        assert offline.reason
        assert offline.retry_in_s == pytest.approx(0.05)
        assert wait_for(lambda: source.status().attempt >= 2)  # refused meanwhile, retried with back-off
        assert any(r.state == SourceState.RECONNECTING for r in reports)
        before = len(delivered)

        camera.start()
        assert wait_for(lambda: len(delivered) > before + 2)
        assert source.status().state == SourceState.ONLINE
        assert source.status().attempt == 0
        age = source.status().last_frame_age_s
        assert age is not None and age < 0.5
    finally:
        source.close()
        consumer.join(timeout=3)
    assert not consumer.is_alive()
    states = [r.state for r in reports]
    first_offline = states.index(SourceState.OFFLINE)
    assert SourceState.ONLINE in states[:first_offline] and SourceState.ONLINE in states[first_offline:]
    attempts = [r.attempt for r in reports if r.state == SourceState.OFFLINE]
    assert attempts[:2] == [1, 2]
    delays = [r.retry_in_s for r in reports if r.state == SourceState.OFFLINE]
    assert delays[:2] == pytest.approx([0.05, 0.1])  # doubling


def test_a_consumer_slower_than_the_stream_drops_frames_and_says_so(
    camera: MjpegCamera, caplog: pytest.LogCaptureFixture
) -> None:
    reports: list[SourceStatus] = []
    source = StreamSource(camera.url, fps=20, width=160, on_status=reports.append, report_every_s=0.0)
    taken = 0
    with caplog.at_level(logging.WARNING, logger="beffroi.video.sources"), source:
        for _frame in source:
            taken += 1
            if taken == 5:
                break
            time.sleep(0.2)  # analysis takes 4 frame periods

    dropped = source.status().frames_dropped
    assert 8 <= dropped <= 20  # about 3 a frame (0.8 s asleep at 20 fps = 16 slots, 4 of them taken)
    assert any(r.frames_dropped > 0 and r.state == SourceState.ONLINE for r in reports)
    assert any("dropped" in record.getMessage() for record in caplog.records)


def test_an_unreachable_camera_is_offline_with_the_reason_and_retried() -> None:
    reports: list[SourceStatus] = []
    source = StreamSource(
        "http://viewer:hunter2@127.0.0.1:9/none.mjpg",
        on_status=reports.append,
        backoff=Backoff(initial_s=0.05, max_s=0.1, jitter=0.0),
    )
    source.start()
    try:
        assert wait_for(lambda: source.status().attempt >= 3)
    finally:
        source.close()
    offline = [r for r in reports if r.state == SourceState.OFFLINE]
    assert offline[0].reason == "Connection refused"
    assert [r.retry_in_s for r in offline[:3]] == pytest.approx([0.05, 0.1, 0.1])  # doubling, capped
    assert all("hunter2" not in r.source for r in reports)
    assert source.status().state == SourceState.CLOSED


def test_a_camera_that_accepts_but_sends_nothing_times_out_and_is_offline() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    reports: list[SourceStatus] = []
    source = StreamSource(
        f"http://127.0.0.1:{listener.getsockname()[1]}/stalled.mjpg",
        on_status=reports.append,
        backoff=Backoff(initial_s=5.0, jitter=0.0),
        open_timeout_s=0.3,
        read_timeout_s=0.3,
    )
    source.start()
    try:
        assert wait_for(lambda: source.status().state == SourceState.OFFLINE, timeout=3.0)
    finally:
        source.close()
        for connection in accepted:
            connection.close()
        listener.close()
    offline = next(r for r in reports if r.state == SourceState.OFFLINE)
    assert offline.reason == "timed out: no data"
    assert offline.retry_in_s == pytest.approx(5.0)


def test_backoff_doubles_up_to_its_cap_with_jitter() -> None:
    backoff = Backoff(initial_s=1.0, max_s=30.0, jitter=0.2)
    delays = [backoff.delay(attempt) for attempt in range(1, 9)]

    assert 0.8 <= delays[0] <= 1.2 and 1.6 <= delays[1] <= 2.4 and 3.2 <= delays[2] <= 4.8
    assert all(d <= 30.0 for d in delays) and delays[-1] >= 24.0


def test_passwords_are_hidden_in_the_source_name() -> None:
    assert redact("rtsp://admin:s3cret@10.0.0.5:554/stream1") == "rtsp://admin:***@10.0.0.5:554/stream1"
    assert redact("rtsp://10.0.0.5/stream1") == "rtsp://10.0.0.5/stream1"
    assert redact("/videos/gate.mp4") == "/videos/gate.mp4"
