"""Small constructors of domain values for the engine tests."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from beffroi.domain.alarms import Alarm, AlarmKey, Priority, raise_alarm
from beffroi.domain.observations import Event, Position, Reading
from beffroi.domain.registry import DEVICE_PROFILES, Device, DeviceKind, Zone, ZoneKind
from beffroi.engine.anomaly.rules import AnomalyRule
from beffroi.engine.rules import (
    BatteryRule,
    EventRule,
    GeofenceRule,
    RateOfChangeRule,
    StuckValueRule,
    TamperRule,
    ThresholdRule,
    WindowCountRule,
)

TENANT = "t1"
T0 = 1_750_000_000.0


def device(
    device_id: str,
    kind: DeviceKind = DeviceKind.SMOKE_HEAT,
    *,
    tenant_id: str = TENANT,
    site_id: str = "site-a",
    zone_id: str | None = "zone-1",
    interval_s: float | None = None,
) -> Device:
    """A device of `kind` with its profile's metrics and interval (unless given)."""
    profile = DEVICE_PROFILES[kind]
    return Device(
        id=device_id,
        tenant_id=tenant_id,
        site_id=site_id,
        kind=kind,
        position=Position(2.35, 48.85),
        interval_s=profile.interval_s if interval_s is None else interval_s,
        metrics=list(profile.metrics),
        zone_id=zone_id,
    )


def reading(dev: Device, metric: str, value: float, ts: float) -> Reading:
    """A reading of `dev`, placed like the gateway does (site and zone from the registry)."""
    return Reading(dev.tenant_id, dev.id, metric, value, ts, dev.site_id, dev.zone_id)


def event(
    source: str,
    event_type: str,
    ts: float,
    *,
    tenant_id: str = TENANT,
    confidence: float = 1.0,
    site_id: str | None = None,
    zone_id: str | None = None,
    event_id: str | None = None,
) -> Event:
    """An event from `source`."""
    return Event(
        event_id=event_id or f"{source}-{event_type}-{ts}",
        tenant_id=tenant_id,
        type=event_type,
        source=source,
        ts=ts,
        site_id=site_id,
        zone_id=zone_id,
        confidence=confidence,
    )


def id_source(prefix: str = "id") -> Callable[[], str]:
    """A deterministic `new_id` for the alarm manager."""
    counter = itertools.count(1)
    return lambda: f"{prefix}-{next(counter)}"


def open_alarm(alarm_id: str, key: AlarmKey, ts: float = T0, *, priority: Priority = Priority.HIGH) -> Alarm:
    """A freshly raised alarm."""
    return raise_alarm(alarm_id, key, priority, "test alarm", ts)


SMOKE = ThresholdRule(
    name="smoke",
    device_kind="smoke_heat",
    metric="smoke_obscuration_pct_m",
    above=4.0,
    clear_at=2.0,
    for_s=0,
    priority=1,
    alarm_type="fire_alarm",
    message="Smoke detected",
)
HEAT = ThresholdRule(
    name="heat",
    device_kind="smoke_heat",
    metric="temperature_c",
    above=58.0,
    clear_at=50.0,
    for_s=10,
    priority=1,
    alarm_type="fire_alarm",
    message="Heat detector above 58 °C",
)
NOISE = ThresholdRule(
    name="noise", device_kind="noise_level", metric="laeq_db", above=105.0, clear_at=100.0, for_s=60, priority=4
)
BATTERY = ThresholdRule(
    name="battery", metric="battery_pct", below=15.0, clear_at=20.0, priority=4, alarm_type="battery_low"
)
THRESHOLD_RULES = (SMOKE, HEAT, NOISE, BATTERY)

EVENT_RULES = (
    EventRule(event_type="door_forced", priority=2, message="Door forced"),
    EventRule(event_type="tamper", priority=2, min_confidence=0.5),
    EventRule(event_type="fire_panel_alarm", priority=1, alarm_type="fire_alarm", message="Fire panel alarm"),
)

HEAT_RISE = RateOfChangeRule(
    name="heat_rise",
    device_kind="smoke_heat",
    metric="temperature_c",
    max_rate=8.0,
    per="min",
    window_s=120.0,
    clear_rate=2.0,
    direction="rise",
    priority=1,
    alarm_type="fire_alarm",
)
RATE_RULES = (HEAT_RISE,)

TEMPERATURE_STUCK = StuckValueRule(
    name="temperature_stuck", metric="temperature_c", min_count=5, for_s=240.0, alarm_type="sensor_stuck"
)
STUCK_RULES = (TEMPERATURE_STUCK,)

DOOR_DENIED = WindowCountRule(
    name="access_denied_repeated", event_type="access_denied", count=3, window_s=120.0, priority=3
)
NOISY = WindowCountRule(
    name="noise_peaks", metric="laeq_db", above=100.0, count=3, window_s=300.0, group_by="zone", priority=4
)
WINDOW_RULES = (DOOR_DENIED, NOISY)

BATTERY_LOW = BatteryRule()
TAMPER = TamperRule(quiet_s=120.0)
ANOMALY_RULES = (
    AnomalyRule(name="noise_anomaly", metric="laeq_db", device_kind="noise_level", params={"warmup_s": 0}),
    AnomalyRule(name="heat_anomaly", metric="temperature_c", algorithm="hst", params={"warmup_s": 0}),
)

# A square zone of about 220 m x 220 m around (2.35, 48.85) with a square hole of about 70 m in its middle.
ZONE_OUTER = [(2.3485, 48.849), (2.3515, 48.849), (2.3515, 48.851), (2.3485, 48.851), (2.3485, 48.849)]
ZONE_HOLE = [(2.3495, 48.8497), (2.3505, 48.8497), (2.3505, 48.8503), (2.3495, 48.8503), (2.3495, 48.8497)]
INSIDE = Position(2.3488, 48.8500)
IN_THE_HOLE = Position(2.3500, 48.8500)
OUTSIDE = Position(2.3550, 48.8500)


def zone(
    zone_id: str = "forbidden-1",
    kind: ZoneKind = ZoneKind.FORBIDDEN,
    *,
    tenant_id: str = TENANT,
    site_id: str = "site-a",
    rings: list[list[tuple[float, float]]] | None = None,
) -> Zone:
    """A zone (by default the square with a hole above)."""
    return Zone(
        id=zone_id,
        tenant_id=tenant_id,
        site_id=site_id,
        name=zone_id,
        kind=kind,
        polygon=rings if rings is not None else [ZONE_OUTER, ZONE_HOLE],
        area_m2=40_000.0,
        capacity=0,
    )


ZONES = (zone(),)
FORBIDDEN_ENTER = GeofenceRule(name="forbidden_enter", zone_kinds=("forbidden",), direction="enter", margin_m=5.0)
GEOFENCE_RULES = (FORBIDDEN_ENTER,)


def located(dev: Device, metric: str, value: float, ts: float, position: Position) -> Reading:
    """A reading of `dev` carrying a position, as a tracker's report places it."""
    return Reading(dev.tenant_id, dev.id, metric, value, ts, dev.site_id, dev.zone_id, position)
