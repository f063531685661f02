"""What every frame source offers: iteration of analysis-ready frames, and typed status reports."""

from __future__ import annotations

import abc
import asyncio
import enum
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit, urlunsplit

from beffroi.video.frames import Frame

logger = logging.getLogger("beffroi.video.sources")


class SourceState(enum.StrEnum):
    """Where a source stands."""

    CONNECTING = "connecting"
    """Opening for the first time."""
    ONLINE = "online"
    """Frames are arriving."""
    OFFLINE = "offline"
    """It could not be opened, or it stopped delivering; `reason` says why, `retry_in_s` when it tries again."""
    RECONNECTING = "reconnecting"
    """Opening again after being offline."""
    ENDED = "ended"
    """A file reached its end (and does not loop), or could not be read further (`reason`)."""
    CLOSED = "closed"
    """The caller closed the source."""


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """A source's state and counters at one moment. `frames_dropped` counts the frames at the analysis rate that the
    consumer could not take because it was behind; `last_frame_age_s` is how long ago the newest frame arrived.
    A dataclass: msgspec encodes it as it is."""

    source: str
    """The source, with any password in it hidden."""
    state: SourceState
    at: float
    """Wall-clock time of this report (seconds since the epoch)."""
    reason: str | None = None
    retry_in_s: float | None = None
    attempt: int = 0
    """Failed attempts in a row (0 once frames flow again)."""
    frames_decoded: int = 0
    frames_delivered: int = 0
    frames_dropped: int = 0
    last_frame_age_s: float | None = None


StatusCallback = Callable[[SourceStatus], None]
"""Receives each status report; called from the source's threads, so it must be quick and thread-safe (in asyncio,
hand the status over with `loop.call_soon_threadsafe`)."""


def redact(source: str) -> str:
    """The source as it may be shown and logged: a URL's password replaced by `***`."""
    if "://" not in source:
        return source
    parts = urlsplit(source)
    if parts.password is None:
        return source
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class FrameSource(abc.ABC):
    """Frames of a file or a live stream, reduced to the analysis rate (`fps`) and width (aspect kept, never
    enlarged). Iterate it (`for frame in source`, blocking) or async-iterate it (`async for`, each frame taken in a
    worker thread); one consumer at a time. `status()` is the current report; `on_status` receives every change of
    state and, at most every `report_every_s`, the dropped-frame count when it grew. `close()` ends the iteration."""

    def __init__(
        self,
        source: str,
        *,
        fps: float,
        width: int,
        on_status: StatusCallback | None,
        report_every_s: float,
    ) -> None:
        if fps <= 0:
            raise ValueError("fps must be positive")
        if width < 1:
            raise ValueError("width must be positive")
        self.name = redact(source)
        self.fps = fps
        self.width = width
        self.report_every_s = report_every_s
        self._on_status = on_status
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._status = SourceStatus(self.name, SourceState.CONNECTING, time.time())
        self._last_frame_at: float | None = None  # monotonic
        self._dropped_reported = 0
        self._dropped_reported_at = float("-inf")  # the first drop is reported at once

    @property
    def closed(self) -> bool:
        """True once `close()` was called."""
        return self._stop.is_set()

    def status(self) -> SourceStatus:
        """The current state and counters, with the age of the newest frame."""
        with self._lock:
            status = self._status
            last = self._last_frame_at
        age = None if last is None else time.monotonic() - last
        return replace(status, at=time.time(), last_frame_age_s=age)

    @abc.abstractmethod
    def __iter__(self) -> Iterator[Frame]:
        """The frames, until the source ends or is closed."""

    def __aiter__(self) -> AsyncIterator[Frame]:
        return self._frames_async()

    async def _frames_async(self) -> AsyncIterator[Frame]:
        iterator = iter(self)
        while True:
            frame = await asyncio.to_thread(next, iterator, None)
            if frame is None:
                return
            yield frame

    def close(self) -> None:
        """Stop: the iteration ends and the source's resources are released."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._close_resources()
        self._set_state(SourceState.CLOSED)

    @abc.abstractmethod
    def _close_resources(self) -> None:
        """Release what the source holds (threads, containers); called once by `close()`."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    # -- bookkeeping shared by the sources -------------------------------------------------------------------

    def _set_state(
        self, state: SourceState, reason: str | None = None, retry_in_s: float | None = None, attempt: int = 0
    ) -> None:
        with self._lock:
            if self._status.state == SourceState.CLOSED:
                return
            self._status = replace(
                self._status, state=state, at=time.time(), reason=reason, retry_in_s=retry_in_s, attempt=attempt
            )
        self._emit()

    def _count(self, *, decoded: int = 0, delivered: int = 0, dropped: int = 0) -> None:
        now = time.monotonic()
        with self._lock:
            status = self._status
            self._status = replace(
                status,
                frames_decoded=status.frames_decoded + decoded,
                frames_delivered=status.frames_delivered + delivered,
                frames_dropped=status.frames_dropped + dropped,
            )
            if decoded:
                self._last_frame_at = now
            total_dropped = self._status.frames_dropped
            report = total_dropped > self._dropped_reported and now - self._dropped_reported_at >= self.report_every_s
            if report:
                newly = total_dropped - self._dropped_reported
                self._dropped_reported = total_dropped
                self._dropped_reported_at = now
        if report:
            logger.warning("%s: analysis is behind, dropped %d frames (%d in all)", self.name, newly, total_dropped)
            self._emit()

    def _emit(self) -> None:
        if self._on_status is None:
            return
        status = self.status()
        try:
            self._on_status(status)
        except Exception:
            logger.exception("%s: the status callback failed", self.name)
