"""Timing advance: how far from its antenna a phone stands, in the steps the network measures it.

When a phone connects (a call, an SMS, a data session, an attach, a location update: anything that wakes it up
goes through random access), the base station measures the round trip of its signal and tells it how early to
transmit: the timing advance, in steps of 16 Ts (0.52 µs), i.e. 78.12 m of distance on LTE (3GPP TS 36.213 §4.2.3;
39.06 m on NR at 30 kHz spacing). A record that carries it puts the phone in a ring of the cell, not only the cell:
a stand and the concourse behind it, which share their cells, lie at different distances from the antennas.

The estimator treats each (cell, band) as a cell of its own — a *virtual cell* — with its own share of the regions
(the points of the cell at distances that report that band); a record without a timing advance (a feed whose
probes do not carry it, a detach) goes to the cell's last virtual cell, which covers the whole cell. The measured
distance is the true one with an error (multipath, the step's rounding of the round trip): `error_m`, Gaussian
(its distribution function taken as the logistic one of slope 1.702, within 0.01 of it, as `radio` does).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from beffroi.domain.signalling import TIMING_ADVANCE_STEP_M

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
TIMING_ERROR_M = 40.0
"""Default error of the measured distance (standard deviation): half a step."""
LOGISTIC_SLOPE = 1.702
"""The logistic function of slope 1.702 stays within 0.01 of the standard normal distribution function."""
LEAST_CHANCE = 1e-3
"""Chances of a band below this are dropped (and the others renormalised)."""


@dataclass(frozen=True)
class TimingBands:
    """Distance bands of `step_m` (band b: measured distance in [b·step, (b+1)·step)), `bands` of them (a larger
    measure goes into the last); virtual cell `cell * width + band`, `cell * width + bands` for a record without one."""

    bands: int
    step_m: float = TIMING_ADVANCE_STEP_M
    error_m: float = TIMING_ERROR_M

    def __post_init__(self) -> None:
        problems = []
        if self.bands < 1:
            problems.append(f"bands: at least one (got {self.bands})")
        if not self.step_m > 0:
            problems.append(f"step_m: must be positive (got {self.step_m})")
        if not self.error_m >= 0:
            problems.append(f"error_m: must not be negative (got {self.error_m})")
        if problems:
            raise ValueError("timing advance: " + "; ".join(problems))

    @classmethod
    def reaching(
        cls, range_m: float, step_m: float = TIMING_ADVANCE_STEP_M, error_m: float = TIMING_ERROR_M
    ) -> TimingBands:
        """Bands enough for cells of up to `range_m` (and the error beyond it)."""
        return cls(max(math.ceil((range_m + 3 * error_m) / step_m), 1), step_m, error_m)

    @property
    def width(self) -> int:
        """Virtual cells per cell: the bands and the one for records without a timing advance."""
        return self.bands + 1

    def virtual(self, cell: npt.NDArray[np.int32], timing_advance: npt.NDArray[np.int16] | None) -> I64:
        """Each record's virtual cell from its cell and timing advance (negative or absent: unknown)."""
        base = cell.astype(np.int64) * self.width
        if timing_advance is None:
            return base + self.bands
        band = timing_advance.astype(np.int64)
        return base + np.where(band < 0, self.bands, np.minimum(band, self.bands - 1))

    def physical(self, virtual: npt.NDArray[np.integer]) -> I64:
        """The cell of each virtual cell."""
        return np.asarray(virtual, dtype=np.int64) // self.width

    def chances(self, distance: F64) -> tuple[I64, I64, F64]:
        """(entry, band, chance) for the bands each distance may be measured in (chances at least LEAST_CHANCE,
        summing to 1 per entry)."""
        if distance.shape[0] == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
        step, error = self.step_m, max(self.error_m, 1e-6)
        reach = max(math.ceil(3 * error / step), 1)
        centre = np.minimum(np.floor(distance / step).astype(np.int64), self.bands - 1)
        offsets = np.arange(-reach, reach + 1)
        band = centre[:, None] + offsets[None, :]
        valid = (band >= 0) & (band < self.bands)
        low = np.where(band <= 0, -np.inf, band * step)
        high = np.where(band >= self.bands - 1, np.inf, (band + 1) * step)
        chance = _normal_below((high - distance[:, None]) / error) - _normal_below((low - distance[:, None]) / error)
        chance = np.where(valid, chance, 0.0)
        chance = np.where(chance >= LEAST_CHANCE, chance, 0.0)
        chance /= np.maximum(chance.sum(axis=1, keepdims=True), 1e-300)
        entry, column = np.nonzero(chance > 0)
        return entry.astype(np.int64), band[entry, column], chance[entry, column]


def _normal_below(x: F64) -> F64:
    """The standard normal distribution function, by its logistic approximation."""
    with np.errstate(over="ignore"):
        return np.asarray(1.0 / (1.0 + np.exp(-LOGISTIC_SLOPE * x)), dtype=np.float64)
