"""Records cut into time slots as they arrive: a slot closes once the newest record seen (or the clock) is past
its end by the allowed lateness; later records for it are counted as late and dropped. Only open slots are held.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from beffroi.crowd.mobile.aggregate import SlotRecords

MAX_LEAP_S = 86_400.0
"""A record this far ahead of the newest one seen is refused (implausible timestamp), lest it close every slot."""


class SlotBuffer:
    """Holds the records of the slots still open and hands out each slot, in order, once it may close."""

    def __init__(self, slot_s: float, lateness_s: float) -> None:
        self.slot_s = slot_s
        self.lateness_s = lateness_s
        self.next_slot: int | None = None
        self.newest = -math.inf
        self.late = 0
        self.implausible = 0
        self._open: dict[int, list[SlotRecords]] = {}

    def __repr__(self) -> str:
        return f"SlotBuffer(open_slots={len(self._open)}, late={self.late})"

    @property
    def held(self) -> int:
        """Records held in open slots."""
        return sum(len(part) for parts in self._open.values() for part in parts)

    @property
    def nbytes(self) -> int:
        """Bytes held by the open slots' records."""
        return sum(
            sum(column.nbytes for column in (part.pseudonym, part.ts, part.cell, part.event, part.origin))
            for parts in self._open.values()
            for part in parts
        )

    def add(self, records: SlotRecords) -> None:
        """File records under their slots (late or implausible ones are counted and dropped)."""
        if len(records) == 0:
            return
        if self.next_slot is None:
            self.next_slot = int(np.floor(float(np.min(records.ts)) / self.slot_s))
            self.newest = float(np.min(records.ts))
        slot = np.floor(records.ts / self.slot_s).astype(np.int64)
        keep = (slot >= self.next_slot) & (records.ts <= self.newest + MAX_LEAP_S)
        self.late += int(np.count_nonzero(slot < self.next_slot))
        self.implausible += int(np.count_nonzero(records.ts > self.newest + MAX_LEAP_S))
        if not keep.all():
            records, slot = _take(records, np.flatnonzero(keep)), slot[keep]
        if len(records) == 0:
            return
        self.newest = max(self.newest, float(np.max(records.ts)))
        steps = np.diff(slot)
        if not steps.any():
            self._open.setdefault(int(slot[0]), []).append(records)
            return
        if (steps >= 0).all():
            bounds = np.concatenate(([0], np.flatnonzero(steps) + 1, [slot.shape[0]]))
            for begin, finish in itertools.pairwise(bounds):
                self._open.setdefault(int(slot[begin]), []).append(_take(records, slice(int(begin), int(finish))))
            return
        order = np.argsort(slot, kind="stable")
        ordered = slot[order]
        bounds = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1], [True])))
        for begin, finish in itertools.pairwise(bounds):
            self._open.setdefault(int(ordered[begin]), []).append(_take(records, order[begin:finish]))

    def ready(self, now: float | None = None, everything: bool = False) -> Iterator[tuple[float, SlotRecords]]:
        """Each slot that may close (its end plus the lateness is past the newest record, or past `now`; all
        of them if `everything`), in order, with its records; gaps give empty slots."""
        if self.next_slot is None:
            return
        horizon = max(self.newest, now if now is not None else -math.inf) - self.lateness_s
        last = max(self._open, default=self.next_slot - 1) if everything else math.inf
        while (self.next_slot + 1) * self.slot_s <= horizon or (everything and self.next_slot <= last):
            parts = self._open.pop(self.next_slot, [])
            start = self.next_slot * self.slot_s
            self.next_slot += 1
            yield start, _concatenate(parts)


def _take(records: SlotRecords, rows: npt.NDArray[np.intp] | slice) -> SlotRecords:
    return SlotRecords(
        records.pseudonym[rows], records.ts[rows], records.cell[rows], records.event[rows], records.origin[rows]
    )


def _concatenate(parts: list[SlotRecords]) -> SlotRecords:
    if not parts:
        return SlotRecords.empty()
    if len(parts) == 1:
        return parts[0]
    return SlotRecords(
        np.concatenate([part.pseudonym for part in parts]),
        np.concatenate([part.ts for part in parts]),
        np.concatenate([part.cell for part in parts]),
        np.concatenate([part.event for part in parts]),
        np.concatenate([part.origin for part in parts]),
    )
