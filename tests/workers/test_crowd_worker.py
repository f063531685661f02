"""The crowd worker on the in-process bus and a SQLite store holding the tiny scenario: each zone gets its
`crowd_estimate` device, a zone's counters and camera are fused into one figure published as its readings, and a
zone filling up past its red density is announced "red expected" by the forecast, then goes amber then red, with a
`crowd_level` event naming its sources."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import pytest

from beffroi.bus.base import Bus, BusMessage
from beffroi.config import parse_config
from beffroi.domain import messages
from beffroi.domain.observations import Event, Reading, ReadingBatch
from beffroi.domain.registry import DEVICE_PROFILES, DeviceKind
from beffroi.store.store import Store
from beffroi.workers.crowd import CrowdWorker, estimate_device_id
from tests.bus.support import wait_until

TINY = Path(__file__).resolve().parents[2] / "scenarios" / "tests" / "tiny.json"
TENANT, SITE, GATE = "tiny", "tiny-stadium", "tiny-gate"
GATE_AREA = 200.8
T0 = 1_722_002_400.0


class Feed:
    def __init__(self) -> None:
        self.readings: list[Reading] = []
        self.events: list[Event] = []

    async def on_readings(self, message: BusMessage) -> None:
        batch = messages.decode(message.data, ReadingBatch)
        self.readings += [r for r in batch.readings if r.device_id.endswith("-crowd")]

    async def on_event(self, message: BusMessage) -> None:
        self.events.append(messages.decode(message.data, Event))

    def latest(self, zone: str, metric: str) -> float | None:
        values = [r.value for r in self.readings if r.device_id == estimate_device_id(zone) and r.metric == metric]
        return values[-1] if values else None


@pytest.fixture
async def feed(bus: Bus) -> Feed:
    found = Feed()
    await bus.subscribe(messages.ALL_READINGS, "test-readings", found.on_readings)
    await bus.subscribe(messages.ALL_EVENTS, "test-events", found.on_event)
    return found


@pytest.fixture
async def worker(bus: Bus, store: Store) -> AsyncIterator[CrowdWorker]:
    config = parse_config({"tenant": TENANT, "scenario": str(TINY), "crowd": {"tick_s": 600}}, "test")
    started = CrowdWorker(config, bus, store)
    await started.start()
    yield started
    await started.stop()


async def publish(bus: Bus, readings: list[Reading], batch_id: str) -> None:
    batch = ReadingBatch(batch_id, TENANT, readings)
    await bus.publish(messages.readings_subject(TENANT, SITE), messages.encode(batch), msg_id=batch_id)


def at(worker: CrowdWorker, ts: float) -> bool:
    """True once the worker's clock (the readings' own time) is at `ts`."""
    return worker.now() == ts


def gate_readings(people: float, ts: float) -> list[Reading]:
    """The gate's people counter and camera seeing `people` in the zone."""
    camera_zone_area = GATE_AREA / 2  # the camera sees half the gate
    density = people / GATE_AREA
    return [
        Reading(TENANT, "tiny-gate-pc-01", "occupancy", people, ts, SITE, GATE),
        Reading(TENANT, "tiny-gate-cam-01", "zone_density.gate", density, ts, SITE, GATE),
        Reading(TENANT, "tiny-gate-cam-01", "zone_people.gate", round(density * camera_zone_area), ts, SITE, GATE),
    ]


async def test_every_zone_gets_its_estimate_device(worker: CrowdWorker, store: Store) -> None:
    estimates = [d for d in store.list_devices(TENANT) if d.kind is DeviceKind.CROWD_ESTIMATE]
    assert sorted((d.id, d.zone_id) for d in estimates) == [
        ("tiny-gate-crowd", "tiny-gate"),
        ("tiny-plant-room-crowd", "tiny-plant-room"),
        ("tiny-stand-crowd", "tiny-stand"),
    ]


async def test_a_filling_gate_is_fused_published_and_goes_amber_then_red(
    feed: Feed, worker: CrowdWorker, bus: Bus
) -> None:
    people = [100 + 15 * minute for minute in range(60)]  # 100 → 985 people on 200.8 m²: past 2 then 4 p/m²
    for minute, count in enumerate(people):
        for second in range(0, 60, 20):
            ts = T0 + 60 * minute + second
            await publish(bus, gate_readings(count, ts), f"b-{minute}-{second}")
        await wait_until(partial(at, worker, T0 + 60 * minute + 40), 5.0, lambda: str(worker.health()))
        await worker.tick()
    await wait_until(lambda: feed.latest(GATE, "level") == 2.0, 5.0, lambda: str(feed.readings[-5:]))
    density = feed.latest(GATE, "density")
    assert density is not None and abs(density - people[-1] / GATE_AREA) < 0.6
    levels = [e for e in feed.events if e.type == "crowd_level" and e.zone_id == GATE]
    assert [e.attributes["level"] for e in levels] == ["amber", "red"]
    sources = str(levels[-1].attributes["sources"])
    assert "tiny-gate-pc-01" in sources and "tiny-gate-cam-01" in sources
    assert worker.health()["readings_used"] > 0
    # the forecast saw red coming and said so before the zone went red
    expected = [e for e in feed.events if e.type == "crowd_red_expected" and e.zone_id == GATE]
    assert expected and expected[0].ts < levels[-1].ts
    assert 0 < float(expected[0].attributes["minutes_ahead"] or 0) <= 30
    assert worker.health()["announcements"] >= 1


async def test_the_forecast_and_each_kind_of_source_go_out_with_the_estimate(
    feed: Feed, worker: CrowdWorker, bus: Bus
) -> None:
    for minute in range(5):
        count = 100 + 10 * minute
        for second in range(0, 60, 20):
            await publish(bus, gate_readings(count, T0 + 60 * minute + second), f"s-{minute}-{second}")
        await wait_until(partial(at, worker, T0 + 60 * minute + 40), 5.0, lambda: str(worker.health()))
        await worker.tick()
    await wait_until(lambda: feed.latest(GATE, "people_occupancy") == 140, 5.0, lambda: str(feed.readings[-5:]))
    for minutes in (15, 30):
        low, median, high = (feed.latest(GATE, f"forecast_{minutes}{part}") for part in ("_lo", "", "_hi"))
        assert low is not None and median is not None and high is not None
        assert 0 <= low <= median <= high
    # the counter's occupancy and the camera each say ~140 people on their own; their weights make up the figure
    for kind in ("occupancy", "video"):
        people = feed.latest(GATE, f"people_{kind}")
        weight = feed.latest(GATE, f"weight_{kind}")
        assert people is not None and abs(people - 140) < 1, (kind, people)
        assert weight is not None and 0 < weight <= 1, (kind, weight)
    assert feed.latest(GATE, "people_mobile") is None  # no mobile data in this zone
    video = [r for r in feed.readings if r.device_id == "tiny-gate-crowd" and r.metric == "people_video"]
    assert [r.ts for r in video] == sorted({r.ts for r in video}), "each source figure goes out once, at its own time"
    published = {r.metric for r in feed.readings}
    profile = DEVICE_PROFILES[DeviceKind.CROWD_ESTIMATE].metrics
    assert published <= set(profile), published - set(profile)


async def test_a_gate_with_its_scenario_width_gets_fruin_levels_unless_the_config_overrides_it(
    feed: Feed, bus: Bus, store: Store
) -> None:
    """tiny-gate is 20 m wide in the scenario: some 2,100 people a minute through it (over 100 p/m/min, Fruin F)
    turn it red by the flow alone while it holds 40 people; the config's 200 m for it (about 10 p/m/min, Fruin A)
    overrides the scenario's width and keeps it normal."""

    def gate_crossings(ts: float) -> list[Reading]:
        return [
            Reading(TENANT, "tiny-gate-pc-01", "occupancy", 40, ts, SITE, GATE),
            Reading(TENANT, "tiny-gate-pc-01", "count_in", 350, ts, SITE, GATE),
            Reading(TENANT, "tiny-gate-pc-01", "count_out", 350, ts, SITE, GATE),
        ]

    def levels_since(start: float) -> list[float]:
        estimate = estimate_device_id(GATE)
        return [r.value for r in feed.readings if r.device_id == estimate and r.metric == "level" and r.ts >= start]

    async def run(widths: dict[str, float], start: float) -> list[Event]:
        crowd = {"tick_s": 600, "forecast": False, "zone_widths_m": widths}
        config = parse_config({"tenant": TENANT, "scenario": str(TINY), "crowd": crowd}, "test")
        worker = CrowdWorker(config, bus, store)
        await worker.start()
        try:
            for minute in range(4):
                for second in range(0, 60, 20):
                    ts = start + 60 * minute + second
                    await publish(bus, gate_crossings(ts), f"f-{start}-{minute}-{second}")
                await wait_until(partial(at, worker, start + 60 * minute + 40), 5.0, lambda: str(worker.health()))
                await worker.tick()
            await wait_until(lambda: levels_since(start) != [], 5.0, lambda: str(feed.readings[-5:]))
            return [e for e in feed.events if e.type == "crowd_level" and e.zone_id == GATE and e.ts >= start]
        finally:
            await worker.stop()

    (red,) = await run({}, T0)
    assert (red.attributes["level"], red.attributes["cause"], red.attributes["fruin_level"]) == ("red", "flow", "F")
    assert float(red.attributes["flow_per_m_min"] or 0) > 82  # Fruin F: above 82 p/m/min
    assert float(red.attributes["density"] or 0) < 0.5  # far below the moving crowd's amber 2 p/m²
    assert levels_since(T0)[-1] == 2.0
    assert await run({GATE: 200.0}, T0 + 3600) == []
    assert set(levels_since(T0 + 3600)) == {0.0}
