"""Occupancy: the share of a zone's ground that what stands there hides, weighted through the ground plane (pixels far
away hold more ground), and the people it stands for; on synthetic presence masks. The densities the walking
speeds of a zone's people allow."""

from __future__ import annotations

import cv2
import numpy as np
import pydantic
import pytest

from beffroi.video.camera import GroundConfig
from beffroi.video.ground import GroundPlane
from beffroi.video.occupancy import (
    FREE_SPEED_M_S,
    OccupancyEstimator,
    OccupancySettings,
    crowd_speed,
    flow_allows,
)
from beffroi.video.presence import Presence

FRAME = (640, 360)
SMALL = (320, 180)
"""Presence masks are on a grid half the frame's size."""


def flat_ground() -> GroundPlane:
    """Seen from straight above: 20 px of the frame per metre, (0, 0) at the top-left."""
    config = GroundConfig(
        image_points=[(0, 0), (1, 0), (1, 1), (0, 1)], ground_points=[(0, 0), (32, 0), (32, 18), (0, 18)]
    )
    return GroundPlane(config, *FRAME)


def oblique_ground() -> GroundPlane:
    """Seen obliquely: the top of the frame shows a band 4 times wider, and deeper, than the bottom."""
    config = GroundConfig(
        image_points=[(0, 0), (1, 0), (1, 1), (0, 1)],
        ground_points=[(-16, 30), (16, 30), (4, 5), (-4, 5)],
    )
    return GroundPlane(config, *FRAME)


def mask_of(*polygons: list[tuple[float, float]]) -> Presence:
    """A presence mask on the small grid, 1 inside the polygons (given in pixels of the frame)."""
    mask = np.zeros((SMALL[1], SMALL[0]), dtype=np.uint8)
    scale = np.array([SMALL[0] / FRAME[0], SMALL[1] / FRAME[1]])
    for polygon in polygons:
        cv2.fillPoly(mask, [np.round(np.array(polygon) * scale).astype(np.int32)], 1)
    return Presence(mask, FRAME)


ZONE = [(160.0, 80.0), (480.0, 80.0), (480.0, 280.0), (160.0, 280.0)]
"""16 m × 10 m on the flat ground."""


def test_a_zone_wholly_hidden_stands_for_its_area_times_the_full_cover_density() -> None:
    estimator = OccupancyEstimator(flat_ground(), [ZONE], OccupancySettings(full_cover_density=5.0))
    (whole,) = estimator.estimate(mask_of([(0, 0), (640, 0), (640, 360), (0, 360)]))
    assert whole.cover == pytest.approx(1.0)
    assert whole.people == pytest.approx(160.0 * 5.0)
    (empty,) = estimator.estimate(mask_of())
    assert empty.cover == 0.0 and empty.people == 0.0


def test_what_stands_outside_the_zone_does_not_count() -> None:
    estimator = OccupancyEstimator(flat_ground(), [ZONE])
    left_half = mask_of([(0, 0), (320, 0), (320, 360), (0, 360)])
    (zone,) = estimator.estimate(left_half)
    assert zone.cover == pytest.approx(0.5, abs=0.01)
    assert zone.people == pytest.approx(0.5 * 160.0 * OccupancySettings().full_cover_density, rel=0.02)


def test_pixels_are_weighted_by_the_ground_they_hold() -> None:
    ground = oblique_ground()
    # A zone from 8 m to 20 m deep, 6 m wide; its near and far halves (by ground depth) are 36 m² each, the far one
    # far smaller on the image.
    corners = [(-3.0, 20.0), (3.0, 20.0), (3.0, 8.0), (-3.0, 8.0)]
    zone = [ground.to_image(x, y) for x, y in corners]
    near = [ground.to_image(x, y) for x, y in [(-3.0, 14.0), (3.0, 14.0), (3.0, 8.0), (-3.0, 8.0)]]
    far = [ground.to_image(x, y) for x, y in [(-3.0, 20.0), (3.0, 20.0), (3.0, 14.0), (-3.0, 14.0)]]
    near_pixels = cv2.contourArea(np.array(near, np.float32))
    far_pixels = cv2.contourArea(np.array(far, np.float32))
    assert near_pixels > 2 * far_pixels
    estimator = OccupancyEstimator(ground, [zone], OccupancySettings(full_cover_density=4.0))
    (near_half,) = estimator.estimate(mask_of(near))
    (far_half,) = estimator.estimate(mask_of(far))
    assert near_half.cover == pytest.approx(0.5, abs=0.06)
    assert far_half.cover == pytest.approx(0.5, abs=0.06)
    assert near_half.people == pytest.approx(72.0 * 4.0 * near_half.cover)


def test_zones_are_estimated_each_on_their_own_and_a_new_grid_is_followed() -> None:
    left = [(0.0, 0.0), (320.0, 0.0), (320.0, 360.0), (0.0, 360.0)]
    right = [(320.0, 0.0), (640.0, 0.0), (640.0, 360.0), (320.0, 360.0)]
    estimator = OccupancyEstimator(flat_ground(), [left, right])
    covers = [zone.cover for zone in estimator.estimate(mask_of(left))]
    assert covers == pytest.approx([1.0, 0.0], abs=0.01)  # the mask's edge column
    bigger = np.ones((360, 640), dtype=np.uint8)
    bigger[:, 320:] = 0
    covers = [zone.cover for zone in estimator.estimate(Presence(bigger, FRAME))]
    assert covers == pytest.approx([1.0, 0.0], abs=0.01)


def test_a_zone_off_the_frame_has_no_occupancy() -> None:
    estimator = OccupancyEstimator(flat_ground(), [[(700.0, 10.0), (800.0, 10.0), (800.0, 50.0)]])
    (zone,) = estimator.estimate(mask_of([(0, 0), (640, 0), (640, 360), (0, 360)]))
    assert zone.cover == 0.0 and zone.people == 0.0


def test_bad_input_is_refused_naming_what_is_wrong() -> None:
    with pytest.raises(ValueError, match=r"zone 1: a polygon needs at least 3 points, got 2"):
        OccupancyEstimator(flat_ground(), [ZONE, [(0.0, 0.0), (1.0, 1.0)]])
    with pytest.raises(pydantic.ValidationError, match="full_cover_density"):
        OccupancySettings(full_cover_density=0.0)
    with pytest.raises(pydantic.ValidationError, match="dense_cover"):
        OccupancySettings(dense_cover=1.5)


def test_the_fundamental_diagram_gives_the_speed_a_density_allows() -> None:
    assert crowd_speed(0.0) == FREE_SPEED_M_S
    assert crowd_speed(1.0) == pytest.approx(1.06, abs=0.01)
    assert crowd_speed(2.0) == pytest.approx(0.61, abs=0.01)
    assert crowd_speed(4.0) == pytest.approx(0.16, abs=0.01)
    assert crowd_speed(6.0) == 0.0
    # walkers at a free pace rule out 3 p/m², a crowd shuffling at 0.3 m/s does not; one track alone says nothing
    assert not flow_allows(3.0, [1.2, 1.3, 1.1])
    assert flow_allows(3.0, [0.3, 0.2, 1.4])
    assert flow_allows(3.0, [1.4])
    assert flow_allows(0.5, [1.3, 1.4])
