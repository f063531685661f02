"""Zone counts, densities and levels from the counters' and cameras' readings; device health from battery readings
and alarms (a device_offline alarm raised then cleared), as the stream shows them."""

from __future__ import annotations

import time

from fastapi import FastAPI

from beffroi.bus.base import Bus
from beffroi.domain.alarms import AlarmKey, Priority, acknowledge, raise_alarm, return_to_normal
from beffroi.domain.messages import AlarmChangeKind
from tests.api.live.conftest import publish_alarm_change, publish_readings
from tests.api.live.stream import stream
from tests.api.world import SITE, TENANT_A

GATE, GATE_COUNTER = "square-gate", "square-gate-pc-01"  # a gate: a moving crowd, 200.3 m²
PLAZA, PLAZA_COUNTER, PLAZA_CAMERA = "square-plaza", "square-plaza-pc-01", "square-plaza-cam-01"  # 8402 m², standing


async def test_a_zone_counts_its_people_and_turns_amber_then_red_at_moving_crowd_densities(
    live_api: FastAPI, bus: Bus
) -> None:
    async with stream(live_api, TENANT_A) as live:
        await publish_readings(bus, TENANT_A, (GATE_COUNTER, "occupancy", 300.0))
        zone = await live.change_where("zone", GATE, count=300)
        assert (zone["density"], zone["level"], zone["alarms"]) == (1.498, "normal", 0)
        assert abs(zone["updated_at"] - time.time()) < 5

        await publish_readings(bus, TENANT_A, (GATE_COUNTER, "occupancy", 500.0))
        zone = await live.change_where("zone", GATE, count=500)
        assert (zone["density"], zone["level"]) == (2.496, "amber")  # >= 2 p/m² in a moving crowd

        await publish_readings(bus, TENANT_A, (GATE_COUNTER, "occupancy", 900.0))
        zone = await live.change_where("zone", GATE, count=900)
        assert (zone["density"], zone["level"]) == (4.493, "red")  # >= 4 p/m²


async def test_cameras_count_a_zone_until_a_people_counter_reports(live_api: FastAPI, bus: Bus) -> None:
    async with stream(live_api, TENANT_A) as live:
        await publish_readings(bus, TENANT_A, (PLAZA_CAMERA, "people_count", 120.0))
        zone = await live.change_where("zone", PLAZA, count=120)
        assert zone["density"] == round(120 / 8402.0, 3)

        await publish_readings(bus, TENANT_A, (PLAZA_COUNTER, "occupancy", 2500.0))
        zone = await live.change_where("zone", PLAZA, count=2500)  # the counter, not counter + camera
        assert zone["level"] == "red"  # the plaza holds a priority-1 alarm, whatever its density


async def test_device_health_follows_battery_and_an_offline_alarm(live_api: FastAPI, bus: Bus) -> None:
    async with stream(live_api, TENANT_A) as live:
        await publish_readings(bus, TENANT_A, (GATE_COUNTER, "battery_pct", 18.4))
        device = await live.change_where("device", GATE_COUNTER)
        assert (device["health"], device["battery_pct"], device["alarms"]) == ("low_battery", 18, 0)
        assert device["last_seen"] is not None and abs(device["last_seen"] - time.time()) < 5
        assert (device["site_id"], device["zone_id"]) == (SITE, GATE)

        now = time.time()
        key = AlarmKey(TENANT_A, GATE_COUNTER, "device_offline", SITE, GATE)
        offline = raise_alarm("offline-1", key, Priority.MEDIUM, "No report for 30 s", now)
        await publish_alarm_change(bus, offline, AlarmChangeKind.RAISED)
        device = await live.change_where("device", GATE_COUNTER, health="silent")
        assert device["alarms"] == 1
        zone = await live.change_where("zone", GATE, alarms=1)
        assert zone["level"] == "amber"  # an open alarm that is not priority 1

        back = return_to_normal(offline, now + 1)  # reporting again, not yet acknowledged: no longer silent
        await publish_alarm_change(bus, back, AlarmChangeKind.RETURNED_TO_NORMAL)
        device = await live.change_where("device", GATE_COUNTER, health="low_battery")
        assert device["alarms"] == 1

        cleared = acknowledge(back, now + 2, "operator")
        await publish_alarm_change(bus, cleared, AlarmChangeKind.ACKNOWLEDGED)
        alarm = await live.change_where("alarm", "offline-1")
        assert alarm["alarm"]["state"] == "cleared"
        device = await live.change_where("device", GATE_COUNTER, alarms=0)
        assert device["health"] == "low_battery"
        zone = await live.change_where("zone", GATE, alarms=0)
        assert zone["level"] == "normal"

        await publish_readings(bus, TENANT_A, (GATE_COUNTER, "battery_pct", 95.0))
        device = await live.change_where("device", GATE_COUNTER, battery_pct=95)
        assert device["health"] == "ok"


async def test_any_other_alarm_on_a_device_outranks_silence(live_api: FastAPI, bus: Bus) -> None:
    async with stream(live_api, TENANT_A) as live:
        now = time.time()
        offline = raise_alarm(
            "offline-2", AlarmKey(TENANT_A, GATE_COUNTER, "device_offline", SITE, GATE), Priority.MEDIUM, "silent", now
        )
        await publish_alarm_change(bus, offline, AlarmChangeKind.RAISED)
        await live.change_where("device", GATE_COUNTER, health="silent")
        tamper = raise_alarm(
            "tamper-1", AlarmKey(TENANT_A, GATE_COUNTER, "tamper", SITE, GATE), Priority.HIGH, "tampered", now
        )
        await publish_alarm_change(bus, tamper, AlarmChangeKind.RAISED)
        device = await live.change_where("device", GATE_COUNTER, health="in_alarm")
        assert device["alarms"] == 2
