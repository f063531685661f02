"""A queue of per-item deadlines, cheap to move: a timer wheel of one-second buckets.

Moving a deadline is O(1) (the item is appended to its new bucket, and its entry in the old bucket is skipped
when that bucket comes due), and `pop_due(now)` touches only the buckets that have come due, so a tick costs
the number of entries due rather than the number of items. A heap orders the (few) bucket numbers.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable

DEFAULT_RESOLUTION_S = 1.0


def _deadline_of(entry: tuple[float, str]) -> float:
    return entry[0]


class DeadlineQueue:
    """One deadline per item; `pop_due(now)` removes and returns the items due at `now`, earliest first."""

    __slots__ = ("_bucket_order", "_buckets", "_deadlines", "_resolution")

    def __init__(self, resolution_s: float = DEFAULT_RESOLUTION_S) -> None:
        if not (math.isfinite(resolution_s) and resolution_s > 0):
            raise ValueError(f"resolution_s must be a finite number > 0, got {resolution_s!r}")
        self._resolution = resolution_s
        self._deadlines: dict[str, float] = {}
        self._buckets: dict[int, list[str]] = {}
        self._bucket_order: list[int] = []

    def __len__(self) -> int:
        return len(self._deadlines)

    def __contains__(self, item: object) -> bool:
        return item in self._deadlines

    @property
    def backlog(self) -> int:
        """Entries held in buckets, outdated ones included (they go when their bucket comes due)."""
        return sum(len(bucket) for bucket in self._buckets.values())

    def deadline(self, item: str) -> float | None:
        """The item's current deadline, or None when it has none."""
        return self._deadlines.get(item)

    def _bucket_of(self, deadline: float) -> int:
        return int(deadline // self._resolution)

    def schedule(self, item: str, deadline: float) -> None:
        """Set (or move) the item's deadline; it must be a finite number."""
        if not math.isfinite(deadline):
            raise ValueError(f"deadline of {item!r} must be a finite number, got {deadline!r}")
        previous = self._deadlines.get(item)
        self._deadlines[item] = deadline
        bucket_number = self._bucket_of(deadline)
        if previous is not None and self._bucket_of(previous) == bucket_number:
            return
        bucket = self._buckets.get(bucket_number)
        if bucket is None:
            self._buckets[bucket_number] = [item]
            heapq.heappush(self._bucket_order, bucket_number)
        else:
            bucket.append(item)

    def schedule_many(self, items: Iterable[tuple[str, float]]) -> None:
        """Set many deadlines."""
        for item, deadline in items:
            self.schedule(item, deadline)

    def cancel(self, item: str) -> None:
        """Remove the item's deadline, if any."""
        self._deadlines.pop(item, None)

    def pop_due(self, now: float) -> list[str]:
        """Remove and return the items whose deadline is at or before `now`, earliest first."""
        if math.isnan(now):
            return []
        deadlines = self._deadlines
        order = self._bucket_order
        current = now // self._resolution if math.isfinite(now) else now
        due: list[tuple[float, str]] = []
        while order and order[0] <= current:
            bucket_number = order[0]
            items = self._buckets[bucket_number]
            kept: list[str] = []
            for item in items:
                deadline = deadlines.get(item)
                if deadline is None:
                    continue
                if deadline <= now:
                    del deadlines[item]
                    due.append((deadline, item))
                elif self._bucket_of(deadline) == bucket_number:
                    kept.append(item)
            if kept:
                self._buckets[bucket_number] = kept
                break
            heapq.heappop(order)
            del self._buckets[bucket_number]
        due.sort(key=_deadline_of)
        return [item for _, item in due]
