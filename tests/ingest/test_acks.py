"""The PUBACK scheduler: nothing before the bus has the batch, one write per batch, nothing on a stale connection."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from beffroi.errors import BusError
from beffroi.ingest.acks import PubackScheduler


class Wire:
    """Records the PUBACK writes per connection; a connection in `gone` refuses them (as a closed one does)."""

    def __init__(self) -> None:
        self.writes: list[tuple[object, list[int]]] = []
        self.gone: set[object] = set()

    def send(self, connection: object, mids: Sequence[int]) -> bool:
        if connection in self.gone:
            return False
        self.writes.append((connection, list(mids)))
        return True


FIRST, SECOND = "connection-1", "connection-2"


@pytest.fixture
def wire() -> Wire:
    return Wire()


@pytest.fixture
def refusals() -> list[Exception]:
    return []


@pytest.fixture
def acks(wire: Wire, refusals: list[Exception]) -> PubackScheduler:
    return PubackScheduler(wire.send, refusals.append)


async def next_iteration() -> None:
    """Let the callbacks scheduled so far run (settled futures, then the write at the end of the iteration)."""
    for _ in range(3):
        await asyncio.sleep(0)


async def test_the_pubacks_of_a_batch_wait_for_it_then_go_in_one_write(wire: Wire, acks: PubackScheduler) -> None:
    batch: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    for mid in (7, 8, 9):
        acks.acknowledge_when(batch, FIRST, mid)
    await next_iteration()
    assert wire.writes == [], "nothing is acknowledged before the bus has the batch"
    assert (acks.pending, acks.acknowledged) == (3, 0)
    batch.set_result(None)
    await next_iteration()
    assert wire.writes == [(FIRST, [7, 8, 9])]
    assert (acks.pending, acks.acknowledged, acks.withheld) == (0, 3, 0)


async def test_a_failed_batch_acknowledges_none_of_its_messages_and_says_so_once(
    wire: Wire, acks: PubackScheduler, refusals: list[Exception]
) -> None:
    loop = asyncio.get_running_loop()
    failed, published = loop.create_future(), loop.create_future()
    acks.acknowledge_when(failed, FIRST, 1)
    acks.acknowledge_when(published, FIRST, 2)
    acks.acknowledge_when(failed, FIRST, 3)
    error = BusError("bus down")
    failed.set_exception(error)
    published.set_result(None)
    await next_iteration()
    assert wire.writes == [(FIRST, [2])]
    assert refusals == [error]
    assert (acks.acknowledged, acks.withheld, acks.pending) == (1, 2, 0)


async def test_a_cancelled_batch_counts_as_refused(acks: PubackScheduler, refusals: list[Exception]) -> None:
    batch: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    acks.acknowledge_when(batch, FIRST, 1)
    batch.cancel()
    await next_iteration()
    assert [type(error) for error in refusals] == [BusError]
    assert acks.withheld == 1


async def test_messages_with_nothing_to_wait_for_share_one_write_per_loop_iteration(
    wire: Wire, acks: PubackScheduler
) -> None:
    for mid in range(1, 301):
        acks.acknowledge_when(None, FIRST, mid)
    assert wire.writes == [], "the write waits for the end of the iteration (one socket read brings many)"
    await next_iteration()
    assert wire.writes == [(FIRST, list(range(1, 301)))]


async def test_batches_settled_in_the_same_iteration_share_one_write(wire: Wire, acks: PubackScheduler) -> None:
    loop = asyncio.get_running_loop()
    batches = [loop.create_future() for _ in range(3)]
    for mid, batch in enumerate(batches, start=1):
        acks.acknowledge_when(batch, FIRST, mid)
    for batch in batches:
        batch.set_result(None)
    await next_iteration()
    assert wire.writes == [(FIRST, [1, 2, 3])]


async def test_no_puback_goes_out_on_a_connection_that_is_gone(wire: Wire, acks: PubackScheduler) -> None:
    batch: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    acks.acknowledge_when(batch, FIRST, 5)
    wire.gone.add(FIRST)
    batch.set_result(None)
    await next_iteration()
    assert wire.writes == []
    assert (acks.dropped, acks.acknowledged, acks.pending) == (1, 0, 0)


async def test_a_copy_resent_on_a_new_connection_is_acknowledged_there_only(wire: Wire, acks: PubackScheduler) -> None:
    """After a reconnection the broker resends unacknowledged messages, maybe under the same packet id."""
    batch: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    acks.acknowledge_when(batch, FIRST, 5)
    acks.acknowledge_when(batch, FIRST, 6)
    acks.acknowledge_when(batch, SECOND, 5)  # the resent copy joins the same batch (its first copy is in it)
    batch.set_result(None)
    await next_iteration()
    assert wire.writes == [(SECOND, [5])]
    assert (acks.dropped, acks.acknowledged, acks.pending) == (2, 1, 0)


async def test_ready_pubacks_of_two_connections_go_each_to_its_own(wire: Wire, acks: PubackScheduler) -> None:
    acks.acknowledge_when(None, FIRST, 1)
    acks.acknowledge_when(None, SECOND, 2)
    await next_iteration()
    assert wire.writes == [(FIRST, [1]), (SECOND, [2])]


async def test_wait_idle_returns_once_every_puback_is_settled(wire: Wire, acks: PubackScheduler) -> None:
    await asyncio.wait_for(acks.wait_idle(), 0.1)  # idle from the start
    batch: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    acks.acknowledge_when(batch, FIRST, 1)
    waiter = asyncio.create_task(acks.wait_idle())
    await next_iteration()
    assert not waiter.done()
    batch.set_result(None)
    await asyncio.wait_for(waiter, 1.0)
    assert wire.writes == [(FIRST, [1])]


async def test_withhold_counts_messages_that_never_reached_the_gateway(acks: PubackScheduler) -> None:
    acks.withhold()
    acks.withhold(2)
    assert (acks.withheld, acks.pending) == (3, 0)
