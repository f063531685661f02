"""NAB scores of the anomaly detectors against two baselines on labelled simulator series; prints JSON.

Run: .venv/bin/python bench/anomaly_nab.py [--days 35] [--csv-dir DIR]

The corpus (`beffroi.sim.anomalies.corpus`): weeks of simulated sensors (the simulator's device models in an
arena with three matches a week) with injected spikes, level shifts, drifts, stuck sensors and seasonal breaks.
Every detector is tuned on the tuning split only — its NAB threshold (standard profile: A_TP 1, A_FP -0.11,
A_FN -1) and, for the baselines, their one parameter (the fixed band's quantile, the rolling window) — then
scored on the held-out split (other devices, metrics and seeds), per anomaly kind and overall. Detectors:

- anomaly_seasonal, anomaly_hst: `beffroi.engine.anomaly` with their defaults (as `beffroi detect` runs them);
- fixed_threshold: a band set on the first week of each series at a quantile and its complement;
- rolling_zscore: the z-score of each point against the previous N points.

Also: points/s of each algorithm (one core; and of the whole series detector, readings in), bytes per series
(`nbytes`, and tracemalloc over 200 series of the engine's anomaly detector), and the NAB score held-out when the
threshold is instead optimised on the held-out split itself (NAB's own convention, an upper bound).
`--csv-dir` writes every held-out series as `timestamp,value,label` for `beffroi detect`.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from beffroi.domain.observations import Reading
from beffroi.engine.anomaly import nab
from beffroi.engine.anomaly.baselines import FixedBand, RollingZScore
from beffroi.engine.anomaly.hst import HalfSpaceTrees
from beffroi.engine.anomaly.models import SeriesModel
from beffroi.engine.anomaly.rules import AnomalyRule
from beffroi.engine.anomaly.seasonal import DAY, SeasonalBaseline
from beffroi.engine.detectors.anomaly import AnomalyDetector
from beffroi.engine.detectors.series import SERIES_METRIC, series_detector, series_device
from beffroi.sim.anomalies import ANOMALY_KINDS, LabelledSeries, corpus, generate_series

Factory = Callable[[], SeriesModel]
DETECTORS: dict[str, list[tuple[str, Factory]]] = {
    "anomaly_seasonal": [("defaults", SeasonalBaseline)],
    "anomaly_hst": [("defaults", HalfSpaceTrees)],
    "fixed_threshold": [(f"quantile={q:g}", partial(FixedBand, learn_s=7 * DAY, quantile=q)) for q in (0, 0.005, 0.02)],
    "rolling_zscore": [(f"window={w} points", partial(RollingZScore, window=w)) for w in (30, 180, 720)],
}
MEMORY_SERIES = 200


def score_corpus(series: list[LabelledSeries], factory: Factory) -> tuple[list[np.ndarray], int, float]:
    """Each series' scores from a fresh model, the points scored and the seconds it took."""
    out = []
    points = 0
    elapsed = 0.0
    for one in series:
        model = factory()
        update = model.update
        ts, values = one.timestamps.tolist(), one.values.tolist()
        start = time.perf_counter()
        scores = [update(t, v) for t, v in zip(ts, values, strict=True)]
        elapsed += time.perf_counter() - start
        out.append(np.asarray(scores))
        points += len(ts)
    return out, points, elapsed


def nab_report(series: list[LabelledSeries], scores: list[np.ndarray], threshold: float) -> dict[str, Any]:
    """Normalised NAB score overall and per anomaly kind, with counts."""
    sweeps = [nab.ThresholdSweep(s, one.onsets) for one, s in zip(series, scores, strict=True)]
    report: dict[str, Any] = {"overall": round(nab.corpus_score(sweeps, threshold).normalised, 1), "by_kind": {}}
    for kind in ANOMALY_KINDS:
        chosen = [sweep for sweep, one in zip(sweeps, series, strict=True) if one.spec.anomaly_kind == kind]
        total = nab.corpus_score(chosen, threshold)
        report["by_kind"][kind] = {
            "score": round(total.normalised, 1),
            "true_positives": total.true_positives,
            "false_negatives": total.false_negatives,
            "false_positives": total.false_positives,
        }
    return report


def evaluate(name: str, tuning: list[LabelledSeries], held_out: list[LabelledSeries]) -> dict[str, Any]:
    """Tune on the tuning split (variant and threshold), score on the held-out split."""
    best: tuple[float, str, Factory, float] | None = None
    for label, factory in DETECTORS[name]:
        scores, _, _ = score_corpus(tuning, factory)
        sweeps = [nab.ThresholdSweep(s, one.onsets) for one, s in zip(tuning, scores, strict=True)]
        threshold, raw = nab.best_threshold(sweeps)
        if best is None or raw > best[0]:
            best = (raw, label, factory, threshold)
    assert best is not None
    _, label, factory, threshold = best
    tuning_scores, _, _ = score_corpus(tuning, factory)
    scores, points, seconds = score_corpus(held_out, factory)
    oracle_sweeps = [nab.ThresholdSweep(s, one.onsets) for one, s in zip(held_out, scores, strict=True)]
    oracle_threshold, _ = nab.best_threshold(oracle_sweeps)
    sample = factory()
    return {
        "variant": label,
        "threshold": round(threshold, 6),
        "tuning": nab_report(tuning, tuning_scores, threshold)["overall"],
        "held_out": nab_report(held_out, scores, threshold),
        "held_out_threshold_optimised_on_itself": {
            "threshold": round(oracle_threshold, 6),
            "overall": round(nab.corpus_score(oracle_sweeps, oracle_threshold).normalised, 1),
        },
        "points_per_s": round(points / seconds),
        "nbytes_per_series": sample.nbytes,
    }


def detector_throughput(name: str, series: LabelledSeries) -> float:
    """Points/s of the registered series detector, readings in (the `beffroi detect` path)."""
    detector = series_detector(name).factory({})
    device = series_device(interval_s=series.spec.interval_s)
    readings = [
        Reading(device.tenant_id, device.id, SERIES_METRIC, v, t)
        for t, v in zip(series.timestamps.tolist(), series.values.tolist(), strict=True)
    ]
    start = time.perf_counter()
    for reading in readings:
        detector.on_reading(reading, device)
    return len(readings) / (time.perf_counter() - start)


def engine_bytes_per_series(algorithm: str, series: LabelledSeries) -> int:
    """Memory of the engine's anomaly detector per series (tracemalloc), each series fed a day of readings."""
    detector = AnomalyDetector([AnomalyRule(name="bench", metric=SERIES_METRIC, algorithm=algorithm)])
    template = series_device(interval_s=series.spec.interval_s)
    devices = [msgspec.structs.replace(template, id=f"s{i}") for i in range(MEMORY_SERIES)]
    day = int(np.searchsorted(series.timestamps, series.timestamps[0] + DAY))
    points = list(zip(series.timestamps[:day].tolist(), series.values[:day].tolist(), strict=True))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for device in devices:
        for t, v in points:
            detector.on_reading(Reading(device.tenant_id, device.id, SERIES_METRIC, v, t), device)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return round((after - before) / MEMORY_SERIES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--days", type=float, default=35.0, help="length of each series in days (default 35)")
    parser.add_argument("--csv-dir", type=Path, default=None, help="write the held-out series as CSV here")
    args = parser.parse_args()

    start = time.perf_counter()
    tuning = [generate_series(spec) for spec in corpus("tuning", days=args.days)]
    held_out = [generate_series(spec) for spec in corpus("held_out", days=args.days)]
    generated_s = time.perf_counter() - start
    if args.csv_dir is not None:
        args.csv_dir.mkdir(parents=True, exist_ok=True)
        for one in held_out:
            one.write_csv(args.csv_dir / f"{one.spec.name}.csv")

    results = {name: evaluate(name, tuning, held_out) for name in DETECTORS}
    probe = max(held_out, key=len)
    for name in ("anomaly_seasonal", "anomaly_hst"):
        results[name]["series_detector_points_per_s"] = round(detector_throughput(name, probe))
        algorithm = name.removeprefix("anomaly_")
        results[name]["engine_bytes_per_series"] = engine_bytes_per_series(algorithm, probe)

    table = [
        {"detector": name, "overall": r["held_out"]["overall"]}
        | {kind: r["held_out"]["by_kind"][kind]["score"] for kind in ANOMALY_KINDS}
        for name, r in results.items()
    ]
    print(
        json.dumps(
            {
                "benchmark": "anomaly_nab",
                "machine": {"python": platform.python_version(), "processor": platform.processor() or "unknown"},
                "profile": {"a_tp": nab.STANDARD.a_tp, "a_fp": nab.STANDARD.a_fp, "a_fn": nab.STANDARD.a_fn},
                "corpus": {
                    "days": args.days,
                    "tuning": {"series": len(tuning), "points": sum(map(len, tuning))},
                    "held_out": {"series": len(held_out), "points": sum(map(len, held_out))},
                    "anomalies_held_out": {
                        kind: sum(len(s.anomalies) for s in held_out if s.spec.anomaly_kind == kind)
                        for kind in ANOMALY_KINDS
                    },
                    "generated_s": round(generated_s, 1),
                },
                "held_out_nab_table": table,
                "detectors": results,
                "elapsed_s": round(time.perf_counter() - start, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
