"""Sample domain objects for the store tests."""

from __future__ import annotations

from beffroi.domain.alarms import Alarm, AlarmKey, Priority, raise_alarm
from beffroi.domain.observations import Event, Position, Reading
from beffroi.domain.registry import Device, DeviceKind, Site, Tenant, Zone, ZoneKind
from beffroi.store.store import Store

T0 = 1_720_000_000.0  # 2024-07-03T09:46:40Z


def tenant(tenant_id: str = "paris") -> Tenant:
    """A tenant."""
    return Tenant(id=tenant_id, name=f"Tenant {tenant_id}")


def site(tenant_id: str = "paris", site_id: str = "stade") -> Site:
    """A site of the tenant."""
    return Site(
        id=site_id,
        tenant_id=tenant_id,
        name=f"Site {site_id}",
        kind="stadium",
        position=Position(2.36, 48.92),
        city="X",
    )


def zone(tenant_id: str = "paris", site_id: str = "stade", zone_id: str = "gate-a") -> Zone:
    """A square zone of the site."""
    ring = [(2.36, 48.92), (2.361, 48.92), (2.361, 48.921), (2.36, 48.921), (2.36, 48.92)]
    return Zone(
        id=zone_id,
        tenant_id=tenant_id,
        site_id=site_id,
        name=f"Zone {zone_id}",
        kind=ZoneKind.GATE,
        polygon=[ring],
        area_m2=8_100.5,
        capacity=20_000,
    )


def device(
    tenant_id: str = "paris", site_id: str = "stade", device_id: str = "pc-1", zone_id: str | None = None
) -> Device:
    """A people counter of the site."""
    return Device(
        id=device_id,
        tenant_id=tenant_id,
        site_id=site_id,
        kind=DeviceKind.PEOPLE_COUNTER,
        position=Position(2.3605, 48.9205),
        interval_s=10.0,
        metrics=["count_in", "count_out"],
        zone_id=zone_id,
        model="acme-3000",
    )


def load_registry(store: Store, tenant_id: str = "paris") -> None:
    """One tenant with one site, one zone and two devices (one placed in the zone)."""
    store.upsert_tenants([tenant(tenant_id)])
    store.upsert_sites([site(tenant_id)])
    store.upsert_zones([zone(tenant_id)])
    store.upsert_devices([device(tenant_id, zone_id="gate-a"), device(tenant_id, device_id="pc-2")])


def reading(
    tenant_id: str = "paris", device_id: str = "pc-1", metric: str = "count_in", ts: float = T0, value: float = 1.0
) -> Reading:
    """A reading placed on the sample site."""
    return Reading(
        tenant_id=tenant_id,
        device_id=device_id,
        metric=metric,
        value=value,
        ts=ts,
        site_id="stade",
        zone_id="gate-a",
        position=Position(2.3605, 48.9205),
    )


def event(tenant_id: str = "paris", event_id: str = "ev-1", ts: float = T0, type: str = "door_forced") -> Event:
    """An event with attributes of every allowed kind."""
    return Event(
        event_id=event_id,
        tenant_id=tenant_id,
        type=type,
        source="acs-1",
        ts=ts,
        site_id="stade",
        zone_id="gate-a",
        position=Position(2.36, 48.92),
        confidence=0.75,
        attributes={"door": "D12", "count": 3, "ratio": 0.5, "forced": True, "note": None},
    )


def alarm(
    tenant_id: str = "paris", alarm_id: str = "al-1", source: str = "pc-1", type: str = "density", ts: float = T0
) -> Alarm:
    """A new unacknowledged alarm."""
    key = AlarmKey(tenant_id=tenant_id, source=source, type=type, site_id="stade", zone_id="gate-a")
    return raise_alarm(alarm_id, key, Priority.HIGH, "density amber at gate A", ts, value=3.8)
