"""From an anomaly statistic to a score in [0, 1], the same way for every algorithm.

Each algorithm reduces a point to a *z-equivalent*: how many standard deviations a Gaussian value would have to
be from its mean to be as surprising (a residual's z itself; sqrt(-2 ln p) for a statistic whose tail
probability p is known, such as a run of repeated values). The score is then the log-logistic

    score(z) = 1 / (1 + (z_mid / |z|) ** steepness)

0 at z = 0, 0.5 at z = z_mid, increasing with |z| and below 1. Unlike 1 - exp(-z²/…), which rounds to 1.0 from
z ≈ 25, it keeps large z apart (z = 30 and z = 100 score 0.9994 and 0.999995), so a threshold can still be
chosen among strong anomalies. With the defaults (z_mid 4.6, steepness 4): z = 3 scores 0.15, z = 5 scores
0.58, z = 8 scores 0.90 (the default alarm threshold), z = 12 scores 0.98.
"""

from __future__ import annotations

import math

DEFAULT_Z_MID = 4.6
DEFAULT_STEEPNESS = 4.0
GAUSSIAN_MAD_TO_SIGMA = math.sqrt(math.pi / 2)
"""σ of a Gaussian from its mean absolute deviation (E|x - μ| = σ √(2/π))."""


def score_from_z(z: float, z_mid: float = DEFAULT_Z_MID, steepness: float = DEFAULT_STEEPNESS) -> float:
    """The score in [0, 1] of a z-equivalent (its sign ignored)."""
    magnitude = abs(z)
    if magnitude == 0.0:
        return 0.0
    if magnitude == math.inf:
        return 1.0
    if magnitude < 1e-9 * z_mid:
        return 0.0
    ratio: float = (z_mid / magnitude) ** steepness
    return 1.0 / (1.0 + ratio)


def z_for_score(score: float, z_mid: float = DEFAULT_Z_MID, steepness: float = DEFAULT_STEEPNESS) -> float:
    """The z-equivalent whose score is `score` (the inverse of `score_from_z` on [0, 1))."""
    if not 0.0 <= score < 1.0:
        raise ValueError(f"a score must be in [0, 1), got {score!r}")
    if score == 0.0:
        return 0.0
    odds: float = (score / (1.0 - score)) ** (1.0 / steepness)
    return z_mid * odds


def z_from_log_probability(log_p: float) -> float:
    """The z-equivalent of an event of natural-log probability `log_p` (≤ 0): sqrt(-2 log p)."""
    return math.sqrt(-2.0 * log_p) if log_p < 0.0 else 0.0
