"""Density fusion against the simulator's crowds: how close is the fused count to the truth, against each source?

Run: .venv/bin/python bench/crowd_fusion.py [--split evaluation|tuning] [--zones N] [--tune]
Prints one JSON object.

Truth: the crowd model of beffroi/sim (scenarios/paris2024.json), `Place.occupancy(t)` of each zone (no noise),
from 06:00 to 02:00 local time of one day, every 10 s. Sources, with synthetic errors of their own (none of them is
the error model the fusion assumes):
- counter: every 10 s, people in and out = the truth's change plus the zone's turnover (its mean stay in the
  model), Poisson-drawn, each direction with a per-zone-day bias ~ N(0, 1.5 %) (the balance drifts);
- occupancy: every 60 s, the truth × (1 + slow error AR(1) 4 %, 10-min memory) + 2 % white noise;
- video: one camera per zone seeing a share f ~ U(0.05, 0.3) of its area, every 30 s; people in view
  Poisson(truth × f × h × 0.93) where h is the local crowding of the camera's part (log-AR(1), sd
  min(0.1·√((1−f)/f), 0.5), 15-min memory) and 7 % are missed (occlusion); reported as density × the zone's area;
- mobile: 5-min slots, the slot's mean truth × (1 + allocation error AR(1) 6 %, 1-h memory) × (1 + 4 % noise),
  published 5 min after the slot's end; under 50 people (k = 20 subscribers at a 40 % market share) withheld.
Every method also gets the count at opening (06:00, the truth with a 5 % error): staff know a zone's start.

Methods: `fused` (all four sources), `only_<source>` (the fusion fed that source alone), `without_<source>`
(ablations), and `raw_<source>` (the source as an operator would read it without fusion: the counters' balance
from the opening count, the last occupancy, video or published mobile figure). Scored every minute from 06:10
where the truth is ≥ 500 people: MAPE, median and 95th percentile of the absolute percentage error, and for the
fusion the share of minutes where the truth lies within ±2 standard deviations (calibration; 95 % is ideal).

Splits: tuning = even-indexed sites on 2024-07-28, seed 11 (the defaults of FusionSettings were chosen there;
`--tune` runs a small grid of the process and drift noise on it); evaluation = odd-indexed sites on 2024-08-03,
seed 29. Zones are drawn kind by kind in turn. About a minute for 24 zones on a 2-core machine.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import math
import platform
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from beffroi.crowd.fusion import (  # noqa: E402
    DensityFusion,
    FusionSettings,
    FusionZone,
    Observation,
    SourceKind,
    ZoneCountObservation,
    ZoneFlowObservation,
    mobile_observation,
)
from beffroi.domain.registry import ZoneKind  # noqa: E402
from beffroi.sim.catalogue import Catalogue  # noqa: E402
from beffroi.sim.crowd import CrowdModel  # noqa: E402
from beffroi.sim.local_time import LocalTime  # noqa: E402
from beffroi.sim.scenario import Scenario, load_scenario  # noqa: E402

CROWD_KINDS = {ZoneKind.GATE, ZoneKind.CONCOURSE, ZoneKind.STAND, ZoneKind.PLAZA, ZoneKind.FAN_ZONE, ZoneKind.PLATFORM}
SOURCES = ("counter", "occupancy", "video", "mobile")
STEP_S = 10.0
SCORE_STEP_S = 60.0
SCORED_MIN_PEOPLE = 500.0
START_HOUR = 6
HOURS = 20
K_SUBSCRIBERS = 20
MARKET_SHARE = 0.4
MOBILE_DELAY_S = 300.0
SLOT_S = 300.0
SPLITS: dict[str, dict[str, Any]] = {
    "tuning": {"parity": 0, "day": "2024-07-28", "seed": 11},
    "evaluation": {"parity": 1, "day": "2024-08-03", "seed": 29},
}


@dataclass
class ZoneData:
    """One zone's truth, its sources' observations (arrival time, observation) and their raw readings."""

    zone: FusionZone
    kind: str
    times: np.ndarray
    truth: np.ndarray
    score_times: np.ndarray
    score_truth: np.ndarray
    events: dict[str, list[tuple[float, Observation]]] = field(default_factory=dict)
    raw: dict[str, np.ndarray] = field(default_factory=dict)


def _ar1(rng: np.random.Generator, n: int, sd: float, memory_s: float, step_s: float) -> np.ndarray:
    """A stationary AR(1) series of `n` values `step_s` apart, standard deviation `sd`, memory `memory_s`."""
    phi = math.exp(-step_s / memory_s)
    noise = rng.normal(0.0, sd * math.sqrt(1 - phi * phi), n)
    out = np.empty(n)
    out[0] = rng.normal(0.0, sd)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + noise[i]
    return out


def _held(times: np.ndarray, values: np.ndarray, at: np.ndarray, default: float) -> np.ndarray:
    """The last value published at or before each time of `at` (`default` before the first)."""
    index = np.searchsorted(times, at, side="right") - 1
    return np.where(index >= 0, values[np.clip(index, 0, None)], default)


def build_zone(zone: FusionZone, kind: str, truth_at: Any, turnover_s: float, t0: float, seed: int) -> ZoneData:
    """The truth and the four sources of one zone over the bench's day."""
    rng = np.random.default_rng(seed)
    times = t0 + STEP_S * np.arange(int(HOURS * 3600 / STEP_S) + 1)
    truth = np.array([truth_at(t) for t in times])
    data = ZoneData(zone, kind, times, truth, times[60::6], truth[60::6])
    score_times = data.score_times
    zid = zone.zone_id
    opening = ZoneCountObservation(zid, "opening", SourceKind.OCCUPANCY, t0, truth[0], sd=max(0.05 * truth[0], 10.0))
    data.events["opening"] = [(t0, opening)]
    # counter
    change = np.diff(truth)
    through = (truth[1:] + truth[:-1]) / 2 * STEP_S / turnover_s
    bias_in, bias_out = rng.normal(0.0, 0.015, 2)
    entered = rng.poisson(np.maximum(change, 0) + through) * (1 + bias_in)
    left = rng.poisson(np.maximum(-change, 0) + through) * (1 + bias_out)
    data.events["counter"] = [
        (t, ZoneFlowObservation(zid, "counter:c1", SourceKind.COUNTER, t, float(e), float(x), STEP_S))
        for t, e, x in zip(times[1:], entered, left, strict=True)
    ]
    balance = np.empty(len(times))
    balance[0] = truth[0]
    for i in range(1, len(times)):
        balance[i] = max(balance[i - 1] + entered[i - 1] - left[i - 1], 0.0)
    data.raw["counter"] = _held(times, balance, score_times, truth[0])
    # occupancy
    occ_index = np.arange(0, len(times), 6)
    occ_times = times[occ_index]
    slow = _ar1(rng, len(occ_index), 0.04, 600.0, 60.0)
    occupancy = np.maximum(truth[occ_index] * (1 + slow + rng.normal(0.0, 0.02, len(occ_index))), 0.0).round()
    data.events["occupancy"] = [
        (t, ZoneCountObservation(zid, "occupancy:c1", SourceKind.OCCUPANCY, t, float(v)))
        for t, v in zip(occ_times, occupancy, strict=True)
    ]
    data.raw["occupancy"] = _held(occ_times, occupancy, score_times, truth[0])
    # video
    f = float(rng.uniform(0.05, 0.3))
    vid_index = np.arange(0, len(times), 3)
    vid_times = times[vid_index]
    crowding = np.exp(_ar1(rng, len(vid_index), min(0.1 * math.sqrt((1 - f) / f), 0.5), 900.0, 30.0))
    seen = rng.poisson(truth[vid_index] * f * crowding * 0.93)
    video = seen / (f * zone.area_m2) * zone.area_m2
    data.events["video"] = [
        (t, ZoneCountObservation(zid, "video:cam1/z", SourceKind.VIDEO, t, float(v), covered_fraction=round(f, 3)))
        for t, v in zip(vid_times, video, strict=True)
    ]
    data.raw["video"] = _held(vid_times, video, score_times, truth[0])
    # mobile
    per_slot = int(SLOT_S / STEP_S)
    slots = len(times) // per_slot
    slot_mean = truth[: slots * per_slot].reshape(slots, per_slot).mean(axis=1)
    allocation = _ar1(rng, slots, 0.06, 3600.0, SLOT_S)
    mobile = slot_mean * (1 + allocation) * (1 + rng.normal(0.0, 0.04, slots))
    published = times[0] + SLOT_S * (np.arange(slots) + 1) + MOBILE_DELAY_S
    events: list[tuple[float, Observation]] = []
    shown = np.empty(slots)
    for i, (value, at) in enumerate(zip(mobile, published, strict=True)):
        start = times[0] + SLOT_S * i
        withheld = value < K_SUBSCRIBERS / MARKET_SHARE
        obs = mobile_observation(
            zid,
            "op",
            start,
            start + SLOT_S,
            None if withheld else float(value),
            fewer_than_k=withheld,
            k=K_SUBSCRIBERS,
            market_share=MARKET_SHARE,
        )
        shown[i] = 0.0 if withheld else value
        if obs is not None:
            events.append((float(at), obs))
    data.events["mobile"] = events
    data.raw["mobile"] = _held(published, shown, score_times, truth[0])
    return data


def select_zones(scenario: Scenario, split: dict[str, Any], limit: int) -> list[ZoneData]:
    """The split's crowd zones (sites with a session that day), `limit` of them drawn with the split's seed, kinds
    taken in turn."""
    tz = ZoneInfo(scenario.timezone)
    day = datetime.fromisoformat(split["day"]).replace(tzinfo=tz)
    t0 = (day + timedelta(hours=START_HOUR)).timestamp()
    local = LocalTime(scenario.timezone)
    candidates: list[tuple[str, str]] = []
    kinds: list[str] = []
    for index, site in enumerate(scenario.sites):
        if index % 2 != split["parity"] or not any(s.start.date() == day.date() for s in site.schedule):
            continue
        crowd_zones = [z for z in site.zones if z.kind in CROWD_KINDS and z.capacity > 0]
        candidates += [(site.id, z.id) for z in crowd_zones]
        kinds += [z.kind.value for z in crowd_zones]
    rng = np.random.default_rng(split["seed"])
    by_kind: dict[str, list[int]] = {}
    for i in rng.permutation(len(candidates)).tolist():
        by_kind.setdefault(kinds[i], []).append(i)
    interleaved = [i for group in itertools.zip_longest(*by_kind.values()) for i in group if i is not None]
    chosen = sorted(interleaved[:limit])
    sites = sorted({candidates[i][0] for i in chosen})
    catalogue = Catalogue(scenario, sites=sites)
    model = CrowdModel(catalogue, local, split["seed"])
    out = []
    for number, i in enumerate(chosen):
        site_id, zone_id = candidates[i]
        zone = catalogue.zones[zone_id]
        place = model.place(site_id, zone_id)
        spec = FusionZone(zone_id, zone.area_m2, zone.capacity)
        out.append(
            build_zone(spec, zone.kind.value, place.occupancy, place.turnover_s, t0, split["seed"] * 1000 + number)
        )
    return out


def run_fusion(data: ZoneData, sources: Iterable[str], settings: FusionSettings) -> tuple[np.ndarray, np.ndarray]:
    """The fused people and their standard deviation at each scoring time, fed `sources` in arrival order."""
    fusion = DensityFusion([data.zone], settings)
    streams = [data.events["opening"]] + [data.events[s] for s in sources]
    merged: Iterator[tuple[float, Observation]] = heapq.merge(*streams, key=lambda e: e[0])
    people = np.empty(len(data.score_times))
    sd = np.empty(len(data.score_times))
    pending = next(merged, None)
    for i, now in enumerate(data.score_times):
        while pending is not None and pending[0] <= now:
            fusion.add(pending[1])
            pending = next(merged, None)
        estimate = fusion.estimate(data.zone.zone_id, float(now))
        assert estimate is not None
        people[i], sd[i] = estimate.people, estimate.people_sd
    return people, sd


def _scores(truth: np.ndarray, values: np.ndarray, sd: np.ndarray | None) -> dict[str, Any]:
    mask = truth >= SCORED_MIN_PEOPLE
    if not mask.any():
        return {"scored_minutes": 0}
    ape = np.abs(values[mask] - truth[mask]) / truth[mask] * 100
    out: dict[str, Any] = {
        "scored_minutes": int(mask.sum()),
        "mape_pct": round(float(ape.mean()), 2),
        "median_ape_pct": round(float(np.median(ape)), 2),
        "p95_ape_pct": round(float(np.percentile(ape, 95)), 2),
    }
    if sd is not None:
        inside = np.abs(values[mask] - truth[mask]) <= 2 * sd[mask]
        out["within_2sd_pct"] = round(float(inside.mean()) * 100, 1)
        out["mean_sd_pct"] = round(float((sd[mask] / truth[mask]).mean()) * 100, 2)
    return out


def methods() -> dict[str, tuple[str, ...]]:
    """Each fusion method's sources."""
    out = {"fused": SOURCES}
    out |= {f"only_{s}": (s,) for s in SOURCES}
    out |= {f"without_{s}": tuple(x for x in SOURCES if x != s) for s in SOURCES}
    return out


def evaluate(zones: list[ZoneData], settings: FusionSettings) -> dict[str, Any]:
    """Scores of every method over all zones pooled, and the fused MAPE by zone kind."""
    truth = np.concatenate([z.score_truth for z in zones])
    results: dict[str, Any] = {}
    updates = 0
    started = time.perf_counter()
    fused_by_zone: list[np.ndarray] = []
    for name, sources in methods().items():
        runs = [run_fusion(z, sources, settings) for z in zones]
        if name == "fused":
            fused_by_zone = [p for p, _ in runs]
            updates = sum(len(z.events[s]) for z in zones for s in sources)
            elapsed = time.perf_counter() - started
        results[name] = _scores(truth, np.concatenate([p for p, _ in runs]), np.concatenate([s for _, s in runs]))
    for source in SOURCES:
        results[f"raw_{source}"] = _scores(truth, np.concatenate([z.raw[source] for z in zones]), None)
    by_kind: dict[str, Any] = {}
    for kind in sorted({z.kind for z in zones}):
        picked = [i for i, z in enumerate(zones) if z.kind == kind]
        kind_truth = np.concatenate([zones[i].score_truth for i in picked])
        values = np.concatenate([fused_by_zone[i] for i in picked])
        by_kind[kind] = {"zones": len(picked), **_scores(kind_truth, values, None)}
    return {"methods": results, "fused_by_kind": by_kind, "fused_updates_per_s": round(updates / elapsed)}


GRID = {
    "level_walk": (0.02, 0.04),
    "rate_walk": (1.5, 3.0),
    "counter_drift_var_per_passage": (0.5, 2.0),
}


def tune(zones: list[ZoneData]) -> list[dict[str, Any]]:
    """The fused MAPE and calibration over the settings grid (tuning split only)."""
    rows = []
    truth = np.concatenate([z.score_truth for z in zones])
    for values in itertools.product(*GRID.values()):
        params = dict(zip(GRID, values, strict=True))
        settings = FusionSettings(**params)  # type: ignore[arg-type]
        runs = [run_fusion(z, SOURCES, settings) for z in zones]
        scores = _scores(truth, np.concatenate([p for p, _ in runs]), np.concatenate([s for _, s in runs]))
        rows.append({**params, **scores})
        print(json.dumps(rows[-1]), file=sys.stderr)
    return sorted(rows, key=lambda r: r["mape_pct"])[:10]


def main(argv: list[str] | None = None) -> None:
    """Build the split's zones, run the methods (or the tuning grid), print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--split", choices=sorted(SPLITS), default="evaluation")
    parser.add_argument("--zones", type=int, default=24)
    parser.add_argument("--tune", action="store_true", help="run the tuning grid (forces --split tuning)")
    args = parser.parse_args(argv)
    split_name = "tuning" if args.tune else args.split
    started = time.perf_counter()
    scenario = load_scenario(ROOT / "scenarios" / "paris2024.json")
    zones = select_zones(scenario, SPLITS[split_name], args.zones)
    report: dict[str, Any] = {
        "bench": "crowd_fusion",
        "split": split_name,
        "split_definition": SPLITS[split_name],
        "zones": len(zones),
        "zone_kinds": {k: sum(1 for z in zones if z.kind == k) for k in sorted({z.kind for z in zones})},
        "scored_minutes": int(sum((z.score_truth >= SCORED_MIN_PEOPLE).sum() for z in zones)),
        "build_s": round(time.perf_counter() - started, 1),
        "python": platform.python_version(),
    }
    if args.tune:
        report["grid_best"] = tune(zones)
    else:
        report |= evaluate(zones, FusionSettings())
    report["total_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
