"""The handler runner every backend shares: the ack_wait limit and the ack / retry / terminate decision."""

from __future__ import annotations

import asyncio

import pytest

from beffroi.bus._delivery import HandlerRunner, Outcome
from beffroi.bus.base import BusMessage, ConsumerOptions


def message(delivery_count: int = 1) -> BusMessage:
    return BusMessage("t.x", b"x", "id", delivery_count)


async def test_handlers_finishing_within_ack_wait_are_acked_even_back_to_back() -> None:
    async def takes_a_while(_: BusMessage) -> None:
        await asyncio.sleep(0.15)

    runner = HandlerRunner(takes_a_while, ConsumerOptions(ack_wait_s=0.25), consumer="c")

    outcomes = [await runner.run(message()) for _ in range(4)]  # each one spans a timer check of the previous

    runner.close()
    assert outcomes == [Outcome.ACK] * 4


async def test_a_slow_handler_is_cancelled_then_retried_or_terminated() -> None:
    async def hangs(_: BusMessage) -> None:
        await asyncio.sleep(10)

    runner = HandlerRunner(hangs, ConsumerOptions(ack_wait_s=0.05, max_deliver=2), consumer="c")

    assert await runner.run(message(1)) is Outcome.RETRY
    assert await runner.run(message(2)) is Outcome.TERMINATE
    await asyncio.sleep(0)  # the consuming task is not left cancelled
    runner.close()
    assert (runner.retried, runner.terminated) == (1, 1)


async def test_a_handler_that_swallows_the_cancellation_and_finishes_is_acked() -> None:
    async def stubborn(_: BusMessage) -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            return

    runner = HandlerRunner(stubborn, ConsumerOptions(ack_wait_s=0.05), consumer="c")

    assert await runner.run(message()) is Outcome.ACK
    await asyncio.sleep(0.01)  # would raise CancelledError here if the cancellation were still pending
    runner.close()


async def test_cancelling_the_consumer_from_outside_is_not_mistaken_for_a_timeout() -> None:
    started = asyncio.Event()

    async def waits(_: BusMessage) -> None:
        started.set()
        await asyncio.sleep(10)

    runner = HandlerRunner(waits, ConsumerOptions(ack_wait_s=5), consumer="c")
    task = asyncio.create_task(runner.run(message()))
    await started.wait()
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task
    runner.close()


async def test_the_outcome_of_a_raising_handler_depends_on_the_delivery_count() -> None:
    async def fails(_: BusMessage) -> None:
        raise ValueError("bad payload")

    runner = HandlerRunner(fails, ConsumerOptions(max_deliver=3), consumer="c")

    assert [await runner.run(message(n)) for n in (1, 2, 3)] == [Outcome.RETRY, Outcome.RETRY, Outcome.TERMINATE]
    runner.close()


async def test_a_cancelled_error_raised_by_the_handler_itself_is_a_failure_not_a_crash() -> None:
    async def awaits_something_cancelled(_: BusMessage) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.cancel()
        await future

    runner = HandlerRunner(awaits_something_cancelled, ConsumerOptions(max_deliver=2), consumer="c")

    assert await runner.run(message(1)) is Outcome.RETRY
    assert await runner.run(message(2)) is Outcome.TERMINATE
    await asyncio.sleep(0)  # the consuming task itself is not cancelled
    runner.close()
