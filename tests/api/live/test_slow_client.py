"""A client that does not read falls behind: past `max_frames_behind` frames the server closes it with 4408, and it
resumes from its cursor on reconnecting."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from fastapi import FastAPI

from beffroi.api.live import LiveSettings
from beffroi.bus.base import Bus
from beffroi.workers.live import LiveFeedWorker
from tests.api.live.conftest import FAST, publish_readings
from tests.api.live.stream import stream
from tests.api.world import TENANT_A
from tests.bus.support import wait_until

MAX_FRAMES_BEHIND = 3


@pytest.fixture
def settings() -> LiveSettings:
    return replace(FAST, max_frames_behind=MAX_FRAMES_BEHIND)


async def test_a_client_that_falls_too_far_behind_is_closed_4408(
    live_api: FastAPI, bus: Bus, live: LiveFeedWorker
) -> None:
    async with stream(live_api, TENANT_A, buffer=1) as stuck:  # holds one frame unread; the server then waits
        await wait_until(lambda: live.hub.subscribers == 1, 5.0, lambda: "the hello was not handled")
        for step in range(3 * MAX_FRAMES_BEHIND):
            await publish_readings(bus, TENANT_A, ("square-gate-pc-01", "battery_pct", 50.0 + step))
            await asyncio.sleep(2 * FAST.batch_interval_s)  # one frame per batch
            if stuck.ws.closed_with is not None:
                break
        closed = await stuck.ws.wait_closed(2.0)
        assert closed.code == 4408
        assert closed.reason.startswith("too slow")
    assert live.hub.subscribers == 0


async def test_a_reader_keeping_up_is_not_closed(live_api: FastAPI, bus: Bus) -> None:
    async with stream(live_api, TENANT_A) as reader:
        for step in range(3 * MAX_FRAMES_BEHIND):
            await publish_readings(bus, TENANT_A, ("square-gate-pc-01", "battery_pct", 50.0 + step))
            await reader.change_where("device", "square-gate-pc-01", battery_pct=50 + step)
        assert reader.ws.closed_with is None
