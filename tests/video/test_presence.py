"""Presence: what stands out from the empty scene stays present while it stands still (unlike motion), light
changes are not presence, and what passed at start-up fades; told where people are seen, only they are present,
and the start-up learns the scene around them."""

from __future__ import annotations

import re

import numpy as np
import pytest

from beffroi.video.detections import Box
from beffroi.video.motion import small_grey
from beffroi.video.presence import PresenceBackground, PresenceSettings, people_mask

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


BLOCK = np.zeros((HEIGHT, WIDTH), np.uint8)
BLOCK[40:80, 50:90] = 1


def test_someone_seen_at_start_up_leaves_no_ghost() -> None:
    # They stand in the block for all the start-up, then leave: the start-up learnt the ground around them, and
    # the ground they uncover, where nobody is seen, is not present.
    scene = ground(np.random.default_rng(4))
    background = PresenceBackground()
    for _ in range(background.settings.warm_frames):
        background.update(with_block(scene), BLOCK)
    assert not background.update(scene, np.zeros_like(BLOCK)).any()
    # without being told where they were, their ghost stays
    blind = PresenceBackground()
    for _ in range(blind.settings.warm_frames):
        blind.update(with_block(scene))
    assert blind.update(scene)[40:80, 50:90].all()


def test_only_where_people_are_seen_is_present_and_a_ghost_fades() -> None:
    scene = ground(np.random.default_rng(5))
    background = warmed(scene)
    crowd = with_block(scene)
    assert background.update(crowd, BLOCK).sum() == 40 * 40
    # the same change where no one is seen (a ghost, a bag): not present, and learnt as the empty scene
    nobody = np.zeros_like(BLOCK)
    assert not background.update(crowd, nobody).any()
    for _ in range(150):  # 30 s at 5 fps
        background.update(crowd, nobody)
    assert not background.update(crowd, BLOCK).any()


def test_people_boxes_cover_the_small_grid_with_a_margin_and_a_wrong_mask_is_refused() -> None:
    mask = people_mask((120, 200), (600, 360), [Box(30, 60, 60, 120), Box(590, 350, 700, 400)])
    assert mask.dtype == np.uint8 and mask.shape == (120, 200)
    assert mask[19:41, 9:21].all() and mask.sum() == 22 * 12 + 5 * 5  # the second cut at the edge
    with pytest.raises(ValueError, match=re.escape("people mask of shape (60, 100) for a grey frame of shape")):
        warmed(ground(np.random.default_rng(6))).update(ground(np.random.default_rng(6)), np.zeros((60, 100), np.uint8))


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
