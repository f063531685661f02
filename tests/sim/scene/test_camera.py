"""The pinhole camera of the synthetic scenes: ground ↔ image, scale with distance, the ground reference."""

from __future__ import annotations

import numpy as np
import pytest

from beffroi.sim.scene import PinholeCamera, plaza_scene
from beffroi.video.camera import GroundConfig
from beffroi.video.ground import GroundPlane


@pytest.fixture
def camera() -> PinholeCamera:
    return PinholeCamera(1280, 720, height_m=6.0, tilt_deg=22.0, focal_px=1024.0)


def test_ground_to_image_to_ground_round_trip(camera: PinholeCamera) -> None:
    ground = np.array([[0.0, 8.0], [-4.5, 12.0], [6.0, 20.0], [-10.0, 35.0], [2.5, 42.0]])
    pixels = camera.project_ground(ground)
    assert np.allclose(camera.to_ground(pixels), ground, atol=1e-9)
    # The ground homography is the projection of points at z = 0.
    assert np.allclose(camera.project(np.column_stack([ground, np.zeros(5)])), pixels)


def test_optical_axis_and_horizon(camera: PinholeCamera) -> None:
    centre = camera.to_ground([[640.0, 360.0]])[0]
    assert centre[0] == pytest.approx(0.0, abs=1e-9)
    assert centre[1] == pytest.approx(6.0 / np.tan(np.radians(22.0)))
    assert camera.horizon_y == pytest.approx(360 - 1024 * np.tan(np.radians(22.0)))
    assert np.isnan(camera.to_ground([[640.0, camera.horizon_y - 5]])).all()


def test_far_people_are_smaller_and_higher(camera: PinholeCamera) -> None:
    heights = []
    for y in (8.0, 15.0, 30.0):
        foot, head = camera.project([[0.0, y, 0.0], [0.0, y, 1.75]])
        heights.append(foot[1] - head[1])
        # The scale at the body's middle times the height, foreshortened by the angle the camera looks down at it.
        looking_down = np.arctan2(6.0 - 0.875, y)
        expected = 1.75 * camera.pixels_per_metre([[0.0, y, 0.875]])[0] * np.cos(looking_down)
        assert heights[-1] == pytest.approx(expected, rel=0.03)
    assert heights[0] > heights[1] > heights[2] > 35
    assert heights[0] > 2.5 * heights[2]


def test_ground_reference_gives_the_same_homography_as_the_video_ground_plane(camera: PinholeCamera) -> None:
    image_points, ground_points = camera.ground_reference()
    assert all(0.0 <= value <= 1.0 for point in image_points for value in point)
    plane = GroundPlane(GroundConfig(image_points=image_points, ground_points=ground_points), 1280, 720)
    for x, y in [(0.0, 10.0), (-3.0, 18.0), (5.0, 30.0)]:
        assert np.allclose(plane.to_image(x, y), camera.project_ground([x, y]), atol=0.05)
        assert np.allclose(plane.to_ground(*camera.project_ground([x, y])), (x, y), atol=0.01)


def test_scenes_scale_with_the_resolution() -> None:
    big, small = plaza_scene(4, duration_s=3), plaza_scene(4, width=320, height=180, duration_s=3)
    assert big.camera_dict("a.mp4")["ground"] == small.camera_dict("a.mp4")["ground"]
    assert big.camera_dict("a.mp4")["zones"] == small.camera_dict("a.mp4")["zones"]
