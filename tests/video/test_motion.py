"""The motion gate: noise and lighting are not motion; movers are found where they are."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from beffroi.video.detections import Box
from beffroi.video.frames import Image
from beffroi.video.motion import MotionGate, MotionResult, MotionSettings, merge_overlapping

WIDTH, HEIGHT = 640, 360
Scene = npt.NDArray[np.float32]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def textured_scene(rng: np.random.Generator, width: int = WIDTH, height: int = HEIGHT) -> Scene:
    """A still scene: smooth blotches of grey levels 40–140, in colour."""
    coarse = rng.integers(40, 140, (height // 20 + 1, width // 20 + 1)).astype(np.uint8)
    grey = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_LINEAR)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR).astype(np.float32)


_NOISE: dict[tuple[tuple[int, ...], float], list[Scene]] = {}


def shot(scene: Scene, rng: np.random.Generator, noise: float = 6.0) -> npt.NDArray[np.uint8]:
    """The scene as the camera gives it: with Gaussian sensor noise (one of 4 fields drawn once, to keep the tests
    fast), 8 bits."""
    key = (scene.shape, noise)
    if key not in _NOISE:
        fields = np.random.default_rng(11).standard_normal((4, *scene.shape), dtype=np.float32) * np.float32(noise)
        _NOISE[key] = list(fields)
    field = _NOISE[key][int(rng.integers(4))]
    frame: npt.NDArray[np.uint8] = np.clip(scene + field, 0, 255).astype(np.uint8)
    return frame


def with_square(scene: Scene, x: int, y: int, size: int = 40, level: float = 230.0) -> Scene:
    frame = scene.copy()
    frame[y : y + size, x : x + size] = level
    return frame


def contains(region: Box, x1: float, y1: float, x2: float, y2: float) -> bool:
    return region.x1 <= x1 and region.y1 <= y1 and region.x2 >= x2 and region.y2 >= y2


def settle(gate: MotionGate, scene: Scene, rng: np.random.Generator, frames: int = 5) -> None:
    for _ in range(frames):
        gate.update(shot(scene, rng))


def test_the_first_frame_and_a_noisy_still_scene_show_no_motion(rng: np.random.Generator) -> None:
    scene = textured_scene(rng)
    gate = MotionGate()

    results = [gate.update(shot(scene, rng, noise=8.0)) for _ in range(40)]

    assert results[0] == MotionResult(regions=[], fraction=0.0, changed_at_all=False)
    assert all(r.regions == [] and not r.changed_at_all and not r.lighting_change for r in results)
    assert max(r.fraction for r in results) < 0.001


def test_a_moving_square_is_one_region_around_it(rng: np.random.Generator) -> None:
    scene = textured_scene(rng)
    gate = MotionGate()
    settle(gate, scene, rng)

    for step in range(12):
        x = 100 + 10 * step
        result = gate.update(shot(with_square(scene, x, 150), rng))
        assert len(result.regions) == 1, step
        assert contains(result.regions[0], x, 150, x + 40, 190)

    region = result.regions[0]
    assert region.width < 200 and region.height < 100  # around the square (and its fading trail), not the frame
    assert result.changed_at_all and not result.lighting_change
    assert 0.004 < result.fraction < 0.05  # a 40 × 40 square is 0.7 % of the frame


def test_two_far_apart_movers_are_two_regions(rng: np.random.Generator) -> None:
    scene = textured_scene(rng)
    gate = MotionGate()
    settle(gate, scene, rng)

    for step in range(6):
        a, b = 60 + 8 * step, 520 - 8 * step
        result = gate.update(shot(with_square(with_square(scene, a, 40), b, 280, size=30, level=10.0), rng))

    assert len(result.regions) == 2
    left, right = sorted(result.regions, key=lambda r: r.x1)
    assert contains(left, a, 40, a + 40, 80)
    assert contains(right, b, 280, b + 30, 310)


def test_a_thing_that_stops_joins_the_background(rng: np.random.Generator) -> None:
    scene = textured_scene(rng)
    parked = with_square(scene, 300, 200, size=50)
    gate = MotionGate()
    settle(gate, scene, rng)

    results = [gate.update(shot(parked, rng)) for _ in range(60)]

    assert len(results[0].regions) == 1
    assert results[-1].regions == []  # 1 / learning rate = 20 frames, a few more for a strong contrast


@pytest.mark.parametrize(
    "light",
    [
        pytest.param(lambda scene, i: scene + 2.0 * i, id="offset ramp: +120 levels in 60 frames"),
        pytest.param(lambda scene, i: scene * (1 + i / 60), id="gain ramp: x2 in 60 frames"),
    ],
)
def test_a_brightness_ramp_is_not_motion(light: Callable[[Scene, int], Scene], rng: np.random.Generator) -> None:
    scene = textured_scene(rng)
    gate = MotionGate()

    results = [gate.update(shot(light(scene, i), rng)) for i in range(60)]

    assert all(r.regions == [] and not r.lighting_change for r in results)


def test_a_mover_is_still_found_during_a_brightness_ramp(rng: np.random.Generator) -> None:
    scene = textured_scene(rng)
    gate = MotionGate()
    settle(gate, scene, rng)

    for step in range(10):
        x = 100 + 10 * step
        result = gate.update(shot(with_square(scene * (1 + step / 30), x, 150, level=20.0), rng))

    assert len(result.regions) == 1
    assert contains(result.regions[0], x, 150, x + 40, 190)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda scene: scene * 1.5 + 10, id="exposure: gain and offset"),
        pytest.param(lambda scene: 255 * (scene / 255) ** 0.5, id="lights on: a non-linear curve"),
        pytest.param(lambda scene: scene * 0.4, id="lights off"),
    ],
)
def test_a_sudden_lighting_change_is_recognised_and_recovered_from_at_once(
    change: Callable[[Scene], Scene], rng: np.random.Generator
) -> None:
    scene = textured_scene(rng)
    gate = MotionGate()
    settle(gate, scene, rng)
    lit = change(scene)

    first = gate.update(shot(lit, rng))
    after = [gate.update(shot(lit, rng)) for _ in range(5)]

    assert first.lighting_change and first.changed_at_all and first.regions == []
    assert all(r.regions == [] and not r.lighting_change for r in after)
    moved = gate.update(shot(with_square(lit, 200, 100, level=250.0), rng))
    assert len(moved.regions) == 1 and contains(moved.regions[0], 200, 100, 240, 140)


def test_a_large_object_entering_is_motion_where_it_is_not_a_lighting_change(rng: np.random.Generator) -> None:
    scene = textured_scene(rng)
    gate = MotionGate()
    settle(gate, scene, rng)
    truck = scene.copy()
    truck[100:330, 50:330] = 15.0  # 28 % of the frame, much darker: the mean drops by ~20 levels

    result = gate.update(shot(truck, rng))

    assert not result.lighting_change
    assert len(result.regions) == 1 and contains(result.regions[0], 50, 100, 330, 330)
    assert result.regions[0].area < 0.45 * WIDTH * HEIGHT
    assert 0.2 < result.fraction < 0.35


def test_motion_inside_a_mask_is_ignored(rng: np.random.Generator) -> None:
    scene = textured_scene(rng)
    tree = [(0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0)]  # the left half
    gate = MotionGate(MotionSettings(mask=[tree]))
    settle(gate, scene, rng)

    for step in range(5):
        result = gate.update(shot(with_square(with_square(scene, 60 + 10 * step, 150), 420 + 10 * step, 150), rng))

    assert len(result.regions) == 1
    assert result.regions[0].x1 > WIDTH / 2 - 40  # only the right-hand mover (padding may reach across)
    assert contains(result.regions[0], 460, 150, 500, 190)


def test_a_grey_frame_works_and_a_new_size_starts_a_new_background(rng: np.random.Generator) -> None:
    scene = textured_scene(rng)
    grey = cast(Image, cv2.cvtColor(shot(scene, rng), cv2.COLOR_BGR2GRAY))
    gate = MotionGate()

    assert gate.update(grey).regions == []
    moved = gate.update(cast(Image, cv2.cvtColor(shot(with_square(scene, 300, 100), rng), cv2.COLOR_BGR2GRAY)))
    assert len(moved.regions) == 1 and contains(moved.regions[0], 300, 100, 340, 140)
    assert gate.update(shot(textured_scene(rng, 1280, 720), rng)).changed_at_all is False


def test_regions_are_in_pixels_of_a_full_size_frame(rng: np.random.Generator) -> None:
    scene = textured_scene(rng, 1280, 720)
    gate = MotionGate()
    settle(gate, scene, rng, frames=2)

    result = gate.update(shot(with_square(scene, 900, 500, size=80), rng))

    assert len(result.regions) == 1
    region = result.regions[0]
    assert contains(region, 900, 500, 980, 580)
    assert region.x2 <= 1280 and region.y2 <= 720 and region.width < 200


def test_overlapping_and_touching_boxes_merge_and_apart_ones_do_not() -> None:
    boxes = [Box(0, 0, 10, 10), Box(8, 8, 20, 20), Box(20, 0, 30, 5), Box(100, 100, 110, 110)]

    assert merge_overlapping(boxes) == [Box(0, 0, 30, 20), Box(100, 100, 110, 110)]
    assert merge_overlapping([]) == []
