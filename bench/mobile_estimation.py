"""Mobile-network crowd estimation: speed, memory, freshness and accuracy.

Usage: python bench/mobile_estimation.py [--subscribers 1000000] [--hours 24] [--epsilon 2] [--k 20]
                                         [--sim-hours 2] [--sim-start 2024-07-26T17:00] [--no-sim]
                                         [--no-synthetic] [--seed 7] [--more-seeds 8,9]
Prints one JSON object:
- `synthetic`: a full day of a city of `--subscribers` subscribers from tests/crowd/mobile/synthetic.py (people
  with a day of stays, phones with periodic updates, calls/sms/data, location updates, shadowing). Each 5-minute
  slot's records are made, pseudonymised and aggregated in turn (never the whole day in memory) by the default
  estimator (k-suppression) and, beside it, one with Laplace noise. Throughput of pseudonymisation and of
  aggregation (records/s), the day's estimation time, RSS (after set-up, peak), freshness (slot end to figures:
  the lateness allowance plus the time to close a slot), reading one hour of signalling files (CSV, Parquet)
  into pseudonymised batches, and MAPE per zone and slot against the generator's truth (mean over the slot's
  minutes) for zones above 500 people: raw, after suppression, after suppression and noise (the first hour,
  a cold start with no idle phone known yet, left out);
- `simulator` (unless --no-sim, when beffroi.sim.phones exists): the same against the simulator's phones and
  truth on scenarios/paris2024.json, `--sim-hours` from `--sim-start` (local time; 17:00 on 26 July 2024, the
  evening of the opening ceremony) after 75 minutes of warm-up,
  per zone and per site, with the default settings, with a capacity density prior, with that prior and idle
  survival (silent phones counted with the chance they are still in their last cell), and with idle survival
  whose phones that left follow the heard ones (`idle_follow`); per zone kind (`by_kind`: MAPE and bias, to see
  which zones are wrong and in which direction, and whether the cell plan resolves them). `resolvable`: MAPE over
  the zones the estimator marks resolvable in each slot (resolution >= `min_resolution`, from the cell plan, the
  zones and the slot's densities), and how many zones (and people) it marks unresolvable, mean over the slots, by
  kind (and how many under the prior alone). For the
  configuration the mobile worker runs by default (`capacity_prior_idle_survival`), the MAPE after suppression and
  Laplace noise (`--epsilon`), for all zones and the resolvable ones, and `resolvable.oracles`: the same
  MAPE when the estimator is told the phones present per cell and timing advance band (what stale idle phones
  cost) and also each zone's true density (what the estimated densities cost; the rest is the radio model against
  where phones stand).
  The synthetic city also runs idle survival, dropped and followed (raw MAPE). `--no-synthetic` runs the simulator
  alone.
- `simulator_seeds` (with `--more-seeds`): the default configuration on the same window for other seeds (other
  placements of the simulator's spots and draws of its phones: the figures move by a point between seeds), per seed
  and as mean and spread.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import sys
import tempfile
import time
import zoneinfo
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from beffroi.crowd.mobile import (  # noqa: E402
    EstimationSettings,
    MobileEstimator,
    MobileSlotEstimate,
    PrivacySettings,
    Pseudonymiser,
    RawSlotFigures,
    SignallingFileReader,
    allocate,
)
from beffroi.crowd.mobile.allocation import capacity_density  # noqa: E402
from beffroi.domain.signalling import CellPlan, SignallingBatch, SignallingEvent  # noqa: E402
from tests.crowd.mobile.synthetic import (  # noqa: E402
    SignallingGenerator,
    build_city,
    build_population,
    truth_per_minute,
)

SECRET = b"bench-secret-for-pseudonyms-0123456789"
PRODUCT = "capacity_prior_idle_survival"
"""The configuration the mobile worker runs by default."""
SLOT_S = 300
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def _mape(pairs: Iterable[tuple[np.ndarray, np.ndarray]], floor: float = 500.0) -> dict[str, Any]:
    errors = []
    for estimate, truth in pairs:
        keep = truth > floor
        errors.append(np.abs(estimate[keep] - truth[keep]) / truth[keep])
    error = np.concatenate(errors) if errors else np.zeros(0)
    if error.size == 0:
        return {"mape": None, "pairs": 0}
    return {
        "mape": round(float(error.mean()), 4),
        "median_ape": round(float(np.median(error)), 4),
        "p90_ape": round(float(np.quantile(error, 0.9)), 4),
        "pairs": int(error.size),
    }


def _published(estimate: MobileSlotEstimate) -> np.ndarray:
    return np.array([zone.present.people if zone.present.people is not None else 0.0 for zone in estimate.zones])


class Run:
    """One estimator over a feed, keeping its raw zone figures and its published ones, timed; with `split`, also
    the allocation weights and region densities each slot was split with (for the oracles)."""

    def __init__(self, estimator: MobileEstimator, split: bool = False) -> None:
        self.raw: list[tuple[float, np.ndarray]] = []
        self.marked: dict[float, np.ndarray] = {}
        """Per slot, the zones the estimator marked resolvable (under the slot's densities)."""
        self.resolution: dict[float, np.ndarray] = {}
        """Per slot, each zone's resolution as published."""
        self.published: list[MobileSlotEstimate] = []
        self.splits: dict[float, tuple[np.ndarray, np.ndarray]] = {}
        self.seconds = 0.0
        self.close_seconds: list[float] = []
        self.estimator = estimator
        self.split = split
        estimator.raw_sink = self._keep

    def _keep(self, raw: RawSlotFigures) -> None:
        self.raw.append((raw.slot_start, raw.zone_people()))
        resolution = raw.resolution if raw.resolution is not None else self.estimator.resolution
        self.marked[raw.slot_start] = resolution >= self.estimator.settings.min_resolution
        self.resolution[raw.slot_start] = resolution
        if self.split:
            aggregator = self.estimator.aggregator
            self.splits[raw.slot_start] = (aggregator.weights.copy(), aggregator.density.density.copy())

    def add(self, batch: SignallingBatch) -> None:
        started = time.perf_counter()
        closed = self.estimator.add(batch)
        elapsed = time.perf_counter() - started
        self.seconds += elapsed
        if closed:
            self.close_seconds.append(elapsed)
        self.published += closed

    def flush(self) -> None:
        started = time.perf_counter()
        self.published += self.estimator.flush()
        self.seconds += time.perf_counter() - started

    def accuracy(self, truth: Callable[[float], np.ndarray | None], since: float) -> dict[str, Any]:
        raw = [(values, truth(start)) for start, values in self.raw if start >= since]
        published = [(_published(estimate), truth(estimate.slot_start)) for estimate in self.published]
        return {
            "raw": _mape((values, row) for values, row in raw if row is not None),
            "published": _mape(
                (values, row)
                for (values, row), estimate in zip(published, self.published, strict=True)
                if row is not None and estimate.slot_start >= since
            ),
        }


def _concatenate(parts: list[SignallingBatch]) -> SignallingBatch:
    return SignallingBatch(
        ts=np.concatenate([part.ts for part in parts]),
        subscriber=np.concatenate([np.asarray(part.subscriber) for part in parts]),
        cell=np.concatenate([part.cell for part in parts]),
        event=np.concatenate([part.event for part in parts]),
        home_mcc=np.concatenate([part.home_mcc for part in parts]),
        billing_area=np.concatenate([part.billing_area for part in parts]),
    )


def _files(batch: SignallingBatch, plan: CellPlan, warm: Pseudonymiser) -> dict[str, Any]:
    """Write one hour of raw records as CSV and Parquet and read them back through the file reader, with a
    pseudonym cache that has not (cold) or has (warm) already seen the day's subscribers."""
    cell_ids = [cell.id for cell in plan.cells]
    event_names = np.array([event.name for event in SignallingEvent])
    frame = pl.DataFrame(
        {
            "timestamp": batch.ts,
            "subscriber": np.asarray(batch.subscriber),
            "cell": np.asarray(cell_ids)[batch.cell],
            "event": event_names[batch.event],
            "home_network": np.char.add(batch.home_mcc.astype(str), "-01"),
            "billing_area": batch.billing_area,
        }
    )
    out: dict[str, Any] = {"rows": len(batch)}
    with tempfile.TemporaryDirectory() as folder:
        for kind in ("csv", "parquet"):
            path = Path(folder) / f"hour.{kind}"
            if kind == "csv":
                frame.write_csv(path)
            else:
                frame.write_parquet(path)
            out[f"{kind}_mb"] = round(path.stat().st_size / 2**20, 1)
            for cache, pseudonymiser in (("cold", Pseudonymiser(SECRET, warm.calendar)), ("warm", warm)):
                reader = SignallingFileReader(plan, pseudonymiser)
                started = time.perf_counter()
                rows = sum(len(part) for part in reader.batches(path))
                out[f"{kind}_{cache}_cache_records_per_s"] = round(rows / (time.perf_counter() - started))
                out[f"{kind}_rejected"] = sum(reader.report.rejected.values())
    return out


def synthetic(args: argparse.Namespace) -> dict[str, Any]:
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    city = build_city(districts=args.districts)
    day_start = dt.datetime(2024, 6, 15, 3, 0, tzinfo=PARIS).timestamp()
    people = int(args.subscribers / 0.39)
    population = build_population(city, people, day_start, rng, spectators=40_000, fans=8_000)
    truth = truth_per_minute(population, len(city.zones))
    generator = SignallingGenerator(population, rng)
    settings = EstimationSettings(slot_s=SLOT_S, departement="75", roamer_share=0.3)
    allocation = allocate(city.plan, city.zones, settings.coverage, timing=settings.timing_bands(city.plan))
    set_up_s = time.perf_counter() - started
    pseudonymiser = Pseudonymiser(SECRET, settings.calendar)
    plain = Run(MobileEstimator(city.plan, city.zones, settings, PrivacySettings(k=args.k), allocation=allocation))
    privacy = PrivacySettings(k=args.k, epsilon=args.epsilon, seed=args.seed)
    noisy = Run(MobileEstimator(city.plan, city.zones, settings, privacy, allocation=allocation))
    idle = {
        name: Run(
            MobileEstimator(
                city.plan,
                city.zones,
                EstimationSettings(
                    slot_s=SLOT_S, departement="75", roamer_share=0.3, idle_survival=True, idle_follow=follow
                ),
                PrivacySettings(k=args.k),
                allocation=allocation,
            )
        )
        for name, follow in (("idle_survival", False), ("idle_follow", True))
    }
    set_up_mb = peak_mb = _rss_mb()
    held_mb = 0.0
    records, generate_s, pseudonymise_s = 0, 0.0, 0.0
    peak_hour: list[SignallingBatch] = []
    slots = int(args.hours * 3600 / SLOT_S)
    for slot in range(slots):
        start = day_start + slot * SLOT_S
        clock = time.perf_counter()
        batch = generator.slot(start, start + SLOT_S)
        generate_s += time.perf_counter() - clock
        records += len(batch)
        if 17 * 12 <= slot < 18 * 12:  # 20:00-21:00 local, the match
            peak_hour.append(batch)
        clock = time.perf_counter()
        pseudonymised = pseudonymiser.pseudonymise(batch)
        pseudonymise_s += time.perf_counter() - clock
        plain.add(pseudonymised)
        noisy.add(pseudonymised)
        for run in idle.values():
            run.add(pseudonymised)
        if slot % 12 == 0:
            peak_mb = max(peak_mb, _rss_mb())
            held_mb = max(held_mb, (plain.estimator.held_bytes + pseudonymiser.cache_bytes) / 2**20)
    plain.flush()
    noisy.flush()
    for run in idle.values():
        run.flush()
    peak_mb = max(peak_mb, _rss_mb())
    files = _files(_concatenate(peak_hour), city.plan, pseudonymiser) if peak_hour else {}

    def truth_of(start: float) -> np.ndarray:
        minute = int((start - day_start) // 60)
        return truth[:-1, minute : minute + SLOT_S // 60].mean(axis=1)

    since = day_start + 3600
    noisy_accuracy = noisy.accuracy(truth_of, since)
    venues = {
        zone.id: _mape(
            (values[index : index + 1], truth_of(start)[index : index + 1])
            for start, values in plain.raw
            if start >= since
        )
        for index, zone in enumerate(city.zones)
        if index >= len(city.zones) - 3
    }
    estimate_s = pseudonymise_s + plain.seconds
    return {
        "truth": "tests/crowd/mobile/synthetic.py (own generator)",
        "city": {
            "people": people,
            "subscribers": population.subscribers,
            "cells": len(city.plan.cells),
            "zones": len(city.zones),
            "records": records,
            "records_per_subscriber": round(records / population.subscribers, 1),
            "set_up_s": round(set_up_s, 1),
        },
        "throughput_records_per_s": {
            "pseudonymise": round(records / pseudonymise_s),
            "aggregate_and_suppress": round(records / plain.seconds),
            "aggregate_suppress_and_noise": round(records / noisy.seconds),
            "pseudonymise_aggregate_and_suppress": round(records / estimate_s),
        },
        "keyed_hashes": pseudonymiser.keyed_hashes,
        "files_one_hour": files,
        "full_day": {
            "hours": args.hours,
            "estimation_s": round(estimate_s, 1),
            "generation_s": round(generate_s, 1),
            "rss_after_set_up_mb": round(set_up_mb),
            "rss_peak_mb": round(peak_mb),
            "rss_note": "four estimators (plain, noise, two idle variants), the generator's population, the peak hour",
            "estimator_held_mb_max": round(held_mb),
            "subscribers_held_at_end": plain.estimator.stats["subscribers_held"],
        },
        "freshness_s": {
            "lateness_allowance": settings.lateness_s,
            "slot_close_median": round(float(np.median(plain.close_seconds)), 3),
            "slot_close_max": round(float(np.max(plain.close_seconds)), 3),
            "slot_end_to_figures_max": round(settings.lateness_s + float(np.max(plain.close_seconds)), 1),
        },
        "accuracy_zones_over_500": {
            "raw": plain.accuracy(truth_of, since)["raw"],
            "after_suppression": plain.accuracy(truth_of, since)["published"],
            "after_suppression_and_noise": noisy_accuracy["published"],
            "epsilon_per_slot": args.epsilon,
            "noise_scale_subscribers": noisy.published[-1].noise_scale if noisy.published else None,
            "k": args.k,
            "venues_raw": venues,
            **{f"raw_{name}": run.accuracy(truth_of, since)["raw"] for name, run in idle.items()},
        },
    }


def simulator(args: argparse.Namespace, product_only: bool = False) -> dict[str, Any]:
    """The simulator's accuracy on one window and seed (see the module docstring); `product_only`: the configuration
    the mobile worker runs by default alone (with its noisy twin), for another placement of the simulator's spots."""
    from beffroi.sim.phones import PhoneSimulation
    from beffroi.sim.phones.population import COUNTRIES
    from beffroi.sim.scenario import load_scenario, to_registry

    scenario = load_scenario(ROOT / "scenarios" / "paris2024.json")
    started = time.perf_counter()
    simulation = PhoneSimulation(scenario, seed=args.seed)
    zones = to_registry(scenario)[2]
    site_departement = {area.site_id: area.departement for area in simulation.areas}
    common: dict[str, Any] = {
        "zone_departements": {zone.id: site_departement.get(zone.site_id, "75") for zone in zones},
        "roamer_shares": {country.mcc: country.roaming_share for country in COUNTRIES},
    }
    configurations = {
        "default": EstimationSettings(**common),
        "capacity_prior": EstimationSettings(**common, zone_density=capacity_density(zones), outside_density=0.01),
        "capacity_prior_idle_survival": EstimationSettings(
            **common, zone_density=capacity_density(zones), outside_density=0.01, idle_survival=True
        ),
        "capacity_prior_idle_follow": EstimationSettings(
            **common, zone_density=capacity_density(zones), outside_density=0.01, idle_survival=True, idle_follow=True
        ),
    }
    if product_only:
        configurations = {PRODUCT: configurations[PRODUCT]}
    runs = {
        name: Run(MobileEstimator(simulation.plan, zones, settings, PrivacySettings(k=args.k)), split=name == PRODUCT)
        for name, settings in configurations.items()
    }
    noisy = Run(
        MobileEstimator(
            simulation.plan,
            zones,
            configurations[PRODUCT],
            PrivacySettings(k=args.k, epsilon=args.epsilon, seed=args.seed),
        )
    )
    set_up_s = time.perf_counter() - started
    oracle_allocation = runs[PRODUCT].estimator.allocation
    pseudonymiser = Pseudonymiser(SECRET, configurations[PRODUCT].calendar)
    zone_index = {zone.id: index for index, zone in enumerate(zones)}
    place_zone = np.array([zone_index.get(place.id, -1) for place in simulation.place_info])
    in_zone = place_zone >= 0
    sites = sorted({zone.site_id for zone in zones})
    site_of = np.array([sites.index(zone.site_id) for zone in zones])
    minutes: dict[float, np.ndarray] = {}
    zone_phones: dict[float, np.ndarray] = {}
    cell_phones: dict[float, np.ndarray] = {}
    begin = dt.datetime.fromisoformat(args.sim_start).replace(tzinfo=PARIS).timestamp()
    records, generate_s = 0, 0.0
    clock = time.perf_counter()
    for minute in simulation.minutes(begin - 75 * 60, begin + args.sim_hours * 3600):
        generate_s += time.perf_counter() - clock
        per_zone = np.zeros(len(zones))
        np.add.at(per_zone, place_zone[in_zone], minute.people[in_zone])
        minutes[minute.start] = per_zone
        phones = np.zeros(len(zones))
        np.add.at(phones, place_zone[in_zone], minute.phones.sum(axis=1)[in_zone])
        zone_phones[minute.start] = phones
        present_cell, present_steps = minute.present_steps()
        cell_phones[minute.start] = np.bincount(
            oracle_allocation.virtual_cells(present_cell, present_steps), minlength=oracle_allocation.cells
        )
        batch = pseudonymiser.pseudonymise(minute.batch())
        records += len(batch)
        for run in (*runs.values(), noisy):
            run.add(batch)
        clock = time.perf_counter()
    for run in (*runs.values(), noisy):
        run.flush()

    def truth_of(start: float) -> np.ndarray | None:
        rows = [minutes.get(start + offset) for offset in range(0, SLOT_S, 60)]
        return None if any(row is None for row in rows) else np.mean(rows, axis=0)

    def by_site(run: Run) -> dict[str, Any]:
        pairs = []
        for start, values in run.raw:
            row = truth_of(start)
            if start >= begin and row is not None:
                pairs.append((np.bincount(site_of, values, len(sites)), np.bincount(site_of, row, len(sites))))
        return _mape(pairs)

    def by_kind(run: Run) -> dict[str, Any]:
        rows: dict[str, list[tuple[float, float, bool]]] = {}
        for start, values in run.raw:
            row = truth_of(start)
            if start < begin or row is None:
                continue
            resolvable = run.marked[start]
            for index in np.flatnonzero(row > 500):
                rows.setdefault(str(zones[index].kind), []).append((values[index], row[index], resolvable[index]))
        out = {}
        for kind, pairs in sorted(rows.items()):
            estimate, truth, resolved = np.array(pairs).T
            ratio = estimate / truth - 1
            out[kind] = {"mape": round(float(np.abs(ratio).mean()), 3), "bias": round(float(ratio.mean()), 3)}
            out[kind]["pairs"] = len(pairs)
            mine = resolved > 0
            out[kind]["resolvable_pairs"] = int(mine.sum())
            if mine.any():
                out[kind]["resolvable_mape"] = round(float(np.abs(ratio[mine]).mean()), 3)
                out[kind]["resolvable_bias"] = round(float(ratio[mine].mean()), 3)
        return out

    def resolvable(run: Run) -> dict[str, Any]:
        pairs, hidden_people, hidden_zones, slots = [], np.zeros(len(zones)), np.zeros(len(zones)), 0
        for start, values in run.raw:
            row = truth_of(start)
            if start < begin or row is None:
                continue
            marked = run.marked[start]
            hidden_zones += ~marked
            pairs.append((values[marked], row[marked]))
            hidden_people += np.where(marked, 0.0, row)
            slots += 1
        kinds: dict[str, dict[str, float]] = {}
        for index, zone in enumerate(zones):
            entry = kinds.setdefault(str(zone.kind), {"zones": 0, "unresolvable": 0, "unresolvable_people": 0.0})
            entry["zones"] += 1
            entry["unresolvable"] += hidden_zones[index] / max(slots, 1)
            entry["unresolvable_people"] += hidden_people[index] / max(slots, 1)
        for entry in kinds.values():
            entry["unresolvable_people"] = round(entry["unresolvable_people"])
            entry["unresolvable"] = round(entry["unresolvable"], 1)
        return {
            "min_resolution": run.estimator.settings.min_resolution,
            "raw": _mape(pairs),
            "by_threshold": by_threshold(run),
            "zones": len(zones),
            "unresolvable_zones": round(float(hidden_zones.sum()) / max(slots, 1), 1),
            "unresolvable_zones_under_prior": int(
                (run.estimator.resolution < run.estimator.settings.min_resolution).sum()
            ),
            "people_in_unresolvable_zones": round(float(hidden_people.sum()) / max(slots, 1)),
            "people_in_zones": round(
                float(sum(row.sum() for start, _ in run.raw if (row := truth_of(start)) is not None and start >= begin))
                / max(slots, 1)
            ),
            "by_kind": dict(sorted(kinds.items())),
        }

    def by_threshold(run: Run) -> dict[str, Any]:
        """What a stricter or looser `min_resolution` would trade: the MAPE of the figures it marks resolvable
        against the share of the people in zones those figures hold."""
        out = {}
        for threshold in (0.4, 0.5, 0.6, 0.7):
            pairs, held, people = [], 0.0, 0.0
            for start, values in run.raw:
                row = truth_of(start)
                if start < begin or row is None:
                    continue
                marked = run.resolution[start] >= threshold
                pairs.append((values[marked], row[marked]))
                held += float(row[marked].sum())
                people += float(row.sum())
            out[str(threshold)] = {**_mape(pairs), "people_share": round(held / max(people, 1.0), 3)}
        return out

    def oracles(run: Run) -> dict[str, Any]:
        """MAPE over the resolvable zones when the estimator is told more truth: the phones present per cell
        (silent ones where they really are: what stale idle phones cost), and also each zone's true density (what
        the estimated densities cost; what is left is the radio model against where phones really stand)."""
        estimator = run.estimator
        allocation = estimator.allocation
        share = estimator.plan.market_share
        rows, entry_zone, area = allocation.rows, allocation.zone, allocation.region_area()
        in_zone = allocation.region_zone < allocation.outside
        zone_area = np.bincount(allocation.region_zone[in_zone], weights=area[in_zone], minlength=len(zones))
        cell_pairs, density_pairs = [], []
        for start, (weights, density) in run.splits.items():
            row = truth_of(start)
            if start < begin or row is None:
                continue
            marked = run.marked[start]
            cells = np.mean([cell_phones[start + offset] for offset in range(0, SLOT_S, 60)], axis=0)
            phones = np.mean([zone_phones[start + offset] for offset in range(0, SLOT_S, 60)], axis=0)
            told = np.bincount(entry_zone, cells[rows] * weights, len(zones) + 1)[:-1] / share
            cell_pairs.append((told[marked], row[marked]))
            known = density.copy()
            region_zone = allocation.region_zone[in_zone]
            known[in_zone] = phones[region_zone] / np.maximum(zone_area[region_zone], 1.0)
            told = np.bincount(entry_zone, cells[rows] * allocation.weights(known), len(zones) + 1)[:-1] / share
            density_pairs.append((told[marked], row[marked]))
        return {"true_cells": _mape(cell_pairs), "true_cells_and_zone_densities": _mape(density_pairs)}

    accuracy = {
        name: {
            **run.accuracy(truth_of, begin),
            "raw_per_site": by_site(run),
            "by_kind": by_kind(run),
            "resolvable": resolvable(run),
        }
        for name, run in runs.items()
    }

    def published_resolvable(run: Run) -> dict[str, Any]:
        pairs = []
        for estimate in run.published:
            row = truth_of(estimate.slot_start)
            marked = np.array([zone.resolvable is True for zone in estimate.zones])
            if estimate.slot_start >= begin and row is not None:
                pairs.append((_published(estimate)[marked], row[marked]))
        return _mape(pairs)

    product = accuracy[PRODUCT]
    product["after_suppression_and_noise"] = noisy.accuracy(truth_of, begin)["published"]
    product["resolvable"]["after_suppression"] = published_resolvable(runs[PRODUCT])
    product["resolvable"]["after_suppression_and_noise"] = published_resolvable(noisy)
    product["resolvable"]["oracles"] = oracles(runs[PRODUCT])
    return {
        "truth": "beffroi.sim.phones (PhoneSimulation on scenarios/paris2024.json, people per place and minute)",
        "window": f"{args.sim_start} +{args.sim_hours} h local, after 75 min of warm-up, seed {args.seed}",
        "cells": len(simulation.plan.cells),
        "venue_small_cells": sum(cell.azimuth_deg is None for cell in simulation.plan.cells),
        "zones": len(zones),
        "records": records,
        "set_up_s": round(set_up_s, 1),
        "generation_s": round(generate_s, 1),
        "aggregate_and_suppress_records_per_s": round(records / runs[next(iter(runs))].seconds),
        "accuracy_zones_over_500": accuracy,
    }


def seeds_summary(args: argparse.Namespace, first: dict[str, Any]) -> dict[str, Any]:
    """The default configuration's figures on the same window for each of `--more-seeds` (other placements of the
    simulator's spots, other draws of its phones) beside `--seed`'s, with their mean and spread (half the range)."""
    runs = {args.seed: first}
    for seed in args.more_seeds:
        runs[seed] = simulator(argparse.Namespace(**{**vars(args), "seed": seed}), product_only=True)
    rows: dict[str, dict[str, float]] = {}
    for seed, run in runs.items():
        product = run["accuracy_zones_over_500"][PRODUCT]
        rows[str(seed)] = {
            "resolvable_raw": product["resolvable"]["raw"]["mape"],
            "resolvable_after_suppression_and_noise": product["resolvable"]["after_suppression_and_noise"]["mape"],
            "resolvable_true_cells": product["resolvable"]["oracles"]["true_cells"]["mape"],
            "sites": product["raw_per_site"]["mape"],
            "all_zones_raw": product["raw"]["mape"],
        }
    figures = list(rows.values())
    return {
        "window": f"{args.sim_start} +{args.sim_hours} h local",
        "configuration": PRODUCT,
        "by_seed": rows,
        "mean": {key: round(float(np.mean([row[key] for row in figures])), 4) for key in figures[0]},
        "spread": {
            key: round((max(row[key] for row in figures) - min(row[key] for row in figures)) / 2, 4)
            for key in figures[0]
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--districts", type=int, default=12)
    parser.add_argument("--epsilon", type=float, default=2.0)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sim-hours", type=float, default=2.0)
    parser.add_argument("--sim-start", default="2024-07-26T17:00", help="local time the simulator window starts")
    parser.add_argument(
        "--more-seeds",
        type=lambda text: [int(seed) for seed in text.split(",") if seed],
        default=[],
        help="other simulator seeds for the same window, comma-separated: the default configuration's mean and spread",
    )
    parser.add_argument("--no-sim", action="store_true")
    parser.add_argument("--no-synthetic", action="store_true")
    args = parser.parse_args()
    result: dict[str, Any] = {"bench": "mobile_estimation", "cores": psutil.cpu_count()}
    if not args.no_synthetic:
        result["synthetic"] = synthetic(args)
    if not args.no_sim and importlib.util.find_spec("beffroi.sim.phones") is not None:
        result["simulator"] = simulator(args)
        if args.more_seeds:
            result["simulator_seeds"] = seeds_summary(args, result["simulator"])
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
