"""The "json-stream" payload: one JSON object per message, as described in `docs/payload.md`.

```
{"id": "7f3c2a-000123", "streamId": "sdf-gate-a-pc-01", "timestamp": "2024-07-26T19:30:00.125Z",
 "location": {"lon": 2.36, "lat": 48.92}, "value": {"count_in": 12, "occupancy_ratio": 0.42},
 "tags": {"firmware": "2.1"}, "event": {"type": "door_forced", "confidence": 0.97, "attributes": {"door": "B12"}}}
```

Good payloads take one typed msgspec decode, which also makes every value a float. A payload that fails it is
decoded again with booleans allowed in `value` (they become 1.0/0.0); only one that fails that too is parsed a
third time, untyped, to say exactly which field is wrong (see `beffroi.ingest.decoders.json_stream_errors`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar, cast

import msgspec

from beffroi.domain.observations import AttributeValue, Position
from beffroi.errors import RejectedInput
from beffroi.ingest.decoders.base import DecodedMessage
from beffroi.ingest.decoders.json_stream_errors import explain_failure
from beffroi.ingest.decoders.json_stream_schema import (
    EVENT_TYPE_MAX_CHARS,
    ID_MAX_CHARS,
    known_good_metrics,
    metric_name_problem,
)
from beffroi.ingest.decoders.registry import register_decoder

Identifier = Annotated[str, msgspec.Meta(min_length=1, max_length=ID_MAX_CHARS)]
Longitude = Annotated[float, msgspec.Meta(ge=-180.0, le=180.0)]
Latitude = Annotated[float, msgspec.Meta(ge=-90.0, le=90.0)]
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]
EventType = Annotated[str, msgspec.Meta(min_length=1, max_length=EVENT_TYPE_MAX_CHARS)]
Confidence = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
TagValue = str | int | float | bool
MetricValue = TypeVar("MetricValue")


class WireLocation(msgspec.Struct, frozen=True):
    """`location` as an object."""

    lon: Longitude
    lat: Latitude


class WireEvent(msgspec.Struct, frozen=True):
    """`event` as sent by the device."""

    type: EventType
    confidence: Confidence = 1.0
    attributes: dict[str, AttributeValue] = {}


class WireMessage(msgspec.Struct, Generic[MetricValue], frozen=True):
    """One json-stream message exactly as sent (field names as on the wire); `value` holds `MetricValue`s."""

    device_id: Identifier = msgspec.field(name="streamId")
    timestamp: AwareDatetime | float = msgspec.field()
    value: dict[str, MetricValue] = {}  # metric names checked in to_decoded: a msgspec pattern costs ~0.6 µs each
    msg_id: Identifier | None = msgspec.field(default=None, name="id")
    model: str | None = None
    location: WireLocation | tuple[Longitude, Latitude] | None = None
    tags: dict[str, TagValue] = {}
    event: WireEvent | None = None


_WIRE_DECODER = msgspec.json.Decoder(WireMessage[float])
_WIRE_DECODER_WITH_BOOLEANS = msgspec.json.Decoder(WireMessage[bool | float])


class JsonStreamDecoder:
    """Decodes one json-stream message per payload."""

    def decode(self, payload: bytes) -> list[DecodedMessage]:
        """The one message in `payload`; `RejectedInput` (malformed, wrong_type, empty) when it is not valid."""
        try:
            wire = _WIRE_DECODER.decode(payload)
        except (msgspec.DecodeError, ValueError):  # msgspec raises UnicodeDecodeError for bad UTF-8 in strings
            return [_decode_with_booleans(payload)]
        return [to_decoded(wire, wire.value)]


def _decode_with_booleans(payload: bytes) -> DecodedMessage:
    """The message of a payload the all-float decoder refused: booleans in `value` are 1.0/0.0, else refused."""
    try:
        wire = _WIRE_DECODER_WITH_BOOLEANS.decode(payload)
    except (msgspec.DecodeError, ValueError) as exc:
        raise explain_failure(payload, exc) from None
    return to_decoded(wire, {metric: float(number) for metric, number in wire.value.items()})


def to_decoded(wire: WireMessage[Any], values: dict[str, float]) -> DecodedMessage:
    """The format-independent message of a wire message whose `value` is `values` (floats);
    `RejectedInput("empty")` when it carries nothing, `RejectedInput("wrong_type")` for a bad metric name."""
    if not known_good_metrics(values):
        for metric in values:
            problem = metric_name_problem(metric)
            if problem is not None:
                raise RejectedInput("wrong_type", problem)
    event = wire.event
    if not values and event is None:
        raise RejectedInput("empty", "value is empty and there is no event: the message carries nothing to record")
    stamp = wire.timestamp
    ts = stamp.timestamp() if isinstance(stamp, datetime) else stamp / 1000.0
    location = wire.location
    if location is None:
        position = None
    elif isinstance(location, WireLocation):
        position = Position(location.lon, location.lat)
    else:
        position = Position(location[0], location[1])
    msg_id = wire.msg_id if wire.msg_id is not None else f"{wire.device_id}@{_stamp_text(stamp)}"
    tags = cast(dict[str, AttributeValue], wire.tags)  # its own dict (fresh from decoding), and a TagValue is one
    if event is None:
        return DecodedMessage(
            msg_id=msg_id,
            device_id=wire.device_id,
            ts=ts,
            values=values,
            position=position,
            tags=tags,
            model=wire.model,
        )
    return DecodedMessage(
        msg_id=msg_id,
        device_id=wire.device_id,
        ts=ts,
        values=values,
        position=position,
        event_type=event.type,
        event_confidence=event.confidence,
        event_attributes=dict(event.attributes),
        tags=tags,
        model=wire.model,
    )


def _stamp_text(stamp: datetime | float) -> str:
    """The timestamp as it goes into a default message id: ISO 8601, or epoch ms without a needless `.0`."""
    if isinstance(stamp, datetime):
        return stamp.isoformat()
    return str(int(stamp)) if stamp.is_integer() else repr(stamp)


register_decoder("json-stream", JsonStreamDecoder())
