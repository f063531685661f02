"""Frame sources: video files and live streams (RTSP, HTTP MJPEG), delivered as `Frame`s at the analysis rate and
width, with typed status reports (online, offline with a reason, reconnecting, dropped frames) for the pipeline to
raise "camera offline" events.

Decoded with PyAV rather than OpenCV's VideoCapture (both wrap FFmpeg and decode as fast): PyAV gives each frame's
own timestamp, FFmpeg options per source (OpenCV only has a process-wide environment variable), typed errors with
FFmpeg's reason (VideoCapture only says "not opened" and prints the reason to stderr), open and read timeouts, and
it resizes and converts to BGR in one swscale pass, for the kept frames only."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from beffroi.errors import ConfigError
from beffroi.video.camera import CameraConfig
from beffroi.video.sources.base import FrameSource, SourceState, SourceStatus, StatusCallback, redact
from beffroi.video.sources.file import FileSource
from beffroi.video.sources.stream import STREAM_SCHEMES, Backoff, StreamSource

__all__ = [
    "STREAM_SCHEMES",
    "Backoff",
    "FileSource",
    "FrameSource",
    "SourceState",
    "SourceStatus",
    "StatusCallback",
    "StreamSource",
    "open_camera",
    "open_source",
]


def open_source(
    source: str | Path,
    *,
    fps: float = 5.0,
    width: int = 640,
    realtime: bool = False,
    loop: bool = False,
    on_status: StatusCallback | None = None,
    report_every_s: float = 10.0,
    backoff: Backoff | None = None,
    options: dict[str, str] | None = None,
) -> FrameSource:
    """The source for a file path (or file:// URL) or a stream URL (`STREAM_SCHEMES`). `realtime` and `loop`
    apply to files (a stream is always live), `backoff` and `options` (FFmpeg's) to streams. ConfigError for a
    missing or unreadable file or an unknown URL scheme."""
    text = str(source)
    scheme = urlsplit(text).scheme.lower() if "://" in text else ""
    if scheme in STREAM_SCHEMES:
        return StreamSource(
            text,
            fps=fps,
            width=width,
            on_status=on_status,
            report_every_s=report_every_s,
            backoff=backoff,
            options=options,
        )
    if scheme not in ("", "file"):
        raise ConfigError(
            redact(text),
            [f"unknown source scheme {scheme!r}: use a file path or one of " + ", ".join(sorted(STREAM_SCHEMES))],
        )
    path = urlsplit(text).path if scheme == "file" else text
    return FileSource(
        path, fps=fps, width=width, realtime=realtime, loop=loop, on_status=on_status, report_every_s=report_every_s
    )


def open_camera(
    camera: CameraConfig,
    *,
    realtime: bool = False,
    loop: bool = False,
    on_status: StatusCallback | None = None,
    report_every_s: float = 10.0,
    backoff: Backoff | None = None,
) -> FrameSource:
    """The source of a camera, at its `analysis.fps` and `analysis.width`."""
    return open_source(
        camera.source,
        fps=camera.analysis.fps,
        width=camera.analysis.width,
        realtime=realtime,
        loop=loop,
        on_status=on_status,
        report_every_s=report_every_s,
        backoff=backoff,
    )
