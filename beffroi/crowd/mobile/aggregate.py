"""One slot's raw aggregates from its pseudonymised records and the carried-over state, without a Python loop
per record: presence per zone by origin and night status, and flows between zones.

Each subscriber adds a weight of at most 1 per slot, spread over the cells it was in for the time it was there
(from each record to the next; before its first record, in its last known cell): a record says where the phone
is from then on. Subscribers not heard of in the slot stay in their last cell until `idle_expiry_s` after they
were last heard of (with `idle_survival`, weighted by their chance to be still in the area and in that cell); at
a key-day change (new pseudonyms) the previous day's subscribers are kept as "ghosts" until their next periodic
update is due, when they reappear under their new pseudonym.

Raw figures are NOT publishable: `beffroi.crowd.mobile.privacy` turns them into what may leave the module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

from beffroi.crowd.mobile.allocation import CellAllocation
from beffroi.crowd.mobile.calendar import KeyCalendar
from beffroi.crowd.mobile.density import ZONE_PRIOR_PEOPLE, DensityModel
from beffroi.crowd.mobile.departures import Departures
from beffroi.crowd.mobile.idle import SilentPhones
from beffroi.crowd.mobile.origins import ORIGIN_CODES
from beffroi.crowd.mobile.resolution import ZoneResolution
from beffroi.crowd.mobile.state import SubscriberState
from beffroi.domain.signalling import SignallingEvent

F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]
_DETACH = np.uint8(SignallingEvent.DETACH)
_ATTACH = np.uint8(SignallingEvent.ATTACH)
_AT_RANDOM = np.array(
    [SignallingEvent.PERIODIC_UPDATE, SignallingEvent.CALL, SignallingEvent.SMS, SignallingEvent.DATA], dtype=np.uint8
)
"""Events that come at moments unrelated to the phone's moves (unlike handovers, attaches and detaches)."""


@dataclass(frozen=True)
class SlotRecords:
    """Pseudonymised records of one slot, in columns (origin codes from `beffroi.crowd.mobile.origins`)."""

    pseudonym: npt.NDArray[np.uint64]
    ts: F64
    cell: I32
    event: npt.NDArray[np.uint8]
    origin: I32

    @staticmethod
    def empty() -> SlotRecords:
        """No records."""
        return SlotRecords(
            np.zeros(0, np.uint64), np.zeros(0), np.zeros(0, np.int32), np.zeros(0, np.uint8), np.zeros(0, np.int32)
        )

    def __len__(self) -> int:
        return int(self.ts.shape[0])


@dataclass(frozen=True)
class RawSlotFigures:
    """Unprotected aggregates of one slot (for the privacy step and for evaluation only, never to publish).
    `presence[z, o, n]` in subscribers and `people[z, o, n]` extrapolated, for zone z (last: outside), origin
    `origins[o]`, n = 1 when present during the night hours; flows likewise between zones."""

    slot_start: float
    slot_end: float
    zone_ids: tuple[str, ...]
    origins: I32
    presence: F64
    people: F64
    flow_from: I32
    flow_to: I32
    flow_subscribers: F64
    flow_people: F64
    sensitivity: float
    """The most weight one subscriber adds to any one table of the slot (differential privacy)."""
    tables: int
    records: int
    subscribers: int = 0
    stats: dict[str, int] = field(default_factory=dict)
    resolution: F64 | None = None
    """Each zone's resolution under the slot's refined densities (None: not computed; see
    `beffroi.crowd.mobile.resolution`)."""

    def zone_people(self) -> F64:
        """People present per zone (zones only, outside left out)."""
        return np.asarray(self.people[:-1].sum(axis=(1, 2)), dtype=np.float64)


@dataclass
class AggregationSettings:
    """How presence is carried over and extrapolated (see `EstimationSettings` for the meaning of each)."""

    slot_s: float
    periodic_update_s: float
    idle_expiry_s: float
    max_subscribers: int
    factor: F64
    """1 / market share, per origin code."""
    calendar: KeyCalendar
    refine_iterations: int = 0
    """Expectation-maximisation steps per slot refining densities from the cells' counts (0: none)."""
    refine_block_m: float = 500.0
    """Size of the squares whose densities (one for their zones, one for their outside) the refinement fits."""
    free_zones: npt.NDArray[np.bool_] | None = None
    """Per zone, whether the refinement fits a density of its own (see `beffroi.crowd.mobile.density`)."""
    zone_prior_people: float = ZONE_PRIOR_PEOPLE
    """Weight, in people, of a free zone's prior density."""
    passage_zones: npt.NDArray[np.bool_] | None = None
    """Per zone, whether it is a passage (a perimeter, a gate) that, unless free, takes the density of the streets
    around it (see `beffroi.crowd.mobile.density`)."""
    idle_survival: bool = False
    """Whether a silent phone counts in its last cell only with the chance it is still in the area (see
    `beffroi.crowd.mobile.departures`) and still in that cell (see `beffroi.crowd.mobile.idle`); else it counts
    fully in its last cell until it expires."""
    idle_follow: bool = False
    """With `idle_survival`, whether the silent phones that left a cell follow its heard phones (else dropped)."""
    cell_noise: Callable[[F64, float], F64] | None = None
    """The cells' counts noised (differential privacy) and made nonnegative, given their sensitivity, before they
    drive the refinement and the bands' split; the refined allocation is then post-processing of a noisy release."""


def _sum_by(key: npt.NDArray[np.int64], weight: F64, size: int) -> F64:
    """Sum of the weights per key, over keys 0..size-1."""
    return np.bincount(key, weights=weight, minlength=size).astype(np.float64, copy=False)


def _expand_rows(
    cells: I32, start: npt.NDArray[np.int64], entry_zone: I32, weights: F64
) -> tuple[npt.NDArray[np.intp], I32, F64]:
    """The rows of each of `cells` in a CSR table (`start`, `entry_zone`, `weights`): (position in `cells`, zone,
    weight) per row."""
    begin = start[cells]
    counts = start[cells + 1] - begin
    owner = np.repeat(np.arange(cells.shape[0]), counts)
    offset = np.arange(owner.shape[0]) - np.repeat(np.cumsum(counts) - counts, counts)
    entry = begin[owner] + offset
    return owner, entry_zone[entry], weights[entry]


def _by_subscriber_then_time(pseudonym: npt.NDArray[np.uint64], ts: F64) -> npt.NDArray[np.intp]:
    """The order that sorts records by subscriber, then time (two unstable sorts and one of a unique key,
    several times faster than a lexicographic sort)."""
    rows = pseudonym.shape[0]
    if rows == 0:
        return np.zeros(0, dtype=np.intp)
    by_subscriber = np.argsort(pseudonym)
    ordered = pseudonym[by_subscriber]
    group = np.empty(rows, dtype=np.int64)
    group[by_subscriber] = np.cumsum(np.concatenate(([False], ordered[1:] != ordered[:-1])))
    rank = np.empty(rows, dtype=np.int64)
    rank[np.argsort(ts)] = np.arange(rows)
    return np.argsort(group * rows + rank)


def _pick(column: npt.NDArray[np.generic], rows: npt.NDArray[np.intp]) -> npt.NDArray[np.generic]:
    """column[rows], or zeros of its type when the column is empty."""
    return column[rows] if column.shape[0] else np.zeros(rows.shape[0], dtype=column.dtype)


class SlotAggregator:
    """Carries the subscriber state from slot to slot and makes each slot's raw figures."""

    def __init__(
        self, allocation: CellAllocation, settings: AggregationSettings, resolution: ZoneResolution | None = None
    ) -> None:
        """`resolution`: the allocation's `ZoneResolution` where the caller already has one (else built here)."""
        self.allocation = allocation
        self.settings = settings
        self.state = SubscriberState()
        self.ghosts = SubscriberState()
        self.day: date | None = None
        self._zone_sensitivity = allocation.zone_sensitivity()
        self._entry_zone = allocation.zone
        self._refine = settings.refine_iterations > 0
        self._uses_counts = self._refine or allocation.timing is not None
        """Whether the cells' counts drive the split (the refinement, the bands' shares of a cell): one more table
        of the slot, noised where privacy asks."""
        self.density = DensityModel(
            allocation, settings.refine_block_m, settings.free_zones, settings.zone_prior_people, settings.passage_zones
        )
        self._weights = self.density.weights()
        self._resolution = resolution if resolution is not None else ZoneResolution(allocation)
        self._prior_resolution = self._resolution()
        self._rows = allocation.rows
        self._band_width = allocation.rows_per_cell
        self._whole_cells = allocation.virtual_cells(np.arange(allocation.plan_cells, dtype=np.int32), None)
        """Each plan cell's row for records that say nothing more than the cell (itself without bands)."""
        self.silent = SilentPhones(allocation.plan_cells, settings.slot_s, settings.idle_expiry_s, settings.idle_follow)
        self.departures = Departures(
            allocation.plan_cells, settings.slot_s, settings.periodic_update_s, settings.idle_expiry_s
        )
        self._dense = np.full(ORIGIN_CODES, -1, dtype=np.int64)
        self._codes: list[int] = []

    @property
    def weights(self) -> F64:
        """The allocation weights the last slot was split with (each entry's share of its cell's subscribers)."""
        return self._weights

    def close(self, start: float, records: SlotRecords) -> RawSlotFigures:
        """The figures of the slot [start, start + slot_s) from its records; advances the state past it."""
        settings = self.settings
        slot_s, end = settings.slot_s, start + settings.slot_s
        self._rotate(start)
        night = settings.calendar.is_night(start)
        ghosts_valid = len(self.ghosts) > 0
        order = _by_subscriber_then_time(records.pseudonym, records.ts)
        pseudonym, ts = records.pseudonym[order], records.ts[order]
        cell, event, origin = records.cell[order], records.event[order], records.origin[order]
        rows = ts.shape[0]
        boundary = np.concatenate(([True], pseudonym[1:] != pseudonym[:-1])) if rows else np.zeros(0, dtype=bool)
        starts = np.flatnonzero(boundary)
        ends = np.concatenate((starts[1:] - 1, [rows - 1])) if rows else starts
        group = np.cumsum(boundary) - 1
        following = np.concatenate((ts[1:], [end])) if rows else np.zeros(0)
        following[ends] = end
        duration = np.clip(following - ts, 0.0, slot_s)
        duration[event == _DETACH] = 0.0

        heard = pseudonym[starts]
        found_rows, found = self.state.find(heard)
        heard_origin = origin[starts]
        previous_cell = np.where(found, _pick(self.state.cell, found_rows), -1).astype(np.int32)
        heard_night = (found & _pick(self.state.night, found_rows).astype(bool)) | night
        initial_cell = np.where(found, previous_cell, cell[starts])
        initial = ts[starts] - start
        initial[~found & ((event[starts] == _ATTACH) | ghosts_valid)] = 0.0
        state_weight = np.clip((self.state.last_ts + settings.idle_expiry_s - start) / slot_s, 0.0, 1.0)
        state_weight[found_rows[found]] = 0.0  # heard of: counted from its records
        ghost_weight = np.clip((self.ghosts.last_ts + settings.periodic_update_s - start) / slot_s, 0.0, 1.0)

        self._learn(heard_origin)
        width, dense, plan_cells = len(self._codes), self._dense, self.allocation.plan_cells
        size = plan_cells * width * 2
        physical = self._physical
        heard_key = (physical(initial_cell) * width + dense[heard_origin]) * 2 + heard_night
        record_key = (physical(cell) * width + dense[heard_origin][group]) * 2 + heard_night[group]
        state_column = dense[self.state.origin] * 2 + (self.state.night | night)
        state_cell = physical(self.state.cell)
        state_key = state_cell * width * 2 + state_column
        movers = None
        if settings.idle_survival:
            held_cell = state_cell.astype(np.int32)
            previous = physical(previous_cell).astype(np.int32)  # -1 for the phones not known before
            state_weight = state_weight * self.departures.step(
                start,
                previous,
                _pick(self.state.last_ts, found_rows).astype(np.float64),
                held_cell,
                self.state.last_ts,
                state_weight,
            )
            survival, movers = self.silent.step(
                start,
                np.where(np.isin(event[starts], _AT_RANDOM), previous, -1).astype(np.int32),
                physical(cell[starts]).astype(np.int32),
                held_cell,
                self.state.last_ts,
                state_weight,
                state_column,
                width * 2,
                night,
            )
            state_weight = state_weight * survival
        bins = _sum_by(record_key, duration / slot_s, size)
        bins += _sum_by(heard_key, initial / slot_s, size)
        bins += _sum_by(state_key, state_weight, size)
        if movers is not None:
            bins += movers
        if ghosts_valid:
            ghost_key = (physical(self.ghosts.cell) * width + dense[self.ghosts.origin]) * 2 + night
            bins += _sum_by(ghost_key, ghost_weight, size)
        # the same weights per (virtual) cell; the movers, which only know their cell, in its whole-cell row
        cells = self.allocation.cells
        counts = _sum_by(cell.astype(np.int64), duration / slot_s, cells)
        counts += _sum_by(initial_cell.astype(np.int64), initial / slot_s, cells)
        counts += _sum_by(self.state.cell.astype(np.int64), state_weight, cells)
        if movers is not None:
            counts[self._whole_cells] += movers.reshape(plan_cells, -1).sum(axis=1)
        if ghosts_valid:
            counts += _sum_by(self.ghosts.cell.astype(np.int64), ghost_weight, cells)
        sensitivity = self._zone_sensitivity * (2.0 if ghosts_valid else 1.0)
        if self._uses_counts and self.settings.cell_noise is not None:
            counts = self.settings.cell_noise(counts, sensitivity)
        if self._refine:
            self.density.refine(counts, self.settings.refine_iterations)
            self._weights = self.density.weights()
        origins, presence, people = self._to_zones(bins, counts, width)
        flows = self._flows(found, previous_cell, cell[ends], event[ends], heard_origin)

        # carry the state past the slot
        last_cell, detached = cell[ends], event[ends] == _DETACH
        self.state.update(found_rows[found], ts[ends][found], last_cell[found], night)
        if night:
            self.state.night[state_weight > 0] = True
        new = ~found & ~detached
        self.state.insert(heard[new], ts[ends][new], last_cell[new], heard_origin[new], night)
        if detached.any():
            gone = np.zeros(len(self.state), dtype=bool)
            rows_gone, known = self.state.find(heard[detached])
            gone[rows_gone[known]] = True
            self.state.keep(~gone)
        expired, over = self.state.expire(end - settings.idle_expiry_s, settings.max_subscribers)
        self.ghosts.expire(end - settings.periodic_update_s, settings.max_subscribers)
        return RawSlotFigures(
            slot_start=start,
            slot_end=end,
            zone_ids=self.allocation.zone_ids,
            origins=origins,
            presence=presence,
            people=people,
            flow_from=flows[0],
            flow_to=flows[1],
            flow_subscribers=flows[2],
            flow_people=flows[3],
            sensitivity=sensitivity,
            tables=5 if self._uses_counts else 4,
            records=rows,
            subscribers=len(self.state) + len(self.ghosts),
            stats={"expired": expired, "dropped_over_limit": over, "ghosts": len(self.ghosts)},
            resolution=self._slot_resolution(),
        )

    def _slot_resolution(self) -> F64:
        """Each zone's resolution under the slot's refined densities; a zone without a density of its own (not
        free: it follows its square's zones) no more than under the prior, whatever the slot's crowds: its figure is
        the square's density, not a measure of its own (on the simulated venues, 70 of 3,159 zone-slots over 500
        people were marked resolvable that way, at 18 % error against 11 %)."""
        resolution = self._resolution(self.density.density)
        free = self.settings.free_zones
        if free is None:
            return resolution
        return np.where(free, resolution, np.minimum(resolution, self._prior_resolution))

    def _learn(self, origin: I32) -> None:
        """Give the origin codes not seen before a column of their own (columns are never taken back)."""
        present = np.flatnonzero(np.bincount(origin, minlength=ORIGIN_CODES))
        fresh = present[self._dense[present] < 0]
        if fresh.size:
            self._dense[fresh] = np.arange(len(self._codes), len(self._codes) + fresh.size)
            self._codes.extend(int(code) for code in fresh)

    def _rotate(self, start: float) -> None:
        day = self.settings.calendar.day_of(start)
        if day == self.day:
            return
        previous, self.day = self.day, day
        self.ghosts = self.state if previous is not None else SubscriberState()
        self.state = SubscriberState()
        self.silent.forget()

    def _physical(self, cell: npt.NDArray[np.integer]) -> npt.NDArray[np.int64]:
        """The plan's cell of each (virtual) cell; -1 stays -1."""
        return np.floor_divide(np.asarray(cell, dtype=np.int64), self._band_width)

    def _expand(self, cells: I32) -> tuple[npt.NDArray[np.intp], I32, F64]:
        """Each (virtual) cell's allocation rows: (position in `cells`, zone, weight) per row."""
        return _expand_rows(cells, self.allocation.start, self._entry_zone, self._weights)

    def _plan_cell_weights(self, counts: F64) -> tuple[npt.NDArray[np.int64], I32, F64]:
        """Per plan cell, the zones its subscribers stand in as its virtual cells hold them this slot (CSR: start,
        zone, weight): with timing advance bands, a cell's share of a zone is its bands' counts × their weights.
        `counts` are those the refinement took (noised where privacy asks: a subscriber's weight then moves one
        cell's row of the origins' table, never the split of the others)."""
        allocation = self.allocation
        if allocation.timing is None:
            return allocation.start, self._entry_zone, self._weights
        zones, plan_cells = allocation.outside + 1, allocation.plan_cells
        amount = counts[self._rows] * self._weights
        held = np.flatnonzero(amount > 0)
        key = (self._rows[held] // self._band_width) * zones + self._entry_zone[held]
        pairs, inverse = np.unique(key, return_inverse=True)
        mass = np.bincount(inverse.reshape(-1), weights=amount[held], minlength=pairs.shape[0])
        pair_cell = pairs // zones
        per_cell = np.bincount(pair_cell, weights=mass, minlength=plan_cells)
        start = np.concatenate(([0], np.cumsum(np.bincount(pair_cell, minlength=plan_cells)))).astype(np.int64)
        return start, (pairs % zones).astype(np.int32), mass / per_cell[pair_cell]

    def _to_zones(self, bins: F64, counts: F64, width: int) -> tuple[I32, F64, F64]:
        """Presence per (plan cell, origin column, night) spread over zones; origins in code order. With timing
        advance bands, a cell's people are split as its bands' counts say (`counts`: per virtual cell), the same
        split for all its origins: the zones' totals are the bands' own, their origins their cells' mix."""
        zones = self.allocation.outside + 1
        nonzero = np.flatnonzero(bins)
        start, entry_zone, weights = self._plan_cell_weights(counts)
        owner, zone, share = _expand_rows((nonzero // (2 * width)).astype(np.int32), start, entry_zone, weights)
        column = (nonzero // 2 % width)[owner]
        zone_key = (zone.astype(np.int64) * width + column) * 2 + (nonzero % 2)[owner]
        presence = _sum_by(zone_key, bins[nonzero][owner] * share, zones * width * 2)
        codes = np.asarray(self._codes, dtype=np.int32)
        by_code = np.argsort(codes)
        presence = presence.reshape(zones, width, 2)[:, by_code, :]
        people = presence * self.settings.factor[codes[by_code]][None, :, None]
        return codes[by_code], presence, people

    def _flows(
        self,
        found: npt.NDArray[np.bool_],
        previous_cell: I32,
        last_cell: I32,
        last_event: npt.NDArray[np.uint8],
        origin: I32,
    ) -> tuple[I32, I32, F64, F64]:
        zones = self.allocation.outside + 1
        moved = found & (self._physical(previous_cell) != self._physical(last_cell)) & (last_event != _DETACH)
        cells = self.allocation.cells
        pair = previous_cell[moved].astype(np.int64) * cells + last_cell[moved]
        factor = self.settings.factor[origin[moved]]
        distinct, inverse = np.unique(pair, return_inverse=True)
        subscribers = np.bincount(inverse.reshape(-1), minlength=distinct.shape[0]).astype(np.float64)
        people = np.bincount(inverse.reshape(-1), weights=factor, minlength=distinct.shape[0])
        owner_from, zone_from, share_from = self._expand((distinct // cells).astype(np.int32))
        owner_to, zone_to, share_to = self._expand((distinct[owner_from] % cells).astype(np.int32))
        source_zone = zone_from[owner_to]
        share = share_from[owner_to] * share_to
        key = source_zone.astype(np.int64) * zones + zone_to
        pair_of = owner_from[owner_to]
        keys, slot_of = np.unique(key, return_inverse=True)
        slot_of = slot_of.reshape(-1)
        flow_subscribers = np.bincount(slot_of, weights=subscribers[pair_of] * share, minlength=keys.shape[0])
        flow_people = np.bincount(slot_of, weights=people[pair_of] * share, minlength=keys.shape[0])
        between = (keys // zones != keys % zones) & (flow_subscribers > 0)
        keys = keys[between]
        return (
            (keys // zones).astype(np.int32),
            (keys % zones).astype(np.int32),
            flow_subscribers[between],
            flow_people[between],
        )
