"""The world the API tests run in: tenants city-a and city-b (same site, zone and device ids), one user per role in
each, a few alarms, readings, events, audit entries and dead letters, and tokens to call the API with."""

from __future__ import annotations

from pathlib import Path

import argon2

from beffroi.api.auth.roles import Role
from beffroi.api.auth.tokens import LocalTokens
from beffroi.api.camera_hub import CameraInfo
from beffroi.domain.alarms import Alarm, AlarmKey, Priority, raise_alarm
from beffroi.domain.alarms import clear as clear_alarm
from beffroi.domain.observations import Event, Position, Reading
from beffroi.domain.records import AuditEntry, DeadLetter
from beffroi.domain.registry import Device, DeviceKind, Site, Zone, ZoneKind
from beffroi.store.store import Store
from beffroi.store.users import UserRecord
from beffroi.workers.registry_loader import load_registry_from_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios" / "tests"
TENANT_A, TENANT_B = "city-a", "city-b"
SITE, ZONE, DEVICE = "square", "square-plaza", "square-plaza-pc-01"
B_SITE, B_ZONE, B_DEVICE = "annex", "annex-hall", "annex-hall-pc-01"  # exist in city-b only
SECRET = "test-secret-of-the-api-0123456789abcdef"
PASSWORD = "correct horse battery staple"
T0 = 1_722_002_400.0  # 2024-07-26T14:00:00Z
CHEAP_HASHER = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
TOKENS = LocalTokens(SECRET, 3600)
CAMERA, SNAPSHOT_EVENT, T_FRAME = "square-plaza-video", "square-plaza-video-evt-1", T0 + 5.0
FRAME_JPEG = b"\xff\xd8\xff\xe0 a jpeg of the square \xff\xd9"
CAMERA_INFO = CameraInfo(
    id=CAMERA,
    tenant_id=TENANT_A,
    site_id=SITE,
    zone_id=ZONE,
    position=(4.8314, 45.7576),
    heading_deg=45.0,
    fov_deg=70.0,
    range_m=35.0,
    detector="fallback",
    analytics={"forbidden_zone": "forbidden_zone", "zone_count": "counting"},
)
"""A camera of city-a that a video worker analyses in the API's process."""


def token(tenant: str, role: Role | str) -> str:
    """A valid token of the user named after the role (`viewer`, `operator`…) in the tenant."""
    role = Role(role)
    return TOKENS.issue(role.value, tenant, role).token


def headers(tenant: str, role: Role | str) -> dict[str, str]:
    """Authorization headers of that user."""
    return {"Authorization": f"Bearer {token(tenant, role)}"}


def alarm(tenant: str, alarm_id: str, source: str, priority: Priority, raised_at: float) -> Alarm:
    """An unacknowledged alarm on the square."""
    key = AlarmKey(tenant_id=tenant, source=source, type="test_alarm", site_id=SITE, zone_id=ZONE)
    return raise_alarm(alarm_id, key, priority, f"{alarm_id} raised", raised_at, value=1.0)


def fill(store: Store) -> None:
    """Load both scenarios, the city-b annex, users, alarms, readings, events, audit entries and dead letters."""
    store.migrate()
    for name in ("two_tenants_a.json", "two_tenants_b.json"):
        load_registry_from_scenario(store, SCENARIOS / name)
    _annex(store)
    password_hash = CHEAP_HASHER.hash(PASSWORD)
    for tenant in (TENANT_A, TENANT_B):
        for role in Role:
            store.upsert_user(UserRecord(tenant, role.value, password_hash, role.value, role.value.title(), False, T0))
        store.upsert_user(UserRecord(tenant, "ghost", password_hash, "admin", "Disabled", True, T0))
    store.save_alarms(
        [
            alarm(TENANT_A, "a-low-old", "square-plaza-noise-01", Priority.LOW, T0),
            alarm(TENANT_A, "a-critical", "square-gate-panic-01", Priority.CRITICAL, T0 + 10),
            alarm(TENANT_A, "a-low-new", "square-plaza-cam-01", Priority.LOW, T0 + 20),
            clear_alarm(alarm(TENANT_A, "a-cleared", DEVICE, Priority.HIGH, T0 - 100), T0 - 50, "someone"),
            alarm(TENANT_B, "b-critical", "square-gate-panic-01", Priority.CRITICAL, T0),
        ]
    )
    for tenant, base in ((TENANT_A, 10.0), (TENANT_B, 1000.0)):
        store.insert_readings(
            [Reading(tenant, DEVICE, "occupancy", base + i, T0 + 30 * i, SITE, ZONE) for i in range(10)]
        )
        store.insert_events(
            [
                Event(f"{tenant}-ev-{i}", tenant, kind, "square-gate-pc-01", T0 + i, SITE, ZONE)
                for i, kind in enumerate(("door_forced", "tamper", "door_forced"))
            ]
        )
        store.append_audit([AuditEntry(f"{tenant}-au", T0, tenant, "admin", "seed", "tenant", tenant)])
        store.insert_dead_letters(
            [DeadLetter(f"{tenant}-dl", T0, "mqtt", "bad_json", "not JSON", b"\x00\xffraw", tenant)]
        )
    store.insert_dead_letters([DeadLetter("anon-dl", T0, "mqtt", "unknown_tenant", "who?", b"?")])
    from tests.api.incident_world import fill_incidents  # it imports this module's names

    fill_incidents(store)


def _annex(store: Store) -> None:
    ring = [(-0.5760, 44.8440), (-0.5750, 44.8440), (-0.5750, 44.8445), (-0.5760, 44.8445), (-0.5760, 44.8440)]
    store.upsert_sites([Site(B_SITE, TENANT_B, "Annex", "hall", Position(-0.5755, 44.84425), "Bordeaux")])
    store.upsert_zones([Zone(B_ZONE, TENANT_B, B_SITE, "Hall", ZoneKind.CONCOURSE, [ring], 4400.0, 800)])
    store.upsert_devices(
        [
            Device(
                B_DEVICE,
                TENANT_B,
                B_SITE,
                DeviceKind.PEOPLE_COUNTER,
                Position(-0.5755, 44.84425),
                10.0,
                ["occupancy"],
                B_ZONE,
            )
        ]
    )
