"""What the gateway did with one payload."""

from __future__ import annotations

from enum import StrEnum

import msgspec


class OutcomeStatus(StrEnum):
    """Accepted (new data), duplicate (seen before, ignored) or rejected (dead-lettered)."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class IngestOutcome(msgspec.Struct, frozen=True):
    """The result of `Gateway.handle` for one payload.

    `reason` and `detail` are set when rejected; `readings`/`events` count what was published for new messages,
    `duplicates` the messages ignored because their id was seen before.
    """

    status: OutcomeStatus
    reason: str | None = None
    detail: str | None = None
    readings: int = 0
    events: int = 0
    duplicates: int = 0

    @property
    def accepted(self) -> bool:
        """True when the payload brought new data."""
        return self.status is OutcomeStatus.ACCEPTED

    @property
    def duplicate(self) -> bool:
        """True when every message of the payload had been seen before."""
        return self.status is OutcomeStatus.DUPLICATE

    @property
    def rejected(self) -> bool:
        """True when the payload was refused (and dead-lettered)."""
        return self.status is OutcomeStatus.REJECTED
