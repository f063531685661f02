"""The successive CAP messages of one incident: revision 0 is an Alert, later ones Updates, the last a Cancel.

Each revision's identifier is derived from tenant, incident id and revision number, so re-exporting a revision
gives the same identifier; an Update or Cancel references every earlier message of the incident (CAP 1.2
`references`: sender, identifier, sent), so a receiver that missed one still links the series.
"""

from __future__ import annotations

from urllib.parse import quote

import msgspec

from beffroi.errors import InvalidTransition, RejectedInput
from beffroi.exports.cap.model import CapAlertDraft, MsgType, Reference


class SentMessage(msgspec.Struct, frozen=True):
    """One message of the series as it was sent."""

    reference: Reference
    msg_type: MsgType


class CapSeries(msgspec.Struct, frozen=True):
    """The CAP messages already sent for one incident, oldest first (what the caller persists between exports)."""

    tenant_id: str
    incident_id: str
    sent: list[SentMessage] = msgspec.field(default_factory=list)

    @property
    def next_revision(self) -> int:
        """The revision number of the next message."""
        return len(self.sent)

    @property
    def cancelled(self) -> bool:
        """True once a Cancel was sent: the series takes no further message."""
        return any(message.msg_type is MsgType.CANCEL for message in self.sent)

    def record(self, draft: CapAlertDraft) -> CapSeries:
        """The series with `draft` sent as its next revision; RejectedInput when `draft` is not that revision."""
        expected = revision_identifier(self.tenant_id, self.incident_id, self.next_revision)
        if draft.identifier != expected:
            raise RejectedInput(
                "cap_revision_out_of_order", f"the next message of this incident is {expected}, not {draft.identifier}"
            )
        return CapSeries(self.tenant_id, self.incident_id, [*self.sent, SentMessage(draft.reference, draft.msg_type)])


class RevisionPlan(msgspec.Struct, frozen=True):
    """What identifies one revision: its identifier, message type and the earlier messages it references."""

    revision: int
    identifier: str
    msg_type: MsgType
    references: list[Reference]


def revision_identifier(tenant_id: str, incident_id: str, revision: int) -> str:
    """`<tenant>:incident:<incident>:r<revision>`, each part percent-encoded (so no space, comma, `<`, `&` or `:`)."""
    return f"{quote(tenant_id, safe='')}:incident:{quote(incident_id, safe='')}:r{revision}"


def plan_revision(series: CapSeries, revision: int, *, closing: bool) -> RevisionPlan:
    """The identity of `revision` of the series: Alert for 0, Cancel when the incident is `closing`, Update otherwise.

    `revision` may be one already sent (to render it again, identically) or the next one; RejectedInput for a
    revision beyond the next, InvalidTransition for a revision after a Cancel.
    """
    if revision < 0 or revision > series.next_revision:
        raise RejectedInput(
            "cap_revision_unknown",
            f"incident {series.incident_id!r} has no revision {revision}; the next is {series.next_revision}",
        )
    earlier = series.sent[:revision]
    if any(message.msg_type is MsgType.CANCEL for message in earlier):
        raise InvalidTransition(f"CAP series of incident {series.incident_id!r}", "cancelled", "send another message")
    msg_type = MsgType.ALERT if revision == 0 else MsgType.CANCEL if closing else MsgType.UPDATE
    return RevisionPlan(
        revision=revision,
        identifier=revision_identifier(series.tenant_id, series.incident_id, revision),
        msg_type=msg_type,
        references=[message.reference for message in earlier],
    )
