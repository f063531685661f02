"""The simulator as a whole: deterministic streams, time order, site selection, paced and unpaced runs."""

from __future__ import annotations

import asyncio
import math
import time
from datetime import datetime

import pytest

from beffroi.errors import ConfigError
from beffroi.sim.simulator import Simulator
from tests.sim.conftest import MakeSim
from tests.sim.wire import decode

INCIDENTS = [
    {"kind": "fire", "at_s": 900, "zone": "concourse"},
    {"kind": "device_silent", "at_s": 1200, "device": "pc-gate-1", "duration_s": 400},
    {"kind": "drone", "at_s": 1500},
]


def _stream(simulator: Simulator, seconds: float) -> list[tuple[str, bytes]]:
    return [(m.topic, m.payload) for m in simulator.messages_for(seconds)]


def test_same_seed_gives_byte_identical_streams(make_sim: MakeSim) -> None:
    options = {"seed": 7, "incidents": INCIDENTS, "random_incidents_per_hour": 3.0, "pir_false_positives_per_day": 5.0}
    first = _stream(make_sim(**options), 2 * 3600)
    second = _stream(make_sim(**options), 2 * 3600)
    assert len(first) > 5000
    assert first == second


def test_different_seeds_give_different_streams(make_sim: MakeSim) -> None:
    one = [payload for _, payload in _stream(make_sim(seed=1), 600)]
    two = [payload for _, payload in _stream(make_sim(seed=2), 600)]
    assert one != two
    assert len(set(one) & set(two)) < len(one) // 10


def test_the_stream_does_not_depend_on_how_time_is_advanced(make_sim: MakeSim) -> None:
    options = {"seed": 3, "incidents": INCIDENTS, "random_incidents_per_hour": 6.0}
    whole = make_sim(**options)
    in_one_go = _stream(whole, 3600)
    stepped = make_sim(**options)
    in_steps: list[tuple[str, bytes]] = []
    for step in (0.5, 7.0, 1.0, 60.0, 900.0, 0.001, 1331.499, 1300.0):
        in_steps += _stream(stepped, step)
    assert stepped.position == pytest.approx(whole.position)
    assert in_steps == in_one_go
    assert stepped.ground_truth.records == whole.ground_truth.records


def test_messages_come_in_time_order(make_sim: MakeSim) -> None:
    messages = make_sim(incidents=INCIDENTS).messages_for(3600)
    times = [m.ts for m in messages]
    assert times == sorted(times)


def test_messages_until_stops_at_the_asked_time(make_sim: MakeSim) -> None:
    simulator = make_sim()
    end = simulator.start + 300
    messages = simulator.messages_until(end)
    assert messages
    assert messages[-1].ts <= end
    assert simulator.position == end
    assert simulator.next_report_time() > end
    assert simulator.messages_until(end) == []
    assert simulator.messages_until(end - 100) == []  # the past is not replayed


def test_now_origin_shifts_timestamps_but_not_the_crowd(make_sim: MakeSim) -> None:
    replay = make_sim(time_origin="scenario").messages_for(7200)
    live = make_sim(time_origin="now", wall_start=1_900_000_000.0).messages_for(7200)
    assert len(live) == len(replay)
    shift = 1_900_000_000.0 - make_sim().start
    for a, b in zip(replay, live, strict=True):
        assert b.ts - a.ts == pytest.approx(shift, abs=0.0011)
        assert decode(a.payload).value == decode(b.payload).value
    assert decode(live[0].payload).id != decode(replay[0].payload).id  # another run, other message ids


def test_start_can_be_moved_within_the_scenario(make_sim: MakeSim) -> None:
    kick_off = datetime.fromisoformat("2024-07-26T19:00:00+02:00")
    simulator = make_sim(start=kick_off)
    assert simulator.start == kick_off.timestamp()
    stand = [decode(m.payload) for m in simulator.messages_for(600) if m.device_id == "pc-stand"]
    assert min(p.value["occupancy_ratio"] for p in stand) > 0.5  # the match has started: the stand is full


def test_only_the_chosen_sites_are_simulated(make_sim: MakeSim) -> None:
    simulator = make_sim(sites=["gare"])
    assert [d.id for d in simulator.devices] == ["pc-platform"]
    assert {m.device_id for m in simulator.messages_for(300)} == {"pc-platform"}


def test_unknown_sites_are_refused(make_sim: MakeSim) -> None:
    with pytest.raises(ConfigError, match="sites: 'atlantis' is not a site of the scenario"):
        make_sim(sites=["gare", "atlantis"])


@pytest.mark.parametrize(
    ("option", "value"),
    [("random_incidents_per_hour", -1.0), ("random_incidents_per_hour", math.inf), ("pir_false_positives_per_day", -2)],
)
def test_bad_rates_are_refused(make_sim: MakeSim, option: str, value: float) -> None:
    with pytest.raises(ConfigError, match=option):
        make_sim(**{option: value})


def test_nan_time_is_refused(make_sim: MakeSim) -> None:
    with pytest.raises(ValueError, match="NaN"):
        make_sim().messages_until(math.nan)


async def test_accelerated_run_paces_by_the_clock_and_matches_the_step_api(make_sim: MakeSim) -> None:
    speed, duration = 300.0, 0.8
    published: list[tuple[str, bytes]] = []

    async def publish(topic: str, payload: bytes) -> None:
        published.append((topic, payload))

    simulator = make_sim(speed=speed, incidents=INCIDENTS)
    began = time.monotonic()
    count = await simulator.run(publish, duration_s=duration)
    wall = time.monotonic() - began
    assert count == len(published) > 150
    assert duration * 0.9 <= wall < duration + 1.5
    assert simulator.position == pytest.approx(simulator.start + speed * duration)
    assert published == _stream(make_sim(incidents=INCIDENTS), speed * duration)


async def test_paced_run_spreads_messages_over_wall_time(make_sim: MakeSim) -> None:
    arrivals: list[float] = []

    async def publish(topic: str, payload: bytes) -> None:
        arrivals.append(time.monotonic())

    await make_sim(speed=120.0).run(publish, duration_s=1.0)
    first_half = sum(1 for t in arrivals if t - arrivals[0] < 0.5)
    assert 0.3 < first_half / len(arrivals) < 0.7


async def test_run_stops_when_asked(make_sim: MakeSim) -> None:
    stop = asyncio.Event()
    count = 0

    async def publish(topic: str, payload: bytes) -> None:
        nonlocal count
        count += 1

    asyncio.get_running_loop().call_later(0.3, stop.set)
    began = time.monotonic()
    await make_sim(speed=10.0).run(publish, stop=stop)
    assert time.monotonic() - began < 1.5
    assert count > 0


async def test_unpaced_run_goes_as_fast_as_possible_for_a_scenario_span(make_sim: MakeSim) -> None:
    published: list[tuple[str, bytes]] = []

    async def publish(topic: str, payload: bytes) -> None:
        published.append((topic, payload))

    simulator = make_sim(speed=math.inf)
    count = await simulator.run(publish, scenario_s=3 * 3600)
    assert count == len(published)
    assert published == _stream(make_sim(), 3 * 3600)


async def test_unpaced_run_stops_on_the_wall_clock(make_sim: MakeSim) -> None:
    async def publish(topic: str, payload: bytes) -> None:
        await asyncio.sleep(0)

    began = time.monotonic()
    count = await make_sim(speed=math.inf).run(publish, duration_s=0.3)
    assert 0.25 < time.monotonic() - began < 1.5
    assert count > 0


async def test_a_failing_publisher_stops_the_run(make_sim: MakeSim) -> None:
    async def publish(topic: str, payload: bytes) -> None:
        raise ConnectionError("broker gone")

    with pytest.raises(ConnectionError, match="broker gone"):
        await make_sim(speed=100.0).run(publish, duration_s=1.0)


async def test_bad_run_limits_are_refused(make_sim: MakeSim) -> None:
    async def publish(topic: str, payload: bytes) -> None:
        return None

    with pytest.raises(ConfigError, match="duration_s"):
        await make_sim().run(publish, duration_s=-1)
    with pytest.raises(ConfigError, match="scenario_s"):
        await make_sim().run(publish, scenario_s=math.nan)


async def test_now_origin_is_taken_when_the_run_begins(make_sim: MakeSim) -> None:
    async def publish(topic: str, payload: bytes) -> None:
        return None

    simulator = make_sim(time_origin="now", speed=100.0)
    built = simulator.clock.emitted_ts(simulator.start)
    await asyncio.sleep(0.2)
    began = time.time()
    await simulator.run(publish, duration_s=0.05)
    assert simulator.clock.emitted_ts(simulator.start) >= began - 0.002
    assert simulator.clock.emitted_ts(simulator.start) > built + 0.15

    pinned = make_sim(time_origin="now", wall_start=1_900_000_000.0, speed=100.0)
    await pinned.run(publish, duration_s=0.05)
    assert pinned.clock.emitted_ts(pinned.start) == 1_900_000_000.0
