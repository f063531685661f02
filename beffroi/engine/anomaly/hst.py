"""Streaming half-space trees: an isolation-style detector on a small feature vector of each point.

Half-space trees (Tan, Ting & Liu, "Fast Anomaly Detection for Streaming Data", IJCAI 2011) split the feature
space in halves, at random, and count how many points of the last window fell in each node ("mass"): a point
that lands in a region where the previous window put few points is anomalous. The model is the mass profile
of a window, so memory is fixed and old behaviour is forgotten window after window.

Here, as in the paper, every feature lies in [0, 1] and each tree has a randomly perturbed work range per
dimension ([-δ, 2 - δ), δ uniform in [0, 1)) halved at each use of that dimension. One simplification, as in
the "half-space chains" of xStream (Manzoor et al., KDD 2018): the dimension split at each depth is the same
for every node of that depth of a tree. A point's path in all trees is then computed at once with a few
vector operations, and the trees' structure (dimensions, shifts) is shared by every series: a series only
owns its masses. Each tree's dimensions cycle through a random permutation of the features, so each is used
as often as the depth allows.

Features of a point, in [0, 1), taken from a `SeasonalBaseline` of the series run alongside: tanh(|z| / 16) of
the innovation z, of the offset z, of the first difference over its usual size and of the run-of-repeats z (a
flat line on a noisy sensor), and the time of day. The score: in each tree, walk down while the node's
reference mass is at least `size_limit` × the reference window's count; at the node reached (depth d, mass m)
the surprise is
log2(N / (m · 2^d + 1)) with N the reference count — 0 for a point as common as under a uniform spread, large
for a point in a region the reference window left empty. The mean surprise over the trees is standardised
against its own running mean and mean absolute deviation (over `calibration_tau_s`) and scored like every
anomaly statistic (see `calibration`); scores are 0 until the warm-up is over and a reference window exists.

Windows last `window_s` (a day by default) or 65,535 points, whichever ends first (masses are 16-bit).
Memory per series: 2 × `n_trees` × (2^(height+1) - 1) masses of 2 bytes (16.3 kB with 32 trees of height 6)
plus the seasonal baseline's (`nbytes`).
"""

from __future__ import annotations

import functools
import math
import sys

import msgspec
import numpy as np
import numpy.typing as npt

from beffroi.engine.anomaly.calibration import (
    DEFAULT_STEEPNESS,
    DEFAULT_Z_MID,
    GAUSSIAN_MAD_TO_SIGMA,
    score_from_z,
)
from beffroi.engine.anomaly.params import check_positive
from beffroi.engine.anomaly.seasonal import DAY, SeasonalBaseline, SeasonalParams
from beffroi.errors import ConfigError

FEATURES = 5
MAX_WINDOW_POINTS = 65_535
FEATURE_Z_SCALE = 16.0
"""A z-valued feature enters as tanh(|z| / 16): z = 4 maps to 0.24, z = 16 to 0.76."""

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class HalfSpaceParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Parameters of the half-space trees (see the module docstring)."""

    n_trees: int = 32
    height: int = 6
    window_s: float = DAY
    size_limit: float = 0.2
    seed: int = 0
    warmup_s: float = 7 * DAY
    calibration_tau_s: float = 2 * DAY
    z_mid: float = DEFAULT_Z_MID
    steepness: float = DEFAULT_STEEPNESS

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not 1 <= self.n_trees <= 256:
            problems.append(f"`n_trees` must be 1 to 256, got {self.n_trees!r}")
        if not 1 <= self.height <= 12:
            problems.append(f"`height` must be 1 to 12, got {self.height!r}")
        if not 0.0 < self.size_limit < 1.0:
            problems.append(f"`size_limit` must be between 0 and 1, got {self.size_limit!r}")
        check_positive(self, ("window_s", "calibration_tau_s", "z_mid", "steepness"), problems)
        if not (math.isfinite(self.warmup_s) and self.warmup_s >= 0):
            problems.append(f"`warmup_s` must be a finite number >= 0, got {self.warmup_s!r}")
        if problems:
            raise ConfigError("half-space trees parameters", problems)


HST_PARAM_HELP: dict[str, str] = {
    "n_trees": "number of trees (default 32)",
    "height": "depth of every tree (default 6)",
    "window_s": "length of a mass window, s (default 86400)",
    "size_limit": "a walk stops at nodes holding less than this share of the window (default 0.2)",
    "seed": "seed of the trees' random structure (default 0)",
    "warmup_s": "time from the first point before scores are given, s (default 604800)",
    "calibration_tau_s": "memory of the surprise's running mean and deviation, s (default 172800)",
    "z_mid": "z-equivalent scoring 0.5 (default 4.6)",
    "steepness": "steepness of the score in z (default 4)",
}


class Forest:
    """The random structure shared by every series with the same parameters: dimensions, shifts, node indexes."""

    def __init__(self, n_trees: int, height: int, features: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.n_trees = n_trees
        self.height = height
        self.nodes = 2 ** (height + 1) - 1
        dims = np.empty((n_trees, height), dtype=np.int64)
        uses = np.empty((n_trees, height), dtype=np.int64)
        for tree in range(n_trees):
            order = np.concatenate([rng.permutation(features) for _ in range(height // features + 1)])[:height]
            dims[tree] = order
            seen = np.zeros(features, dtype=np.int64)
            for depth, dim in enumerate(order):
                seen[dim] += 1
                uses[tree, depth] = seen[dim]
        shifts = rng.random((n_trees, features))
        self.dims = dims
        self.shifts = np.take_along_axis(shifts, dims, axis=1)
        self.resolution = np.ldexp(1.0, uses)
        prefix = np.zeros((height, height + 1), dtype=np.int64)
        for j in range(height):
            for k in range(j + 1, height + 1):
                prefix[j, k] = 1 << (k - 1 - j)
        self.prefix = prefix
        level_start = (1 << np.arange(height + 1)) - 1
        self.base = (np.arange(n_trees)[:, None] * self.nodes + level_start[None, :]).astype(np.int64)
        self.depth_weight = np.ldexp(1.0, np.arange(height + 1))
        self.rows = np.arange(n_trees)

    def paths(self, x: FloatArray) -> IntArray:
        """Flat node indexes (trees × depths 0..height) of the path of feature vector `x` in every tree."""
        halves = (x[self.dims] + self.shifts) * 0.5
        bits = (np.floor(halves * self.resolution).astype(np.int64)) & 1
        indexes: IntArray = bits @ self.prefix + self.base
        return indexes


@functools.lru_cache(maxsize=16)
def forest(n_trees: int, height: int, features: int = FEATURES, seed: int = 0) -> Forest:
    """The shared forest for these parameters."""
    return Forest(n_trees, height, features, seed)


class HalfSpaceTrees:
    """Half-space trees over one series: `update(ts, value)` learns the point and returns its score."""

    __slots__ = (
        "_baseline",
        "_calibrated",
        "_count",
        "_current",
        "_deviation",
        "_forest",
        "_limit",
        "_mean",
        "_params",
        "_reference",
        "_reference_count",
        "_window_start",
        "score",
        "surprise",
    )

    def __init__(self, params: HalfSpaceParams | None = None) -> None:
        p = params or HalfSpaceParams()
        self._params = p
        self._forest = forest(p.n_trees, p.height, FEATURES, p.seed)
        self._baseline = SeasonalBaseline(SeasonalParams(warmup_s=p.warmup_s))
        size = p.n_trees * self._forest.nodes
        self._reference = np.zeros(size, dtype=np.uint16)
        self._current = np.zeros(size, dtype=np.uint16)
        self._reference_count = 0
        self._count = 0
        self._window_start = math.nan
        self._limit = 1.0
        self._mean = 0.0
        self._deviation = 0.0
        self._calibrated = 0.0
        self.score = 0.0
        self.surprise = 0.0

    @property
    def params(self) -> HalfSpaceParams:
        """The parameters these trees run with."""
        return self._params

    @property
    def nbytes(self) -> int:
        """Bytes held by this series' state: the object, its masses and its seasonal baseline."""
        masses = sys.getsizeof(self._reference) + sys.getsizeof(self._current)
        return sys.getsizeof(self) + masses + self._baseline.nbytes

    def update(self, ts: float, value: float) -> float:
        """Score the point, then count it in the current window. A point not after the previous one is ignored."""
        baseline = self._baseline
        previous = baseline.last_ts
        if ts <= previous:
            return self.score
        baseline.update(ts, value)
        if previous == -math.inf:
            return 0.0
        p = self._params
        elapsed = ts - baseline.first_ts
        if elapsed < min(p.warmup_s, DAY):
            return 0.0
        scale = FEATURE_Z_SCALE
        features = np.array(
            (
                math.tanh(abs(baseline.z_fast) / scale),
                math.tanh(abs(baseline.z_offset) / scale),
                math.tanh(abs(baseline.z_diff) / scale),
                math.tanh(baseline.z_stuck / scale),
                (ts % DAY) / DAY,
            )
        )
        path = self._forest.paths(features)
        if self._reference_count:
            self.surprise = self._surprise(path)
            self._calibrate(ts - previous, self.surprise, elapsed >= p.warmup_s)
        self._count_point(ts, path)
        return self.score

    def _surprise(self, path: IntArray) -> float:
        """Mean over the trees of log2(N / (m · 2^d + 1)) at the node where the walk stops.

        Masses never grow down a path (a node's mass is the sum of its children's), so the walk stops at the
        depth equal to the number of nodes of the path holding at least the size limit (the leaf at most).
        """
        forest_ = self._forest
        masses = self._reference[path]
        stop = np.minimum(np.count_nonzero(masses >= self._limit, axis=1), forest_.height)
        reached = masses[forest_.rows, stop] * forest_.depth_weight[stop]
        return float(np.log2(self._reference_count / (reached + 1.0)).sum()) / forest_.n_trees

    def _calibrate(self, dt: float, surprise: float, warm: bool) -> None:
        """Score the surprise against its running mean and deviation, then learn it (robustly once calibrated)."""
        p = self._params
        sigma = GAUSSIAN_MAD_TO_SIGMA * self._deviation
        z = (surprise - self._mean) / sigma if sigma > 0.0 else 0.0
        calibrated = self._calibrated >= DAY
        self.score = score_from_z(max(z, 0.0), p.z_mid, p.steepness) if warm and calibrated else 0.0
        rate = min(dt / min(max(self._calibrated, dt), p.calibration_tau_s), 1.0)
        learned = min(max(surprise, self._mean - 4.0 * sigma), self._mean + 4.0 * sigma) if calibrated else surprise
        self._mean += rate * (learned - self._mean)
        deviation = abs(learned - self._mean)
        self._deviation += rate * ((min(deviation, 2.5 * sigma) if calibrated else deviation) - self._deviation)
        self._calibrated += dt

    def _count_point(self, ts: float, path: IntArray) -> None:
        """Count the point in the current window; start a new one when the window is over."""
        if math.isnan(self._window_start):
            self._window_start = ts
        elif ts - self._window_start >= self._params.window_s or self._count >= MAX_WINDOW_POINTS:
            self._reference, self._current = self._current, self._reference
            self._current[:] = 0
            self._reference_count = self._count
            self._limit = max(self._params.size_limit * self._count, 1.0)
            self._count = 0
            self._window_start = ts
        self._current[path.ravel()] += 1
        self._count += 1
