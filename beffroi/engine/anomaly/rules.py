"""Anomaly rules: which series an anomaly algorithm watches, and when its score becomes an alarm.

Same fields as the config's `[[engine.anomaly_rules]]` sections; each rule checks itself when built and raises
`ConfigError` naming the rule and every problem (its algorithm parameters included).
"""

from __future__ import annotations

import math

import msgspec

from beffroi.engine.anomaly.models import ALGORITHMS, ModelFactory, model_factory
from beffroi.errors import ConfigError

ParamValue = float | int | bool | str
DEFAULT_THRESHOLD = 0.9
ANOMALY_ALARM_TYPE = "anomaly"


class AnomalyRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An "anomaly" alarm when `algorithm`'s score of `metric` (of devices of `device_kind`, or of any kind)
    stays at or above `threshold` for `min_points` consecutive readings and `for_s` seconds; it returns to
    normal at the first reading scoring below `clear_below` (default: half the threshold)."""

    name: str
    metric: str
    device_kind: str | None = None
    algorithm: str = "seasonal"
    threshold: float = DEFAULT_THRESHOLD
    clear_below: float | None = None
    min_points: int = 1
    for_s: float = 0.0
    priority: int = 3
    alarm_type: str = ANOMALY_ALARM_TYPE
    message: str | None = None
    params: dict[str, ParamValue] = msgspec.field(default_factory=dict)
    """The algorithm's parameters (see `beffroi.engine.anomaly.models.PARAM_HELP`)."""

    def __post_init__(self) -> None:
        problems: list[str] = []
        for field in ("name", "metric", "alarm_type"):
            if not getattr(self, field):
                problems.append(f"`{field}` must not be empty")
        if self.algorithm not in ALGORITHMS:
            problems.append(f"`algorithm` must be one of {', '.join(ALGORITHMS)}, got {self.algorithm!r}")
        if not 0.0 < self.threshold < 1.0:
            problems.append(f"`threshold` must be between 0 and 1 (exclusive), got {self.threshold!r}")
        if self.clear_below is not None and not 0.0 <= self.clear_below <= self.threshold:
            problems.append(f"`clear_below` must be between 0 and `threshold`, got {self.clear_below!r}")
        if self.min_points < 1:
            problems.append(f"`min_points` must be >= 1, got {self.min_points!r}")
        if not (math.isfinite(self.for_s) and self.for_s >= 0):
            problems.append(f"`for_s` must be a finite number >= 0, got {self.for_s!r}")
        if self.priority not in range(1, 5):
            problems.append(f"priority must be 1 (most urgent) to 4, got {self.priority!r}")
        if self.algorithm in ALGORITHMS:
            try:
                model_factory(self.algorithm, self.params, "params")
            except ConfigError as error:
                problems.extend(f"params: {problem}" for problem in error.problems)
        if problems:
            raise ConfigError(f"anomaly rule {self.name!r}", problems)

    @property
    def clear_level(self) -> float:
        """The score below which an active alarm returns to normal."""
        return self.clear_below if self.clear_below is not None else self.threshold / 2

    def model_factory(self) -> ModelFactory:
        """A factory of this rule's per-series model."""
        return model_factory(self.algorithm, self.params, f"anomaly rule {self.name!r}")

    def describe(self) -> str:
        """The operator message: the configured one, else the rule spelled out."""
        if self.message:
            return self.message
        return f"Unusual {self.metric} ({self.algorithm} anomaly score ≥ {self.threshold:g})"
