"""One subscriber of a JetStream durable pull consumer: pull requests on a private inbox, one handler at a time.

Each pull request asks for `options.batch` messages and lingers on the server for up to `_EXPIRES_S`, so a
message published while the consumer is idle is delivered at once, and a busy consumer gets full batches. The
subscriber handles messages as they arrive (it does not wait for a whole batch), acks each one after its handler
returns, and sends the next request when the previous one is used up or expired. A request that got no answer in
time (the server restarted, a reconnect lost it) is simply replaced; status replies that mean trouble (consumer
deleted, no JetStream responders) are logged, followed by a back-off and an attempt to recreate the consumer.

Messages received but not yet acked (waiting in the local buffer behind slow handlers, or being handled) are
marked "in progress" every ack_wait/4, so that the server does not redeliver them meanwhile; the handler itself
is still limited to ack_wait.

Stopping unsubscribes the inbox (the server then no longer serves the lingering request) and naks the messages
already received but not handled, so the next subscriber gets them at once instead of after ack_wait.

With `options.erase_after_ack`, each message taken (or given up after its last delivery) is then erased from the
stream (the server overwrites it on disk), so what must not be stored stays on the server only until it is consumed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from types import MappingProxyType

import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription as NatsSubscription

from beffroi.bus._delivery import HandlerRunner, Outcome
from beffroi.bus.base import BusMessage, ConsumerOptions, Handler

log = logging.getLogger("beffroi.bus")

_EXPIRES_S = 5.0  # how long a pull request lingers on the server
_GRACE_S = 2.0  # how much longer we wait for its answer before taking the request as lost
_BACKOFF_MIN_S = 0.1
_BACKOFF_MAX_S = 5.0
# An immediate nak (no delay) can lose the message until ack_wait when the consumer still lists a pull request
# whose inbox is gone (a subscriber that just stopped): seen on nats-server 2.9.10, also with bare nats-py.
# A nak with any delay goes through the server's redelivery timer instead and does not lose it.
_MIN_NAK_DELAY_S = 0.01
_ERASE_TIMEOUT_S = 5.0  # how long the server may take to erase a taken message (`erase_after_ack`)
_NO_HEADERS: MappingProxyType[str, str] = MappingProxyType({})
_MSG_ID_HEADER = "Nats-Msg-Id"
_STATUS_HEADER = "Status"
_DESCRIPTION_HEADER = "Description"


def stream_sequence(reply: str) -> int | None:
    """The message's sequence in its stream, read from its ack subject (see `delivery_count`); None when unreadable."""
    tokens = reply.split(".")
    try:
        return int(tokens[5] if len(tokens) == 9 else tokens[7])
    except (IndexError, ValueError):
        return None


def delivery_count(reply: str) -> int:
    """How many times JetStream has delivered this message, read from its ack subject.

    `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>` (9 tokens), or the form with domain and
    account hash after `$JS.ACK` (12 tokens, 11 in early servers).
    """
    tokens = reply.split(".")
    try:
        return int(tokens[4] if len(tokens) == 9 else tokens[6])
    except (IndexError, ValueError):
        return 1


class NatsPullSubscription:
    """A running subscriber of durable `durable` on stream `stream` (see the module docstring)."""

    def __init__(
        self,
        client: Client,
        *,
        stream: str,
        durable: str,
        handler: Handler,
        options: ConsumerOptions,
        recreate_consumer: Callable[[], Awaitable[None]],
        on_stopped: Callable[[NatsPullSubscription], None],
    ) -> None:
        self._client = client
        self._durable = durable
        self._options = options
        self._recreate_consumer = recreate_consumer
        self._on_stopped = on_stopped
        self._runner = HandlerRunner(handler, options, consumer=durable)
        self._next_subject = f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}"
        self._delete_subject = f"$JS.API.STREAM.MSG.DELETE.{stream}"
        self._request = json.dumps({"batch": options.batch, "expires": int(_EXPIRES_S * 1e9)}).encode()
        self._loop = asyncio.get_running_loop()
        self._inbox = client.new_inbox()
        self._buffer: deque[tuple[float, Msg]] = deque()  # (when received, message)
        self._keepalive_s = options.ack_wait_s / 4
        self._current: tuple[float, Msg] | None = None  # the message being handled, with when it was received
        self._keepalive: asyncio.Task[None] | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._outstanding = 0  # messages the open pull request may still bring
        self._request_deadline = 0.0
        self._backoff_s = _BACKOFF_MIN_S
        self._stopping = False
        self._subscription: NatsSubscription | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Subscribe the inbox and start consuming."""
        self._subscription = await self._client.subscribe(self._inbox, cb=self._received)
        self._task = asyncio.create_task(self._consume(), name=f"bus-nats-{self._durable}")
        self._keepalive = asyncio.create_task(self._keep_alive(), name=f"bus-nats-keepalive-{self._durable}")

    async def stop(self) -> None:
        """Stop fetching; returns once the handler in progress (if any) has finished and the inbox is released."""
        self._stopping = True
        self._wake()
        task = self._task
        if task is None or task is asyncio.current_task():
            return  # stopped from inside its own handler: the loop ends after this message
        await asyncio.wait([task])

    def connection_restored(self) -> None:
        """The client reconnected: pull requests made before are gone, make a new one now."""
        self._outstanding = 0
        self._wake()

    async def _received(self, msg: Msg) -> None:
        self._buffer.append((self._loop.time(), msg))
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _wait_until(self, deadline: float) -> None:
        """Sleep until `deadline`, a message arrives, or stop() is called."""
        waiter: asyncio.Future[None] = self._loop.create_future()
        self._waiter = waiter
        timer = self._loop.call_at(deadline, _resolve, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None

    async def _consume(self) -> None:
        buffer = self._buffer
        try:
            while not self._stopping:
                if buffer:
                    received_at, msg = buffer.popleft()
                    if msg.reply:
                        self._outstanding -= 1
                        self._current = (received_at, msg)
                        await self._deliver(msg)
                        self._current = None
                    else:
                        await self._on_status(msg)
                elif self._outstanding <= 0:
                    await self._pull()
                elif self._loop.time() >= self._request_deadline:
                    log.debug("bus consumer %r: pull request unanswered, making a new one", self._durable)
                    self._outstanding = 0
                else:
                    await self._wait_until(self._request_deadline)
        finally:
            self._runner.close()
            if self._keepalive is not None:
                self._keepalive.cancel()
            await self._release()
            self._on_stopped(self)

    async def _keep_alive(self) -> None:
        """Every ack_wait/4, mark the messages received more than that long ago and not yet acked "in progress"."""
        while True:
            await asyncio.sleep(self._keepalive_s)
            old = self._loop.time() - self._keepalive_s
            waiting = list(self._buffer)
            if self._current is not None:
                waiting.append(self._current)
            for received_at, msg in waiting:
                if received_at <= old and msg.reply and not msg.is_acked:
                    await _still_in_progress(msg, self._durable)

    async def _pull(self) -> None:
        try:
            await self._client.publish(self._next_subject, self._request, reply=self._inbox)
        except nats.errors.Error as error:
            await self._back_off(f"could not send a pull request: {error!r}")
            return
        self._outstanding = self._options.batch
        self._request_deadline = self._loop.time() + _EXPIRES_S + _GRACE_S

    async def _deliver(self, msg: Msg) -> None:
        headers = msg.headers
        message = BusMessage(
            msg.subject,
            msg.data,
            headers.get(_MSG_ID_HEADER) if headers else None,
            delivery_count(msg.reply),
            headers or _NO_HEADERS,
        )
        settled = False
        try:
            outcome = await self._runner.run(message)
            settled = True
        finally:
            if not settled:  # cancelled from outside: give it back at once
                await _settle(msg, Outcome.RETRY, 0.0, self._durable)
        await _settle(msg, outcome, self._options.redeliver_delay_s, self._durable)
        if outcome is not Outcome.RETRY and self._options.erase_after_ack:  # taken, or given up for good
            await self._erase(msg)
        self._backoff_s = _BACKOFF_MIN_S

    async def _erase(self, msg: Msg) -> None:
        """Erase a taken message from the stream (the server overwrites it); a failure is logged, never raised: the
        message then stays until the stream's max age."""
        sequence = stream_sequence(msg.reply)
        if sequence is None:
            log.warning("bus consumer %r: cannot erase a message on %r: no stream sequence", self._durable, msg.subject)
            return
        try:
            answer = await self._client.request(
                self._delete_subject, json.dumps({"seq": sequence}).encode(), _ERASE_TIMEOUT_S
            )
            error = json.loads(answer.data).get("error")
        except (nats.errors.Error, ValueError) as failure:
            error = repr(failure)
        if error:
            log.warning("bus consumer %r: message %d on %r not erased: %s", self._durable, sequence, msg.subject, error)

    async def _on_status(self, msg: Msg) -> None:
        headers = msg.headers or {}
        status = headers.get(_STATUS_HEADER, "")
        if status == "100":  # idle heartbeat or flow control
            return
        self._outstanding = 0
        if status in ("404", "408"):  # no messages / request expired: ask again
            return
        description = headers.get(_DESCRIPTION_HEADER, "")
        await self._back_off(f"pull request answered {status} {description}".rstrip())
        if status == "503" or "Consumer Deleted" in description:
            try:
                await self._recreate_consumer()
                log.warning("bus consumer %r: consumer recreated", self._durable)
            except Exception as error:
                log.warning("bus consumer %r: could not recreate the consumer: %s", self._durable, error)

    async def _back_off(self, reason: str) -> None:
        log.warning("bus consumer %r: %s; retrying in %.1fs", self._durable, reason, self._backoff_s)
        await self._wait_until(self._loop.time() + self._backoff_s)
        self._backoff_s = min(self._backoff_s * 2, _BACKOFF_MAX_S)

    async def _release(self) -> None:
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            try:
                await subscription.unsubscribe()
            except nats.errors.Error as error:
                log.debug("bus consumer %r: unsubscribe failed: %r", self._durable, error)
        while self._buffer:
            _, msg = self._buffer.popleft()
            if msg.reply:
                await _settle(msg, Outcome.RETRY, 0.0, self._durable)


async def _settle(msg: Msg, outcome: Outcome, delay_s: float, durable: str) -> None:
    """Tell the server what became of `msg`; a failure is logged (the server redelivers after ack_wait)."""
    try:
        if outcome is Outcome.ACK:
            await msg.ack()
        elif outcome is Outcome.RETRY:
            await msg.nak(delay=max(delay_s, _MIN_NAK_DELAY_S))
        else:
            await msg.term()
    except nats.errors.Error as error:
        log.warning("bus consumer %r: could not %s a message on %r: %r", durable, outcome.value, msg.subject, error)


async def _still_in_progress(msg: Msg, durable: str) -> None:
    """Restart the server's ack_wait clock of a message that waited long in our buffer (it would be redelivered)."""
    try:
        await msg.in_progress()
    except nats.errors.Error as error:
        log.debug("bus consumer %r: could not mark a message in progress: %r", durable, error)


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
