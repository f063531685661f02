"""The registry: tenants, sites, zones and devices."""

from __future__ import annotations

from enum import StrEnum

import msgspec

from beffroi.domain.observations import Position


class ZoneKind(StrEnum):
    """What a zone is used for; drives default crowd thresholds and alarm priorities."""

    GATE = "gate"
    STAND = "stand"
    CONCOURSE = "concourse"
    FIELD = "field"
    FAN_ZONE = "fan_zone"
    PLAZA = "plaza"
    PLATFORM = "platform"
    PERIMETER = "perimeter"
    FORBIDDEN = "forbidden"
    TECHNICAL = "technical"
    PARKING = "parking"
    WATER = "water"


class DeviceKind(StrEnum):
    """The kinds of device Beffroi knows how each reports."""

    PEOPLE_COUNTER = "people_counter"
    TURNSTILE = "turnstile"
    ACCESS_CONTROL = "access_control"
    INTRUSION_PIR = "intrusion_pir"
    PERIMETER_FENCE = "perimeter_fence"
    SMOKE_HEAT = "smoke_heat"
    AIR_QUALITY = "air_quality"
    NOISE_LEVEL = "noise_level"
    TEMPERATURE = "temperature"
    PANIC_BUTTON = "panic_button"
    CAMERA = "camera"
    GPS_TRACKER = "gps_tracker"
    DRONE_DETECTOR = "drone_detector"
    CROWD_ESTIMATE = "crowd_estimate"
    """Not a sensor: a zone's fused crowd figure (people, density, level of service), one per zone, from the crowd
    worker, which fuses every source of counts of the zone."""


class Tenant(msgspec.Struct, frozen=True):
    """An organisation (a city, a venue operator, a state body). Every row belongs to exactly one tenant."""

    id: str
    name: str


class Site(msgspec.Struct, frozen=True):
    """A venue."""

    id: str
    tenant_id: str
    name: str
    kind: str
    position: Position
    city: str = ""


class Zone(msgspec.Struct, frozen=True):
    """A polygon inside a site. `polygon` is GeoJSON Polygon coordinates: rings of [lon, lat], outer first.

    `width_m`, where known, is the clear width people walk through (metres: a gate's opening, a corridor's or a
    platform access's width); with it the zone's flow per metre gets its Fruin walkway level of service."""

    id: str
    tenant_id: str
    site_id: str
    name: str
    kind: ZoneKind
    polygon: list[list[tuple[float, float]]]
    area_m2: float
    capacity: int
    width_m: float | None = None


class Device(msgspec.Struct, frozen=True):
    """A sensor or camera with its place, kind, metrics and expected reporting interval (seconds)."""

    id: str
    tenant_id: str
    site_id: str
    kind: DeviceKind
    position: Position
    interval_s: float
    metrics: list[str]
    zone_id: str | None = None
    model: str = ""


class DeviceProfile(msgspec.Struct, frozen=True):
    """How a kind of device reports: its numeric metrics, the event types it may send, its usual interval."""

    metrics: tuple[str, ...]
    events: tuple[str, ...]
    interval_s: float
    battery: bool


DEVICE_PROFILES: dict[DeviceKind, DeviceProfile] = {
    DeviceKind.PEOPLE_COUNTER: DeviceProfile(
        ("count_in", "count_out", "occupancy", "occupancy_ratio"), (), 10.0, False
    ),
    DeviceKind.TURNSTILE: DeviceProfile(("passages", "denied"), ("access_denied",), 10.0, False),
    DeviceKind.ACCESS_CONTROL: DeviceProfile(
        ("door_open",), ("door_forced", "door_held_open", "access_denied"), 30.0, False
    ),
    DeviceKind.INTRUSION_PIR: DeviceProfile(("motion", "battery_pct"), ("tamper",), 60.0, True),
    DeviceKind.PERIMETER_FENCE: DeviceProfile(("vibration_g",), ("tamper",), 30.0, False),
    DeviceKind.SMOKE_HEAT: DeviceProfile(
        ("smoke_obscuration_pct_m", "temperature_c", "battery_pct"), ("fire_panel_alarm",), 60.0, True
    ),
    DeviceKind.AIR_QUALITY: DeviceProfile(("pm2_5_ug_m3", "pm10_ug_m3", "no2_ug_m3", "co2_ppm"), (), 60.0, False),
    DeviceKind.NOISE_LEVEL: DeviceProfile(("laeq_db", "lamax_db"), (), 30.0, False),
    DeviceKind.TEMPERATURE: DeviceProfile(("temperature_c", "humidity_pct"), (), 60.0, True),
    DeviceKind.PANIC_BUTTON: DeviceProfile(("pressed", "battery_pct"), (), 300.0, True),
    DeviceKind.CAMERA: DeviceProfile(("online", "fps", "people_count"), ("tamper",), 30.0, False),
    DeviceKind.GPS_TRACKER: DeviceProfile(("speed_m_s", "battery_pct"), (), 15.0, True),
    DeviceKind.DRONE_DETECTOR: DeviceProfile(("drones_detected", "rf_activity_dbm"), ("drone_detected",), 20.0, False),
    DeviceKind.CROWD_ESTIMATE: DeviceProfile(
        (
            # the fused figure
            "people",
            "people_sd",
            "density",
            "density_sd",
            "level",
            # people forecast 15 and 30 min ahead: median, interval low and high
            "forecast_15",
            "forecast_15_lo",
            "forecast_15_hi",
            "forecast_30",
            "forecast_30_lo",
            "forecast_30_hi",
            # people each kind of source alone says, and its share of the fused figure's precision
            "people_occupancy",
            "people_video",
            "people_mobile",
            "weight_counter",
            "weight_occupancy",
            "weight_video",
            "weight_mobile",
        ),
        (),
        60.0,
        False,
    ),
}
"""The default profile of each device kind; a scenario may override a device's interval."""
SENSOR_KINDS = frozenset(DeviceKind) - {DeviceKind.CROWD_ESTIMATE}
"""The kinds of real devices (what a scenario or an import may declare): all but the crowd worker's estimates."""
