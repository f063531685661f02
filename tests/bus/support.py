"""Helpers of the bus tests: a handler that records what it gets, and waiting for it without sleeping blindly."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from beffroi.bus.base import BusMessage


class Recorder:
    """A handler that records every delivery; `fail_when` decides (per delivery) whether to raise instead."""

    def __init__(
        self,
        fail_when: Callable[[BusMessage], bool] | None = None,
        delay_s: Callable[[BusMessage], float] | None = None,
    ) -> None:
        self.deliveries: list[BusMessage] = []
        self.handled: list[BusMessage] = []
        self._fail_when = fail_when
        self._delay_s = delay_s

    async def __call__(self, message: BusMessage) -> None:
        self.deliveries.append(message)
        if self._delay_s is not None:
            await asyncio.sleep(self._delay_s(message))
        if self._fail_when is not None and self._fail_when(message):
            raise RuntimeError(f"refusing {message.data!r}")
        self.handled.append(message)

    @property
    def data(self) -> list[bytes]:
        """Payloads handled successfully, in order."""
        return [message.data for message in self.handled]

    async def wait_handled(self, count: int, timeout_s: float = 5.0) -> None:
        """Wait until at least `count` messages were handled successfully."""
        await wait_until(lambda: len(self.handled) >= count, timeout_s, lambda: f"{len(self.handled)}/{count} handled")

    async def wait_deliveries(self, count: int, timeout_s: float = 5.0) -> None:
        """Wait until at least `count` deliveries happened (failed ones included)."""
        await wait_until(
            lambda: len(self.deliveries) >= count, timeout_s, lambda: f"{len(self.deliveries)}/{count} deliveries"
        )


async def wait_until(condition: Callable[[], bool], timeout_s: float, state: Callable[[], str]) -> None:
    """Poll `condition` every 10 ms; fail with `state()` when it is still false after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s: {state()}")
        await asyncio.sleep(0.01)


async def settle(seconds: float = 0.3) -> None:
    """Give the bus time to (wrongly) deliver more, before asserting that nothing more came."""
    await asyncio.sleep(seconds)
