"""Shared pieces of the ingest tests: a small registry, a sink that records what it got, a gateway factory."""

from __future__ import annotations

import time
from collections.abc import Callable

import msgspec
import pytest

from beffroi.domain.observations import Event, Position, ReadingBatch
from beffroi.domain.records import DeadLetter
from beffroi.domain.registry import Device, DeviceKind
from beffroi.errors import BusError
from beffroi.ingest.directory import DeviceDirectory
from beffroi.ingest.gateway import Gateway

TENANT = "paris2024"
OTHER_TENANT = "lyon"
NOW = 1_721_999_999.0  # 2024-07-26T13:19:59Z


def device(device_id: str, tenant: str = TENANT, site: str = "sdf", zone: str | None = "gate-a") -> Device:
    """A people counter of the test registry."""
    return Device(
        id=device_id,
        tenant_id=tenant,
        site_id=site,
        kind=DeviceKind.PEOPLE_COUNTER,
        position=Position(2.36, 48.92),
        interval_s=10.0,
        metrics=["count_in", "count_out", "occupancy"],
        zone_id=zone,
    )


DEVICES = [
    device("pc-01"),
    device("pc-02"),
    device("pc-03", site="arena", zone=None),
    device("door-01"),
    device("pc-01", tenant=OTHER_TENANT, site="lyon-stadium"),
]


def message(device_id: str = "pc-01", ts_ms: float = NOW * 1000, msg_id: str | None = "m-1", **extra: object) -> bytes:
    """One json-stream payload."""
    body: dict[str, object] = {"streamId": device_id, "timestamp": ts_ms, "value": {"count_in": 12, "occupancy": 845}}
    if msg_id is not None:
        body["id"] = msg_id
    body.update(extra)
    return msgspec.json.encode(body)


class RecordingSink:
    """A real in-memory `GatewaySink` that keeps what it was given; `failures` makes the next N publishes raise."""

    def __init__(self) -> None:
        self.batches: list[ReadingBatch] = []
        self.events: list[Event] = []
        self.dead_letters: list[DeadLetter] = []
        self.failures = 0
        self.failed_calls = 0

    def _maybe_fail(self) -> None:
        if self.failures > 0:
            self.failures -= 1
            self.failed_calls += 1
            raise BusError("bus unavailable (test)")

    async def publish_readings(self, batch: ReadingBatch) -> None:
        self._maybe_fail()
        self.batches.append(batch)

    async def publish_event(self, event: Event) -> None:
        self._maybe_fail()
        self.events.append(event)

    async def publish_dead_letter(self, letter: DeadLetter) -> None:
        self._maybe_fail()
        self.dead_letters.append(letter)

    @property
    def readings(self) -> list[tuple[str, str, float]]:
        """(device, metric, value) of every published reading, in order."""
        return [(r.device_id, r.metric, r.value) for batch in self.batches for r in batch.readings]


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


GatewayFactory = Callable[..., Gateway]


@pytest.fixture
def make_gateway(sink: RecordingSink) -> GatewayFactory:
    """Builds a gateway on the test registry and the recording sink, with a fixed clock unless told otherwise."""

    def build(**options: object) -> Gateway:
        options.setdefault("clock", lambda: NOW)
        options.setdefault("batch_linger_ms", 1.0)
        return Gateway(DeviceDirectory(DEVICES), options.pop("sink", sink), **options)  # type: ignore[arg-type]

    return build


def wall_clock_message(device_id: str = "pc-01", msg_id: str = "m-1") -> bytes:
    """A payload stamped now (for tests that run the gateway on the real clock)."""
    return message(device_id, ts_ms=time.time() * 1000, msg_id=msg_id)
