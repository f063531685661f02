"""Where the silent phones are: a phone not heard of in a slot is taken to do what the phones of its last cell that
were heard of did (`idle_survival`).

A phone is heard of when it makes a call, sends data or changes location area, at least at each periodic update
(about an hour); in between, the network does not say where it is. The phones heard of this slot whose previous
cell was c tell what c's silent phones did, if they are heard of for a reason that has nothing to do with moving:
those whose first record of the slot is a call, an SMS, data or a periodic update are, up to that moment, like the
silent ones (no handover either), and it comes at a random moment. A handover or an attach is heard of *because*
the phone moved: phones first heard of that way would make the silent ones look more mobile than they are. The
share of the sample still in c (with STAY_PSEUDO_PHONES pseudo-phones that stayed, so that a cell few are heard
from keeps its phones) is the chance a silent one stayed, chained over the slots since it was last heard of. With
`follow`, the others went where those of the sample that left c went (the cells' transitions, learnt slot by
slot), else they are dropped. So a crowd leaving a stadium is seen leaving by its talkative part.

A silent phone's chance to be still in its last cell is kept per phone (its cell and when it was last heard of are
in the subscriber state); what left is pooled per (cell, origin column, night) — the "movers" — and moves on with
each cell's transitions slot after slot. The pool holds no identifier: its total per origin column is set each
slot to the sum, over the silent phones, of their chance to have left their last cell (phones heard of again or
expired leave it in proportion).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
STAY_PSEUDO_PHONES = 8.0
"""Phones taken to have stayed in every cell each slot, on top of those heard of."""


class SilentPhones:
    """Per slot, each silent phone's chance to be in its last cell, and the movers pool (see the module docstring).
    `follow`: the phones that left a cell go where its heard phones went (else they are dropped)."""

    def __init__(self, cells: int, slot_s: float, expiry_s: float, follow: bool = False) -> None:
        self.cells = cells
        self.slot_s = slot_s
        self.expiry_s = expiry_s
        self.follow = follow
        self._stay_log: dict[int, F64] = {}
        """Per slot number, each cell's cumulative log share of its silent phones still there."""
        self.pool: F64 = np.zeros((cells, 0))
        """Movers per cell and (origin column, night) key, in subscribers."""

    @property
    def nbytes(self) -> int:
        """Bytes held: the chained stay shares and the movers pool."""
        return sum(log.nbytes for log in self._stay_log.values()) + self.pool.nbytes

    def step(
        self,
        start: float,
        previous: I32,
        last: I32,
        state_cell: I32,
        state_last_ts: F64,
        weight: F64,
        column: I64,
        columns: int,
        night: bool,
    ) -> tuple[F64, F64]:
        """One slot: (each held subscriber's chance to be still in its last cell, the movers per (cell, column)
        flattened like the aggregation's bins). `previous`/`last`: the cells of the sampled phones heard of this
        slot (see the module docstring) before it (-1: unknown or not sampled) and when heard of; `weight`: each
        held subscriber's weight before survival (0 for those heard of, fading as they expire), `column`: its
        (origin column, night) key, `columns`: how many keys."""
        slot = int(start // self.slot_s)
        known = previous >= 0
        heard = np.bincount(previous[known], minlength=self.cells).astype(np.float64)
        stayed = np.bincount(previous[known], weights=previous[known] == last[known], minlength=self.cells)
        stay = (stayed.astype(np.float64) + STAY_PSEUDO_PHONES) / (heard + STAY_PSEUDO_PHONES)
        before = self._stay_log.get(slot - 1, np.zeros(self.cells))
        now = before + np.log(stay)
        self._stay_log[slot] = now
        horizon = slot - int(np.ceil(self.expiry_s / self.slot_s)) - 2
        for old in [key for key in self._stay_log if key < horizon]:
            del self._stay_log[old]
        survival = self._survival(now, state_cell, state_last_ts)
        if not self.follow:
            return survival, np.zeros(self.cells * columns)
        entering = weight * (np.minimum(survival / stay[state_cell], 1.0) - survival)  # left their cell this slot
        leaving = (
            np.bincount(
                state_cell.astype(np.int64) * columns + column, weights=entering, minlength=self.cells * columns
            )
            .astype(np.float64)
            .reshape(self.cells, columns)
        )
        pool = self._resized(columns)
        if night:  # present during the night hours from now on
            pool[:, 1::2] += pool[:, 0::2]
            pool[:, 0::2] = 0.0
        leaving += pool * (1.0 - stay)[:, None]
        pool *= stay[:, None]
        go = known & (previous != last)
        pairs, count = np.unique(previous[go].astype(np.int64) * self.cells + last[go], return_counts=True)
        source, target = pairs // self.cells, pairs % self.cells
        share = count / np.bincount(source, weights=count, minlength=self.cells)[source].astype(np.float64)
        order = np.argsort(target, kind="stable")
        target = target[order]
        if target.shape[0]:
            first = np.flatnonzero(np.concatenate(([True], target[1:] != target[:-1])))
            pool[target[first]] += np.add.reduceat(leaving[source[order]] * share[order, None], first, axis=0)
        goal = np.bincount(column, weights=weight * (1.0 - survival), minlength=columns).astype(np.float64)
        held = pool.sum(axis=0)
        pool *= np.divide(goal, held, out=np.zeros_like(goal), where=held > 0)[None, :]
        self.pool = pool
        return survival, pool.reshape(-1)

    def forget(self) -> None:
        """Drop the movers (a key-day change: the subscribers they stood for are now the previous day's)."""
        self.pool = np.zeros((self.cells, 0))

    def _resized(self, columns: int) -> F64:
        """The pool with `columns` keys (origin columns are only ever added, at the end)."""
        if self.pool.shape[1] == columns:
            return self.pool
        grown = np.zeros((self.cells, columns))
        grown[:, : self.pool.shape[1]] = self.pool
        return grown

    def _survival(self, now: F64, cell: I32, last_ts: F64) -> F64:
        """Each held subscriber's chance to be still in its last cell: the stay shares chained since it was last
        heard of."""
        if cell.shape[0] == 0:
            return np.ones(0)
        since = np.floor(last_ts / self.slot_s).astype(np.int64)
        weight = np.ones(cell.shape[0])
        first = min(self._stay_log)
        for heard_slot in np.unique(since):
            rows = np.flatnonzero(since == heard_slot)
            then = self._stay_log.get(int(heard_slot))
            if then is None:
                then = self._stay_log[first] if heard_slot < first else now
            weight[rows] = np.exp(now[cell[rows]] - then[cell[rows]])
        return weight
