"""The `beffroi` command: check-config, migrate and refusals through click's test runner; serve as a real process."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from beffroi import __version__
from beffroi.cli import main
from beffroi.config import DEFAULT_SCENARIO
from beffroi.store.store import Store

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
