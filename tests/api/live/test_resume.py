"""Reconnecting with a cursor: the changes missed, newest state per entity, in order and nothing else; a snapshot
instead when the cursor is of another server run, ahead of this one, or older than what is kept."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from fastapi import FastAPI

from beffroi.api.auth.roles import Role
from beffroi.api.live import LiveSettings
from beffroi.bus.base import Bus
from beffroi.workers.live import LiveFeedWorker
from tests.api.live.conftest import FAST, publish_readings
from tests.api.live.stream import ids, stream
from tests.api.world import TENANT_A, headers
from tests.bus.support import wait_until

COUNTER = "square-gate-pc-01"


@pytest.fixture
def settings() -> LiveSettings:
    return replace(FAST, closed_alarm_keep_s=0.3)


async def cursor_now(app: FastAPI) -> str:
    async with stream(app, TENANT_A) as live:
        cursor: str = live.welcome["cursor"]
        return cursor


async def battery_is(live: LiveFeedWorker, percent: int) -> None:
    device = live.hub.feed(TENANT_A).devices[COUNTER]
    await wait_until(lambda: device.battery_pct == percent, 5.0, lambda: f"battery {device.battery_pct}")


async def test_a_resumed_stream_gets_exactly_the_newest_state_of_what_changed(
    live_api: FastAPI, http: httpx.AsyncClient, bus: Bus, live: LiveFeedWorker
) -> None:
    cursor = await cursor_now(live_api)
    acked = await http.post("/api/alarms/a-low-new/acknowledge", headers=headers(TENANT_A, Role.OPERATOR))
    assert acked.status_code == 200
    await publish_readings(bus, TENANT_A, (COUNTER, "battery_pct", 18.0))
    await battery_is(live, 18)
    await publish_readings(bus, TENANT_A, (COUNTER, "battery_pct", 16.0))
    await battery_is(live, 16)

    async with stream(live_api, TENANT_A, since=cursor) as resumed:
        assert resumed.welcome["resumed"] is True
        missed = resumed.opening
        assert missed is not None and missed["type"] == "changes"
        summary = [(c["kind"], c["data"].get("id") or c["data"]["alarm"]["id"]) for c in missed["changes"]]
        assert summary == [("alarm", "a-low-new"), ("device", COUNTER)]
        assert missed["changes"][0]["data"]["alarm"]["state"] == "acknowledged"
        assert missed["changes"][1]["data"]["battery_pct"] == 16  # the 18 % state is skipped
        seqs = [c["seq"] for c in missed["changes"]]
        assert seqs == sorted(seqs) and seqs[0] > int(cursor.rpartition(":")[2])
        assert missed["cursor"] == resumed.welcome["cursor"]
        assert (await resumed.ws.receive_json(2.0))["type"] == "heartbeat"  # nothing is sent twice


async def test_a_stream_that_missed_nothing_resumes_without_an_opening_frame(live_api: FastAPI) -> None:
    cursor = await cursor_now(live_api)
    async with stream(live_api, TENANT_A, since=cursor, expect_opening=False) as resumed:
        assert resumed.welcome["resumed"] is True and resumed.welcome["cursor"] == cursor
        frame = await resumed.ws.receive_json(2.0)
        assert frame["type"] == "heartbeat" and frame["cursor"] == cursor


@pytest.mark.parametrize("cursor", ["0123456789ab:0", "another-run:3"])
async def test_a_cursor_of_another_server_run_gets_a_snapshot(live_api: FastAPI, cursor: str) -> None:
    async with stream(live_api, TENANT_A, since=cursor) as live:
        assert live.welcome["resumed"] is False
        assert live.opening is not None and live.opening["type"] == "snapshot"


async def test_a_cursor_ahead_of_the_server_gets_a_snapshot(live_api: FastAPI) -> None:
    epoch, _, seq = (await cursor_now(live_api)).rpartition(":")
    async with stream(live_api, TENANT_A, since=f"{epoch}:{int(seq) + 100}") as live:
        assert live.welcome["resumed"] is False
        assert live.opening is not None and live.opening["type"] == "snapshot"


async def test_a_cursor_older_than_a_forgotten_closed_alarm_gets_a_snapshot(
    live_api: FastAPI, http: httpx.AsyncClient, live: LiveFeedWorker
) -> None:
    cursor = await cursor_now(live_api)
    cleared = await http.post("/api/alarms/a-low-new/clear", headers=headers(TENANT_A, Role.OPERATOR))
    assert cleared.status_code == 200
    feed = live.hub.feed(TENANT_A)
    await wait_until(lambda: feed.purged_through > 0, 5.0, lambda: "the closed alarm was never forgotten")

    async with stream(live_api, TENANT_A, since=cursor) as live_stream:
        assert live_stream.welcome["resumed"] is False
        snapshot = live_stream.opening
        assert snapshot is not None and snapshot["type"] == "snapshot"
        assert ids(snapshot["alarms"]) == {"a-low-old", "a-critical"}


async def test_a_resumed_stream_keeps_to_its_sites(live_api: FastAPI, bus: Bus, live: LiveFeedWorker) -> None:
    cursor = await cursor_now(live_api)
    await publish_readings(bus, TENANT_A, (COUNTER, "battery_pct", 18.0))
    await battery_is(live, 18)
    async with stream(live_api, TENANT_A, since=cursor, sites=["elsewhere"], expect_opening=False) as resumed:
        assert resumed.welcome["resumed"] is True
        assert (await resumed.ws.receive_json(2.0))["type"] == "heartbeat"
