"""The throughput benchmark runs and reports what it measured (a short run, to keep it from rotting)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sim_throughput_bench_prints_its_measure() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "sim_throughput.py"), "--hours", "0.01"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["benchmark"] == "sim_throughput"
    assert result["devices"] > 1000
    assert result["messages"] > 1000
    assert result["messages_per_s"] > 0
    assert 80 < result["mean_payload_bytes"] < 400
