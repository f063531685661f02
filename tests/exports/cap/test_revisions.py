"""One incident's CAP series: Alert, Updates referencing every earlier message, then Cancel; identifiers derived
from tenant, incident and revision."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest

from beffroi.errors import InvalidTransition, RejectedInput
from beffroi.exports.cap.model import CapAlertDraft, MsgType
from beffroi.exports.cap.revisions import CapSeries, plan_revision, revision_identifier
from beffroi.exports.cap.writer import write_cap
from tests.exports.cap.support import SENT, export, full_draft


def _render(series: CapSeries, revision: int, *, closing: bool = False) -> CapAlertDraft:
    """The draft of a revision: the series gives its identity, the facts are those of the full draft."""
    plan = plan_revision(series, revision, closing=closing)
    return msgspec.structs.replace(
        full_draft(),
        identifier=plan.identifier,
        msg_type=plan.msg_type,
        references=plan.references,
        sent=SENT + timedelta(minutes=5 * revision),
    )


def _send(series: CapSeries, revision: int, *, closing: bool = False) -> tuple[CapSeries, bytes]:
    """Render the revision, write it (validated), and record it as sent."""
    draft = _render(series, revision, closing=closing)
    return series.record(draft), export(draft)


def test_alert_then_updates_then_cancel() -> None:
    series = CapSeries("paris2024", "inc-42")
    series, alert = _send(series, 0)
    series, update = _send(series, 1)
    series, second_update = _send(series, 2)
    series, cancel = _send(series, 3, closing=True)
    assert [message.msg_type for message in series.sent] == [
        MsgType.ALERT,
        MsgType.UPDATE,
        MsgType.UPDATE,
        MsgType.CANCEL,
    ]
    assert [message.reference.identifier for message in series.sent] == [
        "paris2024:incident:inc-42:r0",
        "paris2024:incident:inc-42:r1",
        "paris2024:incident:inc-42:r2",
        "paris2024:incident:inc-42:r3",
    ]
    assert b"<references>" not in alert
    assert b"<references>beffroi@paris2024.example,paris2024:incident:inc-42:r0,2024-07-26T19:30:00+02:00<" in update
    assert second_update.count(b"paris2024:incident:inc-42:r") == 3  # its own identifier and both earlier ones
    assert (
        b"<references>beffroi@paris2024.example,paris2024:incident:inc-42:r0,2024-07-26T19:30:00+02:00 "
        b"beffroi@paris2024.example,paris2024:incident:inc-42:r1,2024-07-26T19:35:00+02:00 "
        b"beffroi@paris2024.example,paris2024:incident:inc-42:r2,2024-07-26T19:40:00+02:00<" in cancel
    )
    assert series.cancelled
    with pytest.raises(InvalidTransition):
        plan_revision(series, 4, closing=False)


def test_a_sent_revision_renders_again_identically() -> None:
    series = CapSeries("paris2024", "inc-42")
    series, _ = _send(series, 0)
    series, first_render = _send(series, 1)
    assert export(_render(series, 1)) == first_render
    with pytest.raises(RejectedInput):
        series.record(_render(series, 1))  # a revision is sent once


def test_revisions_out_of_order_are_refused() -> None:
    series = CapSeries("paris2024", "inc-42")
    with pytest.raises(RejectedInput) as unknown:
        plan_revision(series, 1, closing=False)
    assert unknown.value.reason == "cap_revision_unknown"
    draft = msgspec.structs.replace(full_draft(), identifier=revision_identifier("paris2024", "inc-42", 1))
    with pytest.raises(RejectedInput) as out_of_order:
        series.record(draft)
    assert out_of_order.value.reason == "cap_revision_out_of_order"


def test_identifiers_escape_what_cap_forbids() -> None:
    identifier = revision_identifier("ville de Lyon", "inc,7<&:x", 2)
    assert identifier == "ville%20de%20Lyon:incident:inc%2C7%3C%26%3Ax:r2"
    export(msgspec.structs.replace(full_draft(), identifier=identifier))


def test_an_update_without_references_is_not_written() -> None:
    with pytest.raises(RejectedInput):
        write_cap(msgspec.structs.replace(full_draft(), msg_type=MsgType.UPDATE))
