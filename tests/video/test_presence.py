"""Presence: what stands out from the empty scene stays present while it stands still (unlike motion), light
changes are not presence, and what passed at start-up fades."""

from __future__ import annotations

import re

import numpy as np
import pytest

from beffroi.video.motion import small_grey
from beffroi.video.presence import PresenceBackground, PresenceSettings

HEIGHT, WIDTH = 120, 200


def ground(rng: np.random.Generator) -> np.ndarray:
    """A textured empty scene, grey levels 60–140, float32 like the motion gate's grey frame."""
    return rng.uniform(60.0, 140.0, (HEIGHT, WIDTH)).astype(np.float32)


def with_block(scene: np.ndarray, contrast: float = 60.0) -> np.ndarray:
    """The scene with a 40 × 40 block `contrast` grey levels brighter than the ground under it."""
    frame = scene.copy()
    frame[40:80, 50:90] += np.float32(contrast)
    return frame


def warmed(scene: np.ndarray, settings: PresenceSettings | None = None) -> PresenceBackground:
    background = PresenceBackground(settings)
    for _ in range(background.settings.warm_frames):
        assert not background.update(scene).any()
    return background


def test_someone_standing_still_stays_present_for_minutes() -> None:
    scene = ground(np.random.default_rng(1))
    background = warmed(scene)
    crowd = with_block(scene)
    for _ in range(5 * 60):  # a minute at 5 fps
        mask = background.update(crowd)
    assert mask.dtype == np.uint8
    assert mask[40:80, 50:90].all()
    assert mask.sum() == 40 * 40
    # they left: the ground is empty again (a minute under them learnt ~14 % of their contrast, under the threshold)
    assert not background.update(scene).any()


def test_a_change_of_light_is_not_presence() -> None:
    scene = ground(np.random.default_rng(2))
    background = warmed(scene)
    assert not background.update(scene * np.float32(0.7)).any()
    assert not background.update(scene * np.float32(0.7) + np.float32(10)).any()


def test_who_passed_at_start_up_fades_and_a_new_size_starts_again() -> None:
    scene = ground(np.random.default_rng(3))
    background = PresenceBackground()
    background.update(with_block(scene))
    assert background.warming_up
    for _ in range(200):
        background.update(scene)
    assert not background.update(scene).any()
    other = np.zeros((60, 100), np.float32)
    assert not background.update(other).any() and background.warming_up


def test_works_on_the_motion_gates_grey_frame() -> None:
    image = np.full((360, 640, 3), 100, dtype=np.uint8)
    grey, scale = small_grey(image, 120)
    assert grey.shape == (120, 213) and grey.dtype == np.float32
    assert scale == pytest.approx((640 / 213, 3.0))
    assert not PresenceBackground().update(grey).any()


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"threshold": 0.0}, "threshold must be in (0, 255], got 0.0"),
        ({"empty_rate": 2.0}, "empty_rate must be in [0, 1], got 2.0"),
        ({"present_rate": -0.1}, "present_rate must be in [0, 1], got -0.1"),
        ({"warm_frames": 0}, "warm_frames must be at least 1, got 0"),
    ],
)
def test_bad_settings_name_what_is_wrong(settings: dict[str, float], problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)) as error:
        PresenceSettings(**settings)  # type: ignore[arg-type]
    assert str(error.value) == problem
