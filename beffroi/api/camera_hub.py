"""The cameras a process analyses, as the API shows them: where each stands and looks, its state, and its newest
annotated frame for the live view. The video worker fills it; the API reads it (same process, embedded mode).

Without a video worker in the API's process the hub is empty and the camera routes fall back to the registry's
cameras (positions only, no live view)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import msgspec

Key = tuple[str, str]
"""(tenant id, camera id)."""


class CameraInfo(msgspec.Struct, frozen=True):
    """A camera as the console draws it: place, field of view, the analytics it runs (with their legal basis)."""

    id: str
    tenant_id: str
    site_id: str | None
    zone_id: str | None
    position: tuple[float, float] | None
    heading_deg: float | None
    fov_deg: float | None
    range_m: float | None
    detector: str
    analytics: dict[str, str]
    """Analytic kind → legal basis."""


class CameraState(msgspec.Struct, frozen=True):
    """How a camera is doing: its source's state, the time of its newest analysed frame, frames dropped, analysed
    frames per second."""

    state: str
    reason: str | None = None
    last_frame_at: float | None = None
    frames_dropped: int = 0
    analysed_fps: float | None = None


@dataclass(slots=True)
class _Camera:
    info: CameraInfo
    state: CameraState
    jpeg: bytes | None = None
    frame_at: float | None = None
    frame_number: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class CameraHub:
    """Camera infos, states and newest frames, by (tenant, camera). Call its methods from the event loop."""

    def __init__(self) -> None:
        self._cameras: dict[Key, _Camera] = {}

    def add(self, info: CameraInfo) -> None:
        """Show a camera (its state "connecting" until its source reports)."""
        self._cameras[(info.tenant_id, info.id)] = _Camera(info, CameraState("connecting"))

    def set_state(self, tenant_id: str, camera_id: str, state: CameraState) -> None:
        """Record a camera's state."""
        camera = self._cameras.get((tenant_id, camera_id))
        if camera is not None:
            camera.state = state

    def put_frame(self, tenant_id: str, camera_id: str, jpeg: bytes, at: float) -> None:
        """Keep a camera's newest annotated frame and wake its live viewers."""
        camera = self._cameras.get((tenant_id, camera_id))
        if camera is None:
            return
        camera.jpeg, camera.frame_at = jpeg, at
        camera.frame_number += 1
        camera.changed.set()
        camera.changed = asyncio.Event()

    def cameras(self, tenant_id: str) -> list[tuple[CameraInfo, CameraState]]:
        """The tenant's cameras with their states, by id."""
        found = [(c.info, c.state) for (tenant, _), c in self._cameras.items() if tenant == tenant_id]
        return sorted(found, key=lambda pair: pair[0].id)

    def get(self, tenant_id: str, camera_id: str) -> tuple[CameraInfo, CameraState] | None:
        """One camera of the tenant, or None."""
        camera = self._cameras.get((tenant_id, camera_id))
        return None if camera is None else (camera.info, camera.state)

    def frame(self, tenant_id: str, camera_id: str) -> tuple[bytes, float, int] | None:
        """The newest frame (JPEG, time, number), or None."""
        camera = self._cameras.get((tenant_id, camera_id))
        if camera is None or camera.jpeg is None or camera.frame_at is None:
            return None
        return camera.jpeg, camera.frame_at, camera.frame_number

    async def next_frame(
        self, tenant_id: str, camera_id: str, after: int, timeout_s: float
    ) -> tuple[bytes, float, int] | None:
        """The first frame newer than number `after`, waiting up to `timeout_s`; None on timeout or no camera."""
        camera = self._cameras.get((tenant_id, camera_id))
        if camera is None:
            return None
        if camera.jpeg is None or camera.frame_number <= after:
            try:
                await asyncio.wait_for(camera.changed.wait(), timeout_s)
            except TimeoutError:
                return None
        return self.frame(tenant_id, camera_id)
