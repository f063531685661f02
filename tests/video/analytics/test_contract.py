"""The contract every shipped video analytic keeps (DESIGN.md §2: one interface, one shared test): it is registered
under its kind with a legal basis of the decree's list (or counting, or outside the decree for loitering), its
settings refuse unknown keys, it is deterministic, it answers an empty frame with nothing, and what it raises on
busy frames names it, its legal basis and a confidence in [0, 1], with boxes inside the frame."""

from __future__ import annotations

import random
from typing import Any

import pydantic
import pytest

from beffroi.video.analytics import catalogue
from beffroi.video.analytics.base import (
    DECREE_2023_828,
    AnalyticOutput,
    FrameContext,
    LegalBasis,
    build_analytics,
    registered,
)
from tests.video.analytics.track_builders import FLAT_GROUND, SIZE, Scene, Walk, camera, square, view_of

MINIMAL: dict[str, dict[str, Any]] = {
    "forbidden_zone": {"zones": ["a"]},
    "wrong_way": {"line": "l", "forbidden_direction": "in"},
    "line_crossing": {},
    "loitering": {"zones": ["a"], "dwell_s": 5.0},
    "zone_count": {},
    "density": {"zones": ["a"], "window_s": 2.0},
    "crowd_movement": {},
    "person_down": {},
    "abandoned_object": {"static_s": 2.0, "unattended_s": 4.0, "background_after_s": 0.5},
}
"""The least settings each shipped analytic needs on the test camera (zones "a" and "b", line "l")."""
SHIPPED = sorted(MINIMAL)
EVERY_BASIS = {*DECREE_2023_828, LegalBasis.COUNTING, LegalBasis.OUTSIDE_DECREE}


def test_every_registered_analytic_is_in_this_contract() -> None:
    assert catalogue.__name__  # the catalogue registers the shipped analytics
    plug_ins = {"fire_start", "weapon"}  # ONNX model plug-ins, tested with the models their tests build
    assert set(registered()) - plug_ins == set(SHIPPED)


def _busy_scene(kind: str, seed: int) -> tuple[Any, Scene]:
    config = camera(
        {kind: MINIMAL[kind]},
        zones={"a": square(0.1, 0.1, 0.5, 0.5), "b": square(0.5, 0.5, 0.9, 0.9)},
        lines={"l": ((0.1, 0.6), (0.9, 0.6))},
        authorised=[basis.value for basis in EVERY_BASIS],
        ground=FLAT_GROUND,
    )
    view = view_of(config)
    [analytic] = build_analytics(view)
    rng = random.Random(seed)
    walks = []
    for track_id in range(1, 25):
        start = rng.uniform(0.0, 20.0)
        points = [(start, rng.uniform(0, SIZE), rng.uniform(0, SIZE))]
        for _ in range(rng.randint(1, 4)):
            t, _, _ = points[-1]
            speed = rng.choice((10.0, 60.0, 250.0))  # px/s: standing still, walking, running (50 px per metre)
            x, y = rng.uniform(0, SIZE), rng.uniform(0, SIZE)
            distance = ((x - points[-1][1]) ** 2 + (y - points[-1][2]) ** 2) ** 0.5
            points.append((t + max(0.5, distance / speed), x, y))
        label = "object" if track_id % 7 == 0 else "person"
        walks.append(Walk(track_id, points, label=label, jitter_px=2.0, height_px=rng.uniform(40, 120), seed=seed))
    return analytic, Scene(view, walks)


@pytest.mark.parametrize("kind", SHIPPED)
def test_its_registration_and_legal_basis(kind: str) -> None:
    spec = registered()[kind]
    assert spec.kind == kind
    assert spec.legal_basis in EVERY_BASIS
    if kind == "loitering":
        assert spec.legal_basis is LegalBasis.OUTSIDE_DECREE  # not one of the decree's eight types
    else:
        assert spec.legal_basis is not LegalBasis.OUTSIDE_DECREE


@pytest.mark.parametrize("kind", SHIPPED)
def test_its_settings_refuse_unknown_keys(kind: str) -> None:
    settings = registered()[kind].settings
    settings.model_validate(MINIMAL[kind])
    with pytest.raises(pydantic.ValidationError, match="no_such_key"):
        settings.model_validate({**MINIMAL[kind], "no_such_key": 1})


@pytest.mark.parametrize("kind", SHIPPED)
def test_an_empty_frame_gives_nothing(kind: str) -> None:
    analytic, scene = _busy_scene(kind, 0)
    for ts in (0.0, 0.2, 0.4):
        output = analytic.update(FrameContext(ts, [], [], 0.0, scene.view, scene.frame(0.0).image))
        assert isinstance(output, AnalyticOutput)
        assert output.events == []


@pytest.mark.parametrize("kind", SHIPPED)
@pytest.mark.parametrize("seed", [1, 2])
def test_busy_frames_give_well_formed_and_repeatable_output(kind: str, seed: int) -> None:
    runs = []
    for _ in range(2):
        analytic, scene = _busy_scene(kind, seed)
        runs.append(scene.play(analytic, 40.0))
    assert runs[0] == runs[1]  # deterministic
    spec = registered()[kind]
    for output in runs[0]:
        for event in output.events:
            assert (event.analytic, event.legal_basis) == (kind, spec.legal_basis)
            assert event.type and 0.0 <= event.confidence <= 1.0
            for box in event.boxes:
                assert -1 <= box.x1 <= box.x2 <= SIZE + 1 and -1 <= box.y1 <= box.y2 <= SIZE + 1
        for count in output.zone_counts:
            assert count.zone in {"a", "b"} and count.count >= 0
        for line in output.line_counts:
            assert line.line == "l" and line.inward >= 0 and line.outward >= 0
    if spec.legal_basis is LegalBasis.COUNTING:
        assert all(output.events == [] for output in runs[0])  # counting raises no event about anyone
