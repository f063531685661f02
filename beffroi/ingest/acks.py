"""Sends the PUBACK of each QoS 1 message once the bus has it, all the PUBACKs of a reading batch in one write.

Each message is tracked by the future the gateway returned for it (shared by the whole batch), so what waits is
one list of packet ids per batch, not a task or a future per message. When the future succeeds, its packet ids
join the PUBACKs ready to go, which are written together once the current event-loop iteration is over (one
read from the socket brings hundreds of messages). When it fails, nothing of it is acknowledged: the owner is
told (it reconnects, and the broker sends the messages again).

A packet id is acknowledged only on the connection its message came on: after a reconnection the broker may
use the same id for another message, and it sends the unacknowledged ones again anyway.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from beffroi.ingest.settling import failure_of

SendPubacks = Callable[[object, Sequence[int]], bool]
"""Writes PUBACKs for packet ids received on a connection; False when that connection is gone (nothing sent)."""


class _Waiting:
    """The packet ids waiting on one future, and the connection they came on."""

    __slots__ = ("connection", "mids")

    def __init__(self, connection: object) -> None:
        self.connection = connection
        self.mids: list[int] = []


class PubackScheduler:
    """Acknowledges QoS 1 messages after their future succeeded, in batches; see the module docstring."""

    def __init__(self, send: SendPubacks, on_refused: Callable[[Exception], None]) -> None:
        self._send = send
        self._on_refused = on_refused
        self._waiting: dict[asyncio.Future[None], _Waiting] = {}
        self._ready_connection: object = None
        self._ready: list[int] = []
        self._write_scheduled = False
        self._pending = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.acknowledged = 0
        """PUBACKs written."""
        self.withheld = 0
        """Messages not acknowledged because the bus refused them."""
        self.dropped = 0
        """PUBACKs not written because their connection was gone by then (the broker sends those again)."""

    @property
    def pending(self) -> int:
        """Messages whose PUBACK waits for the bus, or for the end of the loop iteration."""
        return self._pending

    def acknowledge_when(self, settled: asyncio.Future[None] | None, connection: object, mid: int) -> None:
        """Acknowledge message `mid` of `connection` once `settled` succeeded (None: nothing to wait for)."""
        if self._pending == 0:
            self._idle.clear()
        self._pending += 1
        if settled is None:
            self._make_ready(connection, (mid,))
            return
        waiting = self._waiting.get(settled)
        if waiting is None:
            waiting = self._waiting[settled] = _Waiting(connection)
            settled.add_done_callback(self._settled)
        elif waiting.connection is not connection:
            # The ids gathered so far came on a connection that is gone: they can no longer be acknowledged.
            self.dropped += len(waiting.mids)
            self._done(len(waiting.mids))
            waiting.connection, waiting.mids = connection, []
        waiting.mids.append(mid)

    def withhold(self, count: int = 1) -> None:
        """Count messages that will not be acknowledged (the caller could not hand them to the gateway)."""
        self.withheld += count

    def write_now(self) -> None:
        """Write the PUBACKs that are ready without waiting for the end of the loop iteration."""
        self._write_scheduled = False
        mids, self._ready = self._ready, []
        if not mids:
            return
        if self._send(self._ready_connection, mids):
            self.acknowledged += len(mids)
        else:
            self.dropped += len(mids)
        self._done(len(mids))

    async def wait_idle(self) -> None:
        """Return once no PUBACK waits any more (each was written, dropped or withheld)."""
        await self._idle.wait()

    def _settled(self, settled: asyncio.Future[None]) -> None:
        waiting = self._waiting.pop(settled)
        failure = failure_of(settled)
        if failure is None:
            self._make_ready(waiting.connection, waiting.mids)
            return
        self.withheld += len(waiting.mids)
        self._done(len(waiting.mids))
        self._on_refused(failure)

    def _make_ready(self, connection: object, mids: Sequence[int]) -> None:
        if connection is not self._ready_connection:
            self.write_now()  # PUBACKs of an earlier connection go (or are dropped) on their own
            self._ready_connection = connection
        self._ready.extend(mids)
        if not self._write_scheduled:
            self._write_scheduled = True
            asyncio.get_running_loop().call_soon(self._write_if_scheduled)

    def _write_if_scheduled(self) -> None:
        if self._write_scheduled:
            self.write_now()

    def _done(self, count: int) -> None:
        """`count` messages no longer wait: acknowledged, dropped or withheld."""
        self._pending -= count
        if self._pending == 0:
            self._idle.set()
