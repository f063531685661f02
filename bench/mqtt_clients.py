"""How many ~150-byte JSON messages per second one Python subscriber takes from Mosquitto, per client and QoS.

Prints one JSON object. Scenarios (a few seconds each; the publisher is `mosquitto_pub -l` fed and paced by a
separate process, so it costs little CPU and does not share the subscriber's process):

- `gmqtt_qos0`, `gmqtt_qos1_optimistic`: gmqtt, counting in a plain callback (QoS 1 acked on receipt);
- `gmqtt_qos1_gateway`: Beffroi's `MqttSubscriber` -> `Gateway` -> in-memory sink, PUBACK only after the batch
  is "on the bus" (the production path, minus the bus: messages handed over synchronously, one PUBACK write per
  batch);
- `paho_qos0`, `paho_qos1`: paho-mqtt 2.x (network loop in a thread) for comparison;
- `gateway_no_mqtt`: the gateway's own cost (decode, validate, dedupe, batch) with no broker at all, through
  `Gateway.submit_mqtt` (what the MQTT subscriber calls) and through the awaitable `Gateway.handle_mqtt`.

Subscribers use MQTT 5 with Receive Maximum 65535 (Mosquitto would otherwise keep 20 QoS 1 messages in flight).
The publisher's rate follows the subscriber (it speeds up while the subscriber keeps up), so `received_per_s` is
the subscriber's capacity on this machine with the broker and the publisher running beside it; `published_per_s`
is what was offered in the same window (the gap is what Mosquitto dropped or still held). `cpu_us_per_msg` is the
CPU time of the subscriber's process (all its threads) per message received in the window: on this 2-core machine
the broker and the publisher compete for the cores, so it is the steadier of the two numbers.

Usage: .venv/bin/python bench/mqtt_clients.py [--seconds 3] [--host 127.0.0.1] [--port 1883] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event as ProcessEvent
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gmqtt
import paho.mqtt.client as paho
from gmqtt.mqtt.constants import MQTTv50
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from beffroi.domain.observations import Event, Position, ReadingBatch
from beffroi.domain.records import DeadLetter
from beffroi.domain.registry import Device, DeviceKind
from beffroi.ingest.decoders import get_decoder
from beffroi.ingest.directory import DeviceDirectory
from beffroi.ingest.gateway import Gateway
from beffroi.ingest.mqtt import MqttSubscriber

TENANT, SITE, DEVICE = "bench", "site-1", "pc-01"
WARMUP_S = 2.0


def payload(prefix: str, n: int, now_ms: int) -> bytes:
    """A ~150-byte json-stream message with a unique id."""
    return (
        f'{{"id":"{prefix}-{n:09d}","streamId":"{DEVICE}","timestamp":{now_ms},"model":"Xovis PC2S",'
        f'"value":{{"count_in":12,"count_out":3,"occupancy":845,"occupancy_ratio":0.42}}}}'
    ).encode()


# --- the publisher process ----------------------------------------------------------------------------------------

CHUNK = 200


def run_publisher(
    host: str,
    port: int,
    topic: str,
    qos: int,
    ready: ProcessEvent,
    stop: ProcessEvent,
    sent: Synchronized[int],
    target_per_s: Synchronized[float],
) -> None:
    """Publish unique messages at `target_per_s` (read continuously) until `stop` is set.

    `mosquitto_pub -l` (C, ~2 µs of CPU a message, one message per stdin line) does the MQTT work; this process
    only paces and writes the lines, so the publishing side costs the machine as little as possible.
    """
    command = ["mosquitto_pub", "-h", host, "-p", str(port), "-t", topic, "-q", str(qos), "-M", "1000", "-l"]
    command += ["-i", f"bench-pub-{uuid.uuid4().hex[:8]}"]
    publisher = subprocess.Popen(command, stdin=subprocess.PIPE)
    assert publisher.stdin is not None
    ready.set()
    prefix = uuid.uuid4().hex[:8]
    count = 0
    allowance = 0.0
    last = time.perf_counter()
    try:
        while not stop.is_set():
            rate = target_per_s.value
            now = time.perf_counter()
            allowance = min(allowance + (now - last) * rate, rate * 0.02 + CHUNK)
            last = now
            if allowance < CHUNK:
                time.sleep((CHUNK - allowance) / rate)
                continue
            now_ms = int(time.time() * 1000)
            publisher.stdin.write(b"".join(payload(prefix, count + n, now_ms) + b"\n" for n in range(CHUNK)))
            publisher.stdin.flush()
            allowance -= CHUNK
            count += CHUNK
            sent.value = count
        publisher.stdin.close()
        publisher.wait(5)
    except (BrokenPipeError, subprocess.TimeoutExpired):
        publisher.kill()


@dataclass
class Window:
    """What was counted in the measurement window."""

    received_per_s: float
    published_per_s: float
    cpu_us_per_msg: float


async def measure(
    host: str,
    port: int,
    topic: str,
    qos: int,
    seconds: float,
    received: Callable[[], int],
) -> Window:
    """Run a paced publisher; count the subscriber's messages between warm-up and warm-up + `seconds`.

    The publisher's rate follows the subscriber (x1.3 every 0.1 s while it takes what was sent, else 1.15 x what
    it took):
    publishing far faster than the subscriber takes would only make the broker burn the shared CPU on messages it
    then drops.
    """
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Event(), context.Event()
    sent: Synchronized[int] = context.Value("q", 0)
    target: Synchronized[float] = context.Value("d", 20_000.0)
    arguments = (host, port, topic, qos, ready, stop, sent, target)
    publisher = context.Process(target=run_publisher, args=arguments, daemon=True)
    publisher.start()
    try:
        await asyncio.to_thread(ready.wait, 30)
        start = time.perf_counter()
        window_start = start + WARMUP_S
        window_end = window_start + seconds
        counts: dict[str, tuple[int, int, float, float]] = {}
        previous, previous_sent = received(), sent.value
        while (now := time.perf_counter()) < window_end:
            if "start" not in counts and now >= window_start:
                counts["start"] = (received(), sent.value, now, time.process_time())
            await asyncio.sleep(0.1)
            current, current_sent = received(), sent.value
            took, offered = current - previous, current_sent - previous_sent
            previous, previous_sent = current, current_sent
            if offered == 0:
                continue  # the publisher sent nothing in this tenth of a second: nothing to judge
            # Judged against what was actually sent, not the target: at low rates the publisher's 200-message
            # chunks would otherwise look like a subscriber falling behind, and pin the target near the floor.
            keeps_up = took >= 0.9 * offered
            target.value = target.value * 1.3 if keeps_up else max(took / 0.1 * 1.15, 2_000.0)
        counts["end"] = (received(), sent.value, time.perf_counter(), time.process_time())
    finally:
        stop.set()
        await asyncio.to_thread(publisher.join, 10)
        if publisher.is_alive():
            publisher.kill()
    (got0, sent0, t0, cpu0), (got1, sent1, t1, cpu1) = counts["start"], counts["end"]
    return Window(
        round((got1 - got0) / (t1 - t0)),
        round((sent1 - sent0) / (t1 - t0)),
        round((cpu1 - cpu0) / max(got1 - got0, 1) * 1e6, 2),
    )


# --- subscribers --------------------------------------------------------------------------------------------------


async def gmqtt_plain(host: str, port: int, qos: int, seconds: float) -> Window:
    """gmqtt counting in a synchronous callback; QoS 1 acked optimistically (before the callback)."""
    topic = f"bench-{uuid.uuid4().hex[:8]}/raw"
    count = 0

    def on_message(client: Any, topic: str, payload: bytes, qos: int, properties: Any) -> None:
        nonlocal count
        count += 1

    client = gmqtt.Client(f"bench-sub-{uuid.uuid4().hex[:8]}", receive_maximum=65535)
    client.on_message = on_message
    await client.connect(host, port, version=MQTTv50)
    client.subscribe(topic, qos=qos)
    await asyncio.sleep(0.2)
    try:
        return await measure(host, port, topic, qos, seconds, lambda: count)
    finally:
        await client.disconnect()


class CountingSink:
    """An in-memory gateway sink that counts and keeps nothing."""

    def __init__(self) -> None:
        self.readings = 0
        self.batches = 0
        self.dead_letters = 0

    async def publish_readings(self, batch: ReadingBatch) -> None:
        self.batches += 1
        self.readings += len(batch.readings)

    async def publish_event(self, event: Event) -> None:
        return None

    async def publish_dead_letter(self, letter: DeadLetter) -> None:
        self.dead_letters += 1


def bench_gateway(sink: CountingSink, prefix: str) -> Gateway:
    device = Device(DEVICE, TENANT, SITE, DeviceKind.PEOPLE_COUNTER, Position(2.36, 48.92), 10.0, ["count_in"])
    return Gateway(DeviceDirectory([device]), sink, mqtt_topic_prefix=prefix)


async def gmqtt_gateway(host: str, port: int, qos: int, seconds: float) -> Window:
    """Beffroi's subscriber: QoS 1 with the PUBACK sent once the gateway's batch is published."""
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    sink = CountingSink()
    gateway = bench_gateway(sink, prefix)
    subscriber = MqttSubscriber(
        gateway,
        host,
        port,
        client_id=f"bench-gw-{uuid.uuid4().hex[:8]}",
        topics=[f"{prefix}/+/data/#"],
        qos=qos,
        persistent_session=False,
    )
    await subscriber.start()
    if not await subscriber.wait_subscribed(10):
        raise RuntimeError("the broker did not confirm the subscription")
    try:
        window = await measure(
            host, port, f"{prefix}/{TENANT}/data/{SITE}/{DEVICE}", qos, seconds, lambda: subscriber.stats.acknowledged
        )
    finally:
        await subscriber.stop()
    if sink.dead_letters:
        raise RuntimeError(f"{sink.dead_letters} bench messages were dead-lettered: {gateway.metrics}")
    return window


async def paho_plain(host: str, port: int, qos: int, seconds: float) -> Window:
    """paho-mqtt 2.x, MQTT 5, network loop in its thread; QoS 1 acked after the callback returns."""
    topic = f"bench-{uuid.uuid4().hex[:8]}/raw"
    count = 0
    subscribed = threading.Event()

    def on_message(client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        nonlocal count
        count += 1

    def on_connect(client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        client.subscribe(topic, qos=qos)

    def on_subscribe(client: paho.Client, userdata: Any, mid: int, reasons: Any, properties: Any) -> None:
        subscribed.set()

    client = paho.Client(
        CallbackAPIVersion.VERSION2, client_id=f"bench-paho-{uuid.uuid4().hex[:8]}", protocol=paho.MQTTv5
    )
    client.on_message = on_message
    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.ReceiveMaximum = 65535
    client.connect(host, port, properties=properties)
    client.loop_start()
    try:
        if not await asyncio.to_thread(subscribed.wait, 10):
            raise RuntimeError("paho did not subscribe")
        return await measure(host, port, topic, qos, seconds, lambda: count)
    finally:
        client.disconnect()
        client.loop_stop()


# --- the gateway alone --------------------------------------------------------------------------------------------


async def gateway_alone(seconds: float) -> dict[str, float]:
    """Decode alone; then decode + validate + dedupe + batch through `Gateway.submit_mqtt` (what the subscriber
    calls, synchronously) and through `Gateway.handle_mqtt` (awaited, many in flight); no broker."""
    now_ms = int(time.time() * 1000)
    count = 200_000
    messages = [payload("alone", n, now_ms) for n in range(count)]
    decoder = get_decoder("json-stream")
    started = time.perf_counter()
    for raw in messages:
        decoder.decode(raw)
    decode_us = (time.perf_counter() - started) / len(messages) * 1e6

    prefix = "bench-alone"
    topic = f"{prefix}/{TENANT}/data/{SITE}/{DEVICE}"
    chunk = 2000  # as many in flight as one batch holds, like a busy subscriber

    async def submit(gateway: Gateway, batch: list[bytes]) -> None:
        for raw in batch:
            gateway.submit_mqtt(topic, raw)
        await asyncio.sleep(0)  # let linger timers and publications run, as the subscriber's loop does

    async def handle(gateway: Gateway, batch: list[bytes]) -> None:
        await asyncio.gather(*(gateway.handle_mqtt(topic, raw) for raw in batch))

    results: dict[str, float] = {"decode_us_per_msg": round(decode_us, 3), "readings_per_msg": 4}
    for name, run in (("submit", submit), ("handle", handle)):
        sink = CountingSink()
        gateway = bench_gateway(sink, prefix)
        handled = 0
        started = time.perf_counter()
        deadline = started + seconds / 2
        while time.perf_counter() < deadline and handled + chunk <= len(messages):
            await run(gateway, messages[handled : handled + chunk])
            handled += chunk
        await gateway.flush()
        elapsed = time.perf_counter() - started
        metrics = gateway.metrics
        if metrics.accepted != handled or metrics.readings != 4 * handled:
            raise RuntimeError(f"the gateway did not accept every bench message: {metrics}")
        results[f"{name}_msgs_per_s"] = round(handled / elapsed)
        results[f"{name}_us_per_msg"] = round(elapsed / handled * 1e6, 2)
        results[f"{name}_batches"] = sink.batches
    return results


# --- main ---------------------------------------------------------------------------------------------------------

Scenario = Callable[[str, int, float], Awaitable[Window]]
SCENARIOS: dict[str, Scenario] = {
    "gmqtt_qos0": lambda h, p, s: gmqtt_plain(h, p, 0, s),
    "gmqtt_qos1_optimistic": lambda h, p, s: gmqtt_plain(h, p, 1, s),
    "gmqtt_qos1_gateway": lambda h, p, s: gmqtt_gateway(h, p, 1, s),
    "paho_qos0": lambda h, p, s: paho_plain(h, p, 0, s),
    "paho_qos1": lambda h, p, s: paho_plain(h, p, 1, s),
}


async def main(args: argparse.Namespace) -> dict[str, Any]:
    if shutil.which("mosquitto_pub") is None:
        raise SystemExit("mosquitto_pub is needed as the publisher (Debian: apt-get install mosquitto-clients)")
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    selected = args.only or [*SCENARIOS, "gateway_no_mqtt"]
    results: dict[str, Any] = {}
    for name in selected:
        if name == "gateway_no_mqtt":
            results[name] = await gateway_alone(args.seconds)
            continue
        window = await SCENARIOS[name](args.host, args.port, args.seconds)
        results[name] = {
            "received_per_s": window.received_per_s,
            "published_per_s": window.published_per_s,
            "cpu_us_per_msg": window.cpu_us_per_msg,
        }
        await asyncio.sleep(0.5)  # let the broker drain what the last subscriber left
    return {
        "bench": "mqtt_clients",
        "broker": f"{args.host}:{args.port}",
        "payload_bytes": len(payload("xxxxxxxx", 0, int(time.time() * 1000))),
        "window_s": args.seconds,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "publisher": "mosquitto_pub -l, paced by a separate process to 1.15-1.3 x what the subscriber takes",
        "load_average_at_start": load_at_start,
        "results": results,
    }


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)  # gmqtt warns on every write after a disconnect
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--seconds", type=float, default=3.0, help="measurement window per scenario")
    parser.add_argument("--only", nargs="*", choices=[*SCENARIOS, "gateway_no_mqtt"])
    print(json.dumps(asyncio.run(main(parser.parse_args())), indent=2))
