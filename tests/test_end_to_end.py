"""End to end on the real servers: simulator -> Mosquitto -> gateway -> NATS JetStream -> engine and recorder ->
PostgreSQL. An injected fire becomes exactly one alarm, and killing the gateway and the engine (SIGKILL) in the
middle loses no acknowledged reading and creates no duplicate."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
import sqlalchemy as sa

from beffroi.domain.alarms import AlarmState
from beffroi.domain.registry import DeviceKind
from beffroi.sim.mqtt_publisher import MqttPublisher
from beffroi.sim.scenario import load_scenario
from beffroi.sim.simulator import Simulator
from beffroi.store.store import Store
from tests.services import NATS_URL, POSTGRES_ADMIN_URL, require_service

pytestmark = [pytest.mark.postgres, pytest.mark.mqtt, pytest.mark.nats, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "scenarios" / "tests" / "tiny.json"
SPEED = 60.0
RUN_S = 16.0


@pytest.fixture
def database() -> Iterator[str]:
    require_service("postgres")
    name = f"beffroi_e2e_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def broker_port(tmp_path: Path) -> Iterator[int]:
    """A private Mosquitto configured as a deployment must be: no limit on the messages it queues for a persistent
    session while the gateway restarts (Debian's default `max_queued_messages 1000` drops QoS 1 messages it has
    already acknowledged to the publisher — a loss this test would otherwise see whenever a restart is slow)."""
    require_service("mqtt")  # the system broker's presence says Mosquitto is installed and usable here
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 0\nmax_queued_bytes 0\n",
        encoding="utf-8",
    )
    broker = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10.0
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline or broker.poll() is not None:
                    raise RuntimeError("the private Mosquitto did not start") from None
                time.sleep(0.05)
        yield port
    finally:
        broker.terminate()
        broker.wait(10)


class Workers:
    """The gateway, engine and recorder as separate `beffroi worker` processes."""

    def __init__(self, config_path: Path, log_dir: Path) -> None:
        self._config = config_path
        self._logs = log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.starts: dict[str, int] = {}

    def start(self, name: str) -> None:
        self.starts[name] = self.starts.get(name, 0) + 1
        with (self._logs / f"{name}-{self.starts[name]}.log").open("wb") as log:
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", "beffroi", "worker", name, "--config", str(self._config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()

    def wait_started(self, name: str, timeout: float = 60.0) -> None:
        """Wait until the latest `name` process logged that it started (`beffroi.app: <name> started`).

        For the gateway this means its MQTT connection is up and its subscription sent: until its first connection
        the broker holds no session for it, and the device messages published before are dropped (nobody
        subscribed). A fixed pause is not enough: three workers starting at once on a loaded machine can take
        several seconds each."""
        log = self._logs / f"{name}-{self.starts[name]}.log"
        proc = self.procs[name]

        def started() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"worker {name} exited with {proc.returncode}:\n{self.logs()}")
            return f"beffroi.app: {name} started" in log.read_text(errors="replace")

        _wait_until(started, timeout, f"worker {name} to start")

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(self._logs.glob("*.log"))
        )


def _wait_until(predicate: object, timeout: float, what: str) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_sim_to_postgres_through_mqtt_and_nats_with_restarts(database: str, broker_port: int, tmp_path: Path) -> None:
    require_service("nats")
    run = uuid.uuid4().hex[:8]
    scenario = load_scenario(TINY)
    site = scenario.sites[0]
    smoke = next(d for d in site.devices if d.kind is DeviceKind.SMOKE_HEAT)
    prefix = f"e2e{run}"
    config_path = tmp_path / "beffroi.toml"
    config_path.write_text(
        f"""
tenant = "{scenario.tenant.id}"
scenario = "{TINY}"
log_level = "INFO"
[store]
url = "{database}"
[bus]
kind = "nats"
url = "{NATS_URL}"
stream = "E2E_{run}"
namespace = "{prefix}"
max_age_s = 3600
[mqtt]
enabled = true
port = {broker_port}
client_id = "{prefix}-gateway"
topics = ["{prefix}/+/data/#"]
[ingest]
max_future_skew_s = 100000
batch_linger_ms = 5
[engine]
clock = "data"
absence_check_s = 0.5
""",
        encoding="utf-8",
    )
    store = Store(database)
    store.migrate()
    store.close()
    workers = Workers(config_path, tmp_path)
    for name in ("recorder", "engine", "gateway"):
        workers.start(name)
    for name in ("recorder", "engine", "gateway"):
        workers.wait_started(name)  # readings published before the gateway's first subscription would be lost
    ground_truth = tmp_path / "truth.jsonl"
    simulator = Simulator(
        scenario,
        seed=7,
        speed=SPEED,
        random_incidents_per_hour=0.0,
        ground_truth_path=ground_truth,
        topic_prefix=prefix,
        incidents=[
            {
                "kind": "fire",
                "at_s": 240.0,
                "site": site.id,
                "zone": smoke.zone,
                "device": smoke.id,
                "duration_s": 300.0,
            }
        ],
    )
    published_readings = 0
    decoder = msgspec.json.Decoder()

    async def drive() -> None:
        nonlocal published_readings
        publisher = MqttPublisher("127.0.0.1", broker_port, client_id=f"{prefix}-sim", qos=1)
        await publisher.start()

        async def publish(topic: str, payload: bytes) -> None:
            nonlocal published_readings
            await publisher.publish(topic, payload)
            published_readings += len(decoder.decode(payload).get("value", {}))

        async def chaos() -> None:
            await asyncio.sleep(RUN_S * 0.35)
            workers.kill("gateway")
            await asyncio.sleep(1.0)
            workers.start("gateway")
            await asyncio.sleep(RUN_S * 0.25)
            workers.kill("engine")
            await asyncio.sleep(1.0)
            workers.start("engine")

        chaos_task = asyncio.create_task(chaos())
        await simulator.run(publish, duration_s=RUN_S)
        await chaos_task
        await publisher.stop()

    try:
        asyncio.run(drive())
        assert published_readings > 500, "the simulator published too little to test anything"
        store = Store(database)
        try:
            tenant = scenario.tenant.id
            try:
                _wait_until(lambda: store.count_readings(tenant) >= published_readings, 90, "every reading stored")
            except AssertionError:
                reasons = Counter(letter.reason for letter in store.query_dead_letters(None))
                pytest.fail(
                    f"stored {store.count_readings(tenant)} of {published_readings}; dead letters {dict(reasons)}\n"
                    f"{workers.logs()}"
                )
            time.sleep(2.0)
            assert store.count_readings(tenant) == published_readings
            truth = [json.loads(line) for line in ground_truth.read_text(encoding="utf-8").splitlines()]
            assert [t["kind"] for t in truth] == ["fire"]
            fire_alarms = [a for a in store.query_alarms(tenant) if a.key.type == "fire_alarm"]
            assert len(fire_alarms) == 1, fire_alarms
            alarm = fire_alarms[0]
            assert alarm.key.source == smoke.id and alarm.key.zone_id == smoke.zone
            assert alarm.state in {AlarmState.UNACKNOWLEDGED, AlarmState.RTN_UNACKNOWLEDGED}
            keys = [a.key.as_text() for a in store.query_alarms(tenant)]
            assert len(keys) == len(set(keys)), "an alarm key was raised twice"
            assert workers.starts == {"recorder": 1, "engine": 2, "gateway": 2}
        finally:
            store.close()
    finally:
        workers.stop_all()
