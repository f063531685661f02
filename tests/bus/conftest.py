"""The `bus` fixture: every contract test runs on the in-process bus and on NATS JetStream.

Each NATS test gets its own stream (`T_<token>`) storing its own subjects (`t<token>.>`, the `prefix` fixture),
deleted afterwards, so tests never meet each other nor the real `BEFFROI` stream. The in-process bus stores the
same kind of prefix so that the tests read the same on both.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import nats
import nats.js.errors
import pytest

from beffroi.bus.inprocess import InProcessBus
from beffroi.bus.nats_jetstream import NatsJetStreamBus
from tests.services import NATS_URL, require_service

AnyBus = InProcessBus | NatsJetStreamBus
Reopen = Callable[[], Awaitable[AnyBus]]


def nats_test_bus(token: str, **settings: float) -> NatsJetStreamBus:
    """A NATS bus on the test stream `T_<token>` storing `t<token>.>`."""
    return NatsJetStreamBus(NATS_URL, stream=f"T_{token}", subjects=(f"t{token}.>",), **settings)


async def delete_stream(name: str) -> None:
    """Remove a test stream from the NATS server (it may already be gone)."""
    client = await nats.connect(NATS_URL)
    try:
        await client.jetstream().delete_stream(name)
    except nats.js.errors.NotFoundError:
        pass
    finally:
        await client.close()


@pytest.fixture
def token() -> str:
    """Unique to the test: names its stream and its subjects."""
    return uuid.uuid4().hex[:16]


@pytest.fixture
def prefix(token: str) -> str:
    """The first subject token of everything this test publishes."""
    return f"t{token}"


@pytest.fixture(params=["inprocess", pytest.param("nats", marks=pytest.mark.nats)])
async def bus(request: pytest.FixtureRequest, token: str, prefix: str) -> AsyncIterator[AnyBus]:
    """A started bus of each backend, closed (and its NATS stream deleted) after the test."""
    if request.param == "nats":
        require_service("nats")
        async with _started_nats_bus(token) as started:
            yield started
        return
    in_process = InProcessBus(subjects=(f"{prefix}.>",))
    await in_process.start()
    try:
        yield in_process
    finally:
        await in_process.close()


@pytest.fixture
async def nats_bus(token: str) -> AsyncIterator[NatsJetStreamBus]:
    """A started NATS bus on this test's stream, for the tests of what only NATS does."""
    require_service("nats")
    async with _started_nats_bus(token) as started:
        yield started


@contextlib.asynccontextmanager
async def _started_nats_bus(token: str) -> AsyncIterator[NatsJetStreamBus]:
    started = nats_test_bus(token)
    await started.start()
    try:
        yield started
    finally:
        await started.close()
        await delete_stream(f"T_{token}")


@pytest.fixture
async def reopen(bus: AnyBus, token: str) -> AsyncIterator[Reopen]:
    """Opens another started bus on the same stream: a new NATS connection, or the same in-process bus."""
    opened: list[AnyBus] = []

    async def open_another() -> AnyBus:
        if isinstance(bus, InProcessBus):
            return bus
        other = nats_test_bus(token)
        await other.start()
        opened.append(other)
        return other

    yield open_another
    for other in opened:
        await other.close()
