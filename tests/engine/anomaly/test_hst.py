"""Half-space trees: shared structure, bounded masses, anomalies score high, deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from beffroi.engine.anomaly import hst
from beffroi.engine.anomaly.hst import HalfSpaceParams, HalfSpaceTrees, forest
from beffroi.engine.anomaly.seasonal import DAY
from beffroi.errors import ConfigError
from tests.engine.anomaly.series import seasonal_series

PARAMS = HalfSpaceParams(warmup_s=7 * DAY)


def run(model: HalfSpaceTrees, ts: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.array([model.update(t, v) for t, v in zip(ts.tolist(), values.tolist(), strict=True)])


def test_paths_descend_one_node_per_depth_inside_each_tree() -> None:
    trees = forest(4, 5, 3, 7)
    path = trees.paths(np.array([0.1, 0.5, 0.9]))
    assert path.shape == (4, 6)
    for tree, row in enumerate(path - np.arange(4)[:, None] * trees.nodes):
        assert row[0] == 0
        for depth in range(1, 6):
            parent = row[depth - 1]
            assert row[depth] in (2 * parent + 1, 2 * parent + 2), f"tree {tree} depth {depth}"
    assert forest(4, 5, 3, 7) is trees, "series share the structure"


def test_clean_series_scores_low_and_a_spike_high() -> None:
    ts, values = seasonal_series(days=13)
    spiked = values.copy()
    at = len(ts) - 60
    spiked[at] += 8.0
    scores = run(HalfSpaceTrees(PARAMS), ts, spiked)
    warm = ts - ts[0] >= 8 * DAY
    assert np.all(scores[ts - ts[0] < 7 * DAY] == 0.0)
    assert np.quantile(scores[warm][:-100], 0.99) < 0.5
    assert scores[at] >= 0.9


def test_a_flat_line_on_a_noisy_sensor_scores_high() -> None:
    ts, values = seasonal_series(days=13)
    stuck = values.copy()
    at = len(ts) - 150
    stuck[at : at + 60] = stuck[at - 1]
    scores = run(HalfSpaceTrees(PARAMS), ts, stuck)
    assert scores[at + 20 : at + 60].max() >= 0.9


def test_memory_is_fixed_and_runs_are_deterministic() -> None:
    ts, values = seasonal_series(days=9, interval_s=300.0)
    model = HalfSpaceTrees(PARAMS)
    before = model.nbytes
    first = run(model, ts, values)
    assert model.nbytes == before < 40_000
    assert np.array_equal(first, run(HalfSpaceTrees(PARAMS), ts, values))


@pytest.mark.slow
def test_memory_stays_bounded_over_100k_points() -> None:
    ts, values = seasonal_series(days=100_000 * 60 / DAY, interval_s=60.0)
    model = HalfSpaceTrees()
    before = model.nbytes
    scores = run(model, ts, values)
    assert model.nbytes == before
    assert np.isfinite(scores).all() and scores.max() <= 1.0


def test_windows_swap_when_full_so_masses_never_overflow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hst, "MAX_WINDOW_POINTS", 500)
    model = HalfSpaceTrees(HalfSpaceParams(window_s=1e9, warmup_s=0.0))
    for t in range(1_200):
        model.update(float(t), 1.0 + (t % 7) * 0.1)
    assert model._reference_count == 500
    assert int(model._reference.max()) == 500, "the root holds the whole window, no more"


def test_parameters_are_checked() -> None:
    with pytest.raises(ConfigError, match="height"):
        HalfSpaceParams(height=0)
    with pytest.raises(ConfigError, match="size_limit"):
        HalfSpaceParams(size_limit=1.5)
