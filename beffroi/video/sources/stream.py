"""A live camera (RTSP, HTTP MJPEG…) as a frame source: a reader thread decodes continuously and keeps only the
newest frame, the consumer takes frames at the analysis rate and the frames it could not take are counted; the
reader reconnects with exponential back-off when the stream fails or drops."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from av.video.frame import VideoFrame

from beffroi.video.frames import Frame
from beffroi.video.sources.base import FrameSource, SourceState, StatusCallback, logger
from beffroi.video.sources.decoding import DecodeError, FrameConverter, describe, open_input

STREAM_SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "srt", "udp", "tcp"})
"""URL schemes read as live streams."""


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays between reconnection attempts: `initial_s` doubling up to `max_s`, each spread by ± `jitter`."""

    initial_s: float = 1.0
    max_s: float = 30.0
    jitter: float = 0.2

    def delay(self, attempt: int) -> float:
        """The delay before attempt number `attempt` + 1 (`attempt` ≥ 1 failures so far)."""
        base = min(self.max_s, self.initial_s * 2.0 ** max(0, attempt - 1))
        return min(self.max_s, base * random.uniform(1.0 - self.jitter, 1.0 + self.jitter))


@dataclass(frozen=True, slots=True)
class _Latest:
    frame: VideoFrame
    seq: int
    ts: float


class StreamSource(FrameSource):
    """Frames of a live stream. `Frame.ts` is the wall-clock time the frame was decoded, `Frame.index` its number
    among all frames decoded since the source started (reconnections included).

    The iteration never ends by itself: while the stream is offline it waits, and the status reports say so
    (OFFLINE with FFmpeg's reason and the delay before the next attempt, RECONNECTING, then ONLINE at the first
    frame). A bad URL is not an error at construction: an unreachable stream is offline, and retried.
    `options` go to FFmpeg (RTSP defaults to TCP transport); `open_timeout_s` and `read_timeout_s` bound a
    connection attempt and a stall."""

    def __init__(
        self,
        url: str,
        *,
        fps: float = 5.0,
        width: int = 640,
        on_status: StatusCallback | None = None,
        report_every_s: float = 10.0,
        backoff: Backoff | None = None,
        options: dict[str, str] | None = None,
        open_timeout_s: float = 10.0,
        read_timeout_s: float = 10.0,
    ) -> None:
        super().__init__(url, fps=fps, width=width, on_status=on_status, report_every_s=report_every_s)
        self._url = url
        self.backoff = backoff or Backoff()
        defaults = {"rtsp_transport": "tcp"} if url.lower().startswith("rtsp") else {}
        self._options = defaults | (options or {})
        self._timeout = (open_timeout_s, read_timeout_s)
        self._ready = threading.Condition(self._lock)
        self._latest: _Latest | None = None
        self._reader: threading.Thread | None = None

    def start(self) -> None:
        """Start reading (iteration starts it too)."""
        with self._lock:
            if self._reader is not None or self.closed:
                return
            self._reader = threading.Thread(target=self._read, name=f"frames {self.name}", daemon=True)
        self._reader.start()

    # -- the reader thread -----------------------------------------------------------------------------------

    def _read(self) -> None:
        attempt = 0
        seq = 0
        while not self.closed:
            self._set_state(SourceState.RECONNECTING if attempt else SourceState.CONNECTING, attempt=attempt)
            reason = "the stream ended"
            try:
                with open_input(self._url, options=self._options, timeout=self._timeout) as container:
                    if not container.streams.video:
                        raise ValueError("no video stream")
                    online = False
                    for raw in container.decode(container.streams.video[0]):
                        if self.closed:
                            return
                        seq += 1
                        with self._ready:
                            self._latest = _Latest(raw, seq, time.time())
                            self._ready.notify_all()
                        if not online:
                            online, attempt = True, 0
                            logger.info("%s: online", self.name)
                            self._set_state(SourceState.ONLINE)
                        self._count(decoded=1)
            except (*DecodeError, ValueError) as error:
                reason = describe(error)
            if self.closed:
                return
            attempt += 1
            delay = self.backoff.delay(attempt)
            logger.warning("%s: offline (%s), trying again in %.1f s", self.name, reason, delay)
            self._set_state(SourceState.OFFLINE, reason=reason, retry_in_s=delay, attempt=attempt)
            self._stop.wait(delay)

    # -- the consumer ----------------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Frame]:
        self.start()
        return self._frames()

    def _frames(self) -> Iterator[Frame]:
        period = 1.0 / self.fps
        converter = FrameConverter(self.width)
        taken = 0
        due: float | None = None
        while not self.closed:
            if due is not None:
                now = time.monotonic()
                if now < due:
                    if self._stop.wait(due - now):
                        return
                elif now >= due + period:
                    missed = int((now - due) / period)
                    self._count(dropped=missed)
                    due += missed * period
            with self._ready:
                while not self.closed and (self._latest is None or self._latest.seq == taken):
                    self._ready.wait(0.5)
                latest = self._latest
            if latest is None or self.closed:
                return
            taken = latest.seq
            now = time.monotonic()
            due = due + period if due is not None and now - due < period else now + period
            image = converter.convert(latest.frame)
            self._count(delivered=1)
            yield Frame(image=image, ts=latest.ts, index=latest.seq - 1)

    def _close_resources(self) -> None:
        with self._ready:
            self._ready.notify_all()
        reader = self._reader
        if reader is not None and reader is not threading.current_thread():
            reader.join(timeout=1.0)  # a read blocked in FFmpeg ends within read_timeout_s; the thread is a daemon
