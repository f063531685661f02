"""Response shapes of the camera routes (for the OpenAPI document; the routes answer with msgspec)."""

from __future__ import annotations

from beffroi.api.schemas import LonLat, Shape


class CameraOut(Shape):
    """A camera: where it stands and looks, and, when a video worker analyses it in this process, its analytics
    (kind → legal basis), its state and the time of its newest analysed frame."""

    id: str
    site_id: str | None
    zone_id: str | None
    position: LonLat | None
    heading_deg: float | None
    fov_deg: float | None
    range_m: float | None
    analysed: bool
    detector: str | None
    analytics: dict[str, str]
    state: str | None
    reason: str | None
    last_frame_at: float | None
    frames_dropped: int
    analysed_fps: float | None
