"""The device payload on the wire ("json-stream" format, see PAYLOAD.md): JSON bytes and the MQTT topic."""

from __future__ import annotations

import time

import msgspec

AttributeValue = str | int | float | bool


class DeviceEvent(msgspec.Struct, omit_defaults=True):
    """A discrete occurrence a device reports with its values (door forced, drone detected…)."""

    type: str
    confidence: float = 1.0
    attributes: dict[str, AttributeValue] = {}


class Location(msgspec.Struct):
    """A WGS 84 point of the payload."""

    lon: float
    lat: float


class DevicePayload(msgspec.Struct, omit_defaults=True, rename={"stream_id": "streamId"}):
    """One device message as published: id, device, ISO 8601 UTC timestamp, values, optional extras."""

    id: str
    stream_id: str
    timestamp: str
    value: dict[str, float]
    model: str | None = None
    location: Location | None = None
    event: DeviceEvent | None = None


def data_topic(prefix: str, tenant_id: str, site_id: str, device_id: str) -> str:
    """`{prefix}/{tenant}/data/{site}/{device}`: where a device publishes."""
    return f"{prefix}/{tenant_id}/data/{site_id}/{device_id}"


class PayloadEncoder:
    """Encodes DevicePayloads to JSON bytes; formats timestamps as `YYYY-MM-DDTHH:MM:SS.mmmZ` (cached per second)."""

    def __init__(self) -> None:
        self.encode_payload = msgspec.json.Encoder().encode
        """Bytes of a DevicePayload."""
        self._second = -1
        self._prefix = ""

    def timestamp(self, ts_ms: int) -> str:
        """ISO 8601 UTC text of epoch milliseconds."""
        second, millis = divmod(ts_ms, 1000)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{millis:03d}Z"
