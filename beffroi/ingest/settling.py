"""Futures that settle with others: a caller's own copy of a shared future, and one future for several.

The gateway hands out futures shared by many messages (one per reading batch). Awaiting a shared future from a
task would let a cancelled task cancel it for everyone, so an awaiting caller takes `follow(shared)`, whose
cancellation touches nothing else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from beffroi.errors import BusError


def follow(source: asyncio.Future[None]) -> asyncio.Future[None]:
    """A future of the caller's own that settles as `source` does; cancelling it leaves `source` alone."""
    if source.done():
        return source  # awaiting a settled future never suspends, so it cannot be cancelled through it
    copy: asyncio.Future[None] = source.get_loop().create_future()

    def settle(done: asyncio.Future[None]) -> None:
        if copy.done():
            return
        failure = failure_of(done)
        if failure is None:
            copy.set_result(None)
            return
        copy.set_exception(failure)
        copy.exception()  # marks it retrieved: a caller that gave up is not reported; awaiting still raises

    source.add_done_callback(settle)
    return copy


def all_of(sources: Sequence[asyncio.Future[None]]) -> asyncio.Future[None]:
    """A future that succeeds once every one of `sources` succeeded, or fails with the first failure."""
    combined: asyncio.Future[None] = sources[0].get_loop().create_future()
    remaining = len(sources)

    def settle(done: asyncio.Future[None]) -> None:
        nonlocal remaining
        remaining -= 1
        if combined.done():
            return
        failure = failure_of(done)
        if failure is not None:
            combined.set_exception(failure)
            combined.exception()  # marks it retrieved (see `follow`)
        elif remaining == 0:
            combined.set_result(None)

    for source in sources:
        source.add_done_callback(settle)
    return combined


def failure_of(done: asyncio.Future[None]) -> Exception | None:
    """Why a settled future failed (a cancellation becomes a `BusError`), or None when it succeeded."""
    if done.cancelled():
        return BusError("publishing to the bus was cancelled")
    failure = done.exception()
    if failure is None or isinstance(failure, Exception):
        return failure
    return BusError(f"publishing to the bus stopped: {failure!r}")
