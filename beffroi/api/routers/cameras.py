"""GET /api/cameras (where each camera stands and looks, its analytics and state), its newest annotated frame
(`/frame`, long-polled: the console's live view), its live MJPEG stream (`/live.mjpeg`, for players that can send
the token), and the pictures kept with its events (`/snapshots/{event_id}`). Viewers and up; tenant-scoped."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from beffroi.api.auth.dependencies import Context, Viewer
from beffroi.api.camera_hub import CameraHub, CameraInfo, CameraState
from beffroi.api.responses import MsgspecJSON
from beffroi.api.schemas import ErrorOut
from beffroi.api.schemas_cameras import CameraOut
from beffroi.domain.registry import DeviceKind
from beffroi.errors import NotFound

router = APIRouter(prefix="/api/cameras", tags=["video"], responses={404: {"model": ErrorOut}})

BOUNDARY = "beffroi-frame"
JPEG = "image/jpeg"
MAX_STREAM_S = 3600.0
"""A live MJPEG stream ends after an hour (the player reconnects): a token must not stay valid in it forever."""


@router.get("", response_model=list[CameraOut], summary="The tenant's cameras, with their live state when analysed")
def list_cameras(principal: Viewer, context: Context) -> MsgspecJSON:
    """Cameras analysed in this process first-hand; the registry's other cameras with their position only."""
    analysed = context.cameras.cameras(principal.tenant_id) if context.cameras is not None else []
    shown = {info.id for info, _ in analysed}
    items: list[dict[str, Any]] = [_analysed(info, state) for info, state in analysed]
    for device in context.store.list_devices(principal.tenant_id):
        if device.kind is DeviceKind.CAMERA and device.id not in shown:
            items.append(
                _registered(device.id, device.site_id, device.zone_id, (device.position.lon, device.position.lat))
            )
    return MsgspecJSON(sorted(items, key=lambda item: str(item["id"])))


@router.get(
    "/{camera_id}/frame",
    summary="The newest annotated frame (JPEG), or the first newer than `after` (waits up to `wait_s`)",
    responses={200: {"content": {JPEG: {}}}, 204: {"description": "no newer frame within wait_s"}},
)
async def newest_frame(
    camera_id: str,
    principal: Viewer,
    context: Context,
    after: Annotated[int, Query(ge=0)] = 0,
    wait_s: Annotated[float, Query(ge=0, le=25)] = 10.0,
) -> Response:
    """The frame (headers `X-Frame-Number`, `X-Frame-Time`, and `X-Server-Time` so a viewer's age of the picture does
    not depend on its own clock); 204 when none came in time; 404 when the camera is not analysed here."""
    hub = _hub(context.cameras, principal.tenant_id, camera_id)
    frame = await hub.next_frame(principal.tenant_id, camera_id, after, wait_s)
    if frame is None:
        return Response(status_code=204, headers={"Cache-Control": "no-store"})
    jpeg, at, number = frame
    headers = {
        "X-Frame-Number": str(number),
        "X-Frame-Time": f"{at:.3f}",
        "X-Server-Time": f"{time.time():.3f}",
        "Cache-Control": "no-store",
    }
    return Response(jpeg, media_type=JPEG, headers=headers)


@router.get(
    "/{camera_id}/live.mjpeg",
    summary="The live annotated stream (multipart MJPEG)",
    responses={200: {"content": {f"multipart/x-mixed-replace; boundary={BOUNDARY}": {}}}},
)
async def live_mjpeg(
    camera_id: str,
    principal: Viewer,
    context: Context,
    duration_s: Annotated[float, Query(gt=0, le=MAX_STREAM_S)] = MAX_STREAM_S,
) -> StreamingResponse:
    """Frames as they are analysed, for `duration_s` (an hour at most: the player reconnects)."""
    tenant = principal.tenant_id
    hub = _hub(context.cameras, tenant, camera_id)

    async def parts() -> AsyncIterator[bytes]:
        number = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + duration_s
        while (left := deadline - loop.time()) > 0:
            frame = await hub.next_frame(tenant, camera_id, number, min(10.0, left))
            if frame is None:
                if hub.get(tenant, camera_id) is None:
                    return
                continue
            jpeg, _, number = frame
            head = f"--{BOUNDARY}\r\nContent-Type: {JPEG}\r\nContent-Length: {len(jpeg)}\r\n\r\n".encode()
            yield head + jpeg + b"\r\n"

    return StreamingResponse(
        parts(), media_type=f"multipart/x-mixed-replace; boundary={BOUNDARY}", headers={"Cache-Control": "no-store"}
    )


@router.get(
    "/{camera_id}/snapshots/{event_id}",
    summary="The picture kept with one of the camera's events (JPEG)",
    responses={200: {"content": {JPEG: {}}}},
)
def snapshot(camera_id: str, event_id: str, principal: Viewer, context: Context) -> Response:
    """The event's annotated picture; 404 when there is none (or it is another tenant's)."""
    if context.snapshots is None:
        raise NotFound(f"no snapshot {event_id!r} of camera {camera_id!r}")
    jpeg = context.snapshots.read(principal.tenant_id, camera_id, event_id)
    return Response(jpeg, media_type=JPEG, headers={"Cache-Control": "private, max-age=86400"})


def _hub(hub: CameraHub | None, tenant_id: str, camera_id: str) -> CameraHub:
    if hub is None or hub.get(tenant_id, camera_id) is None:
        raise NotFound(f"camera {camera_id!r} is not analysed by this server")
    return hub


def _analysed(info: CameraInfo, state: CameraState) -> dict[str, Any]:
    return {
        "id": info.id,
        "site_id": info.site_id,
        "zone_id": info.zone_id,
        "position": info.position,
        "heading_deg": info.heading_deg,
        "fov_deg": info.fov_deg,
        "range_m": info.range_m,
        "analysed": True,
        "detector": info.detector,
        "analytics": info.analytics,
        "state": state.state,
        "reason": state.reason,
        "last_frame_at": state.last_frame_at,
        "frames_dropped": state.frames_dropped,
        "analysed_fps": state.analysed_fps,
    }


def _registered(camera_id: str, site_id: str, zone_id: str | None, position: tuple[float, float]) -> dict[str, Any]:
    return {
        "id": camera_id,
        "site_id": site_id,
        "zone_id": zone_id,
        "position": position,
        "heading_deg": None,
        "fov_deg": None,
        "range_m": None,
        "analysed": False,
        "detector": None,
        "analytics": {},
        "state": None,
        "reason": None,
        "last_frame_at": None,
        "frames_dropped": 0,
        "analysed_fps": None,
    }
