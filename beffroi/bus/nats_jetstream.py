"""The production bus: NATS JetStream through nats-py.

`start()` connects and creates (or updates) one stream: file storage, limits retention (messages are kept
`max_age_s`, whoever has consumed them), and a duplicate window: a message published again with the same
`msg_id` (the `Nats-Msg-Id` header) within `duplicate_window_s` is stored once. `publish` returns after the
server's PubAck; `publish_many` sends messages without waiting for each ack (by chunks of 1,000, a chunk going
out while the acks of the previous one come back) and then awaits them together.

Each `subscribe` creates (or updates) a durable pull consumer (explicit acks, deliver policy "all": a brand-new
durable starts with every message still in the stream) and runs one subscriber of it
(`beffroi.bus._nats_pull`). The server keeps each durable's position, so a consumer resumes where it stopped,
across restarts of the process and of the server. Handlers see the message's NATS headers (`Nats-Msg-Id`
included) in `BusMessage.headers`.

Connection loss: nats-py reconnects for ever once connected; subscribers renew their pull requests when the
connection is back. A publish whose ack does not come within `timeout_s` (the request or its ack was lost with
the connection, or the outage lasts) raises `BusError`; publishing again with the same `msg_id` is safe. A message
that was on its way to a subscriber when the connection dropped is redelivered after ack_wait. Every nats error
that reaches a caller is a `BusError`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import cast

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    PubAck,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)

from beffroi.bus._delivery import check_options
from beffroi.bus._nats_pull import NatsPullSubscription
from beffroi.bus._subjects import SubjectSpace, check_name
from beffroi.bus.base import ConsumerOptions, Handler, Subscription, register_backend
from beffroi.errors import BusError

log = logging.getLogger("beffroi.bus")

_MSG_ID_HEADER = "Nats-Msg-Id"
_MAX_PENDING_ASYNC_PUBLISHES = 4000
_PUBLISH_CHUNK = 1000  # publish_many awaits the acks of this many messages at a time
_NATS_ERRORS = (nats.errors.Error, OSError, asyncio.TimeoutError)


class NatsJetStreamBus:
    """The Bus protocol on a NATS JetStream stream (see the module docstring)."""

    def __init__(
        self,
        url: str,
        *,
        stream: str = "BEFFROI",
        max_age_s: float = 86_400.0,
        duplicate_window_s: float = 120.0,
        subjects: Sequence[str] = ("beffroi.>",),
        timeout_s: float = 5.0,
    ) -> None:
        if not max_age_s > 0:
            raise BusError(f"max_age_s must be > 0 (got {max_age_s})")
        if not 0 <= duplicate_window_s <= max_age_s:
            raise BusError(f"duplicate_window_s must be between 0 and max_age_s (got {duplicate_window_s})")
        if not timeout_s > 0:
            raise BusError(f"timeout_s must be > 0 (got {timeout_s})")
        self._url = url
        self._stream = check_name("stream", stream)
        self._space = SubjectSpace(subjects)
        self._max_age_s = max_age_s
        self._duplicate_window_s = duplicate_window_s
        self._timeout_s = timeout_s
        self._client: Client | None = None
        self._js: JetStreamContext | None = None
        self._subscriptions: list[NatsPullSubscription] = []
        self._closing = False
        self._errors_since_connected = 0

    @property
    def stream(self) -> str:
        """The JetStream stream this bus publishes to and consumes from."""
        return self._stream

    async def start(self) -> None:
        """Connect, then create the stream or bring its configuration up to date."""
        if self._client is not None:
            return
        client = Client()
        try:
            await client.connect(
                servers=[server.strip() for server in self._url.split(",")],
                name="beffroi",
                connect_timeout=_seconds(self._timeout_s),
                max_reconnect_attempts=1,  # give up soon on the first connection...
                reconnect_time_wait=_seconds(0.5),
                error_cb=self._on_error,
                disconnected_cb=self._on_disconnected,
                reconnected_cb=self._on_reconnected,
            )
        except (*_NATS_ERRORS, ValueError) as error:
            self._closing = True
            await _quietly_close(client)
            self._closing = False
            raise BusError(f"cannot connect to NATS at {self._url}: {error!r}") from error
        client.options["max_reconnect_attempts"] = -1  # ...but once connected, reconnect for ever
        js = client.jetstream(timeout=self._timeout_s, publish_async_max_pending=_MAX_PENDING_ASYNC_PUBLISHES)
        try:
            await self._ensure_stream(js)
        except BaseException:
            await _quietly_close(client)
            raise
        self._client, self._js = client, js

    async def close(self) -> None:
        """Stop every subscription, send what is still buffered (acks included) and disconnect."""
        for subscription in list(self._subscriptions):
            await subscription.stop()
        client, self._client, self._js = self._client, None, None
        if client is None:
            return
        self._closing = True
        try:
            if client.is_connected:
                await client.flush(timeout=_seconds(self._timeout_s))
        except _NATS_ERRORS as error:
            log.warning("bus: could not flush before closing the NATS connection: %r", error)
        await _quietly_close(client)
        self._closing = False

    async def publish(self, subject: str, data: bytes, *, msg_id: str | None = None) -> None:
        """Publish one message and wait for the stream to store it."""
        js = self._started()
        self._space.check_publish(subject, data, msg_id)
        headers = {_MSG_ID_HEADER: msg_id} if msg_id is not None else None
        try:
            await js.publish(subject, data, timeout=self._timeout_s, headers=headers)
        except nats.js.errors.NoStreamResponseError as error:
            raise BusError(
                f"no JetStream stream stores subject {subject!r} (is stream {self._stream} there?)"
            ) from error
        except _NATS_ERRORS as error:
            raise BusError(f"publish to {subject!r} failed: {_describe(error)}") from error

    async def publish_many(self, items: Sequence[tuple[str, bytes, str | None]]) -> None:
        """Publish several messages, their acks awaited together; all are checked before any is sent.

        Messages go out by chunks; a chunk is sent while the acks of the previous one are still coming back.
        """
        js = self._started()
        for subject, data, msg_id in items:
            self._space.check_publish(subject, data, msg_id)
        unconfirmed: list[asyncio.Future[PubAck]] = []
        unconfirmed_first = 0
        for first in range(0, len(items), _PUBLISH_CHUNK):
            try:
                sent = await self._send_chunk(js, items[first : first + _PUBLISH_CHUNK])
            except BusError:
                _cancel_all(unconfirmed)
                raise
            await self._confirm(unconfirmed, unconfirmed_first, len(items))
            unconfirmed, unconfirmed_first = sent, first
        await self._confirm(unconfirmed, unconfirmed_first, len(items))

    async def _send_chunk(
        self, js: JetStreamContext, chunk: Sequence[tuple[str, bytes, str | None]]
    ) -> list[asyncio.Future[PubAck]]:
        futures: list[asyncio.Future[PubAck]] = []
        try:
            for subject, data, msg_id in chunk:
                headers = {_MSG_ID_HEADER: msg_id} if msg_id is not None else None
                # No wait_stall: with one, nats-py yields to the event loop on every message, which then goes out
                # in a socket write of its own. Two chunks stay below nats-py's pending limit, and the wait for
                # acks is bounded, so nothing waits for ever.
                futures.append(await js.publish_async(subject, data, headers=headers))
        except _NATS_ERRORS as error:
            _cancel_all(futures)
            raise BusError(f"publish failed after {len(futures)} messages of a chunk were sent: {error!r}") from error
        return futures

    async def _confirm(self, futures: list[asyncio.Future[PubAck]], first: int, total: int) -> None:
        if not futures:
            return
        done, pending = await asyncio.wait(futures, timeout=self._timeout_s)
        _cancel_all(pending)
        errors = [error for future in done if (error := future.exception()) is not None]
        if pending or errors:
            first_error = _describe(errors[0]) if errors else f"no ack within {self._timeout_s:g}s"
            raise BusError(
                f"{len(pending) + len(errors)} of messages {first + 1}..{first + len(futures)} (of {total}) were "
                f"not confirmed by the stream: {first_error}"
            )

    async def subscribe(
        self,
        subject_filter: str,
        durable: str,
        handler: Handler,
        options: ConsumerOptions | None = None,
    ) -> Subscription:
        """Create or update durable pull consumer `durable` on `subject_filter` and start one subscriber of it."""
        client = self._client
        if client is None:
            raise BusError("the NATS bus is not started (call start() first)")
        options = check_options(options or ConsumerOptions())
        check_name("durable", durable)
        self._space.check_consumer_filter(subject_filter)
        config = ConsumerConfig(
            name=durable,
            durable_name=durable,
            deliver_policy=DeliverPolicy.NEW if options.deliver_new_only else DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=options.ack_wait_s,
            max_deliver=options.max_deliver,
            max_ack_pending=max(options.max_in_flight, options.batch),
            filter_subject=subject_filter,
            inactive_threshold=options.inactive_after_s,
        )
        await self._ensure_consumer(config, check_filter=True)

        async def recreate_consumer() -> None:
            await self._ensure_consumer(config, check_filter=False)

        subscription = NatsPullSubscription(
            client,
            stream=self._stream,
            durable=durable,
            handler=handler,
            options=options,
            recreate_consumer=recreate_consumer,
            on_stopped=self._forget,
        )
        await subscription.start()
        self._subscriptions.append(subscription)
        return subscription

    def _started(self) -> JetStreamContext:
        if self._js is None:
            raise BusError("the NATS bus is not started (call start() first)")
        return self._js

    def _forget(self, subscription: NatsPullSubscription) -> None:
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)

    async def _ensure_stream(self, js: JetStreamContext) -> None:
        config = StreamConfig(
            name=self._stream,
            subjects=list(self._space.patterns),
            retention=RetentionPolicy.LIMITS,
            discard=DiscardPolicy.OLD,
            storage=StorageType.FILE,
            max_age=self._max_age_s,
            duplicate_window=self._duplicate_window_s,
        )
        try:
            try:
                await js.stream_info(self._stream)
            except nats.js.errors.NotFoundError:
                await js.add_stream(config)
                log.info("bus: created JetStream stream %s on %s", self._stream, list(self._space.patterns))
            else:
                await js.update_stream(config)
        except nats.js.errors.ServiceUnavailableError as error:
            raise BusError(f"JetStream is not enabled on the NATS server at {self._url}: {_describe(error)}") from error
        except _NATS_ERRORS as error:
            raise BusError(f"cannot create or update JetStream stream {self._stream}: {_describe(error)}") from error

    async def _ensure_consumer(self, config: ConsumerConfig, *, check_filter: bool) -> None:
        js = self._started()
        durable = cast(str, config.durable_name)
        try:
            if check_filter:
                try:
                    info = await js.consumer_info(self._stream, durable)
                except nats.js.errors.NotFoundError:
                    pass
                else:
                    existing = info.config.filter_subject
                    if existing != config.filter_subject:
                        raise BusError(
                            f"durable {durable!r} already consumes {existing!r}; "
                            f"it cannot also consume {config.filter_subject!r} (use another durable name)"
                        )
            await js.add_consumer(self._stream, config)
        except _NATS_ERRORS as error:
            raise BusError(
                f"cannot create or update consumer {durable!r} on stream {self._stream}: {_describe(error)}"
            ) from error

    async def _on_error(self, error: Exception) -> None:
        # One warning per outage; the reconnection attempts that follow (every 0.5 s) are logged at debug level.
        level = logging.DEBUG if self._errors_since_connected else logging.WARNING
        self._errors_since_connected += 1
        log.log(level, "bus: NATS connection error: %r", error)

    async def _on_disconnected(self) -> None:
        if self._closing:
            return
        log.warning("bus: disconnected from NATS at %s; reconnecting", self._url)

    async def _on_reconnected(self) -> None:
        self._errors_since_connected = 0
        log.warning("bus: reconnected to NATS at %s", self._url)
        for subscription in self._subscriptions:
            subscription.connection_restored()


def _cancel_all(futures: Sequence[asyncio.Future[PubAck]] | set[asyncio.Future[PubAck]]) -> None:
    for future in futures:
        if not future.done():
            future.cancel()
        elif not future.cancelled():
            future.exception()  # mark it retrieved


def _describe(error: BaseException) -> str:
    """A nats error in words: API errors carry the server's code and description in str(), others only in repr()."""
    if isinstance(error, nats.js.errors.APIError):
        return str(error)
    return repr(error)


def _seconds(value: float) -> int:
    """nats-py annotates durations as int seconds but uses them as floats."""
    return cast(int, value)


async def _quietly_close(client: Client) -> None:
    try:
        await client.close()
    except _NATS_ERRORS as error:
        log.debug("bus: closing the NATS connection failed: %r", error)


def _from_url(
    url: str, *, stream: str, subjects: Sequence[str], max_age_s: float, duplicate_window_s: float
) -> NatsJetStreamBus:
    """The factory for kind "nats": `nats://host:port` (several servers: comma-separated)."""
    return NatsJetStreamBus(
        url, stream=stream, subjects=subjects, max_age_s=max_age_s, duplicate_window_s=duplicate_window_s
    )


register_backend("nats", _from_url)
