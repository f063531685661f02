"""The camera routes: the list (analysed cameras with their state, the registry's others), the newest frame
long-polled, the MJPEG stream, the pictures of events; another tenant sees none of it."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from beffroi.api.auth.roles import Role
from beffroi.api.camera_hub import CameraHub, CameraState
from beffroi.errors import RejectedInput
from beffroi.store.snapshots import SnapshotStore
from tests.api.world import CAMERA, FRAME_JPEG, SNAPSHOT_EVENT, T_FRAME, TENANT_A, TENANT_B, headers

VIEWER_A, VIEWER_B = headers(TENANT_A, Role.VIEWER), headers(TENANT_B, Role.VIEWER)


async def test_the_list_shows_the_analysed_camera_with_its_state_and_the_registry_cameras(
    client: httpx.AsyncClient, cameras: CameraHub
) -> None:
    cameras.set_state(TENANT_A, CAMERA, CameraState("online", None, T_FRAME, 2, 4.9))
    body = (await client.get("/api/cameras", headers=VIEWER_A)).json()
    [analysed] = [camera for camera in body if camera["analysed"]]
    assert analysed["id"] == CAMERA
    assert (analysed["state"], analysed["last_frame_at"], analysed["frames_dropped"]) == ("online", T_FRAME, 2)
    assert analysed["analytics"] == {"forbidden_zone": "forbidden_zone", "zone_count": "counting"}
    assert (analysed["heading_deg"], analysed["fov_deg"], analysed["position"]) == (45.0, 70.0, [4.8314, 45.7576])
    others = [camera for camera in body if not camera["analysed"]]
    assert all(camera["state"] is None and camera["analytics"] == {} for camera in others)


async def test_the_newest_frame_then_the_next_one_long_polled(client: httpx.AsyncClient, cameras: CameraHub) -> None:
    first = await client.get(f"/api/cameras/{CAMERA}/frame", headers=VIEWER_A)
    assert first.status_code == 200 and first.content == FRAME_JPEG
    assert first.headers["content-type"] == "image/jpeg"
    number = int(first.headers["X-Frame-Number"])
    assert float(first.headers["X-Frame-Time"]) == T_FRAME
    assert abs(float(first.headers["X-Server-Time"]) - time.time()) < 60
    waiting = asyncio.create_task(client.get(f"/api/cameras/{CAMERA}/frame?after={number}", headers=VIEWER_A))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    cameras.put_frame(TENANT_A, CAMERA, b"next frame", T_FRAME + 0.5)
    second = await asyncio.wait_for(waiting, 5.0)
    assert (second.content, int(second.headers["X-Frame-Number"])) == (b"next frame", number + 1)


async def test_no_newer_frame_in_time_is_204(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/cameras/{CAMERA}/frame?after=1&wait_s=0.05", headers=VIEWER_A)
    assert response.status_code == 204


async def test_the_mjpeg_stream_carries_the_frames_as_parts(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/cameras/{CAMERA}/live.mjpeg?duration_s=0.2", headers=VIEWER_A)
    assert response.headers["content-type"].startswith("multipart/x-mixed-replace; boundary=beffroi-frame")
    assert response.content.startswith(b"--beffroi-frame\r\nContent-Type: image/jpeg\r\n")
    assert FRAME_JPEG in response.content


async def test_an_events_picture_is_served_and_a_missing_one_is_404(client: httpx.AsyncClient) -> None:
    found = await client.get(f"/api/cameras/{CAMERA}/snapshots/{SNAPSHOT_EVENT}", headers=VIEWER_A)
    assert (found.status_code, found.content, found.headers["content-type"]) == (200, FRAME_JPEG, "image/jpeg")
    missing = await client.get(f"/api/cameras/{CAMERA}/snapshots/no-such-event", headers=VIEWER_A)
    assert (missing.status_code, missing.json()["reason"]) == (404, "not_found")
    escaping = await client.get(f"/api/cameras/{CAMERA}/snapshots/..%2F..%2Fbeffroi", headers=VIEWER_A)
    assert escaping.status_code == 404


async def test_another_tenant_sees_no_camera_frame_or_picture(client: httpx.AsyncClient) -> None:
    listed = (await client.get("/api/cameras", headers=VIEWER_B)).json()
    assert CAMERA not in {camera["id"] for camera in listed}
    for path in (
        f"/api/cameras/{CAMERA}/frame?wait_s=0",
        f"/api/cameras/{CAMERA}/live.mjpeg?duration_s=0.1",
        f"/api/cameras/{CAMERA}/snapshots/{SNAPSHOT_EVENT}",
    ):
        response = await client.get(path, headers=VIEWER_B)
        assert response.status_code == 404, path


@pytest.mark.parametrize("bad", ["..", "../x", "a/b", "", ".hidden"])
def test_snapshot_ids_that_could_leave_their_folder_are_refused(snapshots: SnapshotStore, bad: str) -> None:
    with pytest.raises(RejectedInput):
        snapshots.path(TENANT_A, CAMERA, bad)
