"""The last known cell of each pseudonymous subscriber of the key-day, kept in sorted columns, with expiry.

Only what a slot needs of the past is kept: per pseudonym, when it was last heard of, its last cell, its origin
and whether it was present during the night hours. No trajectory: a new record overwrites the previous one,
and a subscriber unheard of for longer than the expiry is forgotten.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
Index = npt.NDArray[np.intp]


class SubscriberState:
    """Columns sorted by pseudonym: `last_ts`, `cell`, `origin`, `night`."""

    def __init__(self) -> None:
        self.pseudonym: U64 = np.zeros(0, dtype=np.uint64)
        self.last_ts: npt.NDArray[np.float64] = np.zeros(0, dtype=np.float64)
        self.cell: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self.origin: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self.night: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)

    def __len__(self) -> int:
        return int(self.pseudonym.shape[0])

    def __repr__(self) -> str:
        return f"SubscriberState(subscribers={len(self)})"

    @property
    def nbytes(self) -> int:
        """Bytes held by the columns."""
        return sum(column.nbytes for column in (self.pseudonym, self.last_ts, self.cell, self.origin, self.night))

    def find(self, pseudonyms: U64) -> tuple[Index, npt.NDArray[np.bool_]]:
        """Row of each (sorted, distinct) pseudonym, and whether it is known."""
        if len(self) == 0:
            return np.zeros(pseudonyms.shape[0], dtype=np.intp), np.zeros(pseudonyms.shape[0], dtype=bool)
        rows = np.minimum(np.searchsorted(self.pseudonym, pseudonyms), len(self) - 1)
        return rows, self.pseudonym[rows] == pseudonyms

    def update(self, rows: Index, last_ts: npt.NDArray[np.float64], cell: npt.NDArray[np.int32], night: bool) -> None:
        """Known subscribers heard of again."""
        self.last_ts[rows] = last_ts
        self.cell[rows] = cell
        if night:
            self.night[rows] = True

    def insert(
        self,
        pseudonym: U64,
        last_ts: npt.NDArray[np.float64],
        cell: npt.NDArray[np.int32],
        origin: npt.NDArray[np.int32],
        night: bool,
    ) -> None:
        """New (sorted, distinct, unknown) subscribers."""
        if pseudonym.shape[0] == 0:
            return
        at = np.searchsorted(self.pseudonym, pseudonym)
        self.pseudonym = np.insert(self.pseudonym, at, pseudonym)
        self.last_ts = np.insert(self.last_ts, at, last_ts)
        self.cell = np.insert(self.cell, at, cell)
        self.origin = np.insert(self.origin, at, origin)
        self.night = np.insert(self.night, at, np.full(pseudonym.shape[0], night))

    def keep(self, rows: npt.NDArray[np.bool_]) -> int:
        """Keep only the rows marked; returns how many were dropped."""
        dropped = len(self) - int(np.count_nonzero(rows))
        if dropped:
            self.pseudonym = self.pseudonym[rows]
            self.last_ts = self.last_ts[rows]
            self.cell = self.cell[rows]
            self.origin = self.origin[rows]
            self.night = self.night[rows]
        return dropped

    def expire(self, before: float, limit: int) -> tuple[int, int]:
        """Forget subscribers last heard of before `before`, then the stalest beyond `limit`.
        Returns (expired, dropped over the limit)."""
        expired = self.keep(self.last_ts >= before) if len(self) else 0
        over = len(self) - limit
        if over <= 0:
            return expired, 0
        cutoff = np.partition(self.last_ts, over)[over]
        return expired, self.keep(self.last_ts >= cutoff)
