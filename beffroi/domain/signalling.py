"""Mobile-network signalling, as an operator's probes deliver it, and the cell plan it refers to.

Records travel in columns (thousands to millions at a time), never one object per record: a `SignallingBatch` is
parallel arrays. Before pseudonymisation (at the door of `beffroi.crowd.mobile`) `subscriber` holds the operator's
identifier; after it, a keyed hash (`uint64`), and the raw identifier is never stored or logged.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import msgspec
import numpy as np
import numpy.typing as npt


class SignallingEvent(enum.IntEnum):
    """What made the phone talk to the network (the codes of the `event` column)."""

    ATTACH = 0
    DETACH = 1
    PERIODIC_UPDATE = 2
    """Location update every tens of minutes when the phone is idle."""
    HANDOVER = 3
    """The phone moved to another cell during a call or data session."""
    CALL = 4
    SMS = 5
    DATA = 6


SIGNALLING_COLUMNS = ("timestamp", "subscriber", "cell", "event", "home_network", "billing_area")
"""The columns of a signalling file (CSV or Parquet): `timestamp` epoch seconds (or ISO 8601 in CSV), `subscriber`
the operator's identifier (IMSI-like, text), `cell` the cell id of the cell plan, `event` a SignallingEvent name or
code, `home_network` the subscriber's home network as MCC-MNC ("208-01": a roamer when its MCC is not the host
country's), `billing_area` the département of the subscriber's billing address ("93", "2A"; empty for roamers)."""

OPTIONAL_SIGNALLING_COLUMNS = ("timing_advance",)
"""Columns a signalling file may add, read when present: `timing_advance` the phone's distance from its serving
antenna as the radio measured it, in integer timing advance steps of 78.12 m (LTE; 0 to 1282, the most for 100 km),
empty or -1 where a record has none (a detach carries none). Probes deliver it where the operator's network reports
it; without it the estimator places a record anywhere its cell serves."""
TIMING_ADVANCE_STEP_M = 78.12
"""One LTE timing advance step: 16 Ts = 0.52 µs of round trip, 78.12 m of distance (3GPP TS 36.213 §4.2.3)."""
MAX_TIMING_ADVANCE = 1282
"""The largest LTE timing advance index (100 km of cell radius): anything larger is a bad timing advance."""
NO_TIMING_ADVANCE = -1
"""The timing advance of a record that has none (an empty cell in a file)."""


@dataclass(frozen=True, slots=True)
class SignallingBatch:
    """Records in columns, all of the same length. `subscriber` is text before pseudonymisation and uint64 after;
    `cell` indexes the cell plan's cells; `home_mcc` is the home network's country code (e.g. 208 for France);
    `billing_area` is a département code (empty for roamers); `timing_advance` the phone's distance from the
    antenna in the radio's timing advance steps (LTE: 78.12 m) where the probes deliver it (-1 where a record has
    none; None for a feed without the column)."""

    ts: npt.NDArray[np.float64]
    subscriber: npt.NDArray[np.uint64] | npt.NDArray[np.str_]
    cell: npt.NDArray[np.int32]
    event: npt.NDArray[np.uint8]
    home_mcc: npt.NDArray[np.int16]
    billing_area: npt.NDArray[np.str_]
    timing_advance: npt.NDArray[np.int16] | None = None

    def __len__(self) -> int:
        return int(self.ts.shape[0])


class Cell(msgspec.Struct, frozen=True):
    """One cell of the cell plan: its antenna's position (lon, lat), the direction it points (azimuth, degrees from
    north; None for an omnidirectional cell), its beam width (degrees) and its range (metres)."""

    id: str
    lon: float
    lat: float
    azimuth_deg: float | None
    beamwidth_deg: float
    range_m: float
    technology: str = "4G"


class CellPlan(msgspec.Struct, frozen=True):
    """The cells of an operator over an area; a signalling batch's `cell` column indexes `cells`."""

    operator: str
    mcc: int
    """The host country's mobile country code (208: France): other MCCs are roamers."""
    market_share: float
    """The operator's share of the people present (e.g. 0.4), used to extrapolate from its subscribers."""
    cells: list[Cell]

    def index(self) -> dict[str, int]:
        """Cell id → its position in `cells`."""
        return {cell.id: position for position, cell in enumerate(self.cells)}
