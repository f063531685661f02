"""The hub alone, its clock driven by the test: sequence numbers and resumption, zone coalescing and levels, device
health, alarms that do not count, registry reloads, the slow-client bound, and one encoding per sites filter."""

from __future__ import annotations

import json
from typing import Any

import pytest

from beffroi.api.live import LiveHub, LiveSettings
from beffroi.api.live.cursor import BadCursor, Cursor
from beffroi.api.live.levels import MOVING_ZONE_KINDS, DensityLimits, density_level
from beffroi.domain.alarms import Alarm, AlarmKey, Priority, raise_alarm, shelve
from beffroi.domain.messages import AlarmChange, AlarmChangeKind
from beffroi.domain.observations import Position, Reading
from beffroi.domain.registry import Device, DeviceKind, Zone, ZoneKind

T0 = 1_722_002_400.0
TENANT = "city"
RING = [[(0.0, 0.0), (0.001, 0.0), (0.001, 0.001), (0.0, 0.0)]]


def zone(zone_id: str, kind: ZoneKind, area_m2: float, site: str = "site-1") -> Zone:
    return Zone(zone_id, TENANT, site, zone_id, kind, RING, area_m2, 1000)


def device(device_id: str, kind: DeviceKind, zone_id: str | None, site: str = "site-1") -> Device:
    return Device(device_id, TENANT, site, kind, Position(0.0, 0.0), 10.0, [], zone_id)


ZONES = [
    zone("stand", ZoneKind.STAND, 100.0),
    zone("hall", ZoneKind.CONCOURSE, 100.0),
    zone("far", ZoneKind.PLAZA, 50.0, "site-2"),
]
DEVICES = [
    device("stand-pc", DeviceKind.PEOPLE_COUNTER, "stand"),
    device("hall-pc", DeviceKind.PEOPLE_COUNTER, "hall"),
    device("hall-pir", DeviceKind.INTRUSION_PIR, "hall"),
    device("far-pc", DeviceKind.PEOPLE_COUNTER, "far", "site-2"),
]


class ManualClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def hub(clock: ManualClock) -> LiveHub:
    hub = LiveHub(LiveSettings(), clock=clock, epoch="run1")
    hub.replace_registry(TENANT, ZONES, DEVICES)
    hub.load_alarms([])
    hub.tick()
    return hub


def reading(device_id: str, metric: str, value: float, ts: float = T0) -> Reading:
    return Reading(TENANT, device_id, metric, value, ts)


def alarm(alarm_id: str, source: str, zone_id: str | None, priority: Priority = Priority.HIGH, ts: float = T0) -> Alarm:
    return raise_alarm(alarm_id, AlarmKey(TENANT, source, "intrusion", "site-1", zone_id), priority, "seen", ts)


def changes(frame: bytes | None) -> list[dict[str, Any]]:
    assert frame is not None
    decoded: dict[str, Any] = json.loads(frame)
    assert decoded["type"] == "changes"
    return decoded["changes"]  # type: ignore[no-any-return]


async def drain(hub: LiveHub, subscriber: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while subscriber.waiting:
        found += changes(await subscriber.next_frame(0.01))
    return found


async def test_a_zone_is_sent_at_most_once_per_interval_with_its_newest_count(hub: LiveHub, clock: ManualClock) -> None:
    subscriber = hub.connect(TENANT, None, None).subscriber
    hub.apply_readings(TENANT, [reading("stand-pc", "occupancy", 100.0)])
    clock.now += 1.0
    hub.tick()
    hub.apply_readings(TENANT, [reading("stand-pc", "occupancy", 120.0, T0 + 1)])
    clock.now += 0.5
    hub.tick()
    hub.apply_readings(TENANT, [reading("stand-pc", "occupancy", 150.0, T0 + 2)])
    clock.now += 0.25
    hub.tick()
    sent = await drain(hub, subscriber)
    assert [c["data"]["count"] for c in sent] == [100]  # the zone was sent less than a second ago

    clock.now += 0.25
    hub.tick()
    sent = await drain(hub, subscriber)
    assert [c["data"]["count"] for c in sent] == [150]  # 120 was never sent: only the newest state
    assert sent[0]["data"]["updated_at"] == clock.now


@pytest.mark.parametrize(
    ("zone_id", "count", "level"),
    [
        ("stand", 349, "normal"),
        ("stand", 350, "amber"),  # standing: amber at 3.5 p/m²
        ("stand", 470, "red"),  # red at 4.7
        ("hall", 199, "normal"),
        ("hall", 200, "amber"),  # moving: amber at 2
        ("hall", 400, "red"),  # red at 4
    ],
)
async def test_zone_levels_from_density(hub: LiveHub, clock: ManualClock, zone_id: str, count: int, level: str) -> None:
    subscriber = hub.connect(TENANT, None, None).subscriber
    hub.apply_readings(TENANT, [reading(f"{zone_id}-pc", "occupancy", float(count))])
    clock.now += 1.0
    hub.tick()
    [sent] = await drain(hub, subscriber)
    assert (sent["data"]["count"], sent["data"]["density"], sent["data"]["level"]) == (count, count / 100.0, level)


def test_moving_crowd_kinds_are_gates_concourses_and_platforms() -> None:
    assert {ZoneKind.GATE, ZoneKind.CONCOURSE, ZoneKind.PLATFORM} == MOVING_ZONE_KINDS
    assert density_level(None, DensityLimits(1.0, 2.0)) == "normal"


async def test_a_priority_1_alarm_turns_a_zone_red_and_any_other_amber(hub: LiveHub, clock: ManualClock) -> None:
    subscriber = hub.connect(TENANT, None, None).subscriber
    hub.apply_alarm_change(AlarmChange(AlarmChangeKind.RAISED, alarm("low", "hall-pir", "hall", Priority.LOW)))
    clock.now += 1.0
    hub.tick()
    zones = [c["data"] for c in await drain(hub, subscriber) if c["kind"] == "zone"]
    assert [(z["id"], z["level"], z["alarms"]) for z in zones] == [("hall", "amber", 1)]
    hub.apply_alarm_change(AlarmChange(AlarmChangeKind.RAISED, alarm("top", "hall-pir", "hall", Priority.CRITICAL)))
    clock.now += 1.0
    hub.tick()
    zones = [c["data"] for c in await drain(hub, subscriber) if c["kind"] == "zone"]
    assert [(z["id"], z["level"], z["alarms"]) for z in zones] == [("hall", "red", 2)]


async def test_shelved_alarms_stay_listed_but_do_not_count(hub: LiveHub, clock: ManualClock) -> None:
    raised = alarm("a1", "hall-pir", "hall")
    hub.apply_alarm_change(AlarmChange(AlarmChangeKind.RAISED, raised))
    hub.apply_alarm_change(
        AlarmChange(AlarmChangeKind.SHELVED, shelve(raised, T0 + 1, "op", "maintenance", T0 + 3600), "op")
    )
    clock.now += 1.0
    hub.tick()
    snapshot = json.loads(hub.connect(TENANT, None, None).opening or b"")
    assert [a["state"] for a in snapshot["alarms"]] == ["shelved"]
    hall_pir = next(d for d in snapshot["devices"] if d["id"] == "hall-pir")
    assert (hall_pir["health"], hall_pir["alarms"]) == ("ok", 0)
    hall = next(z for z in snapshot["zones"] if z["id"] == "hall")
    assert (hall["level"], hall["alarms"]) == ("normal", 0)


async def test_an_alarm_change_older_than_the_one_known_is_ignored(hub: LiveHub) -> None:
    newer = alarm("a1", "hall-pir", "hall", ts=T0 + 10)
    hub.apply_alarm_change(AlarmChange(AlarmChangeKind.RAISED, newer))
    seq = hub.feed(TENANT).seq
    hub.apply_alarm_change(AlarmChange(AlarmChangeKind.RAISED, alarm("a1", "hall-pir", "hall", ts=T0)))
    assert hub.feed(TENANT).seq == seq
    assert hub.feed(TENANT).alarms["a1"] == newer


async def test_resumption_sends_each_changed_entity_once_in_sequence_order(hub: LiveHub) -> None:
    start = Cursor.parse(hub.connect(TENANT, None, None).cursor)
    hub.apply_readings(TENANT, [reading("hall-pir", "battery_pct", 50.0)])
    hub.apply_alarm_change(AlarmChange(AlarmChangeKind.RAISED, alarm("a1", "stand-pc", "stand")))
    hub.apply_readings(TENANT, [reading("hall-pir", "battery_pct", 40.0, T0 + 1)])
    session = hub.connect(TENANT, start, None)
    assert session.resumed
    sent = changes(session.opening)
    assert [(c["kind"], c["data"].get("id") or c["data"]["alarm"]["id"]) for c in sent] == [
        ("alarm", "a1"),
        ("device", "stand-pc"),
        ("device", "hall-pir"),
    ]
    assert sent[-1]["data"]["battery_pct"] == 40
    assert session.cursor == f"run1:{sent[-1]['seq']}"

    hub.tick()  # the same changes, pending when it connected, are not sent to it again
    assert session.subscriber.waiting == 0


async def test_a_cursor_before_a_registry_removal_cannot_resume(hub: LiveHub) -> None:
    before = Cursor.parse(hub.connect(TENANT, None, None).cursor)
    hub.replace_registry(TENANT, ZONES, [*DEVICES[:3], device("new-pc", DeviceKind.PEOPLE_COUNTER, "stand")])
    after = hub.connect(TENANT, before, None)
    assert not after.resumed
    snapshot = json.loads(after.opening or b"")
    assert {d["id"] for d in snapshot["devices"]} == {"stand-pc", "hall-pc", "hall-pir", "new-pc"}


async def test_a_device_added_to_the_registry_is_sent(hub: LiveHub) -> None:
    subscriber = hub.connect(TENANT, None, None).subscriber
    hub.apply_readings(TENANT, [reading("new-pc", "occupancy", 5.0)])
    assert hub.registry_stale  # a reading of a device the hub does not know
    hub.replace_registry(TENANT, ZONES, [*DEVICES, device("new-pc", DeviceKind.PEOPLE_COUNTER, "stand")])
    hub.tick()
    sent = await drain(hub, subscriber)
    assert [(c["kind"], c["data"]["id"]) for c in sent] == [("device", "new-pc")]


async def test_a_subscriber_may_fall_max_frames_behind_and_not_one_more(hub: LiveHub, clock: ManualClock) -> None:
    subscriber = hub.connect(TENANT, None, None).subscriber
    for step in range(1000):
        hub.apply_readings(TENANT, [reading("hall-pir", "battery_pct", float(step % 2), T0 + step)])
        hub.tick()
    assert subscriber.waiting == 1000 and not subscriber.too_slow
    hub.apply_readings(TENANT, [reading("hall-pir", "battery_pct", 50.0, T0 + 1000)])
    hub.tick()
    assert subscriber.too_slow and subscriber.waiting == 0
    assert await subscriber.next_frame(0.01) is None


async def test_one_encoding_per_sites_filter(hub: LiveHub) -> None:
    everything = [hub.connect(TENANT, None, None).subscriber for _ in range(2)]
    site_2 = [hub.connect(TENANT, None, ["site-2"]).subscriber for _ in range(2)]
    hub.apply_readings(TENANT, [reading("hall-pir", "battery_pct", 10.0), reading("far-pc", "battery_pct", 10.0)])
    hub.tick()
    frames = [await subscriber.next_frame(0.01) for subscriber in everything + site_2]
    assert frames[0] is frames[1] and frames[2] is frames[3]
    assert [c["data"]["id"] for c in changes(frames[0])] == ["hall-pir", "far-pc"]
    assert [c["data"]["id"] for c in changes(frames[2])] == ["far-pc"]


def test_cursors() -> None:
    assert Cursor.parse("run1:42") == Cursor("run1", 42)
    assert str(Cursor("run1", 42)) == "run1:42"
    for bad in ("run1", ":4", "run1:-1", "run1:x", "run1:4.5", "r" * 200 + ":1"):
        with pytest.raises(BadCursor):
            Cursor.parse(bad)
