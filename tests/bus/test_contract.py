"""The Bus contract: the same tests on the in-process bus and on NATS JetStream (see conftest's `bus`)."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from beffroi.bus.base import BusMessage, ConsumerOptions
from beffroi.errors import BusError
from tests.bus.conftest import AnyBus, Reopen
from tests.bus.support import Recorder, settle, wait_until

FAST_RETRY = ConsumerOptions(redeliver_delay_s=0.05)


def payloads(count: int, start: int = 0) -> list[bytes]:
    return [f"m{index}".encode() for index in range(start, start + count)]


async def test_messages_arrive_in_publish_order_with_their_subject_and_id(bus: AnyBus, prefix: str) -> None:
    recorder = Recorder()
    await bus.subscribe(f"{prefix}.>", "ordered", recorder)
    for index, data in enumerate(payloads(50)):
        await bus.publish(f"{prefix}.readings.{index % 3}", data, msg_id=f"id-{index}")

    await recorder.wait_handled(50)

    assert recorder.data == payloads(50)
    first = recorder.handled[0]
    assert (first.subject, first.msg_id, first.delivery_count) == (f"{prefix}.readings.0", "id-0", 1)
    assert recorder.handled[4].subject == f"{prefix}.readings.1"


async def test_a_new_durable_gets_every_message_already_in_the_stream(bus: AnyBus, prefix: str) -> None:
    for data in payloads(5):
        await bus.publish(f"{prefix}.early", data)
    recorder = Recorder()

    await bus.subscribe(f"{prefix}.>", "latecomer", recorder)
    await recorder.wait_handled(5)

    assert recorder.data == payloads(5)


async def test_wildcard_filters_select_subjects(bus: AnyBus, prefix: str) -> None:
    one_token, many_tokens, exact = Recorder(), Recorder(), Recorder()
    await bus.subscribe(f"{prefix}.a.*", "one-token", one_token)
    await bus.subscribe(f"{prefix}.a.>", "many-tokens", many_tokens)
    await bus.subscribe(f"{prefix}.b.x", "exact", exact)
    for subject in ("a.x", "a.x.y", "b.x", "a", "a.y", "b.x.y"):
        await bus.publish(f"{prefix}.{subject}", subject.encode())

    await many_tokens.wait_handled(3)
    await one_token.wait_handled(2)
    await exact.wait_handled(1)
    await settle()

    assert one_token.data == [b"a.x", b"a.y"]
    assert many_tokens.data == [b"a.x", b"a.x.y", b"a.y"]
    assert exact.data == [b"b.x"]


async def test_a_durable_resumes_after_stop_with_what_was_published_meanwhile(bus: AnyBus, prefix: str) -> None:
    first = Recorder()
    subscription = await bus.subscribe(f"{prefix}.>", "resumer", first)
    for data in payloads(3):
        await bus.publish(f"{prefix}.r", data)
    await first.wait_handled(3)
    await subscription.stop()

    for data in payloads(3, start=3):
        await bus.publish(f"{prefix}.r", data)
    await settle(0.1)
    assert len(first.deliveries) == 3  # stopped means stopped

    second = Recorder()
    await bus.subscribe(f"{prefix}.>", "resumer", second)
    await second.wait_handled(3)
    await settle()
    assert second.data == payloads(3, start=3)


async def test_a_failed_message_is_redelivered_with_its_delivery_count(bus: AnyBus, prefix: str) -> None:
    recorder = Recorder(fail_when=lambda message: message.delivery_count == 1)
    await bus.subscribe(f"{prefix}.>", "retrier", recorder, FAST_RETRY)

    await bus.publish(f"{prefix}.x", b"flaky", msg_id="flaky-1")
    await recorder.wait_handled(1)
    await settle()

    assert [(m.data, m.delivery_count) for m in recorder.deliveries] == [(b"flaky", 1), (b"flaky", 2)]
    assert recorder.handled[0].msg_id == "flaky-1"


async def test_a_message_failing_max_deliver_times_is_terminated_and_logged_and_the_loop_goes_on(
    bus: AnyBus, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder(fail_when=lambda message: message.data == b"poison")
    options = ConsumerOptions(max_deliver=3, redeliver_delay_s=0.05)
    await bus.subscribe(f"{prefix}.>", "poisoned", recorder, options)

    with caplog.at_level(logging.WARNING, logger="beffroi.bus"):
        await bus.publish(f"{prefix}.x", b"poison")
        await bus.publish(f"{prefix}.x", b"healthy")
        await recorder.wait_handled(1)
        await wait_until(lambda: len(recorder.deliveries) >= 4, 5, lambda: f"{recorder.deliveries}")
        await settle(0.5)

    poison = [m.delivery_count for m in recorder.deliveries if m.data == b"poison"]
    assert poison == [1, 2, 3]
    assert recorder.data == [b"healthy"]
    errors = [r for r in caplog.records if r.name == "beffroi.bus" and r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "giving up" in errors[0].getMessage()
    assert "after 3 deliveries" in errors[0].getMessage()


async def test_a_handler_slower_than_ack_wait_is_cancelled_and_the_message_redelivered(
    bus: AnyBus, prefix: str
) -> None:
    finished: list[int] = []

    async def slow_first_time(message: BusMessage) -> None:
        if message.delivery_count == 1:
            await asyncio.sleep(5)
        finished.append(message.delivery_count)

    options = ConsumerOptions(ack_wait_s=0.4, redeliver_delay_s=0.05)
    await bus.subscribe(f"{prefix}.>", "sluggish", slow_first_time, options)
    started = time.monotonic()
    await bus.publish(f"{prefix}.x", b"slow")

    await wait_until(lambda: 2 in finished, 5, lambda: f"finished {finished}")

    assert time.monotonic() - started < 3
    assert 1 not in finished  # the slow handler was cancelled, not left running


async def test_the_same_msg_id_within_the_window_is_stored_once(bus: AnyBus, prefix: str) -> None:
    await bus.publish(f"{prefix}.x", b"first", msg_id="same")
    await bus.publish(f"{prefix}.x", b"again", msg_id="same")
    await bus.publish(f"{prefix}.x", b"no id")
    await bus.publish(f"{prefix}.x", b"no id")
    recorder = Recorder()

    await bus.subscribe(f"{prefix}.>", "deduper", recorder)
    await recorder.wait_handled(3)
    await settle()

    assert recorder.data == [b"first", b"no id", b"no id"]


async def test_each_durable_gets_every_message(bus: AnyBus, prefix: str) -> None:
    engine, recorder = Recorder(), Recorder()
    await bus.subscribe(f"{prefix}.>", "engine", engine)
    await bus.subscribe(f"{prefix}.>", "recorder", recorder)

    for data in payloads(30):
        await bus.publish(f"{prefix}.x", data)

    await engine.wait_handled(30)
    await recorder.wait_handled(30)
    assert engine.data == recorder.data == payloads(30)


async def test_subscribers_of_one_durable_share_the_work_without_duplicates(bus: AnyBus, prefix: str) -> None:
    options = ConsumerOptions(batch=1)
    first, second = Recorder(delay_s=lambda _: 0.005), Recorder(delay_s=lambda _: 0.005)
    await bus.subscribe(f"{prefix}.>", "shared", first, options)
    await bus.subscribe(f"{prefix}.>", "shared", second, options)

    for data in payloads(60):
        await bus.publish(f"{prefix}.x", data)

    await wait_until(lambda: len(first.handled) + len(second.handled) >= 60, 10, lambda: "not all handled")
    await settle()
    everything = first.data + second.data
    assert sorted(everything) == sorted(payloads(60))
    assert len(everything) == 60
    assert first.handled
    assert second.handled


async def test_publish_many_stores_every_message_once_in_order(bus: AnyBus, prefix: str) -> None:
    items = [(f"{prefix}.bulk.{index % 4}", data, f"bulk-{index}") for index, data in enumerate(payloads(500))]
    items += [(f"{prefix}.bulk.0", b"duplicate", "bulk-7"), (f"{prefix}.bulk.0", b"anonymous", None)]
    recorder = Recorder()
    await bus.subscribe(f"{prefix}.bulk.>", "bulk", recorder)

    await bus.publish_many(items)
    await bus.publish_many([])

    await recorder.wait_handled(501)
    await settle()
    assert recorder.data == [*payloads(500), b"anonymous"]


async def test_publish_many_checks_every_message_before_sending_any(bus: AnyBus, prefix: str) -> None:
    with pytest.raises(BusError, match="invalid subject"):
        await bus.publish_many([(f"{prefix}.ok", b"1", None), (f"{prefix}.bad.*", b"2", None)])
    recorder = Recorder()
    await bus.subscribe(f"{prefix}.>", "nothing", recorder)
    await settle()
    assert recorder.deliveries == []


async def test_messages_received_but_not_handled_at_stop_go_to_the_next_subscriber(bus: AnyBus, prefix: str) -> None:
    gate = asyncio.Event()

    async def blocked(message: BusMessage) -> None:
        await gate.wait()

    subscription = await bus.subscribe(f"{prefix}.>", "handover", blocked, ConsumerOptions(batch=20))
    for data in payloads(10):
        await bus.publish(f"{prefix}.x", data)
    await settle(0.2)
    stopping = asyncio.create_task(subscription.stop())
    await settle(0.1)
    assert not stopping.done()  # stop waits for the handler in progress
    gate.set()
    await stopping

    successor = Recorder()
    started = time.monotonic()
    await bus.subscribe(f"{prefix}.>", "handover", successor)
    await successor.wait_handled(9, timeout_s=5)
    assert time.monotonic() - started < 5  # well before the 30 s ack_wait
    assert set(successor.data) >= set(payloads(9, start=1))


async def test_stop_returns_promptly_when_idle_and_twice(bus: AnyBus, prefix: str) -> None:
    subscription = await bus.subscribe(f"{prefix}.>", "idle", Recorder())
    await settle(0.1)

    started = time.monotonic()
    await subscription.stop()
    await subscription.stop()

    assert time.monotonic() - started < 1


async def test_a_handler_may_stop_its_own_subscription(bus: AnyBus, prefix: str) -> None:
    handled: list[bytes] = []

    async def stop_after_first(message: BusMessage) -> None:
        handled.append(message.data)
        await subscription.stop()

    subscription = await bus.subscribe(f"{prefix}.>", "self-stopper", stop_after_first, ConsumerOptions(batch=1))
    for data in payloads(3):
        await bus.publish(f"{prefix}.x", data)
    await settle(0.5)

    assert handled == [b"m0"]
    rest = Recorder()
    await bus.subscribe(f"{prefix}.>", "self-stopper", rest)
    await rest.wait_handled(2)
    assert rest.data == [b"m1", b"m2"]


async def test_close_stops_every_subscription_and_refuses_more_work(bus: AnyBus, prefix: str) -> None:
    first, second = Recorder(), Recorder()
    subscription = await bus.subscribe(f"{prefix}.>", "one", first)
    await bus.subscribe(f"{prefix}.>", "two", second)
    await bus.publish(f"{prefix}.x", b"before")
    await first.wait_handled(1)
    await second.wait_handled(1)

    await bus.close()

    with pytest.raises(BusError, match="not started"):
        await bus.publish(f"{prefix}.x", b"after")
    with pytest.raises(BusError, match="not started"):
        await bus.subscribe(f"{prefix}.>", "three", Recorder())
    await subscription.stop()  # harmless after close
    assert len(first.deliveries) == len(second.deliveries) == 1


async def test_one_durable_name_keeps_one_filter(bus: AnyBus, prefix: str) -> None:
    await bus.subscribe(f"{prefix}.a.>", "narrow", Recorder())

    with pytest.raises(BusError, match="already consumes"):
        await bus.subscribe(f"{prefix}.b.>", "narrow", Recorder())


@pytest.mark.parametrize(
    ("subject", "problem"),
    [
        ("{prefix}.*", "wildcard"),
        ("{prefix}.>", "wildcard"),
        ("{prefix}..x", "empty token"),
        ("{prefix}.x.", "empty token"),
        ("{prefix}.with space", "whitespace"),
        ("", "empty"),
        ("elsewhere.x", "no stream stores"),
    ],
)
async def test_publishing_to_a_bad_subject_is_refused_with_the_reason(
    bus: AnyBus, prefix: str, subject: str, problem: str
) -> None:
    with pytest.raises(BusError, match=problem):
        await bus.publish(subject.format(prefix=prefix), b"x")


async def test_bad_data_and_msg_ids_are_refused(bus: AnyBus, prefix: str) -> None:
    with pytest.raises(BusError, match="must be bytes"):
        await bus.publish(f"{prefix}.x", "text")  # type: ignore[arg-type]
    with pytest.raises(BusError, match="msg_id"):
        await bus.publish(f"{prefix}.x", b"x", msg_id="")
    with pytest.raises(BusError, match="line breaks"):
        await bus.publish(f"{prefix}.x", b"x", msg_id="a\r\nStatus: 503")


@pytest.mark.parametrize(
    ("subject_filter", "durable", "options", "problem"),
    [
        ("{prefix}.>.x", "d", None, "'>' may only be the last token"),
        ("{prefix}.a*", "d", None, "whole token"),
        ("elsewhere.>", "d", None, "outside the stream"),
        ("{prefix}.>", "has.dot", None, "durable name"),
        ("{prefix}.>", "", None, "durable name"),
        ("{prefix}.>", "d", ConsumerOptions(batch=0), "batch must be >= 1"),
        ("{prefix}.>", "d", ConsumerOptions(ack_wait_s=0), "ack_wait_s must be > 0"),
        ("{prefix}.>", "d", ConsumerOptions(max_deliver=0, redeliver_delay_s=-1), "max_deliver.*redeliver_delay_s"),
    ],
)
async def test_bad_subscriptions_are_refused_with_the_reason(
    bus: AnyBus, prefix: str, subject_filter: str, durable: str, options: ConsumerOptions | None, problem: str
) -> None:
    with pytest.raises(BusError, match=problem):
        await bus.subscribe(subject_filter.format(prefix=prefix), durable, Recorder(), options)


async def test_a_durable_resumes_on_another_bus_object(bus: AnyBus, prefix: str, reopen: Reopen) -> None:
    first = Recorder()
    subscription = await bus.subscribe(f"{prefix}.>", "moving", first)
    await bus.publish(f"{prefix}.x", b"one")
    await first.wait_handled(1)
    await subscription.stop()

    other = await reopen()
    await other.publish(f"{prefix}.x", b"two")
    second = Recorder()
    await other.subscribe(f"{prefix}.>", "moving", second)
    await second.wait_handled(1)
    await settle()
    assert second.data == [b"two"]


async def test_a_batch_longer_than_ack_wait_is_not_redelivered_while_it_waits(bus: AnyBus, prefix: str) -> None:
    recorder = Recorder(delay_s=lambda _: 0.15)
    options = ConsumerOptions(batch=10, ack_wait_s=0.5)
    for data in payloads(6):
        await bus.publish(f"{prefix}.x", data)

    await bus.subscribe(f"{prefix}.>", "patient", recorder, options)
    await recorder.wait_handled(6)
    await settle(0.6)

    assert recorder.data == payloads(6)
    assert [m.delivery_count for m in recorder.deliveries] == [1] * 6
