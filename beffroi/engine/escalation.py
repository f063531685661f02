"""Escalation: an incident whose alarms stay unacknowledged, or which stays unresolved, goes to the next desk.

The chain lists desks in order (each with the role expected there); a new incident goes to the first one. An
incident new or in progress escalates one level when one of its alarms has been unacknowledged for
`unacknowledged_after_s` seconds, or when it has been open (not resolved) for `unresolved_after_s` seconds; both
clocks start again at each escalation, until the last desk of the chain. On hold, resolved or closed incidents
never escalate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated

import msgspec

from beffroi.domain.alarms import Alarm, AlarmState
from beffroi.domain.incidents import Incident, IncidentState

ESCALATING_STATES = frozenset({IncidentState.NEW, IncidentState.IN_PROGRESS})
Desk = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class EscalationReason(StrEnum):
    """Why an incident escalates."""

    UNACKNOWLEDGED = "unacknowledged"
    UNRESOLVED = "unresolved"


class EscalationLevel(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One desk of the chain, and the role expected there."""

    desk: Desk
    role: str = "operator"


class EscalationPolicy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The chain of desks and the two clocks (None: that clock never escalates); `bump_priority` makes an
    escalated incident one priority more urgent."""

    chain: tuple[EscalationLevel, ...] = ()
    unacknowledged_after_s: Annotated[float, msgspec.Meta(gt=0)] | None = 120.0
    unresolved_after_s: Annotated[float, msgspec.Meta(gt=0)] | None = 1800.0
    bump_priority: bool = True

    def __post_init__(self) -> None:
        for name in ("unacknowledged_after_s", "unresolved_after_s"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise ValueError(f"`{name}` must be finite or absent")

    @property
    def first_desk(self) -> str | None:
        """The desk a new incident goes to, or None without a chain."""
        return self.chain[0].desk if self.chain else None

    def level(self, index: int) -> EscalationLevel | None:
        """The chain's level `index`, or None past its end."""
        return self.chain[index] if 0 <= index < len(self.chain) else None


def due(policy: EscalationPolicy, incident: Incident, alarms: Iterable[Alarm], now: float) -> EscalationReason | None:
    """Why the incident must escalate now, or None (not due, not escalating, or at the end of the chain)."""
    if incident.state not in ESCALATING_STATES or policy.level(incident.escalation_level + 1) is None:
        return None
    since = incident.escalated_at if incident.escalated_at is not None else -math.inf
    limit = policy.unacknowledged_after_s
    if limit is not None:
        for alarm in alarms:
            if alarm.state is AlarmState.UNACKNOWLEDGED and now - max(alarm.raised_at, since) >= limit:
                return EscalationReason.UNACKNOWLEDGED
    limit = policy.unresolved_after_s
    if limit is not None and now - max(incident.opened_at, since) >= limit:
        return EscalationReason.UNRESOLVED
    return None
