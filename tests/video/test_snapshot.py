"""The picture kept with a video event: a copy of the frame with the event's boxes in red and the other tracks in
green, text sized to the picture, crowded views labelled only where the event is, and JPEG encoding."""

from __future__ import annotations

import cv2
import numpy as np

from beffroi.video.analytics.base import CameraView, LegalBasis, VideoEvent
from beffroi.video.camera import CameraConfig
from beffroi.video.detections import Box
from beffroi.video.snapshot import (
    CROWDED_TRACKS,
    EVENT_COLOUR,
    TRACK_COLOUR,
    annotate,
    encode_jpeg,
    text_scale,
    track_label,
)
from beffroi.video.tracks import Track, TrackPoint, TrackState

WIDTH, HEIGHT = 640, 360


def view() -> CameraView:
    camera = CameraConfig(id="cam", source="clip.mp4")
    return CameraView.build(camera, WIDTH, HEIGHT)


def track(track_id: int, x: float, label: str = "person", state: TrackState = TrackState.CONFIRMED) -> Track:
    box = Box(x, 100.0, x + 20.0, 160.0)
    return Track(track_id, label, 0.9, state, 0.0, 1.0, 5, [TrackPoint(1.0, box)])


def pixels_of(image: np.ndarray, colour: tuple[int, int, int], box: Box) -> int:
    x1, y1, x2, y2 = (round(v) for v in (box.x1, box.y1, box.x2, box.y2))
    region = image[y1 - 1 : y2 + 2, x1 - 1 : x2 + 2].astype(np.int16)
    close = np.abs(region - np.array(colour, np.int16)).max(axis=-1) < 40  # anti-aliased lines blend at their edges
    return int(close.sum())


def test_the_event_tracks_are_drawn_red_the_others_green_on_a_copy() -> None:
    frame = np.full((HEIGHT, WIDTH, 3), 128, np.uint8)
    intruder, passer_by, unsure = track(1, 100.0), track(2, 300.0), track(3, 500.0, state=TrackState.TENTATIVE)
    event = VideoEvent("camera_intrusion", 1.0, "forbidden_zone", LegalBasis.FORBIDDEN_ZONE, 0.8, track_ids=(1,))

    picture = annotate(frame, view(), [intruder, passer_by, unsure], event, ts=1.0)

    assert np.all(frame == 128)  # the frame itself is left as it was
    assert pixels_of(picture, EVENT_COLOUR, intruder.box) > 50
    assert pixels_of(picture, TRACK_COLOUR, passer_by.box) > 50
    assert pixels_of(picture, EVENT_COLOUR, passer_by.box) == 0
    assert np.all(picture[100:160, 495:525] == 128)  # a tentative track is not drawn


def test_a_crowded_view_labels_only_the_event_tracks() -> None:
    frame = np.full((HEIGHT, WIDTH, 3), 128, np.uint8)
    crowd = [track(i + 1, 10.0 + 25.0 * i) for i in range(CROWDED_TRACKS + 5)]
    event = VideoEvent("person_down", 1.0, "person_down", LegalBasis.PERSON_ON_GROUND, 0.8, track_ids=(3,))
    labelled = annotate(frame, view(), crowd[:CROWDED_TRACKS], event)
    crowded = annotate(frame, view(), crowd, event)
    above = slice(80, 99)  # where the labels of the boxes (tops at y = 100) go
    # Text above a non-event box when few are in view; none when crowded (only the boxes' own pixels).
    assert np.any(labelled[above, 100:120] != 128)
    assert np.all(crowded[above, 100:120] == 128)
    assert np.any(crowded[above, 60:80] != 128)  # track 3, the event's, keeps its label


def test_labels_are_sized_to_the_picture_and_name_non_person_tracks() -> None:
    assert text_scale(320) == 0.3 and text_scale(1920) == 0.8 and 0.3 < text_scale(840) < 0.8
    assert track_label(track(7, 0.0)) == "7" and track_label(track(8, 0.0, label="bag")) == "bag 8"


def test_the_picture_is_encoded_as_jpeg() -> None:
    jpeg = encode_jpeg(np.zeros((HEIGHT, WIDTH, 3), np.uint8))
    assert jpeg.startswith(b"\xff\xd8")
    decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (HEIGHT, WIDTH, 3)
