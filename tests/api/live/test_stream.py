"""What a console sees on /api/live: a snapshot of its tenant, changes as the engine makes them, nothing of another
tenant whatever sites it asks for, only the sites it asks for, heartbeats when quiet, and a close at token expiry."""

from __future__ import annotations

import asyncio
import time

import httpx
from fastapi import FastAPI

from beffroi.api.auth.roles import Role
from beffroi.bus.base import Bus
from beffroi.domain.alarms import AlarmState
from tests.api.live.conftest import Clock, publish_readings
from tests.api.live.stream import by_id, ids, stream
from tests.api.world import B_DEVICE, B_SITE, B_ZONE, SITE, TENANT_A, TENANT_B, ZONE, headers

A_DEVICES = {
    "square-gate-panic-01",
    "square-gate-pc-01",
    "square-plaza-cam-01",
    "square-plaza-noise-01",
    "square-plaza-pc-01",
}


async def test_the_snapshot_holds_the_tenants_open_alarms_devices_and_zones(live_api: FastAPI) -> None:
    async with stream(live_api, TENANT_A) as live:
        snapshot = live.opening
        assert snapshot is not None and snapshot["type"] == "snapshot"
        assert snapshot["cursor"] == live.welcome["cursor"]
        assert ids(snapshot["alarms"]) == {"a-low-old", "a-critical", "a-low-new"}  # not the cleared one
        critical = by_id(snapshot["alarms"])["a-critical"]
        assert critical["state"] == "unacknowledged" and critical["priority"] == 1
        assert critical["key"] == {
            "tenant_id": TENANT_A,
            "source": "square-gate-panic-01",
            "type": "test_alarm",
            "site_id": SITE,
            "zone_id": ZONE,
        }
        devices = by_id(snapshot["devices"])
        assert set(devices) == A_DEVICES
        assert devices["square-gate-panic-01"] == {
            "id": "square-gate-panic-01",
            "site_id": SITE,
            "zone_id": "square-gate",
            "health": "in_alarm",
            "last_seen": None,
            "battery_pct": None,
            "alarms": 1,
        }
        assert devices["square-plaza-pc-01"]["health"] == "ok" and devices["square-plaza-pc-01"]["alarms"] == 0
        zones = by_id(snapshot["zones"])
        assert set(zones) == {"square-plaza", "square-gate"}
        plaza = zones["square-plaza"]
        assert (plaza["level"], plaza["alarms"], plaza["count"], plaza["density"]) == ("red", 3, None, None)
        assert set(plaza) == {"id", "site_id", "count", "density", "level", "alarms", "updated_at"}
        assert (zones["square-gate"]["level"], zones["square-gate"]["alarms"]) == ("normal", 0)


async def test_an_alarm_change_reaches_the_stream(live_api: FastAPI, http: httpx.AsyncClient) -> None:
    async with stream(live_api, TENANT_A) as live:
        answer = await http.post("/api/alarms/a-low-new/acknowledge", headers=headers(TENANT_A, Role.OPERATOR))
        assert answer.status_code == 200, answer.text

        frame = await live.next_changes()
        assert frame["type"] == "changes"
        [change] = [c for c in frame["changes"] if c["kind"] == "alarm"]
        assert change["data"] == answer.json()  # the shape of the action's answer
        assert change["data"]["change"] == "acknowledged" and change["data"]["actor"] == "operator"
        assert change["data"]["alarm"]["state"] == AlarmState.ACKNOWLEDGED.value
        assert frame["cursor"].endswith(f":{frame['changes'][-1]['seq']}")
        welcome_seq = int(live.welcome["cursor"].rpartition(":")[2])
        assert change["seq"] > welcome_seq


async def test_a_closed_alarm_is_sent_cleared_and_its_device_and_zone_follow(
    live_api: FastAPI, http: httpx.AsyncClient
) -> None:
    async with stream(live_api, TENANT_A) as live:
        answer = await http.post("/api/alarms/a-critical/clear", headers=headers(TENANT_A, Role.OPERATOR))
        assert answer.status_code == 200, answer.text

        cleared = await live.change_where("alarm", "a-critical")
        assert cleared["alarm"]["state"] == "cleared"
        device = await live.change_where("device", "square-gate-panic-01")
        assert (device["health"], device["alarms"]) == ("ok", 0)
        zone = await live.change_where("zone", "square-plaza")
        assert (zone["level"], zone["alarms"]) == ("amber", 2)  # the priority-4 alarms remain


async def test_another_tenant_sees_none_of_it_even_asking_for_the_same_site_ids(
    live_api: FastAPI, http: httpx.AsyncClient, bus: Bus
) -> None:
    async with (
        stream(live_api, TENANT_A) as tenant_a,
        stream(live_api, TENANT_B, sites=[SITE]) as tenant_b,
    ):
        snapshot = tenant_b.opening
        assert snapshot is not None
        assert ids(snapshot["alarms"]) == {"b-critical"}
        assert all(alarm["key"]["tenant_id"] == TENANT_B for alarm in snapshot["alarms"])
        assert ids(snapshot["devices"]) == A_DEVICES  # same ids, tenant B's devices: the annex is filtered out
        assert ids(snapshot["zones"]) == {"square-plaza", "square-gate"}
        b_before = by_id(snapshot["devices"])

        await http.post("/api/alarms/a-critical/acknowledge", headers=headers(TENANT_A, Role.OPERATOR))
        await publish_readings(bus, TENANT_A, ("square-gate-pc-01", "battery_pct", 17.0))
        await tenant_a.change_where("alarm", "a-critical", change="acknowledged")
        await tenant_a.change_where("device", "square-gate-pc-01", health="low_battery")
        await asyncio.sleep(0.5)  # tenant B's stream would have had them by now

        frames = []
        while True:
            try:
                frames.append(await tenant_b.ws.receive_json(0.05))
            except AssertionError:
                break
        assert frames and {frame["type"] for frame in frames} == {"heartbeat"}, frames
        assert b_before["square-gate-pc-01"]["health"] == "ok"
        assert by_id(snapshot["zones"])["square-plaza"]["alarms"] == 1  # b-critical only


async def test_the_sites_filter_keeps_to_the_sites_asked_for(live_api: FastAPI, bus: Bus) -> None:
    async with stream(live_api, TENANT_B, sites=[B_SITE]) as annex_only, stream(live_api, TENANT_B) as everything:
        snapshot = annex_only.opening
        assert snapshot is not None
        assert snapshot["alarms"] == []  # b-critical is on the square
        assert ids(snapshot["devices"]) == {B_DEVICE}
        assert ids(snapshot["zones"]) == {B_ZONE}
        assert everything.opening is not None and ids(everything.opening["zones"]) == {
            B_ZONE,
            "square-plaza",
            "square-gate",
        }

        await publish_readings(bus, TENANT_B, ("square-gate-pc-01", "occupancy", 50.0))
        await everything.change_where("zone", "square-gate", count=50)
        await publish_readings(bus, TENANT_B, (B_DEVICE, "occupancy", 440.0), site=B_SITE)
        frame = await annex_only.next_changes()
        assert [(c["kind"], c["data"]["id"]) for c in frame["changes"]] == [("zone", B_ZONE)]
        assert frame["changes"][0]["data"]["count"] == 440
        assert frame["changes"][0]["data"]["density"] == 0.1


async def test_a_quiet_stream_sends_heartbeats_with_its_cursor(live_api: FastAPI) -> None:
    async with stream(live_api, TENANT_A) as live:
        cursor = live.welcome["cursor"]
        loop = asyncio.get_running_loop()
        last_frame_at = loop.time()
        while True:
            frame = await live.ws.receive_json(2.0)
            if frame["type"] == "heartbeat":
                break
            cursor = frame["cursor"]  # changes left over from the start-up
            last_frame_at = loop.time()
        assert loop.time() - last_frame_at >= 0.35  # heartbeat_s = 0.4, minus timer slack
        assert frame["cursor"] == cursor
        assert abs(frame["ts"] - time.time()) < 5
        second = await live.ws.receive_json(2.0)
        assert second["type"] == "heartbeat" and second["cursor"] == cursor


async def test_the_stream_closes_4401_when_the_token_expires(live_api: FastAPI, clock: Clock) -> None:
    async with stream(live_api, TENANT_A) as live:
        clock.offset = 2 * 3600.0  # the test tokens live an hour
        closed = await live.ws.wait_closed(2.0)
        assert closed.code == 4401
        assert closed.reason.startswith("token_expired")
