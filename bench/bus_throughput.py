"""Bus throughput: messages per second published and consumed, per backend and message size; prints JSON.

Run: .venv/bin/python bench/bus_throughput.py [--nats-url nats://127.0.0.1:4222] [--quick] [--backends inprocess,nats]

Modes: `publish` awaits each publish (its PubAck on NATS); `publish_many` sends chunks of 1,000 messages with
their acks awaited together; `consume` drains messages already in the stream through one durable subscriber
whose handler does nothing (NATS: pull batches of 500), acks included. NATS runs on a throw-away stream that is
deleted afterwards; it is skipped when no server answers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from urllib.parse import urlparse

import nats
import nats.js.errors

from beffroi.bus.base import BusMessage, ConsumerOptions
from beffroi.bus.inprocess import InProcessBus
from beffroi.bus.nats_jetstream import NatsJetStreamBus

AnyBus = InProcessBus | NatsJetStreamBus
SIZES = (100, 50_000)
CHUNK = 1_000


def counts(backend: str, size: int, quick: bool) -> dict[str, int]:
    """How many messages each mode moves (enough for a stable rate, small enough to finish in seconds)."""
    scale = 0.1 if quick else 1.0
    if backend == "inprocess":
        table = {"publish": 300_000, "publish_many": 300_000, "consume": 300_000}
        if size > 1_000:
            table = {mode: 20_000 for mode in table}
    else:
        table = {"publish": 10_000, "publish_many": 100_000, "consume": 100_000}
        if size > 1_000:
            table = {"publish": 2_000, "publish_many": 5_000, "consume": 5_000}
    return {mode: max(100, int(count * scale)) for mode, count in table.items()}


def reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 4222), timeout=0.5):
            return True
    except OSError:
        return False


async def time_publish(bus: AnyBus, subject: str, data: bytes, count: int) -> float:
    started = time.perf_counter()
    for index in range(count):
        await bus.publish(subject, data, msg_id=f"p{index}")
    return time.perf_counter() - started


async def time_publish_many(bus: AnyBus, subject: str, data: bytes, count: int) -> float:
    started = time.perf_counter()
    for first in range(0, count, CHUNK):
        await bus.publish_many([(subject, data, f"m{index}") for index in range(first, min(first + CHUNK, count))])
    return time.perf_counter() - started


async def time_consume(bus: AnyBus, subject_filter: str, count: int, durable: str) -> float:
    done = asyncio.Event()
    seen = 0

    async def handler(_: BusMessage) -> None:
        nonlocal seen
        seen += 1
        if seen >= count:
            done.set()

    started = time.perf_counter()
    subscription = await bus.subscribe(subject_filter, durable, handler, ConsumerOptions(batch=500))
    await asyncio.wait_for(done.wait(), timeout=600)
    elapsed = time.perf_counter() - started
    await subscription.stop()
    return elapsed


def result(backend: str, size: int, mode: str, count: int, seconds: float) -> dict[str, object]:
    return {
        "backend": backend,
        "size_bytes": size,
        "mode": mode,
        "messages": count,
        "seconds": round(seconds, 3),
        "msg_per_s": round(count / seconds),
        "mb_per_s": round(count * size / seconds / 1e6, 1),
    }


async def run_backend(
    backend: str,
    make_bus: Callable[[str], AnyBus],
    quick: bool,
    cleanup: Callable[[AnyBus], Awaitable[None]] | None = None,
) -> list[dict[str, object]]:
    results = []
    for size in SIZES:
        prefix = f"bench{uuid.uuid4().hex[:12]}"
        bus = make_bus(prefix)
        await bus.start()
        try:
            data = b"x" * size
            planned = counts(backend, size, quick)
            seconds = await time_publish(bus, f"{prefix}.one", data, planned["publish"])
            results.append(result(backend, size, "publish", planned["publish"], seconds))
            seconds = await time_publish_many(bus, f"{prefix}.many", data, planned["publish_many"])
            results.append(result(backend, size, "publish_many", planned["publish_many"], seconds))
            if planned["consume"] > planned["publish_many"]:
                await time_publish_many(bus, f"{prefix}.many", data, planned["consume"] - planned["publish_many"])
            seconds = await time_consume(bus, f"{prefix}.many", planned["consume"], "bench")
            results.append(result(backend, size, "consume", planned["consume"], seconds))
        finally:
            await bus.close()
            if cleanup is not None:
                await cleanup(bus)
    return results


async def delete_stream(url: str, stream: str) -> None:
    client = await nats.connect(url)
    try:
        await client.jetstream().delete_stream(stream)
    except nats.js.errors.NotFoundError:
        pass
    finally:
        await client.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nats-url", default="nats://127.0.0.1:4222")
    parser.add_argument("--backends", default="inprocess,nats")
    parser.add_argument("--quick", action="store_true", help="a tenth of the messages")
    args = parser.parse_args()
    backends = args.backends.split(",")
    results: list[dict[str, object]] = []
    skipped: list[str] = []

    if "inprocess" in backends:

        def make_in_process(prefix: str) -> AnyBus:
            return InProcessBus(subjects=(f"{prefix}.>",), max_bytes=4 * 1024**3)

        results += await run_backend("inprocess", make_in_process, args.quick)

    if "nats" in backends:
        if reachable(args.nats_url):

            def make_nats(prefix: str) -> AnyBus:
                return NatsJetStreamBus(args.nats_url, stream=prefix.upper(), subjects=(f"{prefix}.>",))

            async def delete_its_stream(bus: AnyBus) -> None:
                if isinstance(bus, NatsJetStreamBus):
                    await delete_stream(args.nats_url, bus.stream)

            results += await run_backend("nats", make_nats, args.quick, delete_its_stream)
        else:
            skipped.append(f"nats: no server at {args.nats_url}")

    print(
        json.dumps(
            {
                "benchmark": "bus_throughput",
                "python": platform.python_version(),
                "machine": platform.machine(),
                "quick": args.quick,
                "results": results,
                "skipped": skipped,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
