"""The anomaly algorithms by name, each learning one series: what a rule's `algorithm` and `params` select."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from beffroi.engine.anomaly.hst import HST_PARAM_HELP, HalfSpaceParams, HalfSpaceTrees
from beffroi.engine.anomaly.params import parse_params
from beffroi.engine.anomaly.seasonal import SEASONAL_PARAM_HELP, SeasonalBaseline, SeasonalParams
from beffroi.errors import ConfigError


class SeriesModel(Protocol):
    """One series' model: learns each point and scores it in [0, 1], in bounded memory."""

    score: float
    """The score of the latest point (0 before any)."""

    def update(self, ts: float, value: float) -> float:
        """Score the point at `ts` (epoch seconds), then learn it; a point not after the previous is ignored."""
        ...

    @property
    def nbytes(self) -> int:
        """Bytes held by this series' state."""
        ...


ModelFactory = Callable[[], SeriesModel]

ALGORITHMS: tuple[str, ...] = ("seasonal", "hst")
PARAM_HELP: dict[str, dict[str, str]] = {"seasonal": SEASONAL_PARAM_HELP, "hst": HST_PARAM_HELP}
"""Each algorithm's parameters, with what they mean and their defaults."""


def model_factory(algorithm: str, params: Mapping[str, object], source: str) -> ModelFactory:
    """A factory of models of `algorithm` with `params` (checked now: ConfigError from `source` when wrong)."""
    if algorithm == "seasonal":
        seasonal = parse_params(SeasonalParams, params, source)
        return lambda: SeasonalBaseline(seasonal)
    if algorithm == "hst":
        trees = parse_params(HalfSpaceParams, params, source)
        return lambda: HalfSpaceTrees(trees)
    raise ConfigError(source, [f"unknown anomaly algorithm {algorithm!r} (known: {', '.join(ALGORITHMS)})"])
