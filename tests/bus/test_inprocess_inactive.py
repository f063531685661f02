"""The in-process bus honours `inactive_after_s`: a durable whose last subscriber stopped is forgotten after that
long (it then keeps no message), unless a subscriber comes back first; durables without it live on."""

from __future__ import annotations

import asyncio

from beffroi.bus.base import ConsumerOptions
from beffroi.bus.inprocess import InProcessBus
from tests.bus.support import Recorder, settle

TRIM_EVERY = 256  # publishes between two retention passes (see inprocess._TRIM_EVERY)
LIVE = ConsumerOptions(deliver_new_only=True, inactive_after_s=0.1)


async def started() -> InProcessBus:
    bus = InProcessBus(subjects=("t.>",))
    await bus.start()
    return bus


async def publish_numbered(bus: InProcessBus, count: int) -> None:
    for index in range(count):
        await bus.publish("t.x", str(index).encode())


async def test_a_stopped_durable_with_an_inactive_threshold_is_forgotten_and_keeps_nothing() -> None:
    bus = await started()
    worker = Recorder()
    await bus.subscribe("t.>", "work", worker)
    live = await bus.subscribe("t.>", "live-1", Recorder(), LIVE)
    await live.stop()
    await asyncio.sleep(0.2)  # past the inactive threshold

    await publish_numbered(bus, 300)
    await worker.wait_handled(300)
    await publish_numbered(bus, 2 * TRIM_EVERY - 300)  # reaches a retention pass before "work" runs again

    assert bus.stored == 2 * TRIM_EVERY - 300, "the forgotten durable still holds messages"
    await bus.close()


async def test_without_an_inactive_threshold_a_stopped_durable_keeps_its_messages() -> None:
    bus = await started()
    worker = Recorder()
    await bus.subscribe("t.>", "work", worker)
    kept = await bus.subscribe("t.>", "kept", Recorder(), ConsumerOptions(deliver_new_only=True))
    await kept.stop()
    await asyncio.sleep(0.2)

    await publish_numbered(bus, 300)
    await worker.wait_handled(300)
    await publish_numbered(bus, 2 * TRIM_EVERY - 300)

    assert bus.stored == 2 * TRIM_EVERY
    await bus.close()


async def test_a_subscriber_back_within_the_threshold_resumes_the_same_durable() -> None:
    bus = await started()
    first = await bus.subscribe("t.>", "live-2", Recorder(), ConsumerOptions(inactive_after_s=0.3))
    await first.stop()
    await bus.publish("t.x", b"while away")
    again = Recorder()
    await bus.subscribe("t.>", "live-2", again, ConsumerOptions(inactive_after_s=0.3))
    await asyncio.sleep(0.4)  # the cancelled expiry must not forget the durable under its new subscriber

    await again.wait_handled(1)
    await bus.publish("t.x", b"later")
    await again.wait_handled(2)
    assert again.data == [b"while away", b"later"]
    await bus.close()


async def test_a_forgotten_durable_subscribed_again_starts_afresh() -> None:
    bus = await started()
    await bus.subscribe("t.>", "work", Recorder())  # some durable exists, so the stream does not keep everything
    first = await bus.subscribe("t.>", "live-3", Recorder(), LIVE)
    await first.stop()
    await bus.publish("t.x", b"missed")
    await asyncio.sleep(0.2)

    again = Recorder()
    await bus.subscribe("t.>", "live-3", again, LIVE)
    await settle(0.1)
    assert again.data == []  # a new durable (deliver new only), not the old one resuming at "missed"
    await bus.publish("t.x", b"new")
    await again.wait_handled(1)
    assert again.data == [b"new"]
    await bus.close()
