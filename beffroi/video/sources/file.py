"""A recorded clip as a frame source: as fast as it decodes (the `beffroi detect` case), or paced at its own time
as a simulated live camera (`realtime`), once or looping."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Generator, Iterator
from pathlib import Path

from beffroi.errors import ConfigError
from beffroi.video.frames import Frame
from beffroi.video.sources.base import FrameSource, SourceState, StatusCallback, logger
from beffroi.video.sources.decoding import DecodeError, FrameConverter, RateGate, analysis_size, describe, open_input


class FileSource(FrameSource):
    """The frames of a video file at the analysis rate, chosen by the file's own timestamps; only the frames kept
    are converted and resized.

    `Frame.ts` is the clip's time in seconds from its first frame; with `realtime`, frames are released at that
    pace and stamped with the wall clock (the time playback started + the clip time), like a live camera, and a
    frame whose time has already passed by more than one analysis period when it comes up is dropped (counted).
    With `loop`, the clip starts again when it ends, times and indices going on increasing; otherwise the
    iteration ends (state ENDED).

    A missing or unreadable file raises ConfigError at construction: a file is configuration, not a transient
    failure. A read error in the middle of the clip ends it with state ENDED and FFmpeg's reason."""

    def __init__(
        self,
        path: str | Path,
        *,
        fps: float = 5.0,
        width: int = 640,
        realtime: bool = False,
        loop: bool = False,
        on_status: StatusCallback | None = None,
        report_every_s: float = 10.0,
    ) -> None:
        super().__init__(str(path), fps=fps, width=width, on_status=on_status, report_every_s=report_every_s)
        self.path = Path(path)
        self.realtime = realtime
        self.loop = loop
        if not self.path.is_file():
            raise ConfigError(str(path), ["file not found" if not self.path.exists() else "not a file"])
        try:
            with open_input(str(self.path)) as container:
                if not container.streams.video:
                    raise ConfigError(str(path), ["no video stream in the file"])
                stream = container.streams.video[0]
                rate = stream.average_rate or stream.guessed_rate
                self.source_fps: float | None = float(rate) if rate else None
                self.source_size: tuple[int, int] = (stream.codec_context.width, stream.codec_context.height)
                self.duration_s: float | None = (
                    float(stream.duration * stream.time_base)
                    if stream.duration is not None and stream.time_base is not None
                    else None
                )
        except DecodeError as error:
            raise ConfigError(str(path), [f"cannot be read as video: {describe(error)}"]) from None
        self.size = analysis_size(*self.source_size, width)
        """The size of the frames delivered (width, height)."""
        self._active: Generator[Frame] | None = None

    def __iter__(self) -> Iterator[Frame]:
        self._active = self._frames()
        return self._active

    def _frames(self) -> Generator[Frame]:
        frame_interval = 1.0 / self.source_fps if self.source_fps else 1.0 / 30
        gate = RateGate(self.fps, tolerance_s=frame_interval / 2)
        converter = FrameConverter(self.width)
        clip_offset = 0.0
        index = 0
        started_mono = time.monotonic()
        started_wall = time.time()
        self._set_state(SourceState.CONNECTING)
        online = False
        while not self.closed:
            clip_end = clip_offset
            try:
                with open_input(str(self.path)) as container:
                    stream = container.streams.video[0]
                    if not self.realtime:  # frame threads: faster through a clip, ~10 % more CPU per frame
                        stream.thread_type = "AUTO"
                    origin: float | None = None
                    for raw in container.decode(stream):
                        if self.closed:
                            return
                        self._count(decoded=1)
                        index += 1
                        own = raw.time
                        if own is None:
                            own = (index - 1) * frame_interval
                        if origin is None:
                            origin = own
                        ts = clip_offset + own - origin
                        clip_end = ts + frame_interval
                        if not gate.keep(ts):
                            continue
                        stamp = ts
                        if self.realtime:
                            lateness = time.monotonic() - (started_mono + ts)
                            if lateness > gate.period:
                                self._count(dropped=1)
                                continue
                            if lateness < 0 and self._stop.wait(-lateness):  # close() wakes it
                                return
                            stamp = started_wall + ts
                        image = converter.convert(raw)
                        if not online:
                            online = True
                            self._set_state(SourceState.ONLINE)
                        self._count(delivered=1)
                        yield Frame(image=image, ts=stamp, index=index - 1)
            except DecodeError as error:
                reason = describe(error)
                logger.warning("%s: read error, the clip ends here: %s", self.name, reason)
                self._set_state(SourceState.ENDED, reason=reason)
                return
            if not self.loop or clip_end == clip_offset:
                break
            clip_offset = clip_end
        if not self.closed:
            self._set_state(SourceState.ENDED)

    def _close_resources(self) -> None:
        active, self._active = self._active, None
        if active is not None:
            # releases the container now when the generator is suspended; when it is running in the consumer's
            # thread (ValueError), it sees `closed` at its next frame and ends itself
            with contextlib.suppress(ValueError):
                active.close()
