"""Pure alarm rules: what the detectors evaluate. Same fields as the config's rule sections.

The engine never reads the configuration; the worker turns `ThresholdRuleConfig` / `EventRuleConfig` into these
(`ThresholdRule(**rule_config.model_dump())`). Each rule checks itself when built and raises `ConfigError`
naming the rule and every problem.
"""

from __future__ import annotations

import math

import msgspec

from beffroi.errors import ConfigError

PRIORITY_RANGE = range(1, 5)
DEFAULT_EVENT_HOLD_S = 60.0
"""How long an event's alarm condition stays active after the last matching event."""


def _check_priority(priority: int, problems: list[str]) -> None:
    if priority not in PRIORITY_RANGE:
        problems.append(f"priority must be 1 (most urgent) to 4, got {priority!r}")


def _check_finite(name: str, value: float | None, problems: list[str]) -> None:
    if value is not None and not math.isfinite(value):
        problems.append(f"`{name}` must be a finite number, got {value!r}")


class ThresholdRule(msgspec.Struct, frozen=True):
    """An alarm when `metric` of devices (of `device_kind`, or of any kind) stays beyond a limit for `for_s` seconds.

    Exactly one of `above` / `below` is set. The alarm returns to normal only once the value is back past
    `clear_at` (hysteresis; defaults to the limit itself). The alarm type is `alarm_type`, else the rule's name.
    """

    name: str
    metric: str
    device_kind: str | None = None
    above: float | None = None
    below: float | None = None
    clear_at: float | None = None
    for_s: float = 0.0
    priority: int = 3
    alarm_type: str | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not self.name:
            problems.append("`name` must not be empty")
        if not self.metric:
            problems.append("`metric` must not be empty")
        if (self.above is None) == (self.below is None):
            problems.append("set exactly one of `above` or `below`")
        for field in ("above", "below", "clear_at", "for_s"):
            _check_finite(field, getattr(self, field), problems)
        if self.for_s < 0:
            problems.append(f"`for_s` must be >= 0, got {self.for_s!r}")
        _check_priority(self.priority, problems)
        if self.clear_at is not None:
            if self.above is not None and self.clear_at > self.above:
                problems.append("`clear_at` must not be above `above` (hysteresis goes down)")
            if self.below is not None and self.clear_at < self.below:
                problems.append("`clear_at` must not be below `below` (hysteresis goes up)")
        if problems:
            raise ConfigError(f"threshold rule {self.name!r}", problems)

    @property
    def limit(self) -> float:
        """The value the metric must go past to raise."""
        if self.above is not None:
            return self.above
        assert self.below is not None  # guaranteed by __post_init__
        return self.below

    @property
    def clear_limit(self) -> float:
        """The value the metric must go back past to return to normal."""
        return self.clear_at if self.clear_at is not None else self.limit

    @property
    def effective_alarm_type(self) -> str:
        """The alarm type this rule raises."""
        return self.alarm_type or self.name

    def describe(self) -> str:
        """The operator message: the configured one, else the rule spelled out."""
        if self.message:
            return self.message
        direction = "above" if self.above is not None else "below"
        duration = f" for {self.for_s:g} s" if self.for_s else ""
        return f"{self.metric} {direction} {self.limit:g}{duration}"


class EventRule(msgspec.Struct, frozen=True):
    """An alarm for every event of `event_type` whose confidence is at least `min_confidence`."""

    event_type: str
    priority: int = 2
    alarm_type: str | None = None
    message: str | None = None
    min_confidence: float = 0.0

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not self.event_type:
            problems.append("`event_type` must not be empty")
        _check_priority(self.priority, problems)
        if not 0.0 <= self.min_confidence <= 1.0:
            problems.append(f"`min_confidence` must be between 0 and 1, got {self.min_confidence!r}")
        if problems:
            raise ConfigError(f"event rule {self.event_type!r}", problems)

    @property
    def effective_alarm_type(self) -> str:
        """The alarm type this rule raises."""
        return self.alarm_type or self.event_type

    def describe(self) -> str:
        """The operator message: the configured one, else the event type."""
        return self.message or self.event_type.replace("_", " ").capitalize()


class DetectorSettings(msgspec.Struct, frozen=True):
    """Everything a detector factory may need; each factory takes what concerns it."""

    threshold_rules: tuple[ThresholdRule, ...] = ()
    event_rules: tuple[EventRule, ...] = ()
    absence_factor: float = 3.0
    absence_priority: int = 3
    event_hold_s: float = DEFAULT_EVENT_HOLD_S

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not (math.isfinite(self.absence_factor) and self.absence_factor > 1):
            problems.append(f"`absence_factor` must be a finite number > 1, got {self.absence_factor!r}")
        _check_priority(self.absence_priority, problems)
        if not (math.isfinite(self.event_hold_s) and self.event_hold_s > 0):
            problems.append(f"`event_hold_s` must be a finite number > 0, got {self.event_hold_s!r}")
        names = [rule.name for rule in self.threshold_rules]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            problems.append(f"threshold rule names must be unique, repeated: {', '.join(duplicates)}")
        if problems:
            raise ConfigError("engine detectors", problems)
