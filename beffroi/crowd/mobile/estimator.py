"""The mobile-network crowd estimator: signalling batches in, one privacy-safe estimate per zone and slot out.

    estimator = MobileEstimator(plan, zones, EstimationSettings(departement="93"), pseudonymiser=...)
    for batch in reader.batches(path):          # or batches from the bus
        for estimate in estimator.add(batch):   # a MobileSlotEstimate each time a slot closes
            publish(estimate)
    estimator.flush(now=time.time())           # close slots on the clock when the feed is quiet

Memory is bounded by the open slots (lateness), the per-subscriber last-known state (with expiry and a cap)
and the pseudonym cache; never by the length of the feed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from beffroi.crowd.mobile.aggregate import AggregationSettings, RawSlotFigures, SlotAggregator, SlotRecords
from beffroi.crowd.mobile.allocation import CellAllocation, Coverage, allocate
from beffroi.crowd.mobile.calendar import KeyCalendar
from beffroi.crowd.mobile.density import ZONE_PRIOR_PEOPLE
from beffroi.crowd.mobile.origins import ORIGIN_CODES, ROAMER_BASE, departement_code, origin_codes
from beffroi.crowd.mobile.privacy import PrivacySettings, cell_noise, protect
from beffroi.crowd.mobile.pseudonymise import Pseudonymiser
from beffroi.crowd.mobile.resolution import MAJORITY, ZoneResolution
from beffroi.crowd.mobile.results import MobileSlotEstimate
from beffroi.crowd.mobile.slots import SlotBuffer
from beffroi.crowd.mobile.timing import TIMING_ERROR_M, TimingBands
from beffroi.domain.registry import Zone, ZoneKind
from beffroi.domain.signalling import TIMING_ADVANCE_STEP_M, CellPlan, SignallingBatch
from beffroi.errors import ConfigError

log = logging.getLogger(__name__)
PASSAGE_KINDS = frozenset({ZoneKind.PERIMETER, ZoneKind.GATE})
"""Zones people walk through rather than stay in."""

REACHABLE_MARGIN_S = 600.0
"""How long past its periodic update interval a silent phone is still taken to be around: the network's mobile
reachable timer runs 4 minutes past T3412 (3GPP TS 24.301 §5.3.7, its default), and T3412 starts when a connection
ends, which a record (when it started) does not say: 10 minutes in all. A phone unheard of for longer has left the
area (most slip away without a detach)."""


@dataclass(frozen=True)
class EstimationSettings:
    """How records become figures. `periodic_update_s`: the network's periodic location update interval (an idle
    phone is heard of at least that often); `idle_expiry_s`: how long a phone not heard of is kept in its last cell
    (default the periodic interval plus REACHABLE_MARGIN_S); `lateness_s`: how long after a slot's end its records
    may still arrive; `roamer_shares`: the operator's share of the roamers of each home MCC, and `roamer_share` of
    other roamers (default the plan's market share); `departement`: the area's département (residents are billed
    there), overridden per zone by `zone_departements`; `coverage`: see `allocation`; `small_cell_offset_db`: small
    cells' power against macro cells'; `zone_density` / `outside_density`: the density prior of the cell-to-zone
    allocation (see `allocate`), which `refine_iterations` EM steps per slot fit to the cells' counts: per square of
    `refine_block_m` one factor for its zones and one for its outside, and for each resolvable zone a factor of its
    own held to its square's by a prior worth `zone_prior_people` people (0 iterations: keep the prior; see
    `beffroi.crowd.mobile.density`); `idle_survival`: a silent phone counts in its last cell with the chance it is
    still in the area, learnt from the phones of that cell that went unheard past their periodic update (see
    `beffroi.crowd.mobile.departures`), and still in that cell, learnt from the phones of that cell heard of again at
    random moments (a crowd leaving a stadium is seen leaving by its talkative part; off, the default: counted fully
    in its last cell until it expires; on, it under-counts the synthetic city's districts, see
    `beffroi.crowd.mobile.idle`); `idle_follow` (with it): the phones that left a cell go where the heard ones went
    rather than being dropped (off by default: on the simulator they pile up where crowds gather); `min_resolution`:
    the resolution (see `beffroi.crowd.mobile.resolution`, from the cell plan, the zones and the slot's densities)
    under which a zone's figures are marked not resolvable (`ZoneEstimate.resolvable`: mostly the split of cells it
    shares with other zones; 0 marks none), and under which, under the prior, a zone gets no density of its own;
    `passage_kinds`: the kinds of zone people walk through (perimeter rings, gates) which, when not resolvable, take
    the density of the streets around them rather than the venue's (see `beffroi.crowd.mobile.density`);
    `timing_advance` (radio coverage): the feed's records carry the timing advance (steps of `timing_step_m`,
    measured with an error of `timing_error_m`), which puts a phone in a band of its cell (see
    `beffroi.crowd.mobile.timing`; a record without one still counts in its whole cell, but the resolution assumes
    most have one: set it off for a feed without the column)."""

    slot_s: int = 300
    lateness_s: float = 30.0
    periodic_update_s: float = 3240.0
    idle_expiry_s: float | None = None
    max_subscribers: int = 5_000_000
    roamer_shares: Mapping[int, float] = field(default_factory=dict)
    roamer_share: float | None = None
    departement: str | None = None
    zone_departements: Mapping[str, str] = field(default_factory=dict)
    coverage: Coverage = "radio"
    zone_density: Mapping[str, float] | None = None
    outside_density: float = 1.0
    small_cell_offset_db: float = -20.0
    refine_iterations: int = 10
    refine_block_m: float = 500.0
    zone_prior_people: float = ZONE_PRIOR_PEOPLE
    idle_survival: bool = False
    idle_follow: bool = False
    min_resolution: float = MAJORITY
    passage_kinds: frozenset[ZoneKind] = PASSAGE_KINDS
    timing_advance: bool = True
    timing_step_m: float = TIMING_ADVANCE_STEP_M
    timing_error_m: float = TIMING_ERROR_M
    calendar: KeyCalendar = field(default_factory=KeyCalendar)

    def __post_init__(self) -> None:
        problems = []
        if self.slot_s <= 0 or 3600 % self.slot_s:
            problems.append(f"slot_s: must divide an hour (got {self.slot_s})")
        if self.lateness_s < 0:
            problems.append(f"lateness_s: must not be negative (got {self.lateness_s})")
        if self.periodic_update_s <= 0:
            problems.append(f"periodic_update_s: must be positive (got {self.periodic_update_s})")
        for mcc, share in {**self.roamer_shares, -1: self.roamer_share or 0.5}.items():
            if not 0 < share <= 1:
                problems.append(f"roamer_shares[{mcc}]: a share must be in (0, 1] (got {share})")
        if not self.zone_prior_people > 0:
            problems.append(f"zone_prior_people: must be positive (got {self.zone_prior_people})")
        if not 0 <= self.min_resolution <= 1:
            problems.append(f"min_resolution: must be in [0, 1] (got {self.min_resolution})")
        if not self.timing_step_m > 0:
            problems.append(f"timing_step_m: must be positive (got {self.timing_step_m})")
        if not self.timing_error_m >= 0:
            problems.append(f"timing_error_m: must not be negative (got {self.timing_error_m})")
        if self.coverage not in ("radio", "best_server", "sector"):
            problems.append(f"coverage: must be radio, best_server or sector (got {self.coverage!r})")
        if problems:
            raise ConfigError("mobile estimation", problems)

    def timing_bands(self, plan: CellPlan) -> TimingBands | None:
        """The timing advance bands for `plan`'s cells (None when off, or with polygon coverage)."""
        if not self.timing_advance or self.coverage != "radio" or not plan.cells:
            return None
        reach = max(cell.range_m for cell in plan.cells)
        return TimingBands.reaching(reach, self.timing_step_m, self.timing_error_m)

    @property
    def expiry_s(self) -> float:
        """How long an unheard-of phone is kept in its last cell."""
        return self.idle_expiry_s if self.idle_expiry_s is not None else self.periodic_update_s + REACHABLE_MARGIN_S


class MobileEstimator:
    """Turns one operator's signalling into privacy-safe crowd figures per zone and slot."""

    def __init__(
        self,
        plan: CellPlan,
        zones: Sequence[Zone],
        settings: EstimationSettings | None = None,
        privacy: PrivacySettings | None = None,
        pseudonymiser: Pseudonymiser | None = None,
        allocation: CellAllocation | None = None,
        raw_sink: Callable[[RawSlotFigures], None] | None = None,
    ) -> None:
        """`raw_sink` receives each slot's unprotected aggregates: for evaluation only, never to publish."""
        self.plan = plan
        self.settings = settings or EstimationSettings()
        self.privacy = privacy or PrivacySettings()
        if self.settings.refine_iterations < 0:
            raise ConfigError("mobile estimation", ["refine_iterations: must not be negative"])
        if not 0 < plan.market_share <= 1:
            raise ConfigError("cell plan", [f"market_share: must be in (0, 1] (got {plan.market_share})"])
        if pseudonymiser is not None and pseudonymiser.calendar != self.settings.calendar:
            raise ConfigError("mobile estimation", ["calendar: the pseudonymiser must rotate on the same calendar"])
        self.pseudonymiser = pseudonymiser
        self.allocation = allocation or allocate(
            plan,
            zones,
            self.settings.coverage,
            self.settings.zone_density,
            self.settings.outside_density,
            self.settings.small_cell_offset_db,
            self.settings.timing_bands(plan),
        )
        if self.allocation.plan_cells != len(plan.cells):
            raise ConfigError("mobile estimation", ["allocation: made for another cell plan"])
        self.factor = self._factors()
        if self.allocation.zone_ids != tuple(zone.id for zone in zones):
            raise ConfigError("mobile estimation", ["allocation: made for other zones"])
        resolution = ZoneResolution(self.allocation)
        self.resolution = resolution()
        """Each zone's resolution under the prior: how much its figure is its cells' own rather than the prior's
        split; the zones at `min_resolution` or more get a density of their own. Each slot's figures are marked by
        the resolution under that slot's densities (`RawSlotFigures.resolution`)."""
        self._resident = np.array([self._zone_departement(zone.id) for zone in zones], dtype=np.int32)
        self.rng = np.random.default_rng(self.privacy.seed)
        epsilon = self.privacy.epsilon
        self.aggregator = SlotAggregator(
            self.allocation,
            AggregationSettings(
                slot_s=float(self.settings.slot_s),
                periodic_update_s=self.settings.periodic_update_s,
                idle_expiry_s=self.settings.expiry_s,
                max_subscribers=self.settings.max_subscribers,
                factor=self.factor,
                calendar=self.settings.calendar,
                refine_iterations=self.settings.refine_iterations,
                refine_block_m=self.settings.refine_block_m,
                free_zones=self.resolution >= self.settings.min_resolution,
                zone_prior_people=self.settings.zone_prior_people,
                passage_zones=np.array([zone.kind in self.settings.passage_kinds for zone in zones], dtype=bool),
                idle_survival=self.settings.idle_survival,
                idle_follow=self.settings.idle_follow,
                cell_noise=cell_noise(epsilon, self.rng, self.allocation.rows_per_cell)
                if epsilon is not None
                else None,
            ),
            resolution,
        )
        self.buffer = SlotBuffer(float(self.settings.slot_s), self.settings.lateness_s)
        self.raw_sink = raw_sink
        self.records_in = 0
        self.rejected: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"MobileEstimator(operator={self.plan.operator!r}, zones={len(self.allocation.zone_ids)})"

    def _factors(self) -> npt.NDArray[np.float64]:
        settings = self.settings
        factor = np.full(ORIGIN_CODES, 1.0 / self.plan.market_share)
        factor[ROAMER_BASE:] = 1.0 / (settings.roamer_share or self.plan.market_share)
        for mcc, share in settings.roamer_shares.items():
            if 200 <= mcc < 800:
                factor[ROAMER_BASE + mcc] = 1.0 / share
        return factor

    def _zone_departement(self, zone_id: str) -> int:
        name = self.settings.zone_departements.get(zone_id, self.settings.departement)
        return departement_code(name) if name else -1

    def add(self, batch: SignallingBatch) -> list[MobileSlotEstimate]:
        """Take a batch (pseudonymised, or raw if a pseudonymiser was given); returns the slots it closed."""
        if batch.subscriber.dtype != np.uint64:
            if self.pseudonymiser is None:
                raise ValueError("raw identifiers need a pseudonymiser")
            batch = self.pseudonymiser.pseudonymise(batch)
        self.records_in += len(batch)
        self.buffer.add(self._records(batch))
        return self._close(self.buffer.ready())

    def flush(self, now: float | None = None) -> list[MobileSlotEstimate]:
        """Close the slots that ended more than the lateness before `now` (the clock); all open slots if None."""
        return self._close(self.buffer.ready(now=now, everything=now is None))

    @property
    def stats(self) -> dict[str, int]:
        """Counts for metrics: records taken, rejected (by reason), late, subscribers held."""
        return {
            "records": self.records_in,
            **{f"rejected_{reason}": count for reason, count in self.rejected.items()},
            "late": self.buffer.late,
            "implausible_timestamp": self.buffer.implausible,
            "subscribers_held": len(self.aggregator.state) + len(self.aggregator.ghosts),
        }

    @property
    def held_bytes(self) -> int:
        """Bytes held across slots: the subscribers' last-known state (and the previous key-day's until it
        expires), the open slots' records and the pseudonym cache; bounded by the expiry, the subscriber cap,
        the lateness and the cache size, never by the length of the feed."""
        aggregator = self.aggregator
        cache = self.pseudonymiser.cache_bytes if self.pseudonymiser is not None else 0
        held = aggregator.state.nbytes + aggregator.ghosts.nbytes + aggregator.density.nbytes
        held += aggregator.silent.nbytes + aggregator.departures.nbytes
        return held + self.buffer.nbytes + cache

    def _records(self, batch: SignallingBatch) -> SlotRecords:
        cell = np.asarray(batch.cell, dtype=np.int32)
        valid = (cell >= 0) & (cell < len(self.plan.cells)) & np.isfinite(batch.ts)
        if not valid.all():
            self._reject("unknown_cell", int(np.count_nonzero((cell < 0) | (cell >= len(self.plan.cells)))))
            self._reject("bad_timestamp", int(np.count_nonzero(~np.isfinite(batch.ts))))
        rows = slice(None) if valid.all() else np.flatnonzero(valid)
        timing_advance = None if batch.timing_advance is None else np.asarray(batch.timing_advance)[rows]
        return SlotRecords(
            pseudonym=np.asarray(batch.subscriber, dtype=np.uint64)[rows],
            ts=np.asarray(batch.ts, dtype=np.float64)[rows],
            cell=self.allocation.virtual_cells(cell[rows], timing_advance),
            event=np.asarray(batch.event, dtype=np.uint8)[rows],
            origin=origin_codes(batch.billing_area[rows], batch.home_mcc[rows], self.plan.mcc),
        )

    def _reject(self, reason: str, count: int) -> None:
        if count:
            self.rejected[reason] = self.rejected.get(reason, 0) + count
            log.warning("mobile estimator: %d records rejected (%s)", count, reason)

    def _close(self, slots: Iterator[tuple[float, SlotRecords]]) -> list[MobileSlotEstimate]:
        estimates = []
        for start, records in slots:
            raw = self.aggregator.close(start, records)
            if self.raw_sink is not None:
                self.raw_sink(raw)
            estimates.append(
                protect(
                    raw,
                    self._resident,
                    self.factor,
                    self.privacy,
                    self.rng,
                    self.plan.operator,
                    self.plan.market_share,
                    self.plan.mcc,
                    raw.resolution if raw.resolution is not None else self.resolution,
                    self.settings.min_resolution,
                )
            )
        return estimates
