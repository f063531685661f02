"""End-to-end benchmark: MQTT in -> gateway -> bus -> engine (rules) + recorder -> store, on real processes.

Modes:
  postgres-nats  the production wiring: `beffroi worker gateway|engine|recorder` as three processes on
                 PostgreSQL and NATS JetStream;
  embedded       one `beffroi serve` process on SQLite and the in-process bus (MQTT in as well).

The machine has 2 cores, so a load generator running beside the pipeline would take half of it. Two phases:
  capacity  the gateway subscribes once (persistent session) and stops; `--messages` people-counter payloads
            (4 readings each) are published into its session on a private Mosquitto (started by the benchmark
            with no queue limit: the Debian default `max_queued_messages 1000` drops QoS 1 messages for a slow
            subscriber); then the pipeline starts again and drains them. Sustained readings/s = readings stored
            / time from the first to the last one stored. Nothing may be lost.
  latency   a steady load of `--rate` messages/s with a probe every 50 ms (a smoke detector crossing its
            threshold); latency = publish to the probe's alarm committed in the store (polled every 5 ms).
CPU seconds and peak RSS (VmHWM) of every process are reported for each phase. The baseline, measured in the
same run, is the broker's ceiling: the same preloaded messages drained by a bare gmqtt subscriber that only
counts them. Prints one JSON object.

  .venv/bin/python bench/end_to_end.py --mode both
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
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
READINGS_PER_MESSAGE = 4


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_broker(workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    """A private Mosquitto with no queue limit for offline or slow persistent sessions."""
    port = free_port()
    conf = workdir / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 0\nmax_queued_bytes 0\n",
        encoding="utf-8",
    )
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the private Mosquitto did not start")


def counter_payload(prefix: str, tag: str, sequence: int, counters: int) -> tuple[str, bytes]:
    device_id = f"pc-{(sequence * 7) % counters:05d}"
    now_ms = time.time() * 1000.0
    payload = (
        f'{{"id":"{prefix}-{tag}-{sequence}","streamId":"{device_id}","timestamp":{now_ms:.3f},'
        f'"value":{{"count_in":{sequence % 17},"count_out":{sequence % 13},"occupancy":{sequence % 900},'
        f'"occupancy_ratio":0.{sequence % 80:02d}}}}}'
    ).encode()
    return f"{prefix}/{TENANT}/data/{SITE}/{device_id}", payload


def publish_process(port: int, prefix: str, tag: str, counters: int, messages: int, rate: float, done: Any) -> None:
    """Publishes `messages` people-counter payloads at QoS 1 (as fast as acknowledged, or at `rate` per s)."""
    from beffroi.sim.mqtt_publisher import MqttPublisher

    async def run() -> None:
        client = MqttPublisher("127.0.0.1", port, client_id=f"{prefix}-pub-{tag}", qos=1, max_inflight=5000)
        await client.start()
        started = time.monotonic()
        for sequence in range(messages):
            topic, payload = counter_payload(prefix, tag, sequence, counters)
            await client.publish(topic, payload)
            if rate > 0:
                ahead = started + sequence / rate - time.monotonic()
                if ahead > 0.002:
                    await asyncio.sleep(ahead)
            elif sequence % 200 == 0:
                await asyncio.sleep(0)
        await client.stop(timeout_s=300)
        done.value = messages

    asyncio.run(run())


def publish(port: int, prefix: str, tag: str, counters: int, messages: int, rate: float = 0.0) -> float:
    """Runs a publisher process to the end; returns its wall seconds."""
    done = multiprocessing.Value("q", 0)
    proc = multiprocessing.Process(target=publish_process, args=(port, prefix, tag, counters, messages, rate, done))
    started = time.monotonic()
    proc.start()
    proc.join()
    if done.value != messages:
        raise RuntimeError(f"the publisher {tag} did not finish (exit code {proc.exitcode})")
    return time.monotonic() - started


def baseline(port: int, messages: int, counters: int) -> dict[str, Any]:
    """The same preloaded messages drained by a bare gmqtt subscriber that only counts: the broker's ceiling."""
    import gmqtt

    prefix = f"bl{uuid.uuid4().hex[:8]}"
    result: dict[str, Any] = {}

    async def subscribe_once() -> None:
        client = gmqtt.Client(f"{prefix}-sub", clean_session=False, receive_maximum=65_535, session_expiry_interval=600)
        await client.connect("127.0.0.1", port)
        client.subscribe(f"{prefix}/#", qos=1)
        await asyncio.sleep(0.3)
        await client.disconnect()

    async def drain() -> None:
        count = 0
        first = last = 0.0
        finished = asyncio.Event()

        def on_message(*_: Any) -> int:
            nonlocal count, first, last
            count += 1
            last = time.monotonic()
            if count == 1:
                first = last
            if count >= messages:
                finished.set()
            return 0

        client = gmqtt.Client(f"{prefix}-sub", clean_session=False, receive_maximum=65_535, session_expiry_interval=600)
        client.on_message = on_message
        await client.connect("127.0.0.1", port)
        try:
            await asyncio.wait_for(finished.wait(), 300)
        finally:
            await client.disconnect()
        seconds = max(last - first, 1e-6)
        result.update(
            messages=count, seconds=round(seconds, 2), readings_per_s=round(count * READINGS_PER_MESSAGE / seconds)
        )

    asyncio.run(subscribe_once())
    publish(port, prefix, "baseline", counters, messages)
    asyncio.run(drain())
    return result


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Processes:
    """The pipeline's processes, and what each used."""

    def __init__(self, config: Path, workdir: Path, mode: str) -> None:
        self.config = config
        self.workdir = workdir
        self.mode = mode
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.cpu_marks: dict[str, float] = {}

    def start(self, name: str) -> None:
        command = ["serve", "--no-sim"] if name == "serve" else ["worker", name]
        secret = os.environ.get("BEFFROI_API_SECRET") or uuid.uuid4().hex * 2
        with (self.workdir / f"{self.mode}-{name}.log").open("ab") as log:
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", "beffroi", *command, "--config", str(self.config)],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "BEFFROI_API_SECRET": secret},
            )

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited: see {self.workdir / f'{self.mode}-{name}.log'}")

    def cpu_seconds(self) -> dict[str, float]:
        seconds = {}
        for name, proc in self.procs.items():
            times = psutil.Process(proc.pid).cpu_times()
            seconds[name] = times.user + times.system
        return seconds

    def usage_since(self, before: dict[str, float], wall_s: float) -> dict[str, Any]:
        after = self.cpu_seconds()
        return {
            name: {
                "cpu_s": round(after[name] - before.get(name, 0.0), 2),
                "cpu_pct_of_one_core": round(100 * (after[name] - before.get(name, 0.0)) / wall_s, 1),
                "peak_rss_mb": round(peak_rss_mb(proc.pid), 1),
            }
            for name, proc in self.procs.items()
        }

    def stop_all(self) -> None:
        for name in list(self.procs):
            try:
                self.stop(name)
            except subprocess.TimeoutExpired:
                self.procs.get(name, subprocess.Popen(["true"])).kill()


def count_readings(db: sa.Engine) -> int:
    with db.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM readings")).scalar_one())


def wait_for_readings(db: sa.Engine, expected: int, timeout_s: float, procs: Processes) -> tuple[int, float, float]:
    """Polls until `expected` readings are stored; returns (stored, first-seen time, last-change time)."""
    first = last = 0.0
    stored = previous = count_readings(db)
    deadline = time.monotonic() + timeout_s
    while stored < expected and time.monotonic() < deadline:
        time.sleep(0.1)
        procs.check_alive()
        stored = count_readings(db)
        now = time.monotonic()
        if stored > previous:
            first = first or now
            last = now
            previous = stored
    return stored, first, last


def latency_phase(port: int, prefix: str, db: sa.Engine, args: argparse.Namespace) -> dict[str, Any]:
    """Steady load at `--rate` messages/s with probes; latency from publish to the alarm committed."""
    import gmqtt

    seen: dict[str, float] = {}
    sent: dict[str, float] = {}
    stop = threading.Event()

    def poll() -> None:
        query = sa.text("SELECT source FROM alarms WHERE type = 'fire_alarm'")
        while not stop.is_set():
            with db.connect() as conn:
                now = time.time()
                for (source,) in conn.execute(query):
                    seen.setdefault(source, now)
            time.sleep(0.005)

    async def probes() -> None:
        client = gmqtt.Client(f"{prefix}-probe")
        await client.connect("127.0.0.1", port)
        for index in range(args.probes):
            device_id = f"smoke-{index:05d}"
            payload = json.dumps(
                {
                    "id": f"{prefix}-probe-{index}",
                    "streamId": device_id,
                    "timestamp": time.time() * 1000.0,
                    "value": {"smoke_obscuration_pct_m": 9.5, "temperature_c": 31.0},
                }
            ).encode()
            sent[device_id] = time.time()
            client.publish(f"{prefix}/{TENANT}/data/{SITE}/{device_id}", payload, qos=1)
            await asyncio.sleep(args.latency_seconds / args.probes)
        await asyncio.sleep(1.0)
        await client.disconnect()

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    load = threading.Thread(
        target=publish,
        args=(port, prefix, "steady", args.devices, int(args.rate * args.latency_seconds), args.rate),
        daemon=True,
    )
    load.start()
    asyncio.run(probes())
    load.join()
    deadline = time.monotonic() + 30
    while len(seen) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    poller.join()
    latencies = sorted(1000 * (seen[d] - t) for d, t in sent.items() if d in seen)
    return {
        "load_messages_per_s": args.rate,
        "load_readings_per_s": args.rate * READINGS_PER_MESSAGE,
        "probes": len(sent),
        "alarms_seen": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 1) if latencies else None,
        "max_ms": round(latencies[-1], 1) if latencies else None,
    }


def run_mode(mode: str, args: argparse.Namespace, workdir: Path, port: int) -> dict[str, Any]:
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
        bus = f'kind = "nats"\nurl = "{NATS_URL}"\nstream = "BENCH_{run}"\nnamespace = "{prefix}"\nmax_age_s = 900'
        names, gateway = ["recorder", "engine", "gateway"], "gateway"
    else:
        store_url = f"sqlite:///{workdir / f'bench-{run}.db'}"
        bus = 'kind = "inprocess"\nurl = "inprocess://"'
        names, gateway = ["serve"], "serve"
    config = workdir / f"bench-{mode}.toml"
    config.write_text(
        f'tenant = "{TENANT}"\nscenario = "{scenario}"\nlog_level = "WARNING"\n'
        f'[store]\nurl = "{store_url}"\n[bus]\n{bus}\n'
        f'[mqtt]\nenabled = true\nport = {port}\nclient_id = "{prefix}-gateway"\ntopics = ["{prefix}/+/data/#"]\n'
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
    procs = Processes(config, workdir, mode)
    db = sa.create_engine(store_url)
    try:
        for name in names:
            procs.start(name)
        time.sleep(4.0)
        procs.check_alive()
        procs.stop(gateway)  # its persistent session stays on the broker and collects the preload
        publish(port, prefix, "preload", args.devices, args.messages)
        expected = args.messages * READINGS_PER_MESSAGE
        procs.start(gateway)
        started = time.monotonic()
        cpu_before = procs.cpu_seconds()
        stored, first, last = wait_for_readings(db, expected, args.drain_timeout, procs)
        wall = time.monotonic() - started
        capacity = {
            "messages": args.messages,
            "readings_expected": expected,
            "readings_stored": stored,
            "lost": expected - stored,
            "drain_s": round(last - first, 2),
            "readings_per_s": round(stored / max(last - first, 1e-6)),
            "processes": procs.usage_since(cpu_before, wall),
        }
        cpu_before = procs.cpu_seconds()
        started = time.monotonic()
        latency = latency_phase(port, prefix, db, args)
        latency["processes"] = procs.usage_since(cpu_before, time.monotonic() - started)
        return {"capacity": capacity, "latency": latency}
    finally:
        procs.stop_all()
        db.dispose()
        if mode == "postgres-nats":
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["postgres-nats", "embedded", "both"], default="both")
    parser.add_argument("--messages", type=int, default=100_000, help="preloaded messages (4 readings each)")
    parser.add_argument("--devices", type=int, default=3000)
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--rate", type=float, default=1000.0, help="messages/s during the latency phase")
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument("--linger-ms", type=float, default=5.0)
    parser.add_argument("--drain-timeout", type=float, default=300.0)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
        "args": vars(args),
    }
    with tempfile.TemporaryDirectory(prefix="beffroi-bench-") as tmp:
        workdir = Path(tmp)
        broker, port = start_broker(workdir)
        try:
            if not args.no_baseline:
                results["baseline_mosquitto_to_bare_gmqtt"] = baseline(port, args.messages, args.devices)
            modes = ["postgres-nats", "embedded"] if args.mode == "both" else [args.mode]
            for mode in modes:
                results[mode] = run_mode(mode, args, workdir, port)
        finally:
            broker.terminate()
            broker.wait(10)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
