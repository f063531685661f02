"""The embedded bus: one in-memory stream inside the process, with the delivery semantics of NATS JetStream.

What it keeps: every message published on one of its subjects, in order, until every durable consumer that exists
has acknowledged (or filtered out) it. Messages leave from the oldest end, so one message a durable still needs
keeps those published after it. While no durable exists at all, messages are kept, so that a consumer subscribing
shortly after start-up still sees what was published before it. Independently, messages older than `max_age_s`
are dropped, and the oldest are dropped when the stream holds more than `max_bytes` of payload (JetStream's
"discard old"); dropping a message some consumer has not acknowledged yet is logged and counted.

A brand-new durable starts at the first message still kept (JetStream's deliver policy "all"), or after the newest
one with `deliver_new_only`. A durable lives as long as the bus object: a consumer that stops and subscribes again
under the same name resumes at its first unacknowledged message, but nothing survives the process (use the NATS
backend for that). A durable subscribed with `inactive_after_s` is forgotten that long after its last subscriber
stopped (JetStream's inactive threshold), so that it no longer keeps messages for a reader that is gone.

Delivery: each durable delivers every message matching its filter once to one of its subscribers (several
subscribers under one durable name share the work); see `beffroi.bus._delivery` for ack, retry and termination.
"""

from __future__ import annotations

import asyncio
import dataclasses
import heapq
import logging
from collections import deque
from collections.abc import Sequence
from types import MappingProxyType

from beffroi.bus._delivery import HandlerRunner, Outcome, check_options
from beffroi.bus._subjects import SubjectFilter, SubjectSpace, check_name
from beffroi.bus.base import BusMessage, ConsumerOptions, Handler, Subscription, register_backend
from beffroi.errors import BusError

log = logging.getLogger("beffroi.bus")

_NO_HEADERS: MappingProxyType[str, str] = MappingProxyType({})
_TRIM_EVERY = 256  # publishes between two retention passes
_HOUSEKEEPING_S = 1.0  # retention and dedupe window are also enforced this often when nothing is published
_COMPACT_AFTER = 4096  # dropped slots at the head of the log before the list is compacted


class _Log:
    """The stream's messages by sequence number (1, 2, ...), appended at the tail and dropped at the head.

    Messages and their store times live in two parallel lists (no per-message record object: fewer allocations
    and less for the garbage collector to walk, which matters at hundreds of thousands of messages a second).
    """

    __slots__ = ("_messages", "_start", "_stored_at", "bytes", "first_seq", "next_seq")

    def __init__(self) -> None:
        self._messages: list[BusMessage | None] = []
        self._stored_at: list[float] = []
        self._start = 0  # index of the message `first_seq` in both lists
        self.first_seq = 1
        self.next_seq = 1
        self.bytes = 0

    def __len__(self) -> int:
        return self.next_seq - self.first_seq

    def append(self, message: BusMessage, stored_at: float) -> int:
        """Store `message`; its sequence number."""
        self._messages.append(message)
        self._stored_at.append(stored_at)
        self.bytes += len(message.data)
        seq = self.next_seq
        self.next_seq = seq + 1
        return seq

    def get(self, seq: int) -> BusMessage | None:
        """Message `seq`, or None when it was dropped (or never existed)."""
        if seq < self.first_seq or seq >= self.next_seq:
            return None
        return self._messages[self._start + seq - self.first_seq]

    def oldest_stored_at(self) -> float:
        """When the oldest message was stored (the log must not be empty)."""
        return self._stored_at[self._start]

    def drop_oldest(self) -> None:
        message = self._messages[self._start]
        assert message is not None
        self.bytes -= len(message.data)
        self._messages[self._start] = None
        self._start += 1
        self.first_seq += 1
        if self._start >= _COMPACT_AFTER and self._start * 2 >= len(self._messages):
            del self._messages[: self._start]
            del self._stored_at[: self._start]
            self._start = 0


class _Durable:
    """A named consumer's position: what it has been given, what is still unacknowledged, what waits for retry."""

    __slots__ = ("cursor", "filter", "name", "retries", "unacked", "waiters")

    def __init__(self, name: str, subject_filter: SubjectFilter, first_seq: int) -> None:
        self.name = name
        self.filter = subject_filter
        self.cursor = first_seq  # next sequence number to look at
        self.unacked: dict[int, int] = {}  # seq -> deliveries so far, for delivered and not yet acked messages
        self.retries: list[tuple[float, int]] = []  # heap of (due time, seq)
        self.waiters: deque[asyncio.Future[None]] = deque()

    def take(self, stream: _Log, now: float) -> tuple[int, BusMessage, int] | None:
        """The next message to deliver as (seq, message, delivery number): a due retry first, else the next match."""
        retries = self.retries
        while retries and retries[0][0] <= now:
            _, seq = heapq.heappop(retries)
            message = stream.get(seq)
            if message is None:  # dropped meanwhile (age or size limit)
                self.unacked.pop(seq, None)
                continue
            count = self.unacked[seq] + 1
            self.unacked[seq] = count
            return seq, message, count
        self.cursor = max(self.cursor, stream.first_seq)
        matches = self.filter.matches
        while self.cursor < stream.next_seq:
            seq = self.cursor
            message = stream.get(seq)
            self.cursor = seq + 1
            if message is not None and matches(message.subject):
                self.unacked[seq] = 1
                return seq, message, 1
        return None

    def settle(self, seq: int) -> None:
        """The message is done with (acked or terminated)."""
        self.unacked.pop(seq, None)

    def retry(self, seq: int, due: float) -> None:
        heapq.heappush(self.retries, (due, seq))

    def floor(self, stream: _Log) -> int:
        """Every message below this sequence number is done with for this durable.

        Moves the cursor past messages this durable does not want, so that traffic on other subjects is not kept
        for a durable whose subscribers are idle or stopped.
        """
        cursor = max(self.cursor, stream.first_seq)
        matches = self.filter.matches
        while cursor < stream.next_seq:
            message = stream.get(cursor)
            if message is not None and matches(message.subject):
                break
            cursor += 1
        self.cursor = cursor
        if self.unacked:
            return min(cursor, *self.unacked)
        return cursor

    def wake_one(self) -> None:
        """Wake one idle subscriber, if any."""
        waiters = self.waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return


class _InProcessSubscription:
    """One subscriber of a durable: a task taking messages and running the handler on them one at a time."""

    def __init__(self, bus: InProcessBus, durable: _Durable, handler: Handler, options: ConsumerOptions) -> None:
        self._bus = bus
        self._durable = durable
        self._options = options
        self.durable = durable
        self.inactive_after_s = options.inactive_after_s
        self._loop = asyncio.get_running_loop()
        self._runner = HandlerRunner(handler, options, consumer=durable.name)
        self._stopping = False
        self._waiter: asyncio.Future[None] | None = None
        self._task = asyncio.create_task(self._consume(), name=f"bus-inprocess-{durable.name}")
        self._task.add_done_callback(lambda _: bus._forget(self))

    async def stop(self) -> None:
        """Stop taking messages; returns once the handler in progress (if any) has finished."""
        self._stopping = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        if self._task is asyncio.current_task():
            return  # stopped from inside its own handler: the loop ends after this message
        await asyncio.wait([self._task])

    async def _consume(self) -> None:
        durable, stream, runner, loop = self._durable, self._bus._log, self._runner, self._loop
        batch, delay = self._options.batch, self._options.redeliver_delay_s
        served = 0
        try:
            while not self._stopping:
                delivery = durable.take(stream, loop.time())
                if delivery is None:
                    await self._wait()
                    continue
                seq, message, count = delivery
                if count > 1:
                    message = dataclasses.replace(message, delivery_count=count)
                settled = False
                try:
                    outcome = await runner.run(message)
                    settled = True
                finally:
                    if not settled:  # cancelled from outside: give the message back
                        durable.retry(seq, loop.time())
                if outcome is Outcome.RETRY:
                    durable.retry(seq, loop.time() + delay)
                    if delay > 0:
                        loop.call_later(delay, durable.wake_one)
                else:
                    durable.settle(seq)
                served += 1
                if served >= batch:  # let publishers and other consumers run even if handlers never yield
                    served = 0
                    await asyncio.sleep(0)
        finally:
            runner.close()

    async def _wait(self) -> None:
        waiter = self._loop.create_future()
        self._waiter = waiter
        self._durable.waiters.append(waiter)
        try:
            await waiter
        finally:
            self._waiter = None


class InProcessBus:
    """The embedded bus: JetStream-like durable consumers over one in-memory stream, within one event loop."""

    def __init__(
        self,
        *,
        subjects: Sequence[str] = ("beffroi.>",),
        max_age_s: float = 86_400.0,
        duplicate_window_s: float = 120.0,
        max_bytes: int = 256 * 1024 * 1024,
    ) -> None:
        if not max_age_s > 0:
            raise BusError(f"max_age_s must be > 0 (got {max_age_s})")
        if not duplicate_window_s >= 0:
            raise BusError(f"duplicate_window_s must be >= 0 (got {duplicate_window_s})")
        if max_bytes < 1:
            raise BusError(f"max_bytes must be >= 1 (got {max_bytes})")
        self._space = SubjectSpace(subjects)
        self._max_age_s = max_age_s
        self._duplicate_window_s = duplicate_window_s
        self._max_bytes = max_bytes
        self._log = _Log()
        self._durables: dict[str, _Durable] = {}
        self._subscriptions: list[_InProcessSubscription] = []
        self._expiries: dict[str, asyncio.TimerHandle] = {}  # durable name -> when it is forgotten, if unused
        self._recent_ids: dict[str, float] = {}  # msg_id -> when it was stored
        self._recent_order: deque[str] = deque()  # the same ids, oldest first
        self._loop: asyncio.AbstractEventLoop | None = None
        self._housekeeping: asyncio.TimerHandle | None = None
        self.dropped_unacked = 0  # messages dropped (age or size) before every durable had acknowledged them

    @property
    def stored(self) -> int:
        """How many messages the stream holds now."""
        return len(self._log)

    @property
    def stored_bytes(self) -> int:
        """Payload bytes the stream holds now."""
        return self._log.bytes

    async def start(self) -> None:
        """Bind to the running event loop; must be called before publish/subscribe."""
        loop = asyncio.get_running_loop()
        if self._loop is not None and self._loop is not loop:
            raise BusError("the in-process bus is already started on another event loop")
        self._loop = loop
        if self._housekeeping is None:
            self._housekeeping = loop.call_later(_HOUSEKEEPING_S, self._housekeep)

    async def close(self) -> None:
        """Stop every subscription; the stream and durables stay in memory until the object goes."""
        for subscription in list(self._subscriptions):
            await subscription.stop()
        self._subscriptions.clear()
        if self._housekeeping is not None:
            self._housekeeping.cancel()
            self._housekeeping = None
        self._loop = None

    async def publish(self, subject: str, data: bytes, *, msg_id: str | None = None) -> None:
        """Store one message (once per `msg_id` within the duplicate window) and wake its consumers."""
        loop = self._loop
        if loop is None:
            raise BusError("the in-process bus is not started (call start() first)")
        self._space.check_publish(subject, data, msg_id)
        self._store(subject, data, msg_id, loop.time())

    async def publish_many(self, items: Sequence[tuple[str, bytes, str | None]]) -> None:
        """Store several `(subject, data, msg_id)` messages in order; all are checked before any is stored."""
        loop = self._loop
        if loop is None:
            raise BusError("the in-process bus is not started (call start() first)")
        for subject, data, msg_id in items:
            self._space.check_publish(subject, data, msg_id)
        now = loop.time()
        for subject, data, msg_id in items:
            self._store(subject, data, msg_id, now)

    async def subscribe(
        self,
        subject_filter: str,
        durable: str,
        handler: Handler,
        options: ConsumerOptions | None = None,
    ) -> Subscription:
        """Start a subscriber of the durable consumer `durable` (created on first use, deliver policy all)."""
        if self._loop is None:
            raise BusError("the in-process bus is not started (call start() first)")
        options = check_options(options or ConsumerOptions())
        check_name("durable", durable)
        self._space.check_consumer_filter(subject_filter)
        state = self._durables.get(durable)
        if state is None:
            state = self._durables[durable] = _Durable(
                durable,
                SubjectFilter(subject_filter),
                self._log.next_seq if options.deliver_new_only else self._log.first_seq,
            )
        elif state.filter.pattern != subject_filter:
            raise BusError(
                f"durable {durable!r} already consumes {state.filter.pattern!r}; "
                f"it cannot also consume {subject_filter!r} (use another durable name)"
            )
        expiry = self._expiries.pop(durable, None)
        if expiry is not None:
            expiry.cancel()
        subscription = _InProcessSubscription(self, state, handler, options)
        self._subscriptions.append(subscription)
        return subscription

    def _forget(self, subscription: _InProcessSubscription) -> None:
        """A subscriber has stopped; the last one of a durable with `inactive_after_s` starts its expiry."""
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)
        durable = subscription.durable
        inactive_after_s = subscription.inactive_after_s
        if inactive_after_s is None or self._has_subscribers(durable):
            return
        previous = self._expiries.pop(durable.name, None)
        if previous is not None:
            previous.cancel()
        loop = asyncio.get_running_loop()
        self._expiries[durable.name] = loop.call_later(inactive_after_s, self._expire, durable)

    def _has_subscribers(self, durable: _Durable) -> bool:
        return any(subscription.durable is durable for subscription in self._subscriptions)

    def _expire(self, durable: _Durable) -> None:
        """Forget a durable nobody subscribed to within its inactive threshold: it keeps no message any more."""
        if self._expiries.get(durable.name) is not None:
            del self._expiries[durable.name]
        if self._durables.get(durable.name) is durable and not self._has_subscribers(durable):
            del self._durables[durable.name]
            log.debug("in-process bus: durable %r forgotten after its inactive threshold", durable.name)

    def _store(self, subject: str, data: bytes, msg_id: str | None, now: float) -> None:
        if msg_id is not None and self._seen_recently(msg_id, now):
            return
        stream = self._log
        seq = stream.append(BusMessage(subject, data, msg_id, 1, _NO_HEADERS), now)
        for durable in self._durables.values():
            if durable.waiters and durable.filter.matches(subject):
                durable.wake_one()
        if seq % _TRIM_EVERY == 0 or stream.bytes > self._max_bytes:
            self._trim(now)

    def _seen_recently(self, msg_id: str, now: float) -> bool:
        """True when `msg_id` was stored within the duplicate window; otherwise remembers it."""
        self._forget_old_ids(now)
        if msg_id in self._recent_ids:
            return True
        if self._duplicate_window_s > 0:
            self._recent_ids[msg_id] = now
            self._recent_order.append(msg_id)
        return False

    def _forget_old_ids(self, now: float) -> None:
        order, recent = self._recent_order, self._recent_ids
        cutoff = now - self._duplicate_window_s
        while order and recent[order[0]] <= cutoff:
            del recent[order.popleft()]

    def _trim(self, now: float) -> None:
        """Drop what no durable needs any more, what is older than max_age, and the oldest beyond max_bytes."""
        stream = self._log
        floor = min((durable.floor(stream) for durable in self._durables.values()), default=stream.first_seq)
        cutoff = now - self._max_age_s
        lost = 0
        while len(stream):
            if stream.first_seq < floor:
                stream.drop_oldest()
            elif stream.oldest_stored_at() <= cutoff or stream.bytes > self._max_bytes:
                if self._durables:
                    lost += 1
                stream.drop_oldest()
            else:
                break
        if lost:
            self.dropped_unacked += lost
            log.warning(
                "in-process bus: dropped %d message(s) not yet acknowledged by every consumer "
                "(older than max_age_s=%g or beyond max_bytes=%d)",
                lost,
                self._max_age_s,
                self._max_bytes,
            )

    def _housekeep(self) -> None:
        loop = self._loop
        if loop is None:
            return
        now = loop.time()
        self._trim(now)
        self._forget_old_ids(now)
        self._housekeeping = loop.call_later(_HOUSEKEEPING_S, self._housekeep)


def _from_url(
    url: str, *, stream: str, subjects: Sequence[str], max_age_s: float, duplicate_window_s: float
) -> InProcessBus:
    """The factory for kind "inprocess": the URL carries nothing (`inprocess://`); the stream name is not used."""
    if url not in ("", "inprocess:", "inprocess://"):
        raise BusError(f"the in-process bus takes the URL 'inprocess://', got {url!r}")
    check_name("stream", stream)
    return InProcessBus(subjects=subjects, max_age_s=max_age_s, duplicate_window_s=duplicate_window_s)


register_backend("inprocess", _from_url)
