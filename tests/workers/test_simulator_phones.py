"""The simulator worker's phones (`sim.phones`) on the tiny scenario: their signalling goes on the bus minute by
minute on the simulation's clock, in chunks, timestamped like the readings, and the mobile worker makes slot figures
of it (in-process bus, SQLite); the simulator alone, publishing to MQTT, sends it over NATS JetStream; bad settings
are refused naming `sim.phones`; no raw identifier is logged or stored."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

import msgspec
import pytest

from beffroi.app import Application
from beffroi.bus.base import Bus, BusMessage
from beffroi.bus.namespaced import NamespacedBus
from beffroi.config import BeffroiConfig, parse_config
from beffroi.domain import messages
from beffroi.domain.messages import SignallingRecords
from beffroi.errors import ConfigError
from beffroi.sim.phones import PhoneSimulation, cell_plan
from beffroi.sim.scenario import load_scenario
from beffroi.sim.simulator import Simulator
from beffroi.workers.mobile import decode_estimate
from beffroi.workers.simulator import PhoneFeed, SimulatorWorker
from tests.bus.conftest import delete_stream, nats_test_bus
from tests.bus.support import wait_until
from tests.services import MQTT_HOST, MQTT_PORT, NATS_URL, require_service

TINY = Path(__file__).resolve().parents[2] / "scenarios" / "tests" / "tiny.json"
TENANT, SITE = "tiny", "tiny-stadium"
SEED = 3
SPEED = 600.0
"""A simulated minute every 0.1 s: a 5-minute slot in half a second."""


class Signalling:
    """The signalling batches seen on the bus."""

    def __init__(self) -> None:
        self.batches: list[SignallingRecords] = []
        self.sizes: list[int] = []

    async def on_batch(self, message: BusMessage) -> None:
        self.sizes.append(len(message.data))
        self.batches.append(messages.decode(message.data, SignallingRecords))

    @property
    def subscribers(self) -> set[str]:
        return {subscriber for batch in self.batches for subscriber in batch.subscriber}

    @property
    def records(self) -> int:
        return sum(len(batch.ts) for batch in self.batches)


def phone_config(tmp_path: Path, *, sim: dict[str, Any] | None = None, **sections: Any) -> BeffroiConfig:
    """The tiny scenario with phones on its stadium, the mobile worker on its cell plan (written here), k=5."""
    plan = tmp_path / "cell-plan.json"
    simulated = cell_plan(load_scenario(TINY), "Orange", 0.4, SEED, sites=[SITE])
    plan.write_bytes(msgspec.json.encode(simulated))
    secret = tmp_path / "mobile-secret"
    secret.write_text("a-test-secret-of-32-bytes-at-least!\n")
    data: dict[str, Any] = {
        "tenant": TENANT,
        "scenario": str(TINY),
        "store": {"url": f"sqlite:///{tmp_path / 'beffroi.db'}"},
        "sim": {"speed": SPEED, "seed": SEED, "random_incidents_per_hour": 0, "phones": [SITE], **(sim or {})},
        "mobile": {"enabled": True, "cell_plan": str(plan), "secret_file": str(secret), "k": 5, "departement": "93"},
        **sections,
    }
    return parse_config(data, "test")


async def test_the_phones_signalling_becomes_mobile_figures_and_no_raw_identifier_is_logged_or_stored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = Application(phone_config(tmp_path), ["gateway", "mobile", "sim"])
    await app.start()
    seen, estimates = Signalling(), []

    async def on_estimate(message: BusMessage) -> None:
        estimates.append(decode_estimate(message.data))

    try:
        assert app.bus is not None
        await app.bus.subscribe(messages.signalling_subject(TENANT), "test-signalling", seen.on_batch)
        await app.bus.subscribe(messages.mobile_estimates_subject(TENANT), "test-estimates", on_estimate)
        sim = app.workers["sim"]
        assert isinstance(sim, SimulatorWorker) and sim.simulator is not None and sim.phones is not None
        await wait_until(lambda: len(estimates) >= 2, 30.0, lambda: f"{app.health()}")
        clock = sim.simulator.clock
        health = sim.health()
    finally:
        await app.stop()
    assert seen.batches and all(batch.tenant_id == TENANT and batch.operator == "Orange" for batch in seen.batches)
    assert health["signalling_records"] == seen.records >= 100
    assert health["signalling_batches_failed"] == 0
    # the records are stamped like the readings (the simulation's emitted time, from its start at 16:00)
    first = min(min(batch.ts) for batch in seen.batches)
    assert clock.emitted_ts(clock.sim_start) - 60 <= first <= clock.emitted_ts(clock.sim_start) + 60
    assert abs(clock.emitted_ts(clock.sim_start) - time.time()) < 60, "a demo run today emits today's times"
    slot = estimates[0]
    assert slot.slot_start >= first - 300 and slot.slot_end - slot.slot_start == 300
    present = [zone.present.people for zone in slot.zones if zone.present.people is not None]
    assert present and all(people > 0 for people in present)
    # identifiers: on the bus between the simulator and the mobile worker only
    database = "\n".join(sqlite3.connect(tmp_path / "beffroi.db").iterdump())
    for subscriber in list(seen.subscribers)[:200]:
        assert subscriber not in caplog.text
        assert subscriber not in database


async def test_the_feed_publishes_in_chunks_minute_by_minute_never_ahead_of_the_simulation_clock(bus: Bus) -> None:
    scenario = load_scenario(TINY)
    simulator = Simulator(scenario, seed=SEED, speed=60.0)  # a simulated minute per second
    feed = PhoneFeed(PhoneSimulation(scenario, seed=SEED, sites=[SITE]), simulator, bus, chunk=50)
    seen = Signalling()
    await bus.subscribe(messages.signalling_subject(TENANT), "test-signalling", seen.on_batch)
    stop = asyncio.Event()
    task = asyncio.create_task(feed.run(stop))
    try:
        await wait_until(lambda: feed.minutes >= 2, 10.0, lambda: f"{feed.minutes} minutes")
        reached = simulator.clock.scenario_now() - simulator.start
        published = feed.minutes
    finally:
        stop.set()
        await asyncio.wait_for(task, 5.0)
    assert published <= reached / 60.0, "a minute leaves once the simulation has passed its end"
    assert feed.batches == len(seen.batches) and feed.records == seen.records > 0
    assert all(len(batch.ts) <= 50 for batch in seen.batches)
    ids = [batch.batch_id for batch in seen.batches]
    assert len(set(ids)) == len(ids) and all(simulator.run_tag in batch_id for batch_id in ids)
    # in time order across the chunks of a minute, stamped on the emitted time
    ts = [t for batch in seen.batches for t in batch.ts]
    assert ts == sorted(ts)
    assert simulator.clock.emitted_ts(simulator.start) <= ts[0] < simulator.clock.emitted_ts(simulator.start + 120)


async def test_phones_on_an_unknown_site_are_refused_naming_sim_phones(tmp_path: Path, bus: Bus) -> None:
    worker = SimulatorWorker(phone_config(tmp_path, sim={"phones": ["atlantis"], "target": "mqtt"}), bus=bus)
    with pytest.raises(ConfigError) as refused:
        await worker.start()
    assert refused.value.source == "sim.phones"
    assert any("'atlantis' is not a site of the scenario" in problem for problem in refused.value.problems)


async def test_phones_without_a_bus_are_refused_naming_sim_phones(tmp_path: Path) -> None:
    worker = SimulatorWorker(phone_config(tmp_path, sim={"target": "mqtt"}))
    with pytest.raises(ConfigError) as refused:
        await worker.start()
    assert refused.value.source == "sim.phones"
    assert "bus" in refused.value.problems[0]


def test_a_site_listed_twice_is_refused_with_its_key_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        phone_config(tmp_path, sim={"phones": [SITE, SITE]})
    assert any(problem.startswith("sim.phones") and SITE in problem for problem in refused.value.problems)


def test_no_phones_by_default(tmp_path: Path) -> None:
    assert parse_config({"tenant": TENANT, "scenario": str(TINY)}, "test").sim.phones == []


@pytest.mark.nats
async def test_the_simulator_alone_publishing_to_mqtt_sends_the_phones_over_nats(tmp_path: Path) -> None:
    require_service("nats")
    require_service("mqtt")
    token = uuid.uuid4().hex[:16]
    bus_section = {"kind": "nats", "url": NATS_URL, "stream": f"T_{token}", "namespace": f"t{token}"}
    mqtt_sim = {"target": "mqtt", "mqtt_host": MQTT_HOST, "mqtt_port": MQTT_PORT, "mqtt_qos": 0}
    config = phone_config(tmp_path, sim=mqtt_sim, bus=bus_section)
    app = Application(config, ["sim"], load_registry=False)
    reader = NamespacedBus(nats_test_bus(token), f"t{token}")
    seen = Signalling()
    await app.start()
    try:
        assert app.store is None, "the simulator alone needs no store"
        await reader.start()
        await reader.subscribe(messages.signalling_subject(TENANT), "test-signalling", seen.on_batch)
        await wait_until(lambda: seen.records > 0, 20.0, lambda: str(app.health()))
    finally:
        await app.stop()
        await reader.close()
        await delete_stream(f"T_{token}")
    assert all(batch.tenant_id == TENANT for batch in seen.batches)
