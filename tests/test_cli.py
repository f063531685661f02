"""The `beffroi` command: check-config, migrate and refusals through click's test runner; serve as a real process."""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from beffroi import __version__
from beffroi.cli import demo_phone_sections, main, write_demo_phone_files
from beffroi.config import DEFAULT_SCENARIO, BeffroiConfig, parse_config
from beffroi.sim.phones import PhoneSimulation
from beffroi.sim.scenario import load_scenario
from beffroi.store.store import Store
from beffroi.workers.mobile import load_cell_plan

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "scenarios" / "tests" / "tiny.json"

INVALID_SCENARIOS = {
    "invalid_area.json": "sites[0].zones[1].area_m2",
    "invalid_unknown_zone.json": "sites[0].devices[5].zone",
    "invalid_duplicate_id.json": "sites[0].devices[4].id",
    "invalid_open_ring.json": "sites[0].zones[0].geometry.coordinates",
    "invalid_missing_field.json": "sites[0].zones[2].capacity",
    "invalid_device_kind.json": "sites[0].devices[6].kind",
    "invalid_naive_time.json": "sites[0].schedule[0].start",
}
"""Each broken test scenario and the key path its one problem names (scenarios/README.md)."""


@pytest.fixture(autouse=True)
def no_config_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """`BEFFROI_X__Y` variables override config keys: none may leak in from the shell running the tests."""
    for name in list(os.environ):
        if name.startswith("BEFFROI_") and "__" in name:
            monkeypatch.delenv(name)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def write_config(tmp_path: Path, sections: str = "", *, top: str = "") -> Path:
    """A TOML config on the tiny scenario and a SQLite file in tmp_path; `top` adds top-level keys."""
    path = tmp_path / "beffroi.toml"
    path.write_text(
        f'tenant = "tiny"\nscenario = "{TINY}"\n{top}[store]\nurl = "sqlite:///{tmp_path / "cli.db"}"\n{sections}',
        encoding="utf-8",
    )
    return path


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"beffroi, version {__version__}"


def test_help_lists_every_command() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in ("demo", "serve", "worker", "sim", "check-config", "migrate"):
        assert re.search(rf"^\s+{command}\s", result.output, re.MULTILINE), command


def test_check_config_accepts_the_default_scenario_and_counts_it() -> None:
    result = run("check-config", str(DEFAULT_SCENARIO))
    assert result.exit_code == 0, result.output
    counts = re.search(r"(\d+) sites, (\d+) zones, (\d+) devices", result.stdout)
    assert counts is not None, result.stdout
    sites, zones, devices = (int(n) for n in counts.groups())
    assert sites >= 50 and devices >= 3000 and zones > sites


def test_check_config_accepts_the_tiny_scenario() -> None:
    result = run("check-config", str(TINY))
    assert result.exit_code == 0
    assert "1 sites, 3 zones, 12 devices" in result.stdout


@pytest.mark.parametrize(("name", "key_path"), sorted(INVALID_SCENARIOS.items()))
def test_check_config_names_the_key_path_of_a_broken_scenario(name: str, key_path: str) -> None:
    result = run("check-config", str(ROOT / "scenarios" / "tests" / name))
    assert result.exit_code == 1
    assert result.stdout == ""
    problems = [line.strip() for line in result.stderr.splitlines()[1:]]
    assert len(problems) == 1 and problems[0].startswith(f"{key_path}:"), result.stderr


def test_check_config_names_an_unknown_key_of_a_toml_config(tmp_path: Path) -> None:
    path = tmp_path / "typo.toml"
    path.write_text('[store]\nulr = "sqlite:///x.db"\n', encoding="utf-8")
    result = run("check-config", str(path))
    assert result.exit_code == 1
    assert f"invalid configuration {path}:" in result.stderr
    assert "store.ulr" in result.stderr


def test_check_config_names_a_bad_value_and_an_environment_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEFFROI_API__PORT", "not-a-port")
    result = run("check-config", str(write_config(tmp_path, '[engine]\nclock = "sundial"\n')))
    assert result.exit_code == 1
    assert "engine.clock" in result.stderr and "api.port" in result.stderr


def test_check_config_accepts_a_valid_toml_config(tmp_path: Path) -> None:
    result = run("check-config", str(write_config(tmp_path, '[engine]\nclock = "data"\n')))
    assert result.exit_code == 0, result.output
    assert "valid configuration" in result.stdout and "1 sites, 12 devices" in result.stdout


def test_check_config_of_a_toml_config_checks_its_scenario_too(tmp_path: Path) -> None:
    path = tmp_path / "beffroi.toml"
    path.write_text(f'scenario = "{ROOT / "scenarios" / "tests" / "invalid_device_kind.json"}"\n', encoding="utf-8")
    result = run("check-config", str(path))
    assert result.exit_code == 1
    assert "sites[0].devices[6].kind" in result.stderr


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("missing.toml", None, "file not found"),
        ("broken.toml", "[store\nurl = 1", "not valid TOML"),
        ("missing.json", None, "file not found"),
    ],
)
def test_check_config_of_an_unreadable_file_fails_cleanly(
    tmp_path: Path, name: str, content: str | None, expected: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = run("check-config", str(path))
    assert result.exit_code == 1
    assert expected in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_migrate_creates_the_database_and_loads_the_registry(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = run("migrate", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "database is up to date" in result.stdout
    with Store(f"sqlite:///{tmp_path / 'cli.db'}") as store:
        assert [tenant.id for tenant in store.list_tenants()] == ["tiny"]
        assert [site.id for site in store.list_sites("tiny")] == ["tiny-stadium"]
        assert len(store.list_zones("tiny")) == 3
        assert len(store.list_devices("tiny")) == 12
    again = run("migrate", "--config", str(config))  # idempotent
    assert again.exit_code == 0, again.output


def test_migrate_without_the_scenario_creates_an_empty_schema(tmp_path: Path) -> None:
    result = run("migrate", "--config", str(write_config(tmp_path)), "--no-scenario")
    assert result.exit_code == 0, result.output
    with Store(f"sqlite:///{tmp_path / 'cli.db'}") as store:
        assert store.list_tenants() == []
        assert store.count_readings("tiny") == 0


def test_migrate_with_a_broken_scenario_fails_with_its_key_path(tmp_path: Path) -> None:
    path = tmp_path / "beffroi.toml"
    path.write_text(
        f'scenario = "{ROOT / "scenarios" / "tests" / "invalid_unknown_zone.json"}"\n'
        f'[store]\nurl = "sqlite:///{tmp_path / "cli.db"}"\n',
        encoding="utf-8",
    )
    result = run("migrate", "--config", str(path))
    assert result.exit_code == 1
    assert "sites[0].devices[5].zone" in result.stderr


def test_worker_sim_without_an_mqtt_target_is_refused(tmp_path: Path) -> None:
    result = run("worker", "sim", "--config", str(write_config(tmp_path)))
    assert result.exit_code == 1
    assert 'set sim.target = "mqtt"' in result.stderr
    assert not (tmp_path / "cli.db").exists()  # refused before anything started


def test_worker_with_an_unknown_name_is_a_usage_error(tmp_path: Path) -> None:
    result = run("worker", "radar", "--config", str(write_config(tmp_path)))
    assert result.exit_code == 2
    assert "radar" in result.stderr


def test_serve_with_an_invalid_config_exits_1_before_starting(tmp_path: Path) -> None:
    result = run("serve", "--config", str(write_config(tmp_path, "[api]\nport = 70000\n")))
    assert result.exit_code == 1
    assert "api.port" in result.stderr
    assert not (tmp_path / "cli.db").exists()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_answers_health_then_stops_cleanly_on_a_signal(tmp_path: Path, stop_signal: signal.Signals) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = write_config(tmp_path, f"[sim]\nenabled = false\n[api]\nport = {port}\n", top='log_level = "WARNING"\n')
    process = subprocess.Popen(
        [sys.executable, "-m", "beffroi", "serve", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 15.0
        health: httpx.Response | None = None
        # The API answers as soon as it listens, while it is itself still "starting" (503): wait for 200.
        while (health is None or health.status_code == 503) and time.monotonic() < deadline and process.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.0)
            except httpx.TransportError:
                time.sleep(0.1)
            else:
                time.sleep(0.05)
        assert health is not None, "serve never answered /health"
        assert health.status_code == 200
        assert health.json()["components"] == {
            name: "running" for name in ("recorder", "engine", "incidents", "gateway", "video", "crowd", "api")
        }
        process.send_signal(stop_signal)
        output, _ = process.communicate(timeout=15.0)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output.decode(errors="replace")
    assert b"Traceback" not in output


def test_serve_on_a_port_in_use_exits_1_with_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(
            tmp_path, f"[sim]\nenabled = false\n[api]\nport = {port}\n", top='log_level = "WARNING"\n'
        )
        finished = subprocess.run(
            [sys.executable, "-m", "beffroi", "serve", "--config", str(config)],
            capture_output=True,
            check=False,
            cwd=tmp_path,
            timeout=30,
        )
    stderr = finished.stderr.decode(errors="replace")
    assert finished.returncode == 1, stderr
    assert f"beffroi: the API could not start on 127.0.0.1:{port}" in stderr
    assert "Traceback" not in stderr


def demo_config(data_dir: Path, *extra: str) -> BeffroiConfig:
    """The config `beffroi demo` builds (the phones' sections included), without starting anything."""
    sections = demo_phone_sections(data_dir)
    return parse_config(
        {"data_dir": str(data_dir), "sim": {"seed": 5, **sections["sim"]}, "mobile": sections["mobile"]}, "demo"
    )


def test_the_demo_phones_are_on_the_camera_sites_with_a_cell_plan_and_a_private_secret_in_the_data_dir(
    tmp_path: Path,
) -> None:
    config = demo_config(tmp_path)
    assert config.sim.phones == ["stade-de-france", "stade-de-france-rer-d"]
    mobile = config.mobile
    assert mobile.enabled and mobile.stream and mobile.k == 20 and mobile.market_share == 0.4
    assert mobile.departement == "93"
    assert mobile.cell_plan is not None and mobile.cell_plan.parent == tmp_path
    assert mobile.secret_file is not None and mobile.secret_file.parent == tmp_path
    write_demo_phone_files(config)
    # the mobile worker reads the plan, and its cells are those the simulated phones are heard on
    plan = load_cell_plan(mobile)
    phones = PhoneSimulation(load_scenario(DEFAULT_SCENARIO), seed=5, sites=config.sim.phones)
    assert [cell.id for cell in plan.cells] == [cell.id for cell in phones.plan.cells]
    secret = mobile.read_secret(environ={})
    assert len(secret) >= 32
    assert stat.S_IMODE(mobile.secret_file.stat().st_mode) == 0o600
    # a restart keeps the secret (pseudonyms stay comparable) and rewrites the plan
    write_demo_phone_files(config)
    assert mobile.read_secret(environ={}) == secret
    assert not list(tmp_path.glob(".*partial"))
    other = tmp_path / "other"
    other.mkdir()
    write_demo_phone_files(demo_config(other))
    assert demo_config(other).mobile.read_secret(environ={}) != secret, "each install makes its own"


def test_demo_help_offers_the_phones() -> None:
    result = run("demo", "--help")
    assert result.exit_code == 0
    assert "--phones / --no-phones" in result.output


@pytest.mark.slow
def test_the_demo_answers_mobile_figures_for_a_stade_de_france_zone_after_a_slot(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "BEFFROI_DEMO_PASSWORD": "demo-test-password"}
    # at 20x the simulated city's readings keep a slow CI machine's event loop busy for seconds at a time (the API
    # answered in 3 to 15 s and no slot had closed after 75 s); at 8x a slot closes within about 30 s
    args = ["demo", "--data-dir", str(tmp_path), "--port", str(port), "--speed", "8", "--no-cameras"]
    process = subprocess.Popen(
        [sys.executable, "-m", "beffroi", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=ROOT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        token = None
        deadline = time.monotonic() + 60.0
        while token is None and time.monotonic() < deadline and process.poll() is None:
            try:
                login = {"tenant": "paris2024", "username": "demo", "password": "demo-test-password"}
                answer = httpx.post(f"{base}/api/auth/login", json=login, timeout=2.0)
                token = answer.json()["access_token"] if answer.status_code == 200 else None
            except httpx.TransportError:
                time.sleep(0.3)
        assert token is not None, "the demo never let the demo user log in"
        slots: list[dict[str, Any]] = []
        deadline = time.monotonic() + 120.0  # 5 simulated minutes and the lateness are under 45 s at 8×
        while not slots and time.monotonic() < deadline and process.poll() is None:
            time.sleep(1.0)
            answer = httpx.get(
                f"{base}/api/zones/stade-de-france-stand-n/mobile",
                headers={"Authorization": f"Bearer {token}"},
                timeout=15.0,
            )
            assert answer.status_code == 200, answer.text
            slots = answer.json()["slots"]
        assert slots, "no mobile slot for the Stade de France's north stand"
        assert slots[0]["slot_end"] - slots[0]["slot_start"] == 300
        assert slots[0]["operator"] == "Orange" and slots[0]["market_share"] == 0.4
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30.0)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output.decode(errors="replace")
    assert b"Traceback" not in output
