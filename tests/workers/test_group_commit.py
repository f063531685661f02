"""Group commit joins concurrent writes, releases each caller after its write, and propagates failures."""

from __future__ import annotations

import asyncio
import threading

import pytest

from beffroi.workers.group_commit import GroupCommitter


async def test_concurrent_writes_are_joined() -> None:
    batches: list[list[int]] = []
    gate = threading.Event()

    def write(items: list[int]) -> None:
        gate.wait(2)
        batches.append(list(items))

    committer: GroupCommitter[int] = GroupCommitter(write)
    first = asyncio.create_task(committer.write([1]))
    await asyncio.sleep(0.05)
    others = [asyncio.create_task(committer.write([i])) for i in range(2, 12)]
    await asyncio.sleep(0.05)
    gate.set()
    await asyncio.gather(first, *others)
    assert batches[0] == [1]
    assert sorted(batches[1]) == list(range(2, 12))
    assert committer.items_written == 11 and committer.batches_written == 2


async def test_failure_reaches_every_waiter_of_that_write_and_later_writes_go_on() -> None:
    calls = 0

    def write(items: list[int]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database down")

    committer: GroupCommitter[int] = GroupCommitter(write)
    with pytest.raises(RuntimeError, match="database down"):
        await committer.write([1, 2])
    await committer.write([3])
    assert committer.items_written == 1


async def test_large_writes_are_split_but_acknowledged_once() -> None:
    sizes: list[int] = []
    committer: GroupCommitter[int] = GroupCommitter(lambda items: sizes.append(len(items)), max_batch=100)
    await committer.write(list(range(250)))
    assert sizes == [100, 100, 50]
    await committer.write([])
    assert sizes == [100, 100, 50]
