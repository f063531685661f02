"""End-to-end benchmark: MQTT in -> gateway -> bus -> engine (rules) + recorder -> store, on real processes.

Modes:
  postgres-nats  the production wiring: `beffroi worker gateway|engine|recorder` as three processes on
                 PostgreSQL and NATS JetStream;
  embedded       one `beffroi serve` process on SQLite and the in-process bus (MQTT in as well).
Each mode is compared, in the same run, with the baseline of Mosquitto delivering the same messages to one bare
gmqtt subscriber that only counts them (the broker's ceiling on this machine).

It publishes people-counter payloads (4 readings each) as fast as the broker takes them from `--publishers`
processes for `--seconds`, plus a probe every 50 ms (a smoke detector crossing its threshold) whose alarm is
timed from publish to "alarm stored" (the engine publishes an alarm change only after committing it; the
benchmark polls the store for the probe's alarm). Prints one JSON object.

  .venv/bin/python bench/end_to_end.py --mode both --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psutil
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("BEFFROI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
NATS_URL = os.environ.get("BEFFROI_TEST_NATS_URL", "nats://127.0.0.1:4222")
TENANT = "bench"
SITE = "bench-site"
LON, LAT = 2.3522, 48.8566


def square(lon: float, lat: float, side_m: float) -> list[list[float]]:
    dlat = side_m / 111_320.0
    dlon = side_m / (111_320.0 * math.cos(math.radians(lat)))
    ring = [[lon, lat], [lon + dlon, lat], [lon + dlon, lat + dlat], [lon, lat + dlat], [lon, lat]]
    return [[round(x, 7), round(y, 7)] for x, y in ring]


def make_scenario(path: Path, counters: int, probes: int) -> None:
    """One site, one zone, `counters` people counters and `probes` smoke detectors."""
    from beffroi.sim.scenario import PolygonGeometry

    geometry = {"type": "Polygon", "coordinates": [square(LON, LAT, 200.0)]}
    area = PolygonGeometry.model_validate(geometry).area_m2()
    devices = [
        {"id": f"pc-{i:05d}", "kind": "people_counter", "zone": "z", "position": [LON + 0.0005, LAT + 0.0005]}
        for i in range(counters)
    ] + [
        {
            "id": f"smoke-{i:05d}",
            "kind": "smoke_heat",
            "zone": "z",
            "position": [LON + 0.0005, LAT + 0.0005],
            "interval_s": 86_400,
        }
        for i in range(probes)
    ]
    scenario = {
        "format_version": 1,
        "name": "bench",
        "tenant": {"id": TENANT, "name": "Bench"},
        "start": "2024-07-26T16:00:00+02:00",
        "sites": [
            {
                "id": SITE,
                "name": "Bench",
                "kind": "stadium",
                "position": [LON, LAT],
                "zones": [
                    {
                        "id": "z",
                        "name": "Z",
                        "kind": "concourse",
                        "area_m2": area,
                        "capacity": 10_000,
                        "geometry": geometry,
                    }
                ],
                "devices": devices,
            }
        ],
    }
    path.write_text(json.dumps(scenario), encoding="utf-8")


def publisher(prefix: str, index: int, counters: int, seconds: float, qos: int, counts: Any) -> None:
    """One load process: people-counter payloads as fast as the broker acknowledges them."""
    import gmqtt

    async def run() -> None:
        client = gmqtt.Client(f"{prefix}-pub-{index}")
        await client.connect("127.0.0.1", 1883, keepalive=60)
        sent = 0
        deadline = time.monotonic() + seconds
        device = index
        while time.monotonic() < deadline:
            for _ in range(200):
                device_id = f"pc-{device % counters:05d}"
                device += 7
                now_ms = time.time() * 1000.0
                payload = (
                    f'{{"id":"{prefix}-{index}-{sent}","streamId":"{device_id}","timestamp":{now_ms:.3f},'
                    f'"value":{{"count_in":{sent % 17},"count_out":{sent % 13},"occupancy":{sent % 900},'
                    f'"occupancy_ratio":0.{sent % 80:02d}}}}}'
                ).encode()
                client.publish(f"{prefix}/{TENANT}/data/{SITE}/{device_id}", payload, qos=qos)
                sent += 1
            # Let gmqtt write and take acknowledgements; keep the in-flight window bounded.
            while len(client._persistent_storage._messages) > 2000:  # noqa: ASYNC110 (gmqtt has no event for it)
                await asyncio.sleep(0.001)
            await asyncio.sleep(0)
        while len(client._persistent_storage._messages) > 0:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        await client.disconnect()
        counts[index] = sent

    asyncio.run(run())


def run_load(prefix: str, publishers: int, counters: int, seconds: float, qos: int) -> tuple[int, float]:
    """Start the publisher processes; returns (messages published, publish seconds)."""
    counts = multiprocessing.Array("q", publishers)
    procs = [
        multiprocessing.Process(target=publisher, args=(prefix, i, counters, seconds, qos, counts))
        for i in range(publishers)
    ]
    started = time.monotonic()
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    return int(sum(counts)), time.monotonic() - started


def baseline(publishers: int, seconds: float, qos: int) -> dict[str, Any]:
    """Mosquitto to one bare gmqtt subscriber that only counts: the broker's ceiling here."""
    import gmqtt

    prefix = f"bl{uuid.uuid4().hex[:8]}"
    received = multiprocessing.Value("q", 0)
    ready = multiprocessing.Event()
    stop = multiprocessing.Event()

    def subscriber() -> None:
        async def run() -> None:
            client = gmqtt.Client(f"{prefix}-sub")
            count = 0

            def on_message(*_: Any) -> int:
                nonlocal count
                count += 1
                return 0

            client.on_message = on_message
            await client.connect("127.0.0.1", 1883)
            client.subscribe(f"{prefix}/#", qos=qos)
            await asyncio.sleep(0.5)
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)
                received.value = count
            await client.disconnect()

        asyncio.run(run())

    sub = multiprocessing.Process(target=subscriber)
    sub.start()
    ready.wait(10)
    published, publish_s = run_load(prefix, publishers, 1000, seconds, qos)
    deadline = time.monotonic() + 30
    while received.value < published and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    sub.join(10)
    return {
        "messages": published,
        "received": int(received.value),
        "readings": published * 4,
        "readings_per_s": round(received.value * 4 / publish_s),
    }


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Probes:
    """Smoke detectors crossing their threshold, one every `interval` seconds, timed to the stored alarm."""

    def __init__(self, prefix: str, count: int) -> None:
        self.prefix = prefix
        self.count = count
        self.sent: dict[str, float] = {}

    async def run(self, seconds: float, interval: float = 0.05) -> None:
        import gmqtt

        client = gmqtt.Client(f"{self.prefix}-probe")
        await client.connect("127.0.0.1", 1883)
        deadline = time.monotonic() + seconds
        index = 0
        while time.monotonic() < deadline and index < self.count:
            device_id = f"smoke-{index:05d}"
            payload = json.dumps(
                {
                    "id": f"{self.prefix}-probe-{index}",
                    "streamId": device_id,
                    "timestamp": time.time() * 1000.0,
                    "value": {"smoke_obscuration_pct_m": 9.5, "temperature_c": 31.0},
                }
            ).encode()
            self.sent[device_id] = time.time()
            client.publish(f"{self.prefix}/{TENANT}/data/{SITE}/{device_id}", payload, qos=1)
            index += 1
            await asyncio.sleep(interval)
        await asyncio.sleep(0.5)
        await client.disconnect()


def poll_alarms(engine: sa.Engine, seen: dict[str, float], stop: Any) -> None:
    query = sa.text("SELECT source FROM alarms WHERE type = 'fire_alarm'")
    while not stop.is_set():
        try:
            with engine.connect() as conn:
                now = time.time()
                for (source,) in conn.execute(query):
                    seen.setdefault(source, now)
        except sa.exc.OperationalError:
            pass
        time.sleep(0.005)


def count_readings(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM readings")).scalar_one())


def run_mode(mode: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    import threading

    run = uuid.uuid4().hex[:8]
    prefix = f"bench{run}"
    scenario = workdir / "bench-scenario.json"
    make_scenario(scenario, args.devices, args.probes)
    database_name = f"beffroi_bench_{run}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    if mode == "postgres-nats":
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{database_name}"'))
        store_url = PG_ADMIN.rsplit("/", 1)[0] + f"/{database_name}"
        bus = f'kind = "nats"\nurl = "{NATS_URL}"\nstream = "BENCH_{run}"\nnamespace = "{prefix}"\nmax_age_s = 600'
    else:
        store_url = f"sqlite:///{workdir / f'bench-{run}.db'}"
        bus = 'kind = "inprocess"\nurl = "inprocess://"'
    config = workdir / f"bench-{mode}.toml"
    config.write_text(
        f'tenant = "{TENANT}"\nscenario = "{scenario}"\nlog_level = "WARNING"\n'
        f'[store]\nurl = "{store_url}"\n[bus]\n{bus}\n'
        f'[mqtt]\nenabled = true\nclient_id = "{prefix}-gateway"\ntopics = ["{prefix}/+/data/#"]\n'
        f"[http_ingest]\nenabled = false\n[ingest]\nbatch_linger_ms = {args.linger_ms}\n"
        f"[engine]\nabsence_factor = 1000\n[sim]\nenabled = false\n[api]\nport = 0\n",
        encoding="utf-8",
    )
    subprocess.run(
        [sys.executable, "-m", "beffroi", "migrate", "--config", str(config)],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    names = ["recorder", "engine", "gateway"] if mode == "postgres-nats" else ["serve"]
    procs: dict[str, subprocess.Popen[bytes]] = {}
    logs = {}
    for name in names:
        command = (["worker", name] if name != "serve" else ["serve", "--no-sim"]) + ["--config", str(config)]
        logs[name] = (workdir / f"{mode}-{name}.log").open("wb")
        procs[name] = subprocess.Popen(
            [sys.executable, "-m", "beffroi", *command], cwd=ROOT, stdout=logs[name], stderr=subprocess.STDOUT
        )
    db = sa.create_engine(store_url)
    seen: dict[str, float] = {}
    stop_polling = threading.Event()
    try:
        time.sleep(4.0)
        for name, proc in procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited: see {workdir}/{mode}-{name}.log")
        ps = {name: psutil.Process(proc.pid) for name, proc in procs.items()}
        cpu_before = {name: p.cpu_times() for name, p in ps.items()}
        poller = threading.Thread(target=poll_alarms, args=(db, seen, stop_polling), daemon=True)
        poller.start()
        probes = Probes(prefix, args.probes)
        probe_thread = threading.Thread(target=lambda: asyncio.run(probes.run(args.seconds)), daemon=True)
        started = time.monotonic()
        probe_thread.start()
        published, publish_s = run_load(prefix, args.publishers, args.devices, args.seconds, args.qos)
        probe_thread.join()
        expected = published * 4 + len(probes.sent) * 2
        deadline = time.monotonic() + args.drain_timeout
        stored = count_readings(db)
        while stored < expected and time.monotonic() < deadline:
            time.sleep(0.2)
            stored = count_readings(db)
        elapsed = time.monotonic() - started
        time.sleep(0.5)
        stop_polling.set()
        cpu = {}
        for name, p in ps.items():
            after = p.cpu_times()
            used = (after.user - cpu_before[name].user) + (after.system - cpu_before[name].system)
            cpu[name] = {
                "cpu_s": round(used, 2),
                "cpu_pct_of_one_core": round(100 * used / elapsed, 1),
                "peak_rss_mb": round(peak_rss_mb(p.pid), 1),
            }
        latencies = sorted(1000 * (seen[d] - t) for d, t in probes.sent.items() if d in seen)
        return {
            "mode": mode,
            "messages_published": published,
            "publish_s": round(publish_s, 2),
            "readings_expected": expected,
            "readings_stored": stored,
            "lost": expected - stored,
            "elapsed_to_all_stored_s": round(elapsed, 2),
            "readings_per_s": round(stored / elapsed),
            "alarm_latency_ms": {
                "probes": len(probes.sent),
                "alarms_seen": len(latencies),
                "p50": round(statistics.median(latencies), 1) if latencies else None,
                "p99": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 1) if latencies else None,
            },
            "processes": cpu,
        }
    finally:
        stop_polling.set()
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        db.dispose()
        if mode == "postgres-nats":
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["postgres-nats", "embedded", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--publishers", type=int, default=1)
    parser.add_argument("--devices", type=int, default=3000)
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--qos", type=int, choices=[0, 1], default=1)
    parser.add_argument("--linger-ms", type=float, default=20.0)
    parser.add_argument("--drain-timeout", type=float, default=120.0)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
        "args": vars(args),
    }
    with tempfile.TemporaryDirectory(prefix="beffroi-bench-") as tmp:
        workdir = Path(tmp)
        if not args.no_baseline:
            results["baseline_mosquitto_to_bare_gmqtt"] = baseline(args.publishers, args.seconds, args.qos)
        modes = ["postgres-nats", "embedded"] if args.mode == "both" else [args.mode]
        for mode in modes:
            results[mode] = run_mode(mode, args, workdir)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
