"""Runs Beffroi as a user would for the browser tests: `beffroi user add`, then `beffroi serve --config FILE` in its
own process, on a free port, until the test is done."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class RunningServer:
    """A Beffroi process and the accounts the test created in it."""

    url: str
    tenant: str
    data_dir: Path
    passwords: dict[str, str]
    log_path: Path

    def log(self) -> str:
        """What the server printed so far (for failure messages)."""
        return self.log_path.read_text(errors="replace")[-4000:]


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _beffroi(*args: str, env: dict[str, str], stdin: str | None = None) -> None:
    subprocess.run(
        [sys.executable, "-m", "beffroi", *args], input=stdin, text=True, env=env, check=True, capture_output=True
    )


@contextmanager
def beffroi_server(
    data_dir: Path, config_toml: str, tenant: str, users: dict[str, str], *, start_timeout_s: float = 60.0
) -> Iterator[RunningServer]:
    """Write the config, create `users` (username → role, password = username + '-password-1'), serve, yield."""
    port = free_port()
    config_path = data_dir / "beffroi.toml"
    config_path.write_text(config_toml.replace("{port}", str(port)).replace("{data_dir}", str(data_dir)))
    env = {**os.environ, "BEFFROI_API_SECRET": "browser-tests-secret-" + "x" * 32, "PYTHONUNBUFFERED": "1"}
    _beffroi("migrate", "--config", str(config_path), env=env)
    passwords = {}
    for username, role in users.items():
        password = f"{username}-password-1"
        _beffroi(
            "user",
            "add",
            username,
            "--config",
            str(config_path),
            "--tenant",
            tenant,
            "--role",
            role,
            "--password-stdin",
            env=env,
            stdin=password + "\n",
        )
        passwords[username] = password
    log_path = data_dir / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "beffroi", "serve", "--config", str(config_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )
    server = RunningServer(f"http://127.0.0.1:{port}", tenant, data_dir, passwords, log_path)
    try:
        deadline = time.monotonic() + start_timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"beffroi serve exited with {process.returncode}:\n{server.log()}")
            try:
                if httpx.get(f"{server.url}/health", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"beffroi serve did not answer /health in {start_timeout_s} s:\n{server.log()}")
            time.sleep(0.2)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
