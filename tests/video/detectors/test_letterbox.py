"""Letterboxing into a model's square input and mapping boxes back, exactly."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from beffroi.video.detectors.letterbox import PAD_VALUE, Letterbox, letterbox


def test_a_720p_frame_is_halved_and_padded_above_and_below() -> None:
    image = np.random.default_rng(1).integers(0, 256, size=(720, 1280, 3), dtype=np.uint8)
    square, placement = letterbox(image, 640)
    assert placement == Letterbox(size=640, scale=0.5, pad_x=0, pad_y=140, width=1280, height=720)
    assert placement.resized == (640, 360)
    assert square.shape == (640, 640, 3)
    assert (square[:140] == PAD_VALUE).all()
    assert (square[500:] == PAD_VALUE).all()
    expected = cv2.resize(image, (640, 360), interpolation=cv2.INTER_AREA)
    assert np.array_equal(square[140:500], expected)


@pytest.mark.parametrize(
    ("width", "height", "size", "scale", "pad_x", "pad_y", "resized"),
    [
        (100, 50, 64, 0.64, 0, 16, (64, 32)),
        (50, 100, 64, 0.64, 16, 0, (32, 64)),
        (300, 200, 320, 320 / 300, 0, 53, (320, 213)),
        (320, 320, 320, 1.0, 0, 0, (320, 320)),
    ],
)
def test_placement(
    width: int, height: int, size: int, scale: float, pad_x: int, pad_y: int, resized: tuple[int, int]
) -> None:
    placement = Letterbox.fit(width, height, size)
    assert placement.scale == pytest.approx(scale)
    assert (placement.pad_x, placement.pad_y, placement.resized) == (pad_x, pad_y, resized)


def test_a_same_size_image_is_copied_untouched_and_grey_images_work() -> None:
    image = np.arange(64 * 64, dtype=np.uint32).reshape(64, 64).astype(np.uint8)
    square, placement = letterbox(image, 64)
    assert placement.scale == 1.0
    assert np.array_equal(square, image)
    tall = np.zeros((64, 32), dtype=np.uint8)
    square, placement = letterbox(tall, 64, pad_value=7)
    assert (square[:, :16] == 7).all() and (square[:, 48:] == 7).all() and (square[:, 16:48] == 0).all()


def test_boxes_go_back_to_the_original_image_and_forth() -> None:
    placement = Letterbox.fit(1280, 720, 640)
    in_input = np.array([[100, 240, 200, 340], [0, 140, 640, 500]], dtype=np.float32)
    in_image = placement.to_image(in_input)
    assert in_image.tolist() == [[200, 200, 400, 400], [0, 0, 1280, 720]]
    assert np.allclose(placement.to_input(in_image), in_input)
