"""The device payload of PAYLOAD.md as strict msgspec types, to check what the simulator emits."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

MetricName = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]{1,64}$")]
MessageId = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class WireLocation(msgspec.Struct, forbid_unknown_fields=True):
    """`location` as an object."""

    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]


class WireEvent(msgspec.Struct, forbid_unknown_fields=True):
    """`event`."""

    type: Annotated[str, msgspec.Meta(min_length=1)]
    confidence: Annotated[float, msgspec.Meta(ge=0, le=1)] = 1.0
    attributes: dict[str, str | int | float | bool] = {}


class WirePayload(msgspec.Struct, forbid_unknown_fields=True, rename={"stream_id": "streamId"}):
    """One message: every numeric value a finite number (floats or ints, no bools, strings or nulls)."""

    id: MessageId
    stream_id: str
    timestamp: str
    value: dict[MetricName, int | float]
    model: str | None = None
    location: WireLocation | None = None
    tags: dict[str, str | int | float | bool] | None = None
    event: WireEvent | None = None

    def ts(self) -> float:
        """The timestamp as epoch seconds (requires ISO 8601 with Z)."""
        assert self.timestamp.endswith("Z"), self.timestamp
        return datetime.fromisoformat(self.timestamp).timestamp()


DECODER = msgspec.json.Decoder(WirePayload)


def decode(payload: bytes) -> WirePayload:
    """Decode and validate one payload (raises msgspec.ValidationError when it breaks the contract)."""
    return DECODER.decode(payload)
