"""The live state of one device and one zone: what the readings and the open alarms make of them.

Plain slotted classes, updated in place on the reading path (no allocation per reading); `state()` builds the
wire form only when a change is sent or a snapshot taken.
"""

from __future__ import annotations

import math
from enum import IntEnum

from beffroi.api.live.frames import DeviceState, Health, Level, ZoneState
from beffroi.api.live.levels import alarm_level, density_level, density_limits, device_health, worse
from beffroi.domain.alarms import Alarm, Priority
from beffroi.domain.registry import Device, DeviceKind, Zone
from beffroi.engine.detectors.absence import ALARM_TYPE as DEVICE_OFFLINE

COUNT_METRICS: dict[DeviceKind, str] = {
    DeviceKind.CROWD_ESTIMATE: "people",
    DeviceKind.PEOPLE_COUNTER: "occupancy",
    DeviceKind.CAMERA: "people_count",
}
"""The metric by which a device of this kind counts the people in its zone."""

BATTERY_METRIC = "battery_pct"


class AlarmEffect(IntEnum):
    """What an open alarm of a device does to its health."""

    NONE = 0  # a device_offline alarm whose device reports again (awaiting acknowledgement)
    SILENT = 1  # an active device_offline alarm
    IN_ALARM = 2  # any other alarm


def alarm_effect(alarm: Alarm) -> AlarmEffect:
    """The effect of an open, annunciated alarm on its device's health."""
    if alarm.key.type == DEVICE_OFFLINE:
        return AlarmEffect.SILENT if alarm.condition_active else AlarmEffect.NONE
    return AlarmEffect.IN_ALARM


DeviceKey = tuple[str, str | None, Health, int | None, int]
ZoneKey = tuple[str, int | None, float | None, Level, int]


def whole_percent(value: float) -> int | None:
    """A battery level as a whole percentage in 0..100; None for a value that is not a number."""
    if not math.isfinite(value):
        return None
    return min(100, max(0, round(value)))


class DeviceLive:
    """A device's latest battery, newest reading time, count of people (counters and cameras) and open alarms."""

    __slots__ = (
        "alarms",
        "battery_pct",
        "battery_ts",
        "count_metric",
        "count_ts",
        "count_value",
        "device",
        "emitted",
        "id",
        "last_seen",
        "zone",
    )

    def __init__(self, device: Device, zone: ZoneLive | None) -> None:
        self.device = device
        self.id = device.id
        self.zone = zone
        self.count_metric = COUNT_METRICS.get(device.kind)
        self.battery_pct: int | None = None
        self.battery_ts = -math.inf
        self.count_value: float | None = None
        self.count_ts = -math.inf
        self.last_seen: float | None = None
        self.alarms: dict[str, AlarmEffect] = {}  # open, annunciated alarm id -> what it does to the health
        self.emitted: DeviceKey | None = None  # what was last sent

    def adopt(self, previous: DeviceLive) -> None:
        """Carry over what the readings told about the same device before a registry reload."""
        self.battery_pct, self.battery_ts = previous.battery_pct, previous.battery_ts
        self.count_value, self.count_ts = previous.count_value, previous.count_ts
        self.last_seen = previous.last_seen
        self.emitted = previous.emitted

    @property
    def site_id(self) -> str:
        """The device's site."""
        return self.device.site_id

    def health(self, low_battery_pct: int) -> Health:
        """in_alarm > silent > low_battery > ok."""
        effects = self.alarms.values()
        return device_health(
            other_alarms=AlarmEffect.IN_ALARM in effects,
            silent=AlarmEffect.SILENT in effects,
            battery_pct=self.battery_pct,
            low_battery_pct=low_battery_pct,
        )

    def key(self, low_battery_pct: int) -> DeviceKey:
        """What, when it changes, is sent to the clients."""
        return (
            self.device.site_id,
            self.device.zone_id,
            self.health(low_battery_pct),
            self.battery_pct,
            len(self.alarms),
        )

    def state(self, low_battery_pct: int) -> DeviceState:
        """The wire form."""
        return DeviceState(
            id=self.id,
            site_id=self.device.site_id,
            zone_id=self.device.zone_id,
            health=self.health(low_battery_pct),
            last_seen=self.last_seen,
            battery_pct=self.battery_pct,
            alarms=len(self.alarms),
        )


class ZoneLive:
    """A zone's counting devices and open alarms; its count, density and level are derived from them."""

    __slots__ = ("alarms", "cameras", "counters", "emitted", "emitted_at", "estimates", "id", "limits", "zone")

    def __init__(self, zone: Zone) -> None:
        self.zone = zone
        self.id = zone.id
        self.limits = density_limits(zone.kind)
        self.estimates: list[DeviceLive] = []  # the crowd worker's fused figure of the zone: preferred
        self.counters: list[DeviceLive] = []  # people counters: their occupancy
        self.cameras: list[DeviceLive] = []  # cameras: their people_count, used when no counter has reported
        self.alarms: dict[str, Priority] = {}  # open, annunciated alarm id -> its priority
        self.emitted: ZoneState | None = None  # what was last sent
        self.emitted_at = -math.inf

    @property
    def site_id(self) -> str:
        """The zone's site."""
        return self.zone.site_id

    def add_device(self, device: DeviceLive) -> None:
        """Count the people this device reports, when it is the fused estimate, a counter or a camera."""
        if device.device.kind is DeviceKind.CROWD_ESTIMATE:
            self.estimates.append(device)
        elif device.device.kind is DeviceKind.PEOPLE_COUNTER:
            self.counters.append(device)
        elif device.device.kind is DeviceKind.CAMERA:
            self.cameras.append(device)

    def count(self) -> int | None:
        """People in the zone: the fused estimate (every source of the zone), else the people counters' occupancy,
        else the cameras' count; None when none reports."""
        for devices in (self.estimates, self.counters, self.cameras):
            values = [device.count_value for device in devices if device.count_value is not None]
            if values:
                return max(0, round(sum(values)))
        return None

    def key(self) -> ZoneKey:
        """What, when it changes, is sent to the clients."""
        count = self.count()
        area = self.zone.area_m2
        density = round(count / area, 3) if count is not None and area > 0 else None
        most_urgent = min(self.alarms.values()) if self.alarms else None
        level = worse(density_level(density, self.limits), alarm_level(most_urgent))
        return (self.zone.site_id, count, density, level, len(self.alarms))

    def state(self, key: ZoneKey, now: float) -> ZoneState:
        """The wire form of `key`, stamped `now`."""
        site_id, count, density, level, alarms = key
        return ZoneState(
            id=self.id, site_id=site_id, count=count, density=density, level=level, alarms=alarms, updated_at=now
        )

    @staticmethod
    def key_of(state: ZoneState) -> ZoneKey:
        """The key a sent state was made of."""
        return (state.site_id, state.count, state.density, state.level, state.alarms)
