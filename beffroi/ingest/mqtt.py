"""The MQTT subscriber of the gateway (gmqtt, MQTT 5): at-least-once from the broker to the bus.

Acknowledgement: a QoS 1 message is acknowledged (PUBACK) only after the gateway returned, that is after the bus
holds its readings and event (gmqtt with `optimistic_acknowledgement=False` sends the PUBACK when the async
`on_message` returns a reason code). When the bus refused them, the PUBACK is withheld and the subscriber
reconnects after a back-off so the broker sends the message again:

- A PUBACK carrying an error reason code (0x80 and up) does not help: Mosquitto 2.0 reads the code, logs it and
  deletes the message all the same (`handle__pubackcomp` -> `db__message_delete_outgoing`), so the data would be
  lost. `tests/ingest/test_mqtt.py::test_an_error_puback_is_final_on_mosquitto` shows it.
- With no PUBACK at all, MQTT 3.1.1 and 5 forbid the broker to resend while the connection lasts (Mosquitto 2.0
  has no retry timer), and resends every unacknowledged message when a persistent session reconnects.
  To withhold the PUBACK through gmqtt's public interface, `on_message` raises `AckWithheld`; gmqtt then sends
  nothing, and the asyncio log line that gmqtt's callback would cause is filtered out (our own warning says it).

Throughput: Mosquitto lets a client have at most `max_inflight_messages` (default 20) unacknowledged QoS 1
messages, except that for an MQTT 5 client it uses the Receive Maximum the client sends in CONNECT. Since acks
wait for a batch (a few ms), 20 in flight would cap the subscriber near 4k msg/s, so this client sends
`receive_maximum` (default 65535). Persistent session: clean start off and a Session Expiry Interval, so
Mosquitto queues what is published while the gateway is down and delivers it on reconnect. Mosquitto queues at
most `max_queued_messages` (default 1000) per offline client: raise it in the broker's configuration for
outages longer than a second of traffic.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

import msgspec
from gmqtt import Client, Subscription
from gmqtt.mqtt.constants import UNLIMITED_RECONNECTS, MQTTv50, PubRecReasonCode
from gmqtt.mqtt.handler import MQTTConnectError

from beffroi.ingest.gateway import Gateway

log = logging.getLogger(__name__)

_ASYNCIO_LOG = logging.getLogger("asyncio")
_PUBACK_SUCCESS: int = int(PubRecReasonCode.SUCCESS)


class AckWithheld(Exception):
    """Raised from `on_message` so gmqtt sends no PUBACK: the bus did not take the message, the broker resends it."""


class SubscriberStats(msgspec.Struct, frozen=True):
    """What the subscriber has done since it started."""

    received: int
    acknowledged: int
    withheld: int
    redeliveries_requested: int
    connected: bool
    subscribed: bool


class _DropWithheldAckNoise(logging.Filter):
    """Drops asyncio's 'Exception in callback' record for an `AckWithheld` (the subscriber logs it itself)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], AckWithheld))


_WITHHELD_ACK_NOISE = _DropWithheldAckNoise()


class MqttSubscriber:
    """Subscribes to data topics and hands every message to `Gateway.handle_mqtt`.

    `start` returns once the first connection attempt is made; the subscriber keeps (re)connecting with a
    back-off in the background, and logs every failure. `wait_subscribed` waits until the broker confirmed the
    subscriptions. `stop` flushes the gateway so pending acknowledgements go out, then disconnects (keeping
    the persistent session).
    """

    def __init__(
        self,
        gateway: Gateway,
        host: str,
        port: int,
        *,
        client_id: str,
        topics: Sequence[str],
        qos: int = 1,
        persistent_session: bool = True,
        username: str | None = None,
        password: str | None = None,
        session_expiry_s: int = 7 * 86_400,
        receive_maximum: int = 65_535,
        keepalive_s: int = 60,
        reconnect_min_s: float = 0.5,
        reconnect_max_s: float = 30.0,
        stop_timeout_s: float = 10.0,
    ) -> None:
        if qos not in (0, 1):
            raise ValueError(f"qos must be 0 or 1, got {qos}")
        if not topics:
            raise ValueError("at least one topic filter is needed")
        self.gateway = gateway
        self.host = host
        self.port = port
        self.client_id = client_id
        self.topics = list(topics)
        self.qos = qos
        self.keepalive_s = keepalive_s
        self.reconnect_min_s = reconnect_min_s
        self.reconnect_max_s = reconnect_max_s
        self.stop_timeout_s = stop_timeout_s
        properties: dict[str, Any] = {"receive_maximum": receive_maximum}
        if persistent_session:
            properties["session_expiry_interval"] = session_expiry_s
        self._client = Client(
            client_id, clean_session=not persistent_session, optimistic_acknowledgement=False, **properties
        )
        self._client.set_config({"reconnect_retries": UNLIMITED_RECONNECTS, "reconnect_delay": reconnect_min_s})
        if username is not None:
            self._client.set_auth_credentials(username, password)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._subscriptions = [Subscription(topic, qos=qos, retain_handling_options=1) for topic in self.topics]
        self._subscribed = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._in_progress = 0
        self._connected_once = False
        self._stopping = False
        self._supervisor: asyncio.Task[None] | None = None
        self._redelivery: asyncio.Task[None] | None = None
        self._late_disconnect: asyncio.Future[None] | None = None
        self._redelivery_delay = reconnect_min_s
        self._received = self._acknowledged = self._withheld = self._redeliveries = 0

    @property
    def stats(self) -> SubscriberStats:
        """Counters and connection state now."""
        return SubscriberStats(
            received=self._received,
            acknowledged=self._acknowledged,
            withheld=self._withheld,
            redeliveries_requested=self._redeliveries,
            connected=self._connected_once and self._client.is_connected,
            subscribed=self._subscribed.is_set(),
        )

    async def start(self) -> None:
        """Connect (or keep trying in the background with a back-off) and subscribe."""
        if self._supervisor is not None:
            raise RuntimeError("the subscriber is already started")
        self._stopping = False
        _ASYNCIO_LOG.addFilter(_WITHHELD_ACK_NOISE)  # once per process: adding the same filter again is a no-op
        first_attempt = asyncio.get_running_loop().create_future()
        self._supervisor = asyncio.create_task(self._supervise(first_attempt), name=f"mqtt-{self.client_id}")
        await first_attempt

    async def wait_subscribed(self, timeout_s: float = 10.0) -> bool:
        """True once the broker confirmed the subscriptions; False when `timeout_s` passed first."""
        try:
            await asyncio.wait_for(self._subscribed.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        """Flush the gateway so every handled message gets its PUBACK, then disconnect (the session is kept)."""
        if self._supervisor is None:
            return
        self._stopping = True
        for task in (self._supervisor, self._redelivery):
            if task is not None and not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._supervisor = self._redelivery = None
        await self.gateway.flush()
        try:
            await asyncio.wait_for(self._idle.wait(), self.stop_timeout_s)
        except TimeoutError:
            log.warning(
                "MQTT %s: %d messages still in progress at stop, the broker will resend them",
                self.client_id,
                self._in_progress,
            )
        if self._connected_once:  # also when gmqtt is between reconnect attempts: this ends its retries
            try:
                await self._client.disconnect()
            except Exception:
                log.exception("MQTT %s: error while disconnecting", self.client_id)
        self._subscribed.clear()

    async def _supervise(self, first_attempt: asyncio.Future[None]) -> None:
        """Connect with back-off; then stretch gmqtt's own reconnect delay while an outage lasts."""
        await self._connect_with_backoff(first_attempt)
        await self._watch_outages()

    async def _connect_with_backoff(self, first_attempt: asyncio.Future[None] | None = None) -> None:
        """Connect, retrying with an exponential back-off while the broker cannot be reached."""
        delay = self.reconnect_min_s
        while True:
            try:
                await self._client.connect(self.host, self.port, keepalive=self.keepalive_s, version=MQTTv50)
                self._connected_once = True
                return
            except OSError as exc:
                log.warning(
                    "MQTT %s: cannot reach %s:%d (%s); retrying in %.3g s",
                    self.client_id,
                    self.host,
                    self.port,
                    exc,
                    delay,
                )
            except MQTTConnectError as exc:
                # gmqtt keeps retrying a transient refusal by itself and gives up on a permanent one.
                self._connected_once = True
                log.error("MQTT %s: broker %s:%d refused the connection: %s", self.client_id, self.host, self.port, exc)
                return
            finally:
                if first_attempt is not None and not first_attempt.done():
                    first_attempt.set_result(None)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.reconnect_max_s)

    async def _watch_outages(self) -> None:
        """While disconnected, lengthen the reconnect delay with the outage (back-off) and say so every minute."""
        down_since: float | None = None
        last_report = 0.0
        while True:
            await asyncio.sleep(1.0)
            if self._client.is_connected:
                down_since = None
                self._client.reconnect_delay = self.reconnect_min_s
                continue
            now = time.monotonic()
            if down_since is None:
                down_since = last_report = now
            outage = now - down_since
            self._client.reconnect_delay = min(self.reconnect_max_s, max(self.reconnect_min_s, outage / 4))
            if now - last_report >= 60.0:
                last_report = now
                log.error(
                    "MQTT %s: disconnected from %s:%d for %.0f s; still retrying",
                    self.client_id,
                    self.host,
                    self.port,
                    outage,
                )

    def _on_connect(self, client: Client, session_present: int, result: int, properties: dict[str, Any]) -> None:
        if self._stopping:  # a reconnect gmqtt had already scheduled completed after stop(): leave again
            self._late_disconnect = asyncio.ensure_future(client.disconnect())
            return
        log.info(
            "MQTT %s: connected to %s:%d (session present: %s)",
            self.client_id,
            self.host,
            self.port,
            bool(session_present),
        )
        client.subscriptions.clear()  # gmqtt appends on every subscribe; the broker is the source of truth
        client.subscribe(self._subscriptions)

    def _on_subscribe(self, client: Client, mid: int, granted: Sequence[int], properties: dict[str, Any]) -> None:
        refused = [topic for topic, code in zip(self.topics, granted, strict=False) if code >= 0x80]
        if refused:
            log.error("MQTT %s: the broker refused the subscriptions %s", self.client_id, refused)
            return
        self._subscribed.set()

    def _on_disconnect(self, client: Client, packet: Any, exc: BaseException | None = None) -> None:
        self._subscribed.clear()
        redelivering = self._redelivery is not None and not self._redelivery.done()
        if not self._stopping and not redelivering:
            log.warning(
                "MQTT %s: connection to %s:%d lost; reconnecting in %.3g s",
                self.client_id,
                self.host,
                self.port,
                client.reconnect_delay,
            )

    async def _on_message(self, client: Client, topic: str, payload: bytes, qos: int, properties: Any) -> int:
        self._received += 1
        self._in_progress += 1
        self._idle.clear()
        try:
            await self.gateway.handle_mqtt(topic, payload)
        except Exception as exc:
            self._withheld += 1
            self._ask_redelivery(exc)
            if qos == 0:
                log.error(
                    "MQTT %s: lost a QoS 0 message on %s, the bus refused it: %s", self.client_id, topic, repr(exc)
                )
                return _PUBACK_SUCCESS
            raise AckWithheld(f"PUBACK withheld for a message on {topic}: {exc!r}") from None
        except asyncio.CancelledError:
            # Only at shutdown. gmqtt would log the cancellation as an error; the broker resends the message.
            self._withheld += 1
            raise AckWithheld(f"PUBACK withheld for a message on {topic}: cancelled") from None
        finally:
            self._in_progress -= 1
            if self._in_progress == 0:
                self._idle.set()
        if qos:
            self._acknowledged += 1
        self._redelivery_delay = self.reconnect_min_s
        return _PUBACK_SUCCESS

    def _ask_redelivery(self, error: Exception) -> None:
        """Reconnect after a back-off: the broker resends unacknowledged messages only on a new connection."""
        if self._stopping or (self._redelivery is not None and not self._redelivery.done()):
            return
        if not self._client.is_connected:
            return  # a reconnect is already under way, and it brings the redelivery
        delay = self._redelivery_delay
        self._redelivery_delay = min(delay * 2, self.reconnect_max_s)
        self._redeliveries += 1
        log.warning(
            "MQTT %s: the bus refused messages (%s); acks withheld, reconnecting in %.3g s for redelivery",
            self.client_id,
            repr(error),
            delay,
        )
        self._redelivery = asyncio.create_task(self._reconnect_for_redelivery(delay))

    async def _reconnect_for_redelivery(self, delay: float) -> None:
        """Disconnect now (no more messages while the bus is down), wait, connect again on the same session."""
        try:
            await self._client.disconnect()
        except Exception:
            log.exception("MQTT %s: error while disconnecting for redelivery", self.client_id)
        await asyncio.sleep(delay)
        await self._connect_with_backoff()
