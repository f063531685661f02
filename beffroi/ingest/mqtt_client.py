"""A gmqtt client that hands each received PUBLISH to a plain callback and sends PUBACKs many at a time.

gmqtt, with `optimistic_acknowledgement=False`, runs an async `on_message` as one asyncio Task per message and
writes one PUBACK per message when it returns. This client instead calls `deliver(topic, payload, qos, mid,
connection)` synchronously from gmqtt's read loop, sends no PUBACK by itself, and lets the owner acknowledge a
list of packet ids in one socket write with `send_pubacks`, on the connection the messages came on only.

Since PUBACKs now go out once per batch, the gateway seldom writes to the socket, and Linux then delays its TCP
ACKs (waiting for data to carry them); a broker that uses Nagle's algorithm (Mosquitto's default, unless
`set_tcp_nodelay true`) holds its next small PUBLISH until that ACK comes. So after each read from the socket the
client asks for the ACK at once (TCP_QUICKACK). In the latency phase of `bench/end_to_end.py` (1000 msg/s) the
median publish-to-alarm time was ~15.5 ms with one PUBACK write per message, ~17 ms with batched PUBACKs alone,
~11.5 ms with batched PUBACKs and TCP_QUICKACK.

This is the only module that reaches into gmqtt's internals, and it assumes gmqtt 0.8.x (pinned `>=0.8,<0.9`):
- `Client._package_handler` is the `MqttPackageHandler` (built in `Client.__init__`); its class is swapped for
  a subclass (no `__init__`; `BatchAckClient` sets its two attributes) overriding `_handle_publish_packet(cmd,
  raw)` (called with each PUBLISH packet, fixed header removed) and `_handle_qos_1_publish_packet` /
  `_handle_qos_2_publish_packet` (where gmqtt's own parser hands over a QoS 1 / 2 message);
- `MqttPackageHandler._connection` / `.current_connection` is the live `MQTTConnection`, replaced on every
  (re)connection, and `MQTTConnection.send_package(bytes)` writes raw bytes to its transport;
- `MqttPackageHandler._connection_state.protocol_version` tells whether PUBLISH packets carry properties (MQTT 5);
- `MQTTConnection._transport` is the asyncio transport of the connection (for its socket).
`tests/ingest/test_mqtt.py` runs this against a real Mosquitto.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections.abc import Callable, Sequence
from typing import Any

from gmqtt import Client
from gmqtt.mqtt.constants import MQTTv50
from gmqtt.mqtt.handler import MqttPackageHandler

log = logging.getLogger(__name__)

Connection = object
"""Identifies one network connection of the client (gmqtt's `MQTTConnection`); opaque to the owner."""

Deliver = Callable[[str, bytes, int, int, Connection], None]
"""Called with (topic, payload, qos, packet id (0 for QoS 0), connection) for every message received."""

_PUBACK_COMMAND_AND_LENGTH = 0x4002_0000
"""PUBACK, remaining length 2, before the packet id: the short form, valid in MQTT 3.1.1 and 5 (reason Success)."""

_TCP_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)
"""Linux only; elsewhere the kernel's own ACK timing is kept."""


class BatchAckClient(Client):  # type: ignore[misc]  # gmqtt has no type hints
    """A gmqtt `Client` that delivers messages synchronously to `deliver` and never acknowledges on its own."""

    def __init__(self, client_id: str, deliver: Deliver, **kwargs: Any) -> None:
        super().__init__(client_id, optimistic_acknowledgement=False, **kwargs)
        handler = self._package_handler
        handler.__class__ = _DeliveringHandler
        handler.deliver = deliver
        handler.quick_ack_scheduled = False
        # What gmqtt's own parser delivers at QoS 0 goes through on_message: same callback, no packet id.
        self.on_message = lambda client, topic, payload, qos, properties: deliver(
            _text(topic), payload, qos, 0, handler.current_connection
        )

    @property
    def current_connection(self) -> Connection | None:
        """The connection messages arrive on now (a new one after every reconnection); None before the first."""
        connection: Connection | None = self._package_handler.current_connection
        return connection

    def send_pubacks(self, connection: Connection, mids: Sequence[int]) -> bool:
        """Acknowledge the messages `mids` received on `connection`, in one write.

        Returns False, and writes nothing, when `connection` is no longer the live one: a packet id is only
        meaningful on its connection (the broker may have reused it since), and the broker sends every message
        that was not acknowledged again when the session resumes.
        """
        live = self._live_connection(connection)
        if live is None:
            return False
        live.send_package(struct.pack(f"!{len(mids)}I", *[_PUBACK_COMMAND_AND_LENGTH | mid for mid in mids]))
        return True

    def _live_connection(self, connection: Connection) -> Any:
        """gmqtt's `MQTTConnection` when `connection` is the current, open one; else None."""
        live = self._package_handler.current_connection
        return live if live is not None and not live.is_closing() and live is connection else None


class _DeliveringHandler(MqttPackageHandler):  # type: ignore[misc]  # gmqtt has no type hints
    """gmqtt's packet handler, with PUBLISH packets handed to `deliver` (set by `BatchAckClient`)."""

    deliver: Deliver
    quick_ack_scheduled: bool

    def _handle_publish_packet(self, cmd: int, raw: bytes) -> None:
        """Parse the common case here (QoS 0/1, a topic name, no properties); anything else goes to gmqtt."""
        if not self.quick_ack_scheduled:  # once per socket read: its packets are handled in one loop iteration
            self.quick_ack_scheduled = True
            asyncio.get_running_loop().call_soon(self._acknowledge_tcp_now, self._connection)
        qos = (cmd & 0x06) >> 1
        if qos < 2:
            topic_end = 2 + ((raw[0] << 8) | raw[1])
            position = topic_end
            mid = 0
            if qos:
                mid = (raw[position] << 8) | raw[position + 1]
                position += 2
            if self._connection_state.protocol_version >= MQTTv50:
                if raw[position]:  # properties (a topic alias, user properties...): gmqtt's parser reads them
                    super()._handle_publish_packet(cmd, raw)
                    return
                position += 1
            if topic_end > 2:
                topic = raw[2:topic_end].decode(errors="replace")  # not UTF-8: the gateway refuses the topic
                self.deliver(topic, raw[position:], qos, mid, self._connection)
                return
        super()._handle_publish_packet(cmd, raw)

    def _acknowledge_tcp_now(self, connection: Any) -> None:
        """Have the kernel send the TCP ACK of what was read now, rather than delay it (see the module docstring)."""
        self.quick_ack_scheduled = False
        if _TCP_QUICKACK is None:
            return
        sock = connection._transport.get_extra_info("socket")
        if sock is None:
            return
        with contextlib.suppress(OSError):  # closed meanwhile, or not TCP: nothing to acknowledge
            sock.setsockopt(socket.IPPROTO_TCP, _TCP_QUICKACK, 1)

    def _handle_qos_1_publish_packet(self, mid: int, packet: bytes, print_topic: str | bytes, properties: Any) -> None:
        self.deliver(_text(print_topic), packet, 1, mid, self._connection)

    def _handle_qos_2_publish_packet(self, mid: int, packet: bytes, print_topic: str | bytes, properties: Any) -> None:
        # Subscriptions ask for QoS 1 at most, so the broker never sends QoS 2; if it did, acknowledging with a
        # PUBACK would break the QoS 2 flow, so the message is left unacknowledged (the broker keeps it).
        log.error("ignored a QoS 2 message on %r: subscriptions are QoS 1 at most", _text(print_topic)[:200])


def _text(topic: str | bytes) -> str:
    """The topic as text (gmqtt passes the bytes when they are not UTF-8)."""
    return topic if isinstance(topic, str) else topic.decode(errors="replace")
