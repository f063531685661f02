"""What every payload decoder produces, and the protocol it implements."""

from __future__ import annotations

from typing import Protocol

import msgspec

from beffroi.domain.observations import AttributeValue, Position


class DecodedMessage(msgspec.Struct, frozen=True):
    """One device message after decoding: format-independent, not yet checked against the registry.

    `ts` is Unix epoch seconds; `values` maps metric name to a finite number (booleans already 1.0/0.0);
    `event_type` is None when the message carries no event.
    """

    msg_id: str
    device_id: str
    ts: float
    values: dict[str, float]
    position: Position | None = None
    event_type: str | None = None
    event_confidence: float = 1.0
    event_attributes: dict[str, AttributeValue] = msgspec.field(default_factory=dict)
    tags: dict[str, AttributeValue] = msgspec.field(default_factory=dict)
    model: str | None = None


class Decoder(Protocol):
    """Turns the raw bytes of one payload into messages, or refuses them.

    `decode` raises `beffroi.errors.RejectedInput(reason, detail)` for any bad input and nothing else;
    `reason` is one of `malformed`, `wrong_type`, `empty`.
    """

    def decode(self, payload: bytes) -> list[DecodedMessage]:
        """The messages carried by `payload`."""
        ...
