"""Pure alarm rules: what the detectors evaluate. Same fields as the config's rule sections.

The engine never reads the configuration; the worker turns `ThresholdRuleConfig`, `EventRuleConfig`,
`RateOfChangeRuleConfig`… into these (`ThresholdRule(**rule_config.model_dump())`). Each rule checks itself when
built and raises `ConfigError` naming the rule and every problem.
"""

from __future__ import annotations

import math

import msgspec

from beffroi.domain.registry import ZoneKind
from beffroi.engine.anomaly.rules import AnomalyRule
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


def _check_positive(name: str, value: float | None, problems: list[str]) -> None:
    if value is not None and not (math.isfinite(value) and value > 0):
        problems.append(f"`{name}` must be a finite number > 0, got {value!r}")


def _check_not_empty(name: str, value: str | None, problems: list[str]) -> None:
    if not value:
        problems.append(f"`{name}` must not be empty")


def _check_choice(name: str, value: str, choices: tuple[str, ...], problems: list[str]) -> None:
    if value not in choices:
        problems.append(f"`{name}` must be one of {', '.join(choices)}; got {value!r}")


def _check_unique(what: str, names: list[str], problems: list[str]) -> None:
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        problems.append(f"{what} names must be unique, repeated: {', '.join(duplicates)}")


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


RATE_UNITS: dict[str, float] = {"s": 1.0, "min": 60.0}
"""Seconds per unit of a rate-of-change limit (`per`)."""
RATE_DIRECTIONS = ("rise", "fall", "both")


class RateOfChangeRule(msgspec.Struct, frozen=True):
    """An alarm when `metric` changes faster than `max_rate` (value units per `per`: "s" or "min").

    The rate is the change between the newest reading and the oldest one of the last `window_s` seconds (the
    previous reading when the window holds no other), divided by the time between them. `direction` picks
    rises, falls or both. The alarm returns to normal once the rate is back under `clear_rate` (hysteresis;
    defaults to `max_rate`).
    """

    name: str
    metric: str
    max_rate: float
    per: str = "min"
    window_s: float = 60.0
    clear_rate: float | None = None
    direction: str = "both"
    device_kind: str | None = None
    priority: int = 3
    alarm_type: str | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        problems: list[str] = []
        _check_not_empty("name", self.name, problems)
        _check_not_empty("metric", self.metric, problems)
        _check_positive("max_rate", self.max_rate, problems)
        _check_positive("window_s", self.window_s, problems)
        _check_choice("per", self.per, tuple(RATE_UNITS), problems)
        _check_choice("direction", self.direction, RATE_DIRECTIONS, problems)
        if self.clear_rate is not None:
            if not (math.isfinite(self.clear_rate) and self.clear_rate >= 0):
                problems.append(f"`clear_rate` must be a finite number >= 0, got {self.clear_rate!r}")
            elif math.isfinite(self.max_rate) and self.clear_rate > self.max_rate:
                problems.append("`clear_rate` must not be above `max_rate` (hysteresis goes down)")
        _check_priority(self.priority, problems)
        if problems:
            raise ConfigError(f"rate of change rule {self.name!r}", problems)

    @property
    def seconds_per_unit(self) -> float:
        """How many seconds one unit of `per` lasts."""
        return RATE_UNITS[self.per]

    @property
    def clear_limit(self) -> float:
        """The rate the change must go back under to return to normal."""
        return self.clear_rate if self.clear_rate is not None else self.max_rate

    @property
    def effective_alarm_type(self) -> str:
        """The alarm type this rule raises."""
        return self.alarm_type or self.name

    def describe(self) -> str:
        """The operator message: the configured one, else the rule spelled out."""
        if self.message:
            return self.message
        verb = {"rise": "rising", "fall": "falling", "both": "changing"}[self.direction]
        return f"{self.metric} {verb} faster than {self.max_rate:g}/{self.per}"


class StuckValueRule(msgspec.Struct, frozen=True):
    """An alarm when `metric`, which normally varies, keeps the same value (within `epsilon`).

    Stuck means: every reading since the start of the run is within `epsilon` of the run's first value, for at
    least `min_count` readings and/or `for_s` seconds (at least one must be set; with both, both must hold).
    The alarm returns to normal on the first reading that moves away.
    """

    name: str
    metric: str
    epsilon: float = 0.0
    min_count: int | None = None
    for_s: float | None = None
    device_kind: str | None = None
    priority: int = 4
    alarm_type: str | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        problems: list[str] = []
        _check_not_empty("name", self.name, problems)
        _check_not_empty("metric", self.metric, problems)
        if not (math.isfinite(self.epsilon) and self.epsilon >= 0):
            problems.append(f"`epsilon` must be a finite number >= 0, got {self.epsilon!r}")
        if self.min_count is None and self.for_s is None:
            problems.append("set `min_count` (readings) or `for_s` (seconds), or both")
        if self.min_count is not None and self.min_count < 2:
            problems.append(f"`min_count` must be at least 2, got {self.min_count!r}")
        _check_positive("for_s", self.for_s, problems)
        _check_priority(self.priority, problems)
        if problems:
            raise ConfigError(f"stuck value rule {self.name!r}", problems)

    @property
    def effective_alarm_type(self) -> str:
        """The alarm type this rule raises."""
        return self.alarm_type or self.name

    def describe(self) -> str:
        """The operator message: the configured one, else the rule spelled out."""
        if self.message:
            return self.message
        spans = []
        if self.min_count is not None:
            spans.append(f"{self.min_count} readings")
        if self.for_s is not None:
            spans.append(f"{self.for_s:g} s")
        return f"{self.metric} stuck for {' and '.join(spans)}"


GEOFENCE_DIRECTIONS = ("enter", "leave", "inside")
ZONE_KINDS = tuple(kind.value for kind in ZoneKind)


class GeofenceRule(msgspec.Struct, frozen=True):
    """An alarm when a tracker (a device of `device_kind` whose readings carry a position) enters, leaves or is
    inside one of the zones named by id (`zone_ids`) or by kind (`zone_kinds`), of its own tenant.

    `enter`: raised when a tracker seen outside a zone is inside it; `inside`: raised whenever it is inside
    (its first position included); both return to normal when it is more than `margin_m` metres outside.
    `leave`: raised when a tracker seen inside a zone is more than `margin_m` outside it; returns to normal
    when it is back inside. The margin keeps GPS jitter at a zone's edge from flapping the alarm.
    """

    name: str
    direction: str
    zone_ids: tuple[str, ...] = ()
    zone_kinds: tuple[str, ...] = ()
    device_kind: str | None = "gps_tracker"
    margin_m: float = 5.0
    priority: int = 2
    alarm_type: str | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        problems: list[str] = []
        _check_not_empty("name", self.name, problems)
        _check_choice("direction", self.direction, GEOFENCE_DIRECTIONS, problems)
        if not self.zone_ids and not self.zone_kinds:
            problems.append("name at least one zone in `zone_ids` or `zone_kinds`")
        unknown = [kind for kind in self.zone_kinds if kind not in ZONE_KINDS]
        if unknown:
            problems.append(f"unknown zone kinds {unknown} (known: {', '.join(ZONE_KINDS)})")
        if not (math.isfinite(self.margin_m) and self.margin_m >= 0):
            problems.append(f"`margin_m` must be a finite number >= 0, got {self.margin_m!r}")
        _check_priority(self.priority, problems)
        if problems:
            raise ConfigError(f"geofence rule {self.name!r}", problems)

    @property
    def effective_alarm_type(self) -> str:
        """The alarm type this rule raises."""
        return self.alarm_type or self.name

    def describe(self) -> str:
        """The operator message: the configured one, else the rule spelled out."""
        if self.message:
            return self.message
        zones = ", ".join([*self.zone_ids, *(f"{kind} zone" for kind in self.zone_kinds)])
        verb = {"enter": "entered", "leave": "left", "inside": "inside"}[self.direction]
        return f"Tracker {verb} {zones}"


WINDOW_GROUPS = ("device", "zone", "site")


class WindowCountRule(msgspec.Struct, frozen=True):
    """An alarm when at least `count` events of `event_type` (or readings of `metric`, those above `above` or
    below `below` when set) happen within `window_s` seconds at one device, zone or site (`group_by`).

    The alarm returns to normal once the window holds fewer than `count` of them. Memory is bounded: only the
    newest `count` items of each device, zone or site are kept.
    """

    name: str
    count: int
    window_s: float
    event_type: str | None = None
    metric: str | None = None
    above: float | None = None
    below: float | None = None
    min_confidence: float = 0.0
    device_kind: str | None = None
    group_by: str = "device"
    priority: int = 3
    alarm_type: str | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        problems: list[str] = []
        _check_not_empty("name", self.name, problems)
        if self.count < 1:
            problems.append(f"`count` must be at least 1, got {self.count!r}")
        _check_positive("window_s", self.window_s, problems)
        if (self.event_type is None) == (self.metric is None):
            problems.append("set exactly one of `event_type` or `metric`")
        if self.event_type is not None and (self.above is not None or self.below is not None):
            problems.append("`above` and `below` apply to readings (`metric`), not to events")
        if self.above is not None and self.below is not None:
            problems.append("set at most one of `above` or `below`")
        _check_finite("above", self.above, problems)
        _check_finite("below", self.below, problems)
        if not 0.0 <= self.min_confidence <= 1.0:
            problems.append(f"`min_confidence` must be between 0 and 1, got {self.min_confidence!r}")
        _check_choice("group_by", self.group_by, WINDOW_GROUPS, problems)
        _check_priority(self.priority, problems)
        if problems:
            raise ConfigError(f"window count rule {self.name!r}", problems)

    @property
    def effective_alarm_type(self) -> str:
        """The alarm type this rule raises."""
        return self.alarm_type or self.name

    def describe(self) -> str:
        """The operator message: the configured one, else the rule spelled out."""
        if self.message:
            return self.message
        what = self.event_type or self.metric
        condition = ""
        if self.above is not None:
            condition = f" above {self.above:g}"
        elif self.below is not None:
            condition = f" below {self.below:g}"
        return f"{self.count} × {what}{condition} in {self.window_s:g} s"


class BatteryRule(msgspec.Struct, frozen=True):
    """An alarm when a device's `metric` (its battery charge in %) is below `below` for `for_s` seconds; it
    returns to normal once the charge is back above `clear_at`. `device_kinds`: the kinds watched (None: every
    device that reports the metric)."""

    below: float = 15.0
    clear_at: float = 20.0
    for_s: float = 0.0
    metric: str = "battery_pct"
    device_kinds: tuple[str, ...] | None = None
    priority: int = 4
    alarm_type: str = "battery_low"
    message: str | None = None

    def __post_init__(self) -> None:
        problems: list[str] = []
        _check_finite("below", self.below, problems)
        _check_finite("clear_at", self.clear_at, problems)
        if math.isfinite(self.below) and math.isfinite(self.clear_at) and self.clear_at < self.below:
            problems.append("`clear_at` must not be below `below` (hysteresis goes up)")
        if not (math.isfinite(self.for_s) and self.for_s >= 0):
            problems.append(f"`for_s` must be a finite number >= 0, got {self.for_s!r}")
        _check_not_empty("metric", self.metric, problems)
        _check_not_empty("alarm_type", self.alarm_type, problems)
        _check_priority(self.priority, problems)
        if problems:
            raise ConfigError("battery low rule", problems)

    def describe(self) -> str:
        """The operator message: the configured one, else the rule spelled out."""
        return self.message or f"Battery below {self.below:g} %"


class TamperRule(msgspec.Struct, frozen=True):
    """An alarm per device for each event of `event_types` (confidence at least `min_confidence`), or while
    its `metric` (a tamper switch: 1 open, 0 closed) reads 0.5 or more. It returns to normal after `quiet_s`
    seconds without a new tamper event and with the switch closed (or sooner, when an operator clears it; a
    new event then raises a new alarm). `device_kinds`: the kinds watched (None: every source)."""

    event_types: tuple[str, ...] = ("tamper",)
    metric: str | None = "tamper"
    quiet_s: float = 300.0
    min_confidence: float = 0.0
    device_kinds: tuple[str, ...] | None = None
    priority: int = 2
    alarm_type: str = "tamper"
    message: str | None = None

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not self.event_types and not self.metric:
            problems.append("name at least one event type in `event_types`, or a `metric`")
        if any(not event_type for event_type in self.event_types):
            problems.append("event types must not be empty")
        _check_positive("quiet_s", self.quiet_s, problems)
        if not 0.0 <= self.min_confidence <= 1.0:
            problems.append(f"`min_confidence` must be between 0 and 1, got {self.min_confidence!r}")
        _check_not_empty("alarm_type", self.alarm_type, problems)
        _check_priority(self.priority, problems)
        if problems:
            raise ConfigError("tamper rule", problems)

    def describe(self) -> str:
        """The operator message: the configured one, else a generic one."""
        return self.message or "Device tampered with"


class DetectorSettings(msgspec.Struct, frozen=True):
    """Everything a detector factory may need; each factory takes what concerns it.

    Rule lists default to empty and `battery` / `tamper` to None (off): the configuration holds the defaults.
    """

    threshold_rules: tuple[ThresholdRule, ...] = ()
    event_rules: tuple[EventRule, ...] = ()
    absence_factor: float = 3.0
    absence_priority: int = 3
    event_hold_s: float = DEFAULT_EVENT_HOLD_S
    rate_of_change_rules: tuple[RateOfChangeRule, ...] = ()
    stuck_value_rules: tuple[StuckValueRule, ...] = ()
    geofence_rules: tuple[GeofenceRule, ...] = ()
    window_count_rules: tuple[WindowCountRule, ...] = ()
    anomaly_rules: tuple[AnomalyRule, ...] = ()
    battery: BatteryRule | None = None
    tamper: TamperRule | None = None

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not (math.isfinite(self.absence_factor) and self.absence_factor > 1):
            problems.append(f"`absence_factor` must be a finite number > 1, got {self.absence_factor!r}")
        _check_priority(self.absence_priority, problems)
        if not (math.isfinite(self.event_hold_s) and self.event_hold_s > 0):
            problems.append(f"`event_hold_s` must be a finite number > 0, got {self.event_hold_s!r}")
        _check_unique("threshold rule", [rule.name for rule in self.threshold_rules], problems)
        _check_unique("rate of change rule", [rule.name for rule in self.rate_of_change_rules], problems)
        _check_unique("stuck value rule", [rule.name for rule in self.stuck_value_rules], problems)
        _check_unique("geofence rule", [rule.name for rule in self.geofence_rules], problems)
        _check_unique("window count rule", [rule.name for rule in self.window_count_rules], problems)
        if problems:
            raise ConfigError("engine detectors", problems)
