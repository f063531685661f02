"""Publishes the simulator's messages to an MQTT broker (gmqtt, MQTT 3.1.1), with bounded in-flight QoS 1.

At QoS 1 every publish stays in flight until the broker's PUBACK; `publish` waits while `max_inflight` are
outstanding, so a slow broker slows the simulator down instead of filling memory. gmqtt keeps the unacknowledged
messages and sends them again after a reconnect.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

import gmqtt
from gmqtt.mqtt.constants import MQTTv311
from gmqtt.storage import PersistentStorage

from beffroi.errors import BusError

log = logging.getLogger(__name__)


class _InflightStore(PersistentStorage):  # type: ignore[misc]
    """gmqtt's store of unacknowledged publishes, which also says when there is room for more."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.room = asyncio.Event()
        self.room.set()

    def push_message(self, mid: int, raw_package: bytes) -> None:
        super().push_message(mid, raw_package)
        if len(self._messages) >= self.limit:
            self.room.clear()

    def remove_message_by_mid(self, mid: int) -> None:
        super().remove_message_by_mid(mid)
        if len(self._messages) < self.limit:
            self.room.set()

    def clear(self) -> None:
        super().clear()
        self.room.set()

    @property
    def count(self) -> int:
        """How many publishes wait for their acknowledgement."""
        return len(self._messages)


class MqttPublisher:
    """An MQTT client that publishes payloads with back-pressure: `start`, `publish` many times, `stop`."""

    def __init__(
        self,
        host: str,
        port: int = 1883,
        *,
        client_id: str,
        qos: Literal[0, 1] = 1,
        max_inflight: int = 1000,
        keepalive_s: int = 60,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        if qos not in (0, 1):
            raise ValueError(f"qos must be 0 or 1 (got {qos!r})")
        if not 1 <= max_inflight <= 60_000:
            raise ValueError(f"max_inflight must be between 1 and 60000 (got {max_inflight!r})")
        self.host = host
        self.port = port
        self.client_id = client_id
        self.qos = qos
        self.max_inflight = max_inflight
        self._keepalive_s = keepalive_s
        self._username = username
        self._password = password
        self._client: Any = None
        self._store: _InflightStore | None = None
        self.published = 0
        """How many messages were handed to the client."""

    @property
    def inflight(self) -> int:
        """Publishes not yet acknowledged by the broker (always 0 at QoS 0)."""
        return self._store.count if self._store is not None else 0

    async def start(self) -> None:
        """Connect to the broker; raises BusError when it cannot be reached or refuses the connection."""
        if self._client is not None:
            raise BusError(f"MQTT publisher {self.client_id!r} is already started")
        store = _InflightStore(self.max_inflight)
        client = gmqtt.Client(self.client_id, clean_session=True, persistent_storage=store)
        if self._username is not None:
            client.set_auth_credentials(self._username, self._password)
        try:
            await client.connect(self.host, self.port, keepalive=self._keepalive_s, version=MQTTv311)
        except (OSError, gmqtt.MQTTConnectError) as error:
            raise BusError(f"cannot connect to the MQTT broker at {self.host}:{self.port}: {error}") from None
        self._client = client
        self._store = store

    async def publish(self, topic: str, payload: bytes) -> None:
        """Send one message; at QoS 1 waits first while `max_inflight` messages are unacknowledged."""
        client = self._client
        store = self._store
        if client is None or store is None:
            raise BusError("the MQTT publisher is not started (call start() first)")
        if self.qos:
            while not store.room.is_set():
                await store.room.wait()
        client.publish(topic, payload, qos=self.qos)
        self.published += 1

    async def stop(self, timeout_s: float = 30.0) -> None:
        """Wait up to `timeout_s` for every acknowledgement, then disconnect.

        Raises BusError (after disconnecting) when messages are still unacknowledged at the timeout.
        """
        client = self._client
        store = self._store
        if client is None or store is None:
            return
        self._client = None
        self._store = None
        missing = 0
        try:
            await asyncio.wait_for(store.wait_empty(), timeout_s)
        except TimeoutError:
            missing = store.count
        await client.disconnect()
        if missing:
            raise BusError(f"{missing} MQTT messages were not acknowledged within {timeout_s} s")
