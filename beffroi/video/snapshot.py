"""The picture kept with a video event: the frame with the event's boxes in red, the other tracks in green, the
camera's zones and lines, the time, encoded as JPEG. No face is ever blurred out or recognised: boxes only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import cv2
import numpy as np

from beffroi.video.analytics.base import CameraView, VideoEvent
from beffroi.video.detections import Box
from beffroi.video.frames import Image
from beffroi.video.tracks import Track, TrackState

EVENT_COLOUR = (40, 40, 230)
TRACK_COLOUR = (60, 200, 60)
ZONE_COLOUR = (230, 180, 40)
LINE_COLOUR = (40, 200, 230)
JPEG_QUALITY = 80
CROWDED_TRACKS = 12
"""Beyond this many tracks in view, only the event's tracks are labelled: a crowd of labels hides the picture."""


def annotate(
    image: Image,
    view: CameraView,
    tracks: Sequence[Track],
    event: VideoEvent | None = None,
    ts: float | None = None,
) -> Image:
    """A copy of the frame with the camera's places, the confirmed tracks and the event's boxes drawn on it. Text is
    sized to the picture; tracks are labelled by id (and kind when not a person), all of them unless the view is
    crowded, when only the event's are."""
    canvas = image.copy()
    scale = text_scale(canvas.shape[1])
    for zone in view.zones.values():
        points = np.array(zone.polygon.exterior.coords, dtype=np.int32)
        cv2.polylines(canvas, [points], True, ZONE_COLOUR, 1, cv2.LINE_AA)
        _label(canvas, zone.name, points[0], ZONE_COLOUR, scale)
    for line in view.lines.values():
        a, b = (round(line.a[0]), round(line.a[1])), (round(line.b[0]), round(line.b[1]))
        cv2.arrowedLine(canvas, a, b, LINE_COLOUR, 2, cv2.LINE_AA, tipLength=0.03)
    highlighted = set(event.track_ids) if event is not None else set()
    shown = [track for track in tracks if track.state is not TrackState.TENTATIVE]
    crowded = len(shown) > CROWDED_TRACKS
    for track in shown:
        colour = EVENT_COLOUR if track.id in highlighted else TRACK_COLOUR
        named = track.id in highlighted or not crowded
        _box(canvas, track.box, colour, track_label(track) if named else None, scale)
    line_height = round(40 * scale)
    if event is not None:
        for box in event.boxes:
            _box(canvas, box, EVENT_COLOUR, None, scale)
        title = f"{event.type} {event.zone or ''}".strip()
        _label(canvas, title, (8, 2 * line_height + 4), EVENT_COLOUR, scale * 1.4)
    if ts is not None:
        stamp = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if ts > 1e9 else f"t={ts:.1f} s"
        _label(canvas, f"{view.camera.id}  {stamp}", (8, line_height), (255, 255, 255), scale * 1.2)
    return canvas


def text_scale(width: int) -> float:
    """The labels' font scale for a picture this wide: legible on a 320-pixel thumbnail and on 1080p alike."""
    return min(0.8, max(0.3, width / 1400))


def track_label(track: Track) -> str:
    """A track's label: its id, with its kind when it is not a person."""
    return str(track.id) if track.label == "person" else f"{track.label} {track.id}"


def encode_jpeg(image: Image, quality: int = JPEG_QUALITY) -> bytes:
    """The image as JPEG bytes."""
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("the frame could not be encoded as JPEG")
    return bytes(buffer.tobytes())


def _box(canvas: Image, box: Box, colour: tuple[int, int, int], text: str | None, scale: float) -> None:
    top_left, bottom_right = (round(box.x1), round(box.y1)), (round(box.x2), round(box.y2))
    cv2.rectangle(canvas, top_left, bottom_right, colour, 2 if scale >= 0.5 else 1, cv2.LINE_AA)
    if text is not None:
        _label(canvas, text, (top_left[0], max(12, top_left[1] - 3)), colour, scale)


def _label(
    canvas: Image, text: str, origin: tuple[int, int] | np.ndarray, colour: tuple[int, int, int], scale: float
) -> None:
    x, y = int(origin[0]), int(origin[1])
    outline = 3 if scale >= 0.5 else 2
    cv2.putText(canvas, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), outline, cv2.LINE_AA)
    cv2.putText(canvas, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv2.LINE_AA)
