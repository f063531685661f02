"""One connected console: its tenant and sites, the frames waiting to be sent to it, and where it stands."""

from __future__ import annotations

import asyncio
from collections import deque


class Subscriber:
    """Frames for one client, at most `max_frames` waiting: one more and it is marked too slow (the route closes it
    with 4408), and nothing more is queued for it.

    `after_seq`: the changes up to it reached the client in its snapshot or resumption, so they are not sent again.
    `cursor_seq`: every change up to it that the client may see has been queued for it (its heartbeat cursor).
    """

    __slots__ = ("_frames", "_max_frames", "_slow", "_wakeup", "after_seq", "cursor_seq", "sites", "tenant_id")

    def __init__(self, tenant_id: str, sites: frozenset[str] | None, seq: int, max_frames: int) -> None:
        self.tenant_id = tenant_id
        self.sites = sites
        self.after_seq = seq
        self.cursor_seq = seq
        self._max_frames = max_frames
        self._frames: deque[bytes] = deque()
        self._wakeup = asyncio.Event()
        self._slow = asyncio.Event()

    @property
    def too_slow(self) -> bool:
        """True once more than `max_frames` waited: the client is to be closed."""
        return self._slow.is_set()

    @property
    def waiting(self) -> int:
        """Frames queued and not yet taken by the sender."""
        return len(self._frames)

    def offer(self, frame: bytes) -> None:
        """Queue a frame, or mark the client too slow when `max_frames` already wait."""
        if self.too_slow:
            return
        if len(self._frames) >= self._max_frames:
            self._slow.set()
            self._frames.clear()
        else:
            self._frames.append(frame)
        self._wakeup.set()

    async def next_frame(self, timeout_s: float) -> bytes | None:
        """The next frame to send, waiting up to `timeout_s`; None when none came in time or the client is too slow
        (check `too_slow`)."""
        if not self._frames and not self.too_slow:
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout_s)
            except TimeoutError:
                return None
        if self.too_slow or not self._frames:
            return None
        return self._frames.popleft()

    def take_waiting(self) -> list[bytes]:
        """Every frame waiting, taken at once (oldest first)."""
        frames = list(self._frames)
        self._frames.clear()
        return frames

    async def wait_too_slow(self) -> None:
        """Returns once the client is marked too slow (watched while a send is stuck)."""
        await self._slow.wait()
