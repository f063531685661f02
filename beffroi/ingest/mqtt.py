"""The MQTT subscriber of the gateway (gmqtt, MQTT 5): at-least-once from the broker to the bus.

Acknowledgement: a QoS 1 message is acknowledged (PUBACK) only after the bus holds its readings and event (or its
dead letter). Each message is handed synchronously to `Gateway.submit_mqtt`, which returns the future of its
reading batch; the PUBACKs of a batch are written together once it is published (`beffroi.ingest.acks`, on the
client of `beffroi.ingest.mqtt_client`): no task, future or socket write per message. A copy of a message still
in flight is acknowledged only once the first copy is on the bus. When the bus refused a batch, its PUBACKs are
withheld and the subscriber reconnects after a back-off so the broker sends the messages again:

- A PUBACK carrying an error reason code (0x80 and up) does not help: Mosquitto 2.0 reads the code, logs it and
  deletes the message all the same (`handle__pubackcomp` -> `db__message_delete_outgoing`), so the data would be
  lost. `tests/ingest/test_mqtt.py::test_an_error_puback_is_final_on_mosquitto` shows it.
- With no PUBACK at all, MQTT 3.1.1 and 5 forbid the broker to resend while the connection lasts (Mosquitto 2.0
  has no retry timer), and resends every unacknowledged message when a persistent session reconnects.
  A PUBACK is only ever written on the connection its message came on (a packet id means nothing on the next).

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
from gmqtt.mqtt.constants import UNLIMITED_RECONNECTS, MQTTv50
from gmqtt.mqtt.handler import MQTTConnectError

from beffroi.ingest.acks import PubackScheduler
from beffroi.ingest.gateway import Gateway
from beffroi.ingest.mqtt_client import BatchAckClient, Connection
from beffroi.ingest.settling import failure_of

log = logging.getLogger(__name__)


class SubscriberStats(msgspec.Struct, frozen=True):
    """What the subscriber has done since it started.

    `acknowledged` counts PUBACKs written; `withheld` QoS 1 messages left unacknowledged because the bus refused
    them; `unacknowledged_stale` PUBACKs not written because their connection had gone meanwhile (the broker sends
    those messages again, and the gateway recognises them as duplicates).
    """

    received: int
    acknowledged: int
    withheld: int
    redeliveries_requested: int
    connected: bool
    subscribed: bool
    unacknowledged_stale: int = 0


class MqttSubscriber:
    """Subscribes to data topics and hands every message to `Gateway.submit_mqtt`, acknowledging it after the bus.

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
        self._client = BatchAckClient(client_id, self._deliver, clean_session=not persistent_session, **properties)
        self._client.set_config({"reconnect_retries": UNLIMITED_RECONNECTS, "reconnect_delay": reconnect_min_s})
        if username is not None:
            self._client.set_auth_credentials(username, password)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_subscribe = self._on_subscribe
        self._subscriptions = [Subscription(topic, qos=qos, retain_handling_options=1) for topic in self.topics]
        self._subscribed = asyncio.Event()
        self._acks = PubackScheduler(self._client.send_pubacks, self._ask_redelivery)
        self._connected_once = False
        self._stopping = False
        self._supervisor: asyncio.Task[None] | None = None
        self._redelivery: asyncio.Task[None] | None = None
        self._late_disconnect: asyncio.Future[None] | None = None
        self._redelivery_delay = reconnect_min_s
        self._acknowledged_at_redelivery = 0
        self._received = self._redeliveries = 0

    @property
    def stats(self) -> SubscriberStats:
        """Counters and connection state now."""
        return SubscriberStats(
            received=self._received,
            acknowledged=self._acks.acknowledged,
            withheld=self._acks.withheld,
            redeliveries_requested=self._redeliveries,
            connected=self._connected_once and self._client.is_connected,
            subscribed=self._subscribed.is_set(),
            unacknowledged_stale=self._acks.dropped,
        )

    async def start(self) -> None:
        """Connect (or keep trying in the background with a back-off) and subscribe."""
        if self._supervisor is not None:
            raise RuntimeError("the subscriber is already started")
        self._stopping = False
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
            await asyncio.wait_for(self._acks.wait_idle(), self.stop_timeout_s)
        except TimeoutError:
            log.warning(
                "MQTT %s: %d messages still in progress at stop, the broker will resend them",
                self.client_id,
                self._acks.pending,
            )
        self._acks.write_now()
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

    def _deliver(self, topic: str, payload: bytes, qos: int, mid: int, connection: Connection) -> None:
        """Called by the client for every message, inside its read loop: must not raise."""
        self._received += 1
        try:
            settled = self.gateway.submit_mqtt(topic, payload).settled
        except Exception as exc:  # a bug, not bad input (the gateway dead-letters that): never acknowledge it
            log.exception("MQTT %s: the gateway failed on a message on %s", self.client_id, topic[:200])
            if qos:
                self._acks.withhold()
                self._ask_redelivery(exc)
            return
        if qos:
            self._acks.acknowledge_when(settled, connection, mid)
        elif settled is not None:
            settled.add_done_callback(self._report_lost_qos0)

    def _report_lost_qos0(self, settled: asyncio.Future[None]) -> None:
        failure = failure_of(settled)
        if failure is not None:
            log.error("MQTT %s: lost a QoS 0 message, the bus refused it: %s", self.client_id, repr(failure))

    def _ask_redelivery(self, error: Exception) -> None:
        """Reconnect after a back-off: the broker resends unacknowledged messages only on a new connection."""
        if self._stopping or (self._redelivery is not None and not self._redelivery.done()):
            return
        if not self._client.is_connected:
            return  # a reconnect is already under way, and it brings the redelivery
        if self._acks.acknowledged > self._acknowledged_at_redelivery:  # the bus took messages since: start over
            self._redelivery_delay = self.reconnect_min_s
        self._acknowledged_at_redelivery = self._acks.acknowledged
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
