"""Injected incidents: what each kind does to the affected devices' reports, and whom it affects.

Each kind makes its devices cross Beffroi's default alarm rules clearly during its window [start, end) and
only then: overcrowding (a zone's people counters above 0.9 of capacity), intrusion (PIR motion 1), fire
(smoke above 4 %/m at once, heat past 58 °C within about a minute, a `fire_panel_alarm` event), device_silent
(the device stops publishing), door_forced (a `door_forced` event, door open), fence_breach (vibration above
1.5 g in a burst of reports one second apart), panic (pressed 1), drone (a `drone_detected` event, drones ≥ 1).
Event-like kinds make their devices report at once at the start (and in bursts where the rule needs a
duration), and again at the end to show the return to normal.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Annotated, Literal

import msgspec

from beffroi.domain.registry import DeviceKind, ZoneKind
from beffroi.errors import ConfigError
from beffroi.sim.catalogue import Catalogue, SimDevice
from beffroi.sim.devices.base import Report
from beffroi.sim.payloads import DeviceEvent

IncidentKind = Literal[
    "overcrowding", "intrusion", "fire", "device_silent", "door_forced", "fence_breach", "panic", "drone"
]
INCIDENT_KINDS: tuple[IncidentKind, ...] = (
    "overcrowding",
    "intrusion",
    "fire",
    "device_silent",
    "door_forced",
    "fence_breach",
    "panic",
    "drone",
)

TARGET_KIND: dict[str, DeviceKind | None] = {
    "overcrowding": DeviceKind.PEOPLE_COUNTER,
    "intrusion": DeviceKind.INTRUSION_PIR,
    "fire": DeviceKind.SMOKE_HEAT,
    "device_silent": None,
    "door_forced": DeviceKind.ACCESS_CONTROL,
    "fence_breach": DeviceKind.PERIMETER_FENCE,
    "panic": DeviceKind.PANIC_BUTTON,
    "drone": DeviceKind.DRONE_DETECTOR,
}
"""The device kind an incident acts on (None: any)."""

EXPECTED_ALARMS: dict[str, list[str]] = {
    "overcrowding": ["overcrowding"],
    "intrusion": ["intrusion"],
    "fire": ["fire_alarm"],
    "device_silent": ["device_offline"],
    "door_forced": ["door_forced"],
    "fence_breach": ["fence_breach"],
    "panic": ["panic"],
    "drone": ["drone_detected"],
}
"""Alarm types Beffroi's default rules should raise for each kind."""

ZONE_WIDE = frozenset({"overcrowding", "fire", "intrusion"})
"""Kinds that affect every matching device of the zone unless one device is named."""

EXTRA_REPORT_OFFSETS: dict[str, tuple[float, ...]] = {
    "overcrowding": (),
    "intrusion": (0.0,),
    "fire": (0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0, 110.0, 120.0),
    "device_silent": (),
    "door_forced": (0.0,),
    "fence_breach": (0.0, 1.0, 2.0, 3.0, 4.0),
    "panic": (0.0,),
    "drone": (0.0, 5.0),
}
"""Reports the affected devices send out of their schedule, in seconds after the start (plus one at the end)."""

RANDOM_DURATION_S: dict[str, tuple[float, float]] = {
    "overcrowding": (300.0, 900.0),
    "intrusion": (60.0, 300.0),
    "fire": (300.0, 900.0),
    "device_silent": (600.0, 1800.0),
    "door_forced": (60.0, 180.0),
    "fence_breach": (30.0, 120.0),
    "panic": (120.0, 600.0),
    "drone": (120.0, 600.0),
}
SILENT_MIN_INTERVALS = 5.0
"""A random device_silent lasts at least this many reporting intervals (the absence rule waits for 3)."""


class IncidentSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An incident to inject `at_s` seconds after the simulation start, on a site/zone/device (drawn if absent)."""

    kind: IncidentKind
    at_s: Annotated[float, msgspec.Meta(ge=0)]
    site: str | None = None
    zone: str | None = None
    device: str | None = None
    duration_s: Annotated[float, msgspec.Meta(gt=0)] = 300.0


def to_spec(item: object, index: int) -> IncidentSpec:
    """An IncidentSpec from a spec, a mapping, or any object with the same attributes (a config entry)."""
    if isinstance(item, IncidentSpec):
        return item
    try:
        if isinstance(item, Mapping):
            return msgspec.convert(dict(item), IncidentSpec)
        return msgspec.convert(item, IncidentSpec, from_attributes=True)
    except msgspec.ValidationError as error:
        raise ConfigError("simulator", [f"incidents[{index}]: {error}"]) from None


class Incident:
    """A planned incident: its window in scenario time and the devices it acts on."""

    __slots__ = ("devices", "end", "id", "kind", "site_id", "source", "start", "zone_capacity", "zone_id")

    def __init__(
        self,
        *,
        id: str,
        kind: str,
        source: str,
        start: float,
        end: float,
        site_id: str,
        zone_id: str | None,
        devices: list[SimDevice],
        zone_capacity: int = 0,
    ) -> None:
        self.id = id
        self.kind = kind
        self.source = source
        self.start = start
        self.end = end
        self.site_id = site_id
        self.zone_id = zone_id
        self.devices = devices
        self.zone_capacity = zone_capacity

    def extra_report_times(self) -> list[float]:
        """Out-of-schedule report times of the affected devices (in the window, then the end)."""
        duration = self.end - self.start
        return [self.start + offset for offset in EXTRA_REPORT_OFFSETS[self.kind] if offset < duration] + [self.end]


def _problem(index: int | None, field: str, message: str) -> ConfigError:
    where = f"incidents[{index}].{field}" if index is not None else f"random incident {field}"
    return ConfigError("simulator", [f"{where}: {message}"])


def _zone_mates(catalogue: Catalogue, anchor: SimDevice, kind: DeviceKind) -> list[SimDevice]:
    return [d for d in catalogue.select(kind=kind, site_id=anchor.site_id) if d.zone_id == anchor.zone_id]


def _overcrowding_candidates(catalogue: Catalogue, counters: list[SimDevice]) -> list[SimDevice]:
    """People counters in zones with a capacity, those at gates when there are any."""
    usable: list[SimDevice] = []
    at_gates: list[SimDevice] = []
    for counter in counters:
        zone = catalogue.zones.get(counter.zone_id) if counter.zone_id is not None else None
        if zone is not None and zone.capacity > 0:
            usable.append(counter)
            if zone.kind is ZoneKind.GATE:
                at_gates.append(counter)
    return at_gates or usable


def resolve_targets(
    spec: IncidentSpec, catalogue: Catalogue, rng: random.Random, index: int | None = None
) -> tuple[str, str | None, list[SimDevice]]:
    """(site, zone, affected devices) of an incident; raises ConfigError naming what cannot be found."""
    needed = TARGET_KIND[spec.kind]
    if spec.site is not None and spec.site not in {s.id for s in catalogue.sites}:
        raise _problem(index, "site", f"{spec.site!r} is not a simulated site")
    if spec.zone is not None:
        zone = catalogue.zones.get(spec.zone)
        if zone is None:
            raise _problem(index, "zone", f"{spec.zone!r} is not a zone of a simulated site")
        if spec.site is not None and zone.site_id != spec.site:
            raise _problem(index, "zone", f"{spec.zone!r} is not in site {spec.site!r}")
    named = spec.device is not None
    if spec.device is not None:
        anchor = catalogue.device(spec.device)
        if anchor is None:
            raise _problem(index, "device", f"{spec.device!r} is not a device of a simulated site")
        if needed is not None and anchor.kind is not needed:
            raise _problem(index, "device", f"{spec.kind} needs a {needed} device, {spec.device!r} is a {anchor.kind}")
        if spec.site is not None and anchor.site_id != spec.site:
            raise _problem(index, "device", f"{spec.device!r} is not in site {spec.site!r}")
        if spec.zone is not None and anchor.zone_id != spec.zone:
            raise _problem(index, "device", f"{spec.device!r} is not in zone {spec.zone!r}")
        if spec.kind == "overcrowding" and _overcrowding_candidates(catalogue, [anchor]) == []:
            raise _problem(index, "device", f"{spec.device!r} is not in a zone with a capacity")
    else:
        candidates = catalogue.select(kind=needed, site_id=spec.site, zone_id=spec.zone)
        if spec.kind == "overcrowding":
            candidates = _overcrowding_candidates(catalogue, candidates)
        if not candidates:
            place = spec.zone or spec.site or "the simulated sites"
            what = f"{needed} device" if needed is not None else "device"
            suffix = " in a zone with a capacity" if spec.kind == "overcrowding" else ""
            raise _problem(index, "kind", f"{spec.kind}: no {what}{suffix} in {place}")
        anchor = rng.choice(candidates)
    devices = [anchor]
    if needed is not None and spec.kind in ZONE_WIDE and (not named or spec.kind == "overcrowding"):
        devices = [anchor, *(d for d in _zone_mates(catalogue, anchor, needed) if d is not anchor)]
        if spec.kind == "overcrowding":
            devices += _zone_mates(catalogue, anchor, DeviceKind.CAMERA)
    return anchor.site_id, anchor.zone_id, devices


def random_spec(rng: random.Random, kinds: list[IncidentKind], at_s: float) -> IncidentSpec:
    """An incident of a random kind (among `kinds`) with a random duration; the target is drawn later."""
    kind = rng.choice(kinds)
    low, high = RANDOM_DURATION_S[kind]
    return IncidentSpec(kind=kind, at_s=at_s, duration_s=round(rng.uniform(low, high), 1))


def available_kinds(catalogue: Catalogue) -> list[IncidentKind]:
    """The kinds that have a device to act on among the simulated sites."""
    kinds: list[IncidentKind] = []
    for kind in INCIDENT_KINDS:
        needed = TARGET_KIND[kind]
        candidates = catalogue.select(kind=needed)
        if kind == "overcrowding":
            candidates = _overcrowding_candidates(catalogue, candidates)
        if candidates:
            kinds.append(kind)
    return kinds


def apply_incident(incident: Incident, device: SimDevice, report: Report, t: float) -> None:
    """Change `report` of `device` at `t` (inside the incident's window) as the incident's kind does."""
    elapsed = t - incident.start
    value = report.value
    kind = incident.kind
    first = elapsed == 0.0 and device is incident.devices[0]
    if kind == "overcrowding":
        ratio = 0.93 + 0.07 * min(1.0, elapsed / 180.0) + 0.01 * math.sin(elapsed / 23.0)
        if device.kind is DeviceKind.PEOPLE_COUNTER:
            value["occupancy_ratio"] = round(ratio, 4)
            value["occupancy"] = round(ratio * incident.zone_capacity)
        elif device.kind is DeviceKind.CAMERA:
            value["people_count"] = round(value["people_count"] * 1.6 + 5)
    elif kind == "intrusion":
        value["motion"] = 1
    elif kind == "fire":
        value["smoke_obscuration_pct_m"] = round(6.0 + 6.0 * min(1.0, elapsed / 60.0) + 0.3 * math.sin(elapsed), 2)
        rise = 50.0 * min(1.0, (elapsed + 30.0) / 120.0)
        value["temperature_c"] = round(value["temperature_c"] + rise, 2)
        if first:
            report.event = DeviceEvent("fire_panel_alarm", 1.0, {"detector": device.id})
    elif kind == "door_forced":
        value["door_open"] = 1
        if first:
            report.event = DeviceEvent("door_forced", 1.0, {"door": device.id})
    elif kind == "fence_breach":
        value["vibration_g"] = round(2.2 + 0.8 * abs(math.sin(elapsed * 1.7)), 3)
    elif kind == "panic":
        value["pressed"] = 1
    elif kind == "drone":
        value["drones_detected"] = 1
        value["rf_activity_dbm"] = round(-52.0 + 3.0 * math.sin(elapsed / 7.0), 1)
        if first:
            report.event = DeviceEvent("drone_detected", 0.9, {"protocol": "DJI OcuSync", "band": "2.4GHz"})
