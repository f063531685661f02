"""A run of the simulated phones over a time range: minute after minute, the signalling records (time order) and
the ground truth beside them (people and phones per place).

A run starts at the last local 04:00 before the range asked for (the quietest hour) with every place at its target,
and runs the phones' moves silently up to the range: any range within the same day gives the same records as that
part of a longer range, for the same seed. The records of a minute use separate random draws from the moves, keyed
by the minute.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime

import numpy as np
import numpy.typing as npt

from beffroi.domain.messages import SignallingRecords
from beffroi.domain.signalling import TIMING_ADVANCE_STEP_M, CellPlan, SignallingBatch, SignallingEvent
from beffroi.errors import ConfigError
from beffroi.sim.catalogue import Catalogue
from beffroi.sim.crowd import CrowdModel
from beffroi.sim.local_time import LocalTime
from beffroi.sim.phones.activity import DATA_BURST_SPAN_S, MINUTE, Records, minute_records, no_records
from beffroi.sim.phones.cells import CellArrays, cell_plan, site_areas
from beffroi.sim.phones.geography import DEPARTEMENTS, METRES_PER_DEGREE
from beffroi.sim.phones.movement import Moves
from beffroi.sim.phones.places import PlaceInfo, Places
from beffroi.sim.phones.pool import PhonePool
from beffroi.sim.phones.population import CATEGORIES, Network, networks, usage
from beffroi.sim.scenario import Scenario
from beffroi.sim.seeding import derive_seed

ANCHOR_HOUR = 4.0
_DAY = 86_400.0
RECORDS_PER_MESSAGE = 5_000
"""Records per SignallingRecords message by default: ~250 kB of MessagePack, well under NATS's 1 MB limit."""

Instant = datetime | float
TIMING_EXCESS_M = 20.0
"""Mean excess distance of the measured path over the straight line (multipath, non-line-of-sight)."""
TIMING_ERROR_M = 25.0
"""Standard deviation of the measurement's error."""


class PhoneMinute:
    """One minute of a run: its records (in columns, time order) with each record's place and spot, and the truth:
    people (everyone, phone or not) and phones of each category per place."""

    def __init__(
        self,
        sim: PhoneSimulation,
        pool: PhonePool,
        start: float,
        records: Records,
        moves: Moves,
        people: npt.NDArray[np.float64],
        phones: npt.NDArray[np.int64],
    ) -> None:
        self.start = start
        self.ts = records.ts
        phone = records.phone
        self.phone = phone
        """Each record's phone (an index into the run's pool; stable for the run)."""
        self.event = records.event
        self.cell = pool.cell[phone]
        self.spot = pool.spot[phone]
        """Where the phone stood (an index of `PhoneSimulation.places.spot_lon/spot_lat`)."""
        self.place = sim.places.spot_place[self.spot]
        self.people = people
        """People per place (`PhoneSimulation.place_info` order) at the minute's start: the crowd model's occupancy."""
        self.phones = phones
        """Phones of the operator per place and category (shape places × 4, Category order) during the minute."""
        self.moves = moves
        """The phones that moved at the minute's start (place before and after), came into the area or left it:
        the true flows between places."""
        self._sim = sim
        self._pool = pool

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    @property
    def cell_phones(self) -> npt.NDArray[np.int64]:
        """Truth: the operator's phones present per cell (plan order), silent ones included, as the minute was
        drawn; read it before the run moves on to the next minute."""
        pool = self._pool
        return np.bincount(pool.cell[pool.active], minlength=len(self._sim.plan.cells)).astype(np.int64)

    @property
    def subscriber(self) -> npt.NDArray[np.int64]:
        """Each record's subscriber as a number (the IMSI's 15 digits)."""
        return self._pool.imsi[self.phone]

    @property
    def network(self) -> npt.NDArray[np.int16]:
        """Each record's home network (an index of `PhoneSimulation.networks`)."""
        return self._pool.network[self.phone]

    @property
    def billing(self) -> npt.NDArray[np.int16]:
        """Each record's billing département (an index of `geography.DEPARTEMENTS`; -1 for roamers)."""
        return self._pool.billing[self.phone]

    @property
    def timing_advance(self) -> npt.NDArray[np.int16]:
        """Each record's timing advance (LTE steps of 78.12 m; -1 on a detach, which carries none): see
        `measured_steps`."""
        rng = np.random.default_rng(derive_seed(self._sim.seed, "phones-timing", int(self.start // MINUTE)))
        steps = measured_steps(self._sim, self.spot, self.cell, rng)
        return np.where(self.event == SignallingEvent.DETACH, -1, steps).astype(np.int16)

    def present_steps(self) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int16]]:
        """Truth: the cell of every phone present, silent ones included, and the timing advance a measurement would
        give now (the evaluation's oracle of where phones are); read it before the run moves on."""
        pool = self._pool
        active = pool.active
        rng = np.random.default_rng(derive_seed(self._sim.seed, "phones-present-timing", int(self.start // MINUTE)))
        return pool.cell[active], measured_steps(self._sim, pool.spot[active], pool.cell[active], rng)

    def batch(self) -> SignallingBatch:
        """The records as the operator delivers them: IMSI text, cell index, event code, home MCC, département,
        timing advance."""
        sim = self._sim
        return SignallingBatch(
            ts=self.ts,
            subscriber=np.take(self._pool.subscriber, self.phone),
            cell=self.cell,
            event=self.event,
            home_mcc=np.take(sim.home_mcc, self.network),
            billing_area=np.take(sim.billing_codes, self.billing.astype(np.int64) + 1),
            timing_advance=self.timing_advance,
        )

    def messages(
        self,
        tenant_id: str,
        *,
        ts_offset: float = 0.0,
        chunk: int = RECORDS_PER_MESSAGE,
        batch_prefix: str = "phones",
    ) -> list[SignallingRecords]:
        """The minute's records as the operator's probes would publish them on the bus: SignallingRecords of at
        most `chunk` records each, in time order, cells by their ids in the plan, timestamps moved by `ts_offset`
        (the simulator's emitted time), each record's timing advance with them. Each batch id
        (`<batch_prefix>-<minute>-<part>`) is the same for the same minute, so a batch published twice is taken
        once."""
        if chunk < 1:
            raise ValueError(f"chunk must be at least 1 record (got {chunk})")
        batch = self.batch()
        ts = (batch.ts + ts_offset).tolist()
        subscriber = batch.subscriber.tolist()
        cell = np.take(self._sim.cell_ids, batch.cell).tolist()
        event = batch.event.tolist()
        home_mcc = batch.home_mcc.tolist()
        billing = batch.billing_area.tolist()
        timing = None if batch.timing_advance is None else batch.timing_advance.tolist()
        operator = self._sim.plan.operator
        minute = int(self.start // MINUTE)
        return [
            SignallingRecords(
                batch_id=f"{batch_prefix}-{minute}-{part}",
                tenant_id=tenant_id,
                operator=operator,
                ts=ts[first : first + chunk],
                subscriber=subscriber[first : first + chunk],
                cell=cell[first : first + chunk],
                event=event[first : first + chunk],
                home_mcc=home_mcc[first : first + chunk],
                billing_area=billing[first : first + chunk],
                timing_advance=None if timing is None else timing[first : first + chunk],
            )
            for part, first in enumerate(range(0, len(ts), chunk))
        ]


def _seconds(instant: Instant) -> float:
    if isinstance(instant, datetime):
        if instant.tzinfo is None:
            raise ConfigError("phones", [f"time {instant.isoformat()} needs a UTC offset"])
        return instant.timestamp()
    return float(instant)


class PhoneSimulation:
    """The phones of a scenario's crowds on one operator's network: its cell plan, places, and runs over time."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int = 0,
        operator: str = "Orange",
        market_share: float = 0.4,
        sites: list[str] | None = None,
    ) -> None:
        if not 0 < market_share <= 1:
            raise ConfigError("phones", [f"market_share: must be in (0, 1] (got {market_share})"])
        self.seed = seed
        self.catalogue = Catalogue(scenario, sites=sites)
        self._local = LocalTime(scenario.timezone)
        self._crowd = CrowdModel(self.catalogue, self._local, seed)
        self.plan: CellPlan = cell_plan(scenario, operator, market_share, seed, sites=sites)
        self.cells = CellArrays(self.plan)
        self.cell_ids = np.array([cell.id for cell in self.plan.cells], dtype=np.str_)
        """Each cell's id, in plan order (a record's `cell` indexes it)."""
        self.areas = site_areas(self.catalogue)
        self.places = Places(
            self.catalogue,
            self._crowd,
            self.areas,
            self.cells,
            self._local,
            market_share=market_share,
            seed=derive_seed(seed, "phones-places"),
        )
        self.networks: list[Network] = networks(operator)
        self.home_mcc = np.array([n.mcc for n in self.networks], dtype=np.int16)
        self.billing_codes = np.array(["", *(d.code for d in DEPARTEMENTS)], dtype="<U3")
        self.pool: PhonePool | None = None
        """The phones of the latest run."""

    @property
    def place_info(self) -> list[PlaceInfo]:
        """The places, in the order of the truth arrays."""
        return self.places.info

    def anchor(self, start: float) -> float:
        """Where a run reaching `start` begins: the last local ANCHOR_HOUR at or before it, on a minute."""
        since = (self._local.local_seconds(start) - ANCHOR_HOUR * 3600.0) % _DAY
        return math.floor((start - since) / MINUTE) * MINUTE

    def minutes(self, start: Instant, end: Instant) -> Iterator[PhoneMinute]:
        """The minutes from `start` (rounded down to a minute) to `end` (rounded up), one PhoneMinute each, in order.
        Each call is a fresh run; memory stays bounded by the phones of the area, whatever the range."""
        first = math.floor(_seconds(start) / MINUTE) * MINUTE
        stop = math.ceil(_seconds(end) / MINUTE) * MINUTE
        anchor = self.anchor(first)
        rng = np.random.default_rng(derive_seed(self.seed, "phones-moves", anchor))
        self.pool = pool = PhonePool(
            self.places,
            self.networks,
            [a.departement for a in self.areas],
            id_salt=derive_seed(self.seed, "phones-ids", anchor) % 10**9,
        )
        noise = rng.standard_normal((self.places.count, len(CATEGORIES)))
        dither = rng.random((self.places.count, len(CATEGORIES)))
        keep = np.exp(-MINUTE / self.places.turnover_s)[:, None]

        def targets(t: float) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
            nonlocal noise
            people, share = self.places.people(t)
            expected = people[:, None] * share * self.places.carry[None, :]
            noise = keep * noise + np.sqrt(1 - keep**2) * rng.standard_normal(noise.shape)
            spread = np.sqrt(expected * (1 - self.places.carry[None, :]))
            return people, np.floor(np.maximum(expected + spread * noise, 0.0) + dither).astype(np.int64)

        t = anchor
        carried = no_records()
        _, goal = targets(t)
        pool.populate(goal, rng)
        while t < stop:
            people, goal = targets(t)
            moves = pool.step(t, goal, self.places.turnover(t), rng)
            if t >= first - DATA_BURST_SPAN_S:
                events_rng = np.random.default_rng(derive_seed(self.seed, "phones-events", int(t // MINUTE)))
                hour_usage = usage(self._local.hour(t))
                records, carried = minute_records(pool, moves, t, hour_usage, events_rng, carried)
            if t >= first:
                phones = pool.counts().reshape(self.places.count, len(CATEGORIES))
                yield PhoneMinute(self, pool, t, records, moves, people, phones)
            t += MINUTE


def measured_steps(
    sim: PhoneSimulation, spot: npt.NDArray[np.int32], cell: npt.NDArray[np.int32], rng: np.random.Generator
) -> npt.NDArray[np.int16]:
    """The timing advance of phones standing at `spot` served by `cell` (see `timing_advance_of`)."""
    lon, lat = sim.places.spot_lon[spot], sim.places.spot_lat[spot]
    dx = (lon - sim.cells.lon[cell]) * METRES_PER_DEGREE * np.cos(np.radians(lat))
    dy = (lat - sim.cells.lat[cell]) * METRES_PER_DEGREE
    return timing_advance_of(np.hypot(dx, dy), rng)


def timing_advance_of(distance: npt.NDArray[np.float64], rng: np.random.Generator) -> npt.NDArray[np.int16]:
    """The timing advance measured for phones `distance` metres from their antenna: with multipath's excess
    (exponential, mean TIMING_EXCESS_M) and an error (Gaussian, TIMING_ERROR_M), rounded down to LTE steps."""
    measured = distance + rng.exponential(TIMING_EXCESS_M, distance.shape[0])
    measured += rng.normal(0.0, TIMING_ERROR_M, distance.shape[0])
    steps: npt.NDArray[np.int16] = np.floor(np.maximum(measured, 0.0) / TIMING_ADVANCE_STEP_M).astype(np.int16)
    return steps


def signalling(
    scenario: Scenario,
    start: Instant,
    end: Instant,
    *,
    seed: int = 0,
    operator: str = "Orange",
    market_share: float = 0.4,
    sites: list[str] | None = None,
) -> Iterator[SignallingBatch]:
    """The operator's signalling records from `start` to `end`, one batch per minute in time order (each batch's
    `cell` indexes `cell_plan(scenario, operator, market_share, seed, sites=sites).cells`)."""
    simulation = PhoneSimulation(scenario, seed=seed, operator=operator, market_share=market_share, sites=sites)
    for minute in simulation.minutes(start, end):
        yield minute.batch()
