"""The composition root in embedded mode (SQLite in tmp_path, in-process bus): the simulator's injected fire becomes
one alarm, /health reports every component, HTTP ingest reaches the store, and start and stop are clean."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from beffroi.app import COMPONENTS, Application
from beffroi.config import BeffroiConfig, parse_config
from beffroi.domain.alarms import Alarm, AlarmState
from beffroi.store.store import Store
from beffroi.workers.api import ApiWorker
from beffroi.workers.simulator import SimulatorWorker
from tests.bus.support import wait_until

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "scenarios" / "tests" / "tiny.json"
TENANT = "tiny"
SITE = "tiny-stadium"
SMOKE = "tiny-plant-room-smoke-01"
SMOKE_ZONE = "tiny-plant-room"
COUNTER = "tiny-gate-pc-01"
TOKEN = "app-test-ingest-token"
FIRE_AT_S = 20.0
SPEED = 120.0

StartApp = Callable[..., Awaitable[Application]]


def embedded_config(tmp_path: Path, **sections: Any) -> BeffroiConfig:
    """The embedded wiring on the tiny scenario, with an injected fire on its smoke detector early in the run."""
    data: dict[str, Any] = {
        "tenant": TENANT,
        "scenario": str(TINY),
        "data_dir": str(tmp_path),
        "store": {"url": f"sqlite:///{tmp_path / 'beffroi.db'}"},
        "bus": {"kind": "inprocess", "url": "inprocess://"},
        "api": {"host": "127.0.0.1", "port": 0},
        "http_ingest": {"token": {"env": "BEFFROI_INGEST_TOKEN"}},
        # the accelerated simulator's timestamps run ahead of the wall clock
        "ingest": {"max_future_skew_s": 1_000_000.0, "batch_linger_ms": 2.0},
        "engine": {"clock": "data", "absence_check_s": 0.5},
        "sim": {
            "speed": SPEED,
            "seed": 11,
            "random_incidents_per_hour": 0.0,
            "incidents": [{"kind": "fire", "at_s": FIRE_AT_S, "device": SMOKE, "duration_s": 600.0}],
        },
    }
    data.update(sections)
    return parse_config(data, "test")


@pytest.fixture
def ingest_token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("BEFFROI_INGEST_TOKEN", TOKEN)
    return TOKEN


@pytest.fixture
async def start_app(tmp_path: Path, ingest_token: str) -> AsyncIterator[StartApp]:
    """Starts an Application on the embedded config; every one started is stopped at the end of the test."""
    apps: list[Application] = []

    async def start(components: Sequence[str] = COMPONENTS, **sections: Any) -> Application:
        app = Application(embedded_config(tmp_path, **sections), components)
        apps.append(app)
        await app.start()
        return app

    yield start
    for app in apps:
        await app.stop()


def api_url(app: Application) -> str:
    worker = app.workers["api"]
    assert isinstance(worker, ApiWorker)
    assert worker.port != 0, "the API worker did not report the port it bound"
    return f"http://127.0.0.1:{worker.port}"


def fire_alarms(store: Store) -> list[Alarm]:
    return [alarm for alarm in store.query_alarms(TENANT) if alarm.key.type == "fire_alarm"]


def payload(device: str, values: dict[str, float], msg_id: str, ts: float | None = None) -> bytes:
    return msgspec.json.encode(
        {"id": msg_id, "streamId": device, "timestamp": (ts or time.time()) * 1000, "value": values}
    )


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


def test_an_unknown_component_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown component\(s\) \['radar'\]"):
        Application(embedded_config(tmp_path), ["engine", "radar"])


def test_components_start_in_the_documented_order_whatever_order_they_are_asked_in(tmp_path: Path) -> None:
    app = Application(embedded_config(tmp_path), ["api", "sim", "recorder", "gateway"])
    assert app.components == ["recorder", "gateway", "api", "sim"]


async def test_the_simulated_fire_becomes_one_alarm_and_everything_stops_cleanly(
    start_app: StartApp, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = await start_app()
    store, sim = app.store, app.workers["sim"]
    assert store is not None and isinstance(sim, SimulatorWorker) and sim.simulator is not None
    simulator = sim.simulator

    await wait_until(lambda: bool(fire_alarms(store)), 5.0, lambda: f"no fire alarm; {app.health()}")
    # let the incident's follow-up reports (heat rising, fire panel event) play for two scenario minutes
    await wait_until(
        lambda: simulator.position >= simulator.start + FIRE_AT_S + 130.0, 5.0, lambda: "the simulator stalled"
    )
    await wait_until(lambda: store.count_readings(TENANT) > 50, 5.0, lambda: f"{store.count_readings(TENANT)} stored")

    async with httpx.AsyncClient(base_url=api_url(app)) as http:
        response = await http.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["components"] == {name: "running" for name in COMPONENTS if name != "mobile"}  # mobile: not enabled

    alarms = fire_alarms(store)
    assert len(alarms) == 1, alarms
    alarm = alarms[0]
    assert (alarm.key.source, alarm.key.site_id, alarm.key.zone_id) == (SMOKE, SITE, SMOKE_ZONE)
    assert alarm.state is AlarmState.UNACKNOWLEDGED and alarm.condition_active
    keys = [a.key.as_text() for a in store.query_alarms(TENANT)]
    assert len(keys) == len(set(keys)), "one alarm key was raised twice"
    assert store.query_readings(TENANT, device_id=SMOKE, metric="smoke_obscuration_pct_m")

    health = app.health()
    gateway = health["gateway"]
    assert gateway["rejected_total"] == 0 and gateway["duplicates"] == 0, gateway  # every simulated payload is valid
    assert isinstance(gateway["accepted"], int) and gateway["accepted"] > 0
    assert isinstance(health["sim"]["published"], int) and health["sim"]["published"] > 0
    assert isinstance(health["engine"]["open_alarms"], int) and health["engine"]["open_alarms"] >= 1

    port = api_url(app)
    await app.stop()
    assert app.store is None and app.bus is None
    assert errors_logged(caplog) == []
    async with httpx.AsyncClient(base_url=port) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("/health")
    with Store(f"sqlite:///{tmp_path / 'beffroi.db'}") as reopened:
        assert len(fire_alarms(reopened)) == 1
        assert reopened.count_readings(TENANT) > 50


async def test_http_ingest_through_the_running_api(start_app: StartApp, caplog: pytest.LogCaptureFixture) -> None:
    app = await start_app(["recorder", "engine", "gateway", "api"])
    store = app.store
    assert store is not None
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=api_url(app)) as http:
        ok = await http.post(f"/ingest/{TENANT}", content=payload(COUNTER, {"occupancy": 120.0}, "m-1"), headers=auth)
        assert ok.status_code == 202
        assert ok.json() == {"accepted": 1, "duplicates": 0, "readings": 1, "events": 0, "rejected": []}
        await wait_until(
            lambda: bool(store.query_readings(TENANT, device_id=COUNTER)), 5.0, lambda: "the reading was not stored"
        )
        assert [r.value for r in store.query_readings(TENANT, device_id=COUNTER)] == [120.0]

        again = await http.post(f"/ingest/{TENANT}", content=payload(COUNTER, {"occupancy": 1.0}, "m-1"), headers=auth)
        assert again.status_code == 202 and again.json()["duplicates"] == 1

        wrong = await http.post(
            f"/ingest/{TENANT}",
            content=payload(COUNTER, {"occupancy": 99.0}, "m-2"),
            headers={"Authorization": "Bearer not-the-token"},
        )
        assert wrong.status_code == 401 and wrong.json()["reason"] == "unauthorized"

        garbage = b'{"streamId": "tiny-gate-pc-01", "value": {'
        bad = await http.post(f"/ingest/{TENANT}", content=garbage, headers=auth)
        assert bad.status_code == 400 and bad.json()["reason"] == "malformed"

        smoke = await http.post(
            f"/ingest/{TENANT}", content=payload(SMOKE, {"smoke_obscuration_pct_m": 9.5}, "m-3"), headers=auth
        )
        assert smoke.status_code == 202 and smoke.json()["accepted"] == 1

    await wait_until(lambda: bool(store.query_dead_letters(TENANT)), 5.0, lambda: "no dead letter stored")
    letters = store.query_dead_letters(TENANT)
    assert [(letter.reason, letter.raw, letter.source) for letter in letters] == [
        ("malformed", garbage, f"http:{TENANT}")
    ]
    await wait_until(lambda: bool(fire_alarms(store)), 5.0, lambda: "the smoke reading raised no alarm")
    assert [a.key.source for a in fire_alarms(store)] == [SMOKE]
    assert [r.value for r in store.query_readings(TENANT, device_id=COUNTER)] == [120.0]  # not the 401 one
    assert errors_logged(caplog) == []


async def test_without_an_ingest_token_the_endpoint_stays_closed(
    start_app: StartApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BEFFROI_INGEST_TOKEN")
    app = await start_app(["gateway", "api"])
    async with httpx.AsyncClient(base_url=api_url(app)) as http:
        response = await http.post(f"/ingest/{TENANT}", content=payload(COUNTER, {"occupancy": 1.0}, "m-1"))
        assert response.status_code == 503
        assert response.json()["reason"] == "ingest_token_not_configured"
        monkeypatch.setenv("BEFFROI_INGEST_TOKEN", TOKEN)  # the token is read on every request
        response = await http.post(
            f"/ingest/{TENANT}",
            content=payload(COUNTER, {"occupancy": 1.0}, "m-1"),
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert response.status_code == 202


async def test_with_http_ingest_disabled_the_api_has_no_ingest_route(start_app: StartApp) -> None:
    app = await start_app(["gateway", "api"], http_ingest={"enabled": False})
    async with httpx.AsyncClient(base_url=api_url(app)) as http:
        response = await http.post(
            f"/ingest/{TENANT}",
            content=payload(COUNTER, {"occupancy": 1.0}, "m-1"),
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert response.status_code == 404
        assert (await http.get("/health")).json()["components"] == {"gateway": "running", "api": "running"}


async def test_a_port_in_use_fails_the_start_and_leaves_nothing_running(tmp_path: Path, ingest_token: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        app = Application(embedded_config(tmp_path, api={"host": "127.0.0.1", "port": port}), ["recorder", "api"])
        with pytest.raises(OSError, match=f"could not start on 127.0.0.1:{port}"):
            await app.start()
    assert app.store is None and app.bus is None


async def test_a_failing_component_stops_those_already_started(start_app: StartApp, tmp_path: Path) -> None:
    bad_sim = Application(
        embedded_config(tmp_path, sim={"target": "inprocess"}),
        ["recorder", "sim"],  # the in-process simulator needs the gateway in the same process
    )
    with pytest.raises(ValueError, match="needs the gateway"):
        await bad_sim.start()
    assert bad_sim.store is None and bad_sim.bus is None
    again = await start_app(["recorder"])  # the database was left usable
    assert again.store is not None and again.store.list_devices(TENANT)
