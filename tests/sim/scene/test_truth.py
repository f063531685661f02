"""Ground truth of the synthetic scenes: boxes where the figures are drawn, far people smaller, occlusion, zone
counts, line crossings, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from beffroi.sim.scene import (
    Fixture,
    GroundZone,
    Lighting,
    Look,
    Person,
    PinholeCamera,
    Route,
    Scene,
    SceneParts,
    concourse_scene,
    gate_scene,
    incidents_scene,
)

CAMERA = PinholeCamera(640, 360, height_m=6.0, tilt_deg=22.0, focal_px=512.0)
STILL = Lighting(drift=0.0, noise_sigma=0.0)
LOOK = Look(top=(30, 30, 200), bottom=(160, 40, 20), skin=(120, 170, 220), hair=(20, 20, 20))


def standing(person_id: int, x: float, y: float, height: float = 1.75) -> Person:
    return Person(person_id, Route(-1.0, (x, y), 0.0).stand(30.0), height, 0.5, LOOK)


def still_scene(
    people: list[Person], fixtures: list[Fixture] | None = None, zones: list[GroundZone] | None = None
) -> Scene:
    parts = SceneParts(people, fixtures=fixtures or [], zones=zones or [], lighting=STILL)
    return Scene("test", 0, CAMERA, parts, duration_s=1.0)


def drawn_extent(scene: Scene, index: int = 5) -> tuple[int, int, int, int]:
    """The pixels a scene's people change on a frame, against the same scene with nobody in it."""
    empty = Scene("test", 0, CAMERA, SceneParts([], fixtures=scene.fixtures, lighting=STILL), duration_s=1.0)
    changed = np.abs(scene.render(index).image.astype(int) - empty.render(index).image.astype(int)).sum(axis=2) > 30
    ys, xs = np.nonzero(changed)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


@pytest.mark.parametrize("spot", [(0.0, 8.0), (-3.0, 15.0), (4.0, 30.0)])
def test_box_is_where_the_figure_is_drawn(spot: tuple[float, float]) -> None:
    scene = still_scene([standing(1, *spot)])
    box = scene.truth(5).people[0].box
    assert box is not None
    drawn = drawn_extent(scene)
    height = box[3] - box[1]
    for truth_edge, drawn_edge in zip(box, drawn, strict=True):
        assert truth_edge == pytest.approx(drawn_edge, abs=max(2.5, 0.06 * height))


def test_far_people_have_smaller_boxes_matching_their_projected_height() -> None:
    spots = [(0.0, 8.0), (1.0, 14.0), (-2.0, 22.0), (2.0, 36.0)]
    scene = still_scene([standing(index + 1, x, y, 1.8) for index, (x, y) in enumerate(spots)])
    truth = scene.truth(5)
    heights = []
    for person, (x, y) in zip(truth.people, spots, strict=True):
        assert person.box is not None
        foot, head = CAMERA.project([[x, y, 0.0], [x, y, 1.8]])
        projected = foot[1] - head[1]
        heights.append(person.box[3] - person.box[1])
        # From above, the body's depth (shoulders, feet) adds a little to the head-to-foot height.
        assert projected * 0.98 <= heights[-1] <= projected * 1.2
        assert person.ground == (x, y)
        assert person.state == "standing"
        assert person.height_m == 1.8
    assert heights == sorted(heights, reverse=True)
    assert heights[0] > 3 * heights[-1]


def test_a_pillar_in_front_hides_a_person_and_the_nearer_person_is_drawn_over_the_farther() -> None:
    pillar = Fixture("pillar", (0.0, 10.0), (0.8, 0.8, 4.5), (170, 170, 170))
    hidden, seen = standing(1, 0.0, 12.0), standing(2, 4.0, 12.0)
    truth = still_scene([hidden, seen], [pillar]).truth(5)
    behind, beside = truth.person(1), truth.person(2)
    assert behind is not None and beside is not None
    assert behind.occluded and behind.visible < 0.5
    assert not beside.occluded and beside.visible == 1.0
    # Two people in a line: the near one (drawn last) hides most of the far one, and its colours win.
    near, far = standing(3, 0.0, 9.0), Person(4, Route(-1.0, (0.0, 9.6), 0.0).stand(30.0), 1.75, 0.5, LOOK)
    far = Person(4, far.route, 1.6, 0.5, Look((0, 200, 0), (0, 200, 0), (0, 200, 0), (0, 200, 0)))
    scene = still_scene([far, near])
    truth = scene.truth(5)
    assert truth.person(4).occluded and not truth.person(3).occluded  # type: ignore[union-attr]
    centre = scene.render(5).image[int(CAMERA.project([[0.0, 9.0, 1.2]])[0][1]), 320]
    assert tuple(int(v) for v in centre) != (0, 200, 0)


def test_zone_counts_are_the_people_whose_feet_are_in_the_zone() -> None:
    scene = concourse_scene(5, width=320, height=180)
    zones = {zone.name: zone for zone in scene.zones}
    seen_crowd = 0
    for index in range(0, scene.frame_count, 25):
        truth = scene.truth(index)
        for name, count in truth.zone_counts.items():
            inside = [p for p in truth.people if zones[name].contains(np.array(p.ground))]
            assert count == len(inside)
        seen_crowd = max(seen_crowd, truth.zone_counts["crowd"])
    assert seen_crowd == 60


def test_line_crossings_follow_the_feet() -> None:
    scene = gate_scene(6, width=320, height=180, duration_s=30.0)
    gate = scene.lines[0]
    previous = scene.truth(0)
    ins = outs = 0
    for index in range(1, scene.frame_count):
        truth = scene.truth(index)
        for crossing in truth.crossings:
            before, after = previous.person(crossing.person_id), truth.person(crossing.person_id)
            assert before is not None and after is not None
            if crossing.direction == "in":
                ins += 1
                assert before.ground[1] >= gate.a[1] > after.ground[1]
            else:
                outs += 1
                assert before.ground[1] < gate.a[1] <= after.ground[1]
            assert gate.a[0] <= after.ground[0] <= gate.b[0]
        previous = truth
    assert ins > 10
    assert outs == 1


def test_dropped_objects_are_in_the_truth_with_their_owner_nearby_or_not() -> None:
    scene = incidents_scene(7, width=320, height=180)
    bag, box = scene.props
    late = scene.truth(scene.frame_count - 1)
    objects = {thing.id: thing for thing in late.objects}
    assert objects[bag.id].kind == "bag" and not objects[bag.id].attended
    assert objects[box.id].kind == "box" and objects[box.id].attended
    assert objects[bag.id].box is not None and objects[bag.id].state == "dropped"
    before = scene.truth(int(bag.drop_ts * scene.fps) - 2)
    assert bag.id not in {thing.id for thing in before.objects}


def test_the_same_seed_gives_the_same_frames_and_truth() -> None:
    first, second = incidents_scene(11, width=160, height=90), incidents_scene(11, width=160, height=90)
    other = incidents_scene(12, width=160, height=90)
    assert first.events == second.events
    assert first.events != other.events
    for index in (0, 150, 400):
        a, b = first.render(index), second.render(index)
        assert a.truth == b.truth
        assert np.array_equal(a.image, b.image)
    # Rendering out of order changes nothing.
    assert np.array_equal(first.render(150).image, incidents_scene(11, width=160, height=90).render(150).image)
