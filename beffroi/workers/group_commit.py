"""Group commit: writes that arrive while a write is in progress are joined into the next one.

Each caller awaits the write that carries its items, so a bus message is acknowledged only once its rows are
in the database, and under load many small bus messages become one large COPY without any added delay.
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
        self._pending: list[T] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._drainer: asyncio.Task[None] | None = None
        self.batches_written = 0
        self.items_written = 0

    async def write(self, items: Sequence[T]) -> None:
        """Returns once `items` are written; raises what the write raised."""
        if not items:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.extend(items)
        self._waiters.append(future)
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain(), name="group-commit")
        await future

    async def _drain(self) -> None:
        while self._pending:
            items, waiters = self._pending, self._waiters
            self._pending, self._waiters = [], []
            try:
                for start in range(0, len(items), self._max_batch):
                    await asyncio.to_thread(self._write_batch, items[start : start + self._max_batch])
            except Exception as error:
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_exception(error)
                continue
            self.batches_written += 1
            self.items_written += len(items)
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
