"""Group commit: writes that arrive while a write is in progress are joined into the next one.

Each caller awaits the write that carries its items, so a bus message is acknowledged only once its rows are
in the database, and under load many small bus messages become one large COPY without any added delay.
When a joined write fails, each caller's items are written again on their own, so one caller's bad rows (a
reading the store refuses) fail only that caller, not every message that happened to share its write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class GroupCommitter(Generic[T]):
    """Joins concurrent `write` calls into batched calls of `write_batch` (run in a worker thread)."""

    def __init__(self, write_batch: Callable[[list[T]], object], *, max_batch: int = 20_000) -> None:
        self._write_batch = write_batch
        self._max_batch = max_batch
        self._pending: list[tuple[Sequence[T], asyncio.Future[None]]] = []
        self._drainer: asyncio.Task[None] | None = None
        self.batches_written = 0
        self.items_written = 0

    async def write(self, items: Sequence[T]) -> None:
        """Returns once `items` are written; raises what the write raised."""
        if not items:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((items, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain(), name="group-commit")
        await future

    async def _write_all(self, items: list[T]) -> None:
        for start in range(0, len(items), self._max_batch):
            await asyncio.to_thread(self._write_batch, items[start : start + self._max_batch])

    async def _drain(self) -> None:
        while self._pending:
            requests, self._pending = self._pending, []
            items = [item for batch, _ in requests for item in batch]
            try:
                await self._write_all(items)
            except Exception as error:
                if len(requests) == 1:
                    _settle(requests[0][1], error)
                    continue
                for batch, waiter in requests:  # isolate the caller whose items the write refused
                    try:
                        await self._write_all(list(batch))
                    except Exception as own_error:
                        _settle(waiter, own_error)
                    else:
                        self.batches_written += 1
                        self.items_written += len(batch)
                        _settle(waiter, None)
                continue
            self.batches_written += 1
            self.items_written += len(items)
            for _, waiter in requests:
                _settle(waiter, None)


def _settle(waiter: asyncio.Future[None], error: BaseException | None) -> None:
    if waiter.done():
        return
    if error is None:
        waiter.set_result(None)
    else:
        waiter.set_exception(error)
