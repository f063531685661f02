"""Streaming anomaly detection on numeric series: pure algorithms, each learning one series without labels.

- `seasonal`: a robust seasonal baseline (daily and weekly profiles, slow level, innovation / offset / CUSUM
  and stuck-value statistics);
- `hst`: half-space trees over features of the seasonal baseline and the time of day;
- `baselines`: a fixed band and a rolling z-score, to measure the detectors against;
- `nab`: the Numenta Anomaly Benchmark scoring scheme;
- `rules`: `AnomalyRule`, what the engine's anomaly detector (`beffroi.engine.detectors.anomaly`) evaluates.
"""

from beffroi.engine.anomaly.hst import HalfSpaceParams, HalfSpaceTrees
from beffroi.engine.anomaly.models import ALGORITHMS, PARAM_HELP, SeriesModel, model_factory
from beffroi.engine.anomaly.rules import AnomalyRule
from beffroi.engine.anomaly.seasonal import SeasonalBaseline, SeasonalParams

__all__ = [
    "ALGORITHMS",
    "PARAM_HELP",
    "AnomalyRule",
    "HalfSpaceParams",
    "HalfSpaceTrees",
    "SeasonalBaseline",
    "SeasonalParams",
    "SeriesModel",
    "model_factory",
]
