"""PyAV at the boundary: opening a container with FFmpeg's reason on failure, reducing decoded frames to the
analysis size in one colour-conversion pass, and keeping only the frames due at the analysis rate."""

from __future__ import annotations

from typing import cast

import av
import av.container
import av.error
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter

from beffroi.video.frames import Image

DecodeError = (av.error.FFmpegError, OSError)
"""What opening or reading a container may raise (FFmpeg's errors are OSError/ValueError subclasses too)."""


def describe(error: BaseException) -> str:
    """FFmpeg's reason for an error, without the URL (which may hold a password)."""
    if isinstance(error, av.error.ExitError):  # what the open or read timeout raises
        return "timed out: no data"
    if isinstance(error, av.error.FFmpegError):
        reason = error.strerror or type(error).__name__
        log = error.log
        if isinstance(log, tuple) and len(log) == 2 and isinstance(log[1], tuple) and len(log[1]) == 3:
            detail = str(log[1][2]).strip()
            if detail:
                reason = f"{reason} ({detail})"
        return reason
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def open_input(
    url: str, *, options: dict[str, str] | None = None, timeout: tuple[float, float] | None = None
) -> av.container.InputContainer:
    """Open a file or stream for reading; raises what FFmpeg raised (see `describe`)."""
    return av.open(url, mode="r", options=options or {}, timeout=timeout)


def analysis_size(width: int, height: int, max_width: int) -> tuple[int, int]:
    """The size a `width` × `height` frame is reduced to: at most `max_width` wide, aspect kept, never enlarged."""
    if width <= max_width:
        return width, height
    return max_width, max(1, round(height * max_width / width))


class FrameConverter:
    """Turns decoded frames into BGR images of the analysis size, resizing and converting in one swscale pass.
    Keeps its scaler between frames: use one per thread."""

    def __init__(self, max_width: int) -> None:
        self.max_width = max_width
        self._reformatter = VideoReformatter()

    def convert(self, frame: VideoFrame) -> Image:
        width, height = analysis_size(frame.width, frame.height, self.max_width)
        small = self._reformatter.reformat(frame, width=width, height=height, format="bgr24", interpolation="AREA")
        return cast(Image, small.to_ndarray())


class RateGate:
    """Keeps the frames due at `fps` on a regular grid of times, picking the nearest frame to each due time within
    `tolerance_s` (half the source's frame interval); a gap in the times restarts the grid."""

    def __init__(self, fps: float, tolerance_s: float = 1e-3) -> None:
        self.period = 1.0 / fps
        self.tolerance = min(tolerance_s, self.period / 2)
        self._due: float | None = None

    def keep(self, ts: float) -> bool:
        """Whether the frame at `ts` (seconds, increasing) is due."""
        if self._due is not None and ts < self._due - self.tolerance:
            return False
        due = ts if self._due is None else self._due
        due += self.period
        self._due = due if due > ts else ts + self.period
        return True
