"""The engine's configuration: detector rules (with the defaults for the shipped scenario), operator desks and flood
control. Part of the one config tree (`beffroi.config`), split out to keep each file readable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

import pydantic
from pydantic import Field

from beffroi.config_base import Section
from beffroi.domain.registry import ZoneKind
from beffroi.engine import rules as engine_rules
from beffroi.engine.anomaly.rules import AnomalyRule
from beffroi.errors import ConfigError


class ThresholdRuleConfig(Section):
    """An alarm when `metric` of devices of `device_kind` stays beyond a limit for `for_s` seconds.

    Hysteresis: the alarm returns to normal only once the value is back past `clear_at`
    (below it for an `above` rule, above it for a `below` rule).
    """

    name: str
    metric: str
    device_kind: str | None = None
    above: float | None = None
    below: float | None = None
    clear_at: float | None = None
    for_s: Annotated[float, Field(ge=0)] = 0.0
    priority: Annotated[int, Field(ge=1, le=4)] = 3
    alarm_type: str | None = None
    message: str | None = None

    @pydantic.model_validator(mode="after")
    def _one_direction(self) -> ThresholdRuleConfig:
        if (self.above is None) == (self.below is None):
            raise ValueError("set exactly one of `above` or `below`")
        if self.clear_at is not None:
            if self.above is not None and self.clear_at > self.above:
                raise ValueError("`clear_at` must not be above `above` (hysteresis goes down)")
            if self.below is not None and self.clear_at < self.below:
                raise ValueError("`clear_at` must not be below `below` (hysteresis goes up)")
        return self


class EventRuleConfig(Section):
    """An alarm for every event of `event_type` (door forced, panic button, fire panel…)."""

    event_type: str
    priority: Annotated[int, Field(ge=1, le=4)] = 2
    alarm_type: str | None = None
    message: str | None = None
    min_confidence: Annotated[float, Field(ge=0, le=1)] = 0.0


DEFAULT_THRESHOLD_RULES = [
    ThresholdRuleConfig(
        name="smoke",
        device_kind="smoke_heat",
        metric="smoke_obscuration_pct_m",
        above=4.0,
        clear_at=2.0,
        for_s=0,
        priority=1,
        alarm_type="fire_alarm",
        message="Smoke detected",
    ),
    ThresholdRuleConfig(
        name="heat",
        device_kind="smoke_heat",
        metric="temperature_c",
        above=58.0,
        clear_at=50.0,
        for_s=10,
        priority=1,
        alarm_type="fire_alarm",
        message="Heat detector above 58 °C",
    ),
    ThresholdRuleConfig(
        name="air_quality",
        device_kind="air_quality",
        metric="pm2_5_ug_m3",
        above=75.0,
        clear_at=50.0,
        for_s=300,
        priority=3,
        message="PM2.5 above 75 µg/m³ for 5 min",
    ),
    ThresholdRuleConfig(
        name="co2",
        device_kind="air_quality",
        metric="co2_ppm",
        above=2500.0,
        clear_at=1800.0,
        for_s=120,
        priority=3,
        message="CO₂ above 2500 ppm",
    ),
    ThresholdRuleConfig(
        name="noise",
        device_kind="noise_level",
        metric="laeq_db",
        above=105.0,
        clear_at=100.0,
        for_s=60,
        priority=4,
        message="Noise above 105 dB(A) for 1 min",
    ),
    ThresholdRuleConfig(
        name="heat_stress",
        device_kind="temperature",
        metric="temperature_c",
        above=38.0,
        clear_at=36.0,
        for_s=600,
        priority=3,
        message="Temperature above 38 °C",
    ),
    ThresholdRuleConfig(
        name="intrusion",
        device_kind="intrusion_pir",
        metric="motion",
        above=0.5,
        clear_at=0.5,
        for_s=0,
        priority=2,
        alarm_type="intrusion",
        message="Motion in a protected area",
    ),
    ThresholdRuleConfig(
        name="fence",
        device_kind="perimeter_fence",
        metric="vibration_g",
        above=1.5,
        clear_at=0.5,
        for_s=2,
        priority=2,
        alarm_type="fence_breach",
        message="Fence disturbed",
    ),
    ThresholdRuleConfig(
        name="panic",
        device_kind="panic_button",
        metric="pressed",
        above=0.5,
        clear_at=0.5,
        for_s=0,
        priority=1,
        alarm_type="panic",
        message="Panic button pressed",
    ),
    ThresholdRuleConfig(
        name="crowd_amber",
        device_kind="crowd_estimate",
        metric="level",
        above=0.5,
        clear_at=0.5,
        for_s=0,
        priority=2,
        message="Crowd density amber (all sources of the zone)",
    ),
    ThresholdRuleConfig(
        name="crowd_red",
        device_kind="crowd_estimate",
        metric="level",
        above=1.5,
        clear_at=1.5,
        for_s=0,
        priority=1,
        message="Crowd density red (all sources of the zone)",
    ),
    ThresholdRuleConfig(
        name="camera_offline",
        device_kind="camera",
        metric="online",
        below=0.5,
        clear_at=0.5,
        for_s=0,
        priority=3,
        message="Camera offline: no picture",
    ),
    ThresholdRuleConfig(
        name="gate_overcrowding",
        device_kind="people_counter",
        metric="occupancy_ratio",
        above=0.9,
        clear_at=0.8,
        for_s=60,
        priority=2,
        alarm_type="overcrowding",
        message="Zone above 90 % of capacity for 1 min",
    ),
]
"""Battery levels are watched by the battery_low detector (`engine.battery_low`), not by a threshold rule."""

DEFAULT_EVENT_RULES = [
    EventRuleConfig(event_type="door_forced", priority=2, message="Door forced"),
    EventRuleConfig(event_type="door_held_open", priority=3, message="Door held open"),
    EventRuleConfig(event_type="drone_detected", priority=2, message="Drone detected"),
    EventRuleConfig(event_type="fire_panel_alarm", priority=1, alarm_type="fire_alarm", message="Fire panel alarm"),
    # Video analytics (the event types of decree n° 2023-828; each camera runs only those it is authorised for)
    EventRuleConfig(event_type="camera_intrusion", priority=2, message="Person in a forbidden zone (video)"),
    EventRuleConfig(event_type="person_down", priority=2, message="Person on the ground (video)"),
    EventRuleConfig(event_type="abandoned_object", priority=2, message="Abandoned object (video)"),
    EventRuleConfig(event_type="crowd_density", priority=2, message="Excessive crowd density (video)"),
    EventRuleConfig(event_type="crowd_movement", priority=1, message="Sudden crowd movement (video)"),
    EventRuleConfig(event_type="wrong_way", priority=3, message="Wrong-way movement (video)"),
    EventRuleConfig(
        event_type="fire_start", priority=1, alarm_type="fire_alarm", message="Fire start (video)", min_confidence=0.5
    ),
    EventRuleConfig(event_type="weapon", priority=1, message="Weapon seen (video)", min_confidence=0.5),
    EventRuleConfig(event_type="loitering", priority=4, message="Loitering (video)"),
    EventRuleConfig(event_type="crowd_red_expected", priority=2, message="Red crowd density expected (forecast)"),
]
"""Tamper events are handled by the tamper detector (`engine.tamper`), not by an event rule. A single refused badge
is no alarm (a mistyped code, an expired card): repeated refusals at one door are (`access_denied_repeated`)."""


def _check_with(build: Callable[[], object]) -> None:
    """Build the engine's rule from a config section, turning its ConfigError into a pydantic error."""
    try:
        build()
    except ConfigError as error:
        raise ValueError("; ".join(error.problems)) from None


PriorityField = Annotated[int, Field(ge=1, le=4)]
"""An alarm priority: 1 (most urgent) to 4."""


class RateOfChangeRuleConfig(Section):
    """An alarm when `metric` changes faster than `max_rate` value units per `per` ("s" or "min").

    The rate is measured between the newest reading and the oldest of the last `window_s` seconds; it must fall
    back under `clear_rate` (default: `max_rate`) to return to normal. `direction`: rise, fall or both.
    """

    name: str
    metric: str
    max_rate: Annotated[float, Field(gt=0)]
    per: Literal["s", "min"] = "min"
    window_s: Annotated[float, Field(gt=0)] = 60.0
    clear_rate: Annotated[float, Field(ge=0)] | None = None
    direction: Literal["rise", "fall", "both"] = "both"
    device_kind: str | None = None
    priority: PriorityField = 3
    alarm_type: str | None = None
    message: str | None = None

    @pydantic.model_validator(mode="after")
    def _valid_rule(self) -> RateOfChangeRuleConfig:
        _check_with(lambda: engine_rules.RateOfChangeRule(**self.model_dump()))
        return self


class StuckValueRuleConfig(Section):
    """An alarm when `metric` keeps the same value (within `epsilon`) for `min_count` readings and/or `for_s`
    seconds (set at least one; with both, both must hold); it returns to normal when the value moves."""

    name: str
    metric: str
    epsilon: Annotated[float, Field(ge=0)] = 0.0
    min_count: Annotated[int, Field(ge=2)] | None = None
    for_s: Annotated[float, Field(gt=0)] | None = None
    device_kind: str | None = None
    priority: PriorityField = 4
    alarm_type: str | None = None
    message: str | None = None

    @pydantic.model_validator(mode="after")
    def _valid_rule(self) -> StuckValueRuleConfig:
        _check_with(lambda: engine_rules.StuckValueRule(**self.model_dump()))
        return self


class GeofenceRuleConfig(Section):
    """An alarm when a tracker (`device_kind`, default gps_tracker) enters, leaves or is inside a zone named by id
    (`zone_ids`) or kind (`zone_kinds`). `margin_m`: how far outside a zone counts as out of it (GPS jitter)."""

    name: str
    direction: Literal["enter", "leave", "inside"]
    zone_ids: tuple[str, ...] = ()
    zone_kinds: tuple[ZoneKind, ...] = ()
    device_kind: str | None = "gps_tracker"
    margin_m: Annotated[float, Field(ge=0)] = 5.0
    priority: PriorityField = 2
    alarm_type: str | None = None
    message: str | None = None

    @pydantic.model_validator(mode="after")
    def _valid_rule(self) -> GeofenceRuleConfig:
        _check_with(lambda: engine_rules.GeofenceRule(**self.model_dump(mode="json")))
        return self


class WindowCountRuleConfig(Section):
    """An alarm when at least `count` events of `event_type` (or readings of `metric`, above `above` / below
    `below` when set) happen within `window_s` seconds at one device, zone or site (`group_by`)."""

    name: str
    count: Annotated[int, Field(ge=1)]
    window_s: Annotated[float, Field(gt=0)]
    event_type: str | None = None
    metric: str | None = None
    above: float | None = None
    below: float | None = None
    min_confidence: Annotated[float, Field(ge=0, le=1)] = 0.0
    device_kind: str | None = None
    group_by: Literal["device", "zone", "site"] = "device"
    priority: PriorityField = 3
    alarm_type: str | None = None
    message: str | None = None

    @pydantic.model_validator(mode="after")
    def _valid_rule(self) -> WindowCountRuleConfig:
        _check_with(lambda: engine_rules.WindowCountRule(**self.model_dump()))
        return self


class BatteryLowConfig(Section):
    """The battery_low detector: an alarm while a device's battery (`metric`, in %) is below `below` for `for_s`
    seconds, until it is back above `clear_at`. `device_kinds`: the kinds watched (None: every device reporting
    the metric)."""

    enabled: bool = True
    below: Annotated[float, Field(ge=0, le=100)] = 15.0
    clear_at: Annotated[float, Field(ge=0, le=100)] = 20.0
    for_s: Annotated[float, Field(ge=0)] = 0.0
    metric: str = "battery_pct"
    device_kinds: tuple[str, ...] | None = None
    priority: PriorityField = 4
    alarm_type: str = "battery_low"
    message: str | None = None

    @pydantic.model_validator(mode="after")
    def _valid_rule(self) -> BatteryLowConfig:
        _check_with(lambda: engine_rules.BatteryRule(**self.model_dump(exclude={"enabled"})))
        return self


class TamperConfig(Section):
    """The tamper detector: an alarm per device on each tamper event (`event_types`) or while its tamper switch
    (`metric`) reads open, returning to normal after `quiet_s` seconds of quiet (or cleared by an operator)."""

    enabled: bool = True
    event_types: tuple[str, ...] = ("tamper",)
    metric: str | None = "tamper"
    quiet_s: Annotated[float, Field(gt=0)] = 300.0
    min_confidence: Annotated[float, Field(ge=0, le=1)] = 0.0
    device_kinds: tuple[str, ...] | None = None
    priority: PriorityField = 2
    alarm_type: str = "tamper"
    message: str | None = None

    @pydantic.model_validator(mode="after")
    def _valid_rule(self) -> TamperConfig:
        _check_with(lambda: engine_rules.TamperRule(**self.model_dump(exclude={"enabled"})))
        return self


DEFAULT_RATE_OF_CHANGE_RULES = [
    RateOfChangeRuleConfig(
        name="heat_rate_of_rise",
        device_kind="smoke_heat",
        metric="temperature_c",
        max_rate=8.0,
        per="min",
        window_s=120.0,
        clear_rate=2.0,
        direction="rise",
        priority=1,
        alarm_type="fire_alarm",
        message="Heat detector rising faster than 8 °C/min",
    ),
]
"""A rate-of-rise heat detector (EN 54-5 class A1R-like); the simulated ambient never rises 1 °C/min."""

DEFAULT_STUCK_VALUE_RULES = [
    StuckValueRuleConfig(
        name="temperature_stuck",
        device_kind="temperature",
        metric="temperature_c",
        min_count=10,
        for_s=1800.0,
        priority=4,
        alarm_type="sensor_stuck",
        message="Temperature probe frozen for 30 min",
    ),
    StuckValueRuleConfig(
        name="heat_sensor_stuck",
        device_kind="smoke_heat",
        metric="temperature_c",
        min_count=10,
        for_s=1800.0,
        priority=4,
        alarm_type="sensor_stuck",
        message="Heat detector temperature frozen for 30 min",
    ),
    StuckValueRuleConfig(
        name="co2_stuck",
        device_kind="air_quality",
        metric="co2_ppm",
        min_count=10,
        for_s=1800.0,
        priority=4,
        alarm_type="sensor_stuck",
        message="CO₂ reading frozen for 30 min",
    ),
]
"""Metrics that always move a little (noise of 0.1 °C, 8 ppm); noise levels are left out: meters saturate."""

DEFAULT_WINDOW_COUNT_RULES = [
    WindowCountRuleConfig(
        name="access_denied_repeated",
        event_type="access_denied",
        count=5,
        window_s=120.0,
        group_by="device",
        priority=3,
        message="5 access denied at one door in 2 min",
    ),
]

DEFAULT_GEOFENCE_RULES: list[GeofenceRuleConfig] = []
"""None by default: the default scenario's trackers are field agents, who may go anywhere. For example, to watch
a forbidden zone: `{name = "forbidden_zone", zone_kinds = ["forbidden"], direction = "enter"}`."""


class AnomalyRuleConfig(Section):
    """Streaming anomaly detection on one metric (of one device kind, or of any): each series learns its own normal
    (daily and weekly cycles, slow drift; a week of warm-up) and scores each point in [0, 1]; an "anomaly" alarm when
    the score stays at or above `threshold` for `min_points` readings and `for_s` seconds. `algorithm`: "seasonal"
    (robust seasonal baseline + CUSUM) or "hst" (half-space trees). `params`: see `beffroi detect --list`."""

    name: Annotated[str, Field(min_length=1)]
    metric: Annotated[str, Field(min_length=1)]
    device_kind: str | None = None
    algorithm: Literal["seasonal", "hst"] = "seasonal"
    threshold: Annotated[float, Field(gt=0, lt=1)] = 0.9
    clear_below: Annotated[float, Field(ge=0, lt=1)] | None = None
    min_points: Annotated[int, Field(ge=1)] = 1
    for_s: Annotated[float, Field(ge=0)] = 0.0
    priority: Annotated[int, Field(ge=1, le=4)] = 3
    alarm_type: Annotated[str, Field(min_length=1)] = "anomaly"
    message: str | None = None
    params: dict[str, float | int | bool | str] = {}

    @pydantic.model_validator(mode="after")
    def _valid_rule(self) -> AnomalyRuleConfig:
        _check_with(lambda: AnomalyRule(**self.model_dump()))
        return self


DEFAULT_ANOMALY_RULES = [
    AnomalyRuleConfig(name="temperature_anomaly", metric="temperature_c", device_kind="temperature"),
    AnomalyRuleConfig(name="co2_anomaly", metric="co2_ppm", device_kind="air_quality"),
    AnomalyRuleConfig(name="noise_anomaly", metric="laeq_db", device_kind="noise_level"),
]


class OperatorDeskConfig(Section):
    """An operator desk: the sites it watches, by id and/or by site kind (`"*"`: every site). An alarm goes to the
    first desk that matches its site; one with no site, or no match, to the first catch-all desk (else "main")."""

    name: Annotated[str, Field(min_length=1)]
    site_ids: list[str] = []
    site_kinds: list[str] = []


class FloodConfig(Section):
    """Alarm flood control (ISA-18.2): more than `max_alarms` raised at one desk in `window_s` groups the desk's new
    alarms (priority 1 excepted) into one summary alarm until the count has stayed at or below `end_below` (default
    half of `max_alarms`) for `end_hold_s`; then the grouped alarms still active come back one by one."""

    enabled: bool = True
    max_alarms: Annotated[int, Field(ge=1)] = 10
    window_s: Annotated[float, Field(gt=0)] = 600.0
    end_below: Annotated[int, Field(ge=0)] | None = None
    end_hold_s: Annotated[float, Field(ge=0)] = 300.0

    @pydantic.model_validator(mode="after")
    def _end_below_max(self) -> FloodConfig:
        if self.end_below is not None and self.end_below > self.max_alarms:
            raise ValueError(f"end_below ({self.end_below}) must not exceed max_alarms ({self.max_alarms})")
        return self


DEFAULT_DESKS = [
    OperatorDeskConfig(name="transport", site_kinds=["transport_hub"]),
    OperatorDeskConfig(name="fan_zones", site_kinds=["fan_zone"]),
    OperatorDeskConfig(name="venues", site_ids=["*"]),
]


class EngineConfig(Section):
    """The alarm engine. `clock = "data"` follows reading timestamps (for replays and accelerated sims)."""

    clock: Literal["wall", "data"] = "wall"
    absence_factor: Annotated[float, Field(gt=1)] = 3.0
    absence_check_s: Annotated[float, Field(gt=0)] = 5.0
    absence_priority: Annotated[int, Field(ge=1, le=4)] = 3
    threshold_rules: list[ThresholdRuleConfig] = DEFAULT_THRESHOLD_RULES
    event_rules: list[EventRuleConfig] = DEFAULT_EVENT_RULES
    rate_of_change_rules: list[RateOfChangeRuleConfig] = DEFAULT_RATE_OF_CHANGE_RULES
    stuck_value_rules: list[StuckValueRuleConfig] = DEFAULT_STUCK_VALUE_RULES
    geofence_rules: list[GeofenceRuleConfig] = DEFAULT_GEOFENCE_RULES
    window_count_rules: list[WindowCountRuleConfig] = DEFAULT_WINDOW_COUNT_RULES
    battery_low: BatteryLowConfig = BatteryLowConfig()
    tamper: TamperConfig = TamperConfig()
    anomaly_rules: list[AnomalyRuleConfig] = DEFAULT_ANOMALY_RULES
    min_retrigger_interval_s: Annotated[float, Field(ge=0)] = 30.0
    """Chatter filter: a re-trigger sooner than this after the previous one updates the alarm's counts silently."""
    flood: FloodConfig = FloodConfig()
    desks: list[OperatorDeskConfig] = DEFAULT_DESKS
