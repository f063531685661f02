"""Pieces of the phones' minute-by-minute moves: random pairing of phones with places that need them, the queue of
phones out of the area waiting to come back, and the record of what a minute's moves did."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]


def match(src_key: Ints, dst_key: Ints, rng: np.random.Generator) -> tuple[Ints, Ints]:
    """Random pairs of positions (source, destination) with equal keys (non-negative, below 2**31), as many as each
    key allows."""
    src_order = np.argsort((src_key << 32) | rng.integers(0, 2**32, src_key.shape[0]), kind="stable")
    dst_order = np.argsort((dst_key << 32) | rng.integers(0, 2**32, dst_key.shape[0]), kind="stable")
    src_sorted = src_key[src_order]
    dst_sorted = dst_key[dst_order]
    dst_rank = np.arange(dst_sorted.shape[0]) - np.searchsorted(dst_sorted, dst_sorted, side="left")
    first = np.searchsorted(src_sorted, dst_sorted, side="left")
    available = np.searchsorted(src_sorted, dst_sorted, side="right") - first
    ok = dst_rank < available
    return src_order[first[ok] + dst_rank[ok]], dst_order[ok]


def unmatched(size: int, matched: Ints) -> npt.NDArray[np.bool_]:
    """A mask of the positions in range(size) that are not in `matched`."""
    mask = np.ones(size, dtype=bool)
    mask[matched] = False
    return mask


@dataclass(frozen=True, slots=True)
class Moves:
    """What a minute's update did: phones that changed place (with their place and cell before and after; a phone
    may move within its place), came into the area, or left it."""

    moved: Ints
    moved_from_place: npt.NDArray[np.int32]
    moved_to_place: Ints
    moved_from_cell: npt.NDArray[np.int32]
    moved_to_cell: npt.NDArray[np.int32]
    entered: Ints
    exited: Ints


class ReturnQueue:
    """Phones out of the area per key (site and category), oldest first, with the time each left."""

    def __init__(self, keys: int) -> None:
        self._queues: list[deque[tuple[float, Ints]]] = [deque() for _ in range(keys)]

    def push(self, keys: Ints, phones: Ints, t: float) -> None:
        """Phones leaving the area at `t`."""
        order = np.argsort(keys, kind="stable")
        keys, phones = keys[order], phones[order]
        bounds = np.flatnonzero(np.diff(keys)) + 1
        for first, stop in zip(np.concatenate(([0], bounds)), np.concatenate((bounds, [keys.shape[0]])), strict=True):
            if stop > first:
                self._queues[int(keys[first])].append((t, phones[first:stop]))

    def pop(self, key: int, wanted: int, latest: float) -> Ints:
        """Up to `wanted` phones of this key that left at `latest` or before, oldest first."""
        queue = self._queues[key]
        taken: list[Ints] = []
        while wanted > 0 and queue and queue[0][0] <= latest:
            left_at, phones = queue[0]
            taken.append(phones[:wanted])
            if phones.shape[0] > wanted:
                queue[0] = (left_at, phones[wanted:])
            else:
                queue.popleft()
            wanted -= min(wanted, phones.shape[0])
        return np.concatenate(taken) if taken else np.zeros(0, dtype=np.int64)
