"""Runs `beffroi demo` (the README's demo: Paris 2024, SQLite, in-process bus, simulator) in its own process for
the browser tests and the console benchmark."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.browser.server import ROOT, RunningServer, free_port

DEMO_PASSWORD = "demo-password-for-tests"


@contextmanager
def running_demo(data_dir: Path, *, speed: float = 10.0, start_timeout_s: float = 120.0) -> Iterator[RunningServer]:
    """`beffroi demo --port P --data-dir D --speed S` until the block ends; the demo account's password is known."""
    port = free_port()
    env = {**os.environ, "BEFFROI_DEMO_PASSWORD": DEMO_PASSWORD, "PYTHONUNBUFFERED": "1"}
    log_path = data_dir / "demo.log"
    args = ["demo", "--port", str(port), "--data-dir", str(data_dir), "--speed", str(speed)]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "beffroi", *args], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT
        )
    server = RunningServer(f"http://127.0.0.1:{port}", "paris2024", data_dir, {"demo": DEMO_PASSWORD}, log_path)
    try:
        deadline = time.monotonic() + start_timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"beffroi demo exited with {process.returncode}:\n{server.log()}")
            try:
                if httpx.get(f"{server.url}/health", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"beffroi demo did not answer /health in {start_timeout_s} s:\n{server.log()}")
            time.sleep(0.3)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
