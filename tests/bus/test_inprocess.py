"""What only the in-process bus does: bounded retention, its limits, and its factory."""

from __future__ import annotations

import asyncio
import logging

import pytest

from beffroi.bus.base import BusMessage, create_bus
from beffroi.bus.inprocess import InProcessBus
from beffroi.errors import BusError
from tests.bus.support import Recorder, settle

TRIM_EVERY = 256  # publishes between two retention passes (see inprocess._TRIM_EVERY)


async def started(**settings: float) -> InProcessBus:
    bus = InProcessBus(subjects=("t.>",), **settings)  # type: ignore[arg-type]
    await bus.start()
    return bus


async def publish_numbered(bus: InProcessBus, count: int, subject: str = "t.x", size: int = 1) -> None:
    for index in range(count):
        await bus.publish(subject, str(index).encode().ljust(size, b"."))


async def test_messages_every_durable_acknowledged_are_dropped() -> None:
    bus = await started()
    recorder = Recorder()
    await bus.subscribe("t.>", "only", recorder)
    await publish_numbered(bus, 300)
    await recorder.wait_handled(300)

    await publish_numbered(bus, 2 * TRIM_EVERY - 300)  # reaches a retention pass before the consumer runs

    assert bus.stored == 2 * TRIM_EVERY - 300
    await bus.close()


async def test_with_no_durable_at_all_messages_are_kept_for_a_later_consumer() -> None:
    bus = await started()
    await publish_numbered(bus, TRIM_EVERY + 10)

    assert bus.stored == TRIM_EVERY + 10
    recorder = Recorder()
    await bus.subscribe("t.>", "late", recorder)
    await recorder.wait_handled(TRIM_EVERY + 10)
    await bus.close()


async def test_a_stopped_durable_does_not_keep_messages_it_does_not_want() -> None:
    bus = await started()
    subscription = await bus.subscribe("t.alarms.>", "alarms", Recorder())
    await subscription.stop()
    await publish_numbered(bus, TRIM_EVERY - 1, subject="t.readings.s1")
    await bus.publish("t.alarms.a", b"alarm")  # reaches a retention pass

    assert bus.stored == 1
    recorder = Recorder()
    await bus.subscribe("t.alarms.>", "alarms", recorder)
    await recorder.wait_handled(1)
    assert recorder.data == [b"alarm"]
    await bus.close()


async def test_messages_older_than_max_age_are_dropped_even_unacknowledged(caplog: pytest.LogCaptureFixture) -> None:
    bus = await started(max_age_s=0.2)
    subscription = await bus.subscribe("t.>", "absent", Recorder())
    await subscription.stop()
    await bus.publish("t.x", b"old")
    await asyncio.sleep(0.3)

    with caplog.at_level(logging.WARNING, logger="beffroi.bus"):
        await publish_numbered(bus, TRIM_EVERY - 1)

    assert bus.stored == TRIM_EVERY - 1
    assert bus.dropped_unacked == 1
    assert "dropped 1 message(s)" in caplog.text
    recorder = Recorder()
    await bus.subscribe("t.>", "absent", recorder)
    await recorder.wait_handled(TRIM_EVERY - 1)
    assert b"old" not in recorder.data
    await bus.close()


async def test_the_oldest_messages_go_beyond_max_bytes() -> None:
    bus = await started(max_bytes=1000)
    subscription = await bus.subscribe("t.>", "absent", Recorder())
    await subscription.stop()

    await publish_numbered(bus, 25, size=100)

    assert bus.stored_bytes <= 1000
    assert bus.stored == 10
    assert bus.dropped_unacked == 15
    recorder = Recorder()
    await bus.subscribe("t.>", "absent", recorder)
    await recorder.wait_handled(10)
    assert recorder.handled[0].data.startswith(b"15.")
    await bus.close()


async def test_a_msg_id_is_accepted_again_once_the_duplicate_window_passed() -> None:
    bus = await started(duplicate_window_s=0.1)
    await bus.publish("t.x", b"first", msg_id="same")
    await bus.publish("t.x", b"duplicate", msg_id="same")
    await asyncio.sleep(0.15)
    await bus.publish("t.x", b"later", msg_id="same")

    assert bus.stored == 2
    await bus.close()


async def test_handlers_that_never_yield_do_not_starve_other_consumers() -> None:
    bus = await started()
    order: list[str] = []

    async def first(message: BusMessage) -> None:
        order.append("first")

    async def second(message: BusMessage) -> None:
        order.append("second")

    await publish_numbered(bus, 2000)
    await bus.subscribe("t.>", "first", first)
    await bus.subscribe("t.>", "second", second)
    await settle(0.2)

    assert len(order) == 4000
    assert "second" in order[:1000]  # interleaved, not one consumer then the other
    await bus.close()


async def test_the_factory_builds_an_in_process_bus_from_its_url() -> None:
    bus = create_bus("inprocess", "inprocess://", subjects=("ns.beffroi.>",), max_age_s=60, duplicate_window_s=10)
    assert isinstance(bus, InProcessBus)
    await bus.start()
    await bus.publish("ns.beffroi.x", b"x")
    with pytest.raises(BusError, match=r"no stream stores subject 'beffroi\.x'"):
        await bus.publish("beffroi.x", b"x")
    await bus.close()

    with pytest.raises(BusError, match="takes the URL 'inprocess://'"):
        create_bus("inprocess", "nats://127.0.0.1:4222")
    with pytest.raises(KeyError, match="unknown bus kind 'kafka'"):
        create_bus("kafka", "kafka://")


def test_bad_settings_are_refused() -> None:
    with pytest.raises(BusError, match="max_age_s"):
        InProcessBus(max_age_s=0)
    with pytest.raises(BusError, match="max_bytes"):
        InProcessBus(max_bytes=0)
    with pytest.raises(BusError, match="stream subjects"):
        InProcessBus(subjects="beffroi.>")


async def test_publishing_before_start_is_refused() -> None:
    bus = InProcessBus()

    with pytest.raises(BusError, match="not started"):
        await bus.publish("beffroi.x", b"x")
    with pytest.raises(BusError, match="not started"):
        await bus.publish_many([("beffroi.x", b"x", None)])
