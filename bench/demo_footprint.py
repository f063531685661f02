"""The demo's footprint: `beffroi demo` with the whole default scenario (3,600+ devices, 76 sites), its resident
memory (peak VmHWM and samples), CPU and what it stored, against the 1 GiB budget, with and without the simulated
phones and the mobile worker (`--phones on|off|both`). Prints one JSON object.

  .venv/bin/python bench/demo_footprint.py --seconds 120 --speed 1 --speed 10 --phones both
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
BUDGET_MB = 1024.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def run_demo(seconds: float, speed: float, phones: bool, workdir: Path) -> dict[str, Any]:
    port = free_port()
    data = workdir / f"speed-{speed:g}-{'phones' if phones else 'no-phones'}"
    data.mkdir()
    log = (data / "demo.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "beffroi",
            "demo",
            "--data-dir",
            str(data),
            "--port",
            str(port),
            "--speed",
            str(speed),
            "--phones" if phones else "--no-phones",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "BEFFROI_INGEST_TOKEN": "bench"},
    )
    try:
        launched = time.monotonic()
        deadline = launched + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"the demo did not answer on /health: see {data / 'demo.log'}")
        start_s = time.monotonic() - launched
        process = psutil.Process(proc.pid)
        cpu_before = sum(process.cpu_times()[:2])
        started = time.monotonic()
        samples = []
        while time.monotonic() - started < seconds:
            time.sleep(1.0)
            samples.append(process.memory_info().rss / 2**20)
        wall = time.monotonic() - started
        cpu = sum(process.cpu_times()[:2]) - cpu_before
        peak = peak_rss_mb(proc.pid)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
        log.close()
    db = sqlite3.connect(data / "beffroi.db")
    readings = db.execute("SELECT count(*) FROM readings").fetchone()[0]
    alarms = db.execute("SELECT type, count(*) FROM alarms GROUP BY type").fetchall()
    dead = db.execute("SELECT count(*) FROM dead_letters").fetchone()[0]
    mobile_slots = db.execute("SELECT count(*) FROM mobile_slots").fetchone()[0]
    mobile_zones = db.execute("SELECT count(DISTINCT zone_id) FROM mobile_zone_figures").fetchone()[0]
    db.close()
    return {
        "speed": speed,
        "phones": phones,
        "start_s": round(start_s, 1),
        "seconds": round(wall, 1),
        "peak_rss_mb": round(peak, 1),
        "rss_last_mb": round(samples[-1], 1),
        "rss_first_mb": round(samples[0], 1),
        "within_budget": peak < BUDGET_MB,
        "cpu_pct_of_one_core": round(100 * cpu / wall, 1),
        "readings_stored": readings,
        "readings_per_s": round(readings / wall),
        "alarms_by_type": dict(alarms),
        "dead_letters": dead,
        "mobile_slots_stored": mobile_slots,
        "mobile_zones_with_figures": mobile_zones,
        "exit_code": proc.returncode,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--speed", type=float, action="append", help="simulated seconds per second (repeatable)")
    parser.add_argument(
        "--phones",
        choices=["on", "off", "both"],
        default="both",
        help="run the demo with the simulated phones and the mobile worker, without, or both (to compare)",
    )
    args = parser.parse_args()
    speeds = args.speed or [1.0, 10.0]
    variants = {"on": [True], "off": [False], "both": [False, True]}[args.phones]
    with tempfile.TemporaryDirectory(prefix="beffroi-demo-") as tmp:
        runs = [run_demo(args.seconds, speed, phones, Path(tmp)) for speed in speeds for phones in variants]
    print(json.dumps({"budget_mb": BUDGET_MB, "cores": os.cpu_count(), "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
