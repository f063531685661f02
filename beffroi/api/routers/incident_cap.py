"""GET and POST /api/incidents/{id}/cap: an incident as a CAP 1.2 alert (application/cap+xml).

GET (viewers) renders the incident's current state as the next message of its CAP series, without recording it, or
with `revision=N` a message already sent, rebuilt from the recorded series. POST (supervisors: this is what goes to
the authorities) records the current state as sent and returns it. Every message is validated against the OASIS CAP
1.2 schema before it leaves; one that fails is a bug, logged and answered 503 (`cap_export_invalid`), never a 500.
The response headers carry the message's revision, identifier and type, and whether it is recorded.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from beffroi.api.auth.dependencies import Context, Supervisor, Viewer
from beffroi.api.context import ApiContext
from beffroi.api.errors import error_response
from beffroi.api.incident_cap import CapExport, CapExportFailed, IncidentCapExporter
from beffroi.api.schemas import ErrorOut
from beffroi.exports.cap.writer import CAP_MEDIA_TYPE

log = logging.getLogger("beffroi.api.cap")

router = APIRouter(prefix="/api/incidents", tags=["incidents"])

REVISION_HEADER = "X-Beffroi-Cap-Revision"
IDENTIFIER_HEADER = "X-Beffroi-Cap-Identifier"
MSG_TYPE_HEADER = "X-Beffroi-Cap-Msg-Type"
RECORDED_HEADER = "X-Beffroi-Cap-Recorded"

_HEADERS = {
    name: {"description": description, "schema": {"type": "string"}}
    for name, description in (
        (REVISION_HEADER, "the message's revision in the incident's CAP series, from 0"),
        (IDENTIFIER_HEADER, "the CAP identifier of the message"),
        (MSG_TYPE_HEADER, "Alert, Update or Cancel"),
        (RECORDED_HEADER, "`true` when the message is recorded as sent, `false` for a preview"),
    )
}
CAP_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A CAP 1.2 alert, valid against the OASIS schema",
        "content": {CAP_MEDIA_TYPE: {"schema": {"type": "string"}}},
        "headers": _HEADERS,
    },
    404: {"model": ErrorOut, "description": "no incident (or no such revision) with this id in your tenant"},
    409: {"model": ErrorOut, "description": "the series was cancelled, or the revision was just taken"},
    503: {"model": ErrorOut, "description": "the export broke the CAP schema (a bug, logged), or no store answer"},
}
Revision = Annotated[
    int | None, Query(ge=0, le=1_000_000, description="A revision already sent (0: the first), rebuilt as it was")
]


@router.get(
    "/{incident_id}/cap",
    response_class=Response,
    responses=CAP_RESPONSES,
    summary="The incident as a CAP 1.2 alert: its next message (a preview) or one already sent",
)
async def get_cap(incident_id: str, principal: Viewer, context: Context, revision: Revision = None) -> Response:
    """Without `revision`: the incident's current state as the next message of its series (an Alert first, then
    Updates, a Cancel once resolved or closed), not recorded; 409 once a Cancel was sent. With `revision`: that
    message as it was sent."""
    tenant_id = principal.tenant_id
    try:
        exporter = _exporter(context)
        if revision is None:
            export = await asyncio.to_thread(exporter.preview, tenant_id, incident_id)
        else:
            export = await asyncio.to_thread(exporter.revision, tenant_id, incident_id, revision)
    except CapExportFailed as failure:
        return _failed(failure)
    return _cap_response(export)


@router.post(
    "/{incident_id}/cap",
    response_class=Response,
    responses=CAP_RESPONSES,
    summary="Record the incident's current state as its next CAP message and return it (supervisor)",
)
async def send_cap(incident_id: str, principal: Supervisor, context: Context) -> Response:
    """The next message of the incident's series, recorded as sent (audited as `incident.cap_sent`): what a
    supervisor hands to the authorities. 409 once a Cancel was sent, or when another export took the revision."""
    try:
        exporter = _exporter(context)
        export = await asyncio.to_thread(exporter.send, principal.tenant_id, incident_id, actor=principal.subject)
    except CapExportFailed as failure:
        return _failed(failure)
    assert export is not None  # only `only_if_changed` sends nothing
    return _cap_response(export)


def _exporter(context: ApiContext) -> IncidentCapExporter:
    if context.cap_exporter is None:
        raise CapExportFailed("cap_unavailable", "this API has no CAP export configured")
    return context.cap_exporter


def _failed(failure: CapExportFailed) -> JSONResponse:
    log.error("CAP export refused: %s", failure)
    return error_response(503, failure.reason, failure.detail)


def _cap_response(export: CapExport) -> Response:
    headers = {
        REVISION_HEADER: str(export.revision),
        IDENTIFIER_HEADER: export.identifier,
        MSG_TYPE_HEADER: export.msg_type,
        RECORDED_HEADER: "true" if export.recorded else "false",
    }
    return Response(export.xml, media_type=CAP_MEDIA_TYPE, headers=headers)
