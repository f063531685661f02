"""Fixtures of the store tests: a migrated `Store` on a fresh SQLite file and on PostgreSQL, and sample rows.

PostgreSQL gets one uniquely named database per test session (created and dropped through the admin URL);
its tables are emptied before each test.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from beffroi.domain.alarms import Alarm, AlarmKey, Priority, raise_alarm
from beffroi.domain.observations import Event, Position, Reading
from beffroi.domain.registry import Device, DeviceKind, Site, Tenant, Zone, ZoneKind
from beffroi.store.store import Store
from beffroi.store.tables import metadata
from tests.services import POSTGRES_ADMIN_URL, require_service

T0 = 1_720_000_000.0  # 2024-07-03T09:46:40Z


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a fresh, migrated PostgreSQL database for this session; dropped at the end."""
    require_service("postgres")
    admin_url = sa.make_url(POSTGRES_ADMIN_URL)
    name = f"beffroi_test_store_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = admin_url.set(database=name).render_as_string(hide_password=False)
        store = Store(url)
        store.migrate()
        store.close()
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _empty_postgres_tables(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            names = ", ".join(table.name for table in metadata.sorted_tables)
            connection.exec_driver_sql(f"TRUNCATE {names}")
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty store, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        opened = Store(f"sqlite:///{tmp_path}/beffroi.db")
        opened.migrate()
    else:
        url = request.getfixturevalue("postgres_url")
        _empty_postgres_tables(url)
        opened = Store(url)
    yield opened
    opened.close()


# sample domain objects


def tenant(tenant_id: str = "paris") -> Tenant:
    """A tenant."""
    return Tenant(id=tenant_id, name=f"Tenant {tenant_id}")


def site(tenant_id: str = "paris", site_id: str = "stade") -> Site:
    """A site of the tenant."""
    return Site(
        id=site_id, tenant_id=tenant_id, name=f"Site {site_id}", kind="stadium", position=Position(2.36, 48.92), city="X"
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


def device(tenant_id: str = "paris", site_id: str = "stade", device_id: str = "pc-1", zone_id: str | None = None) -> Device:
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
