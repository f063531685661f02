"""POST /api/cap/import: an authority's CAP 1.2 alert (Météo-France, FR-Alert…) becomes events of the tenant.

The message is checked strictly (well-formed, no DTD, the OASIS CAP 1.2 schema, CAP rules); a bad one is answered
422 with each problem and its line. The events are placed on the tenant's zones and handed to the event sink the
application was given (`ApiContext.event_sink`: the bus); without one they are only
returned (`published: false`).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.exceptions import HTTPException

from beffroi.api.audit import audit_entry
from beffroi.api.auth.dependencies import Context, Supervisor
from beffroi.api.errors import InvalidRows
from beffroi.api.schemas import ErrorOut, EventOut, Shape
from beffroi.domain.observations import Event
from beffroi.exports.cap.errors import CapRejected
from beffroi.exports.cap.events import cap_events
from beffroi.exports.cap.places import ZoneLocator
from beffroi.exports.cap.reader import read_cap

router = APIRouter(prefix="/api/cap", tags=["cap"], responses={422: {"model": ErrorOut}})

MAX_CAP_BYTES = 2 * 1024 * 1024
XML_MEDIA_TYPES = frozenset({"application/cap+xml", "application/xml", "text/xml"})
CAP_EXAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>FR-ALERT-2024-0001</identifier><sender>fr-alert@interieur.gouv.fr</sender>
  <sent>2024-07-26T19:30:00+02:00</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><language>fr-FR</language><category>Safety</category><event>Mouvement de foule</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty>
    <area><areaDesc>Saint-Denis</areaDesc><circle>48.9245,2.3601 1</circle></area></info>
</alert>"""


class CapImportOut(Shape):
    """The imported message's identity and the events made from it."""

    identifier: str
    sender: str
    msg_type: str
    status: str
    events: list[EventOut]
    published: bool


@router.post(
    "/import",
    response_model=CapImportOut,
    summary="Import a CAP 1.2 alert from an authority as events (supervisor)",
    responses={
        413: {"model": ErrorOut, "description": "larger than the limit"},
        415: {"model": ErrorOut, "description": "not sent as application/cap+xml, application/xml or text/xml"},
        422: {"model": ErrorOut, "description": "not a valid CAP 1.2 message: each problem with its line (`row`)"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/cap+xml": {"schema": {"type": "string"}, "example": CAP_EXAMPLE}},
        }
    },
)
async def import_cap(request: Request, principal: Supervisor, context: Context) -> CapImportOut:
    """One event per `info` in French (else in the message's first language), of type `cap_<event>`, source
    `cap:<sender>`, placed at the first area's centroid and on the tenant's zone containing it."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type not in XML_MEDIA_TYPES:
        raise HTTPException(415, f"send the CAP message as {', '.join(sorted(XML_MEDIA_TYPES))}")
    body = await _bounded_body(request)
    try:
        draft = await asyncio.to_thread(read_cap, body, max_bytes=MAX_CAP_BYTES)
    except CapRejected as rejected:
        errors = [{"row": p.line, "field": "xml", "detail": p.detail} for p in rejected.problems]
        raise InvalidRows(rejected.reason, errors) from None
    tenant_id = principal.tenant_id
    zones = await asyncio.to_thread(context.store.list_zones, tenant_id)
    events = cap_events(draft, tenant_id, locate=ZoneLocator(zones))
    sink = context.event_sink
    if sink is not None:
        await sink(events)
    entry = audit_entry(
        context,
        tenant_id=tenant_id,
        actor=principal.subject,
        action="cap.imported",
        target_type="cap_alert",
        target_id=f"{draft.sender},{draft.identifier}"[:500],
        details={"msg_type": draft.msg_type.value, "events": len(events), "published": sink is not None},
    )
    await asyncio.to_thread(context.store.append_audit, [entry])
    return CapImportOut(
        identifier=draft.identifier,
        sender=draft.sender,
        msg_type=draft.msg_type.value,
        status=draft.status.value,
        events=[EventOut.model_validate(_event_fields(event)) for event in events],
        published=sink is not None,
    )


def _event_fields(event: Event) -> dict[str, object]:
    position = None if event.position is None else [event.position.lon, event.position.lat]
    return {
        "event_id": event.event_id,
        "tenant_id": event.tenant_id,
        "type": event.type,
        "source": event.source,
        "ts": event.ts,
        "site_id": event.site_id,
        "zone_id": event.zone_id,
        "position": position,
        "confidence": event.confidence,
        "attributes": event.attributes,
    }


async def _bounded_body(request: Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_CAP_BYTES:
            raise HTTPException(413, f"a CAP message is at most {MAX_CAP_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
