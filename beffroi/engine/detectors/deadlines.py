"""A queue of per-item deadlines, cheap to move: a heap whose outdated entries are skipped when popped."""

from __future__ import annotations

import heapq
from collections.abc import Iterable

_COMPACT_MIN = 1024
"""Rebuild the heap when it holds this many more entries than live deadlines (and twice as many)."""


class DeadlineQueue:
    """One deadline per item; `pop_due(now)` returns the items whose deadline has passed, earliest first.

    Re-scheduling an item pushes a new heap entry and leaves the old one to be skipped later, so moving a
    deadline costs O(log n) and a tick costs only the entries that are due.
    """

    __slots__ = ("_deadlines", "_heap")

    def __init__(self) -> None:
        self._heap: list[tuple[float, str]] = []
        self._deadlines: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._deadlines)

    def __contains__(self, item: object) -> bool:
        return item in self._deadlines

    def deadline(self, item: str) -> float | None:
        """The item's current deadline, or None when it has none."""
        return self._deadlines.get(item)

    def schedule(self, item: str, deadline: float) -> None:
        """Set (or move) the item's deadline."""
        if self._deadlines.get(item) == deadline:
            return
        self._deadlines[item] = deadline
        heapq.heappush(self._heap, (deadline, item))
        self._compact_if_bloated()

    def schedule_many(self, items: Iterable[tuple[str, float]]) -> None:
        """Set many deadlines at once (one heapify instead of one push each)."""
        entries = list(items)
        for item, deadline in entries:
            self._deadlines[item] = deadline
        self._heap.extend((deadline, item) for item, deadline in entries)
        heapq.heapify(self._heap)
        self._compact_if_bloated()

    def cancel(self, item: str) -> None:
        """Remove the item's deadline, if any."""
        self._deadlines.pop(item, None)

    def pop_due(self, now: float) -> list[str]:
        """Remove and return the items whose deadline is at or before `now`, earliest first."""
        heap = self._heap
        deadlines = self._deadlines
        due: list[str] = []
        while heap and heap[0][0] <= now:
            deadline, item = heapq.heappop(heap)
            if deadlines.get(item) == deadline:
                del deadlines[item]
                due.append(item)
        return due

    def _compact_if_bloated(self) -> None:
        if len(self._heap) > 2 * len(self._deadlines) + _COMPACT_MIN:
            self._heap = [(deadline, item) for item, deadline in self._deadlines.items()]
            heapq.heapify(self._heap)
