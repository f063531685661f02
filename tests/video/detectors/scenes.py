"""Synthetic frames drawn with OpenCV for the detector tests: a textured ground with a little sensor noise,
figures (head, torso, legs) and bags, with their true boxes."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from beffroi.video.detections import Box
from beffroi.video.frames import Image


def person_size(row: float) -> tuple[float, float]:
    """The size (w, h) of a person standing at `row` in the 640 × 360 scenes: 30 px tall at row 60, 120 px at
    the bottom."""
    height = 30 + (row - 60) * 0.3
    return height * 0.34, height


@dataclass
class Scene:
    """A 640 × 360 (or any size, `scale` times it) scene: a fixed textured ground, figures and bags drawn each
    frame with fresh noise."""

    scale: float = 1.0
    seed: int = 7
    noise: float = 3.0
    ground: Image = field(init=False)
    noises: list[np.ndarray] = field(init=False)
    count: int = field(init=False)
    rng: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        width, height = round(640 * self.scale), round(360 * self.scale)
        texture = self.rng.normal(110, 18, size=(height // 4 + 1, width // 4 + 1, 3))
        big = cv2.resize(texture.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
        self.ground = np.clip(big, 0, 255).astype(np.uint8)
        self.noises = [self.rng.normal(0, self.noise, size=self.ground.shape).astype(np.int16) for _ in range(7)]
        self.count = 0

    def frame(
        self, people: list[tuple[float, float]], bags: list[tuple[float, float]] = ()
    ) -> tuple[Image, list[Box], list[Box]]:
        """A frame with figures standing at each foot point (x, row), the nearer drawn over the farther, and bags
        on the ground at each point (in 640 × 360 coordinates), and their true boxes in the frame's pixels."""
        image = self.ground.copy()
        bag_boxes = [self._bag(image, x, y) for x, y in bags]
        drawn = {i: self._person(image, *people[i]) for i in sorted(range(len(people)), key=lambda i: people[i][1])}
        person_boxes = [drawn[i] for i in range(len(people))]
        self.count += 1
        noisy = np.clip(image + self.noises[self.count % len(self.noises)], 0, 255).astype(np.uint8)
        return noisy, person_boxes, bag_boxes

    def _person(self, image: Image, x: float, y: float) -> Box:
        s = self.scale
        height = person_size(y)[1] * s
        x, y = x * s, y * s
        u = height / 100

        def at(dx: float, dy: float) -> tuple[int, int]:
            return round(x + dx * u), round(y - dy * u)

        legs = [at(-10, 48), at(10, 48), at(8, 0), at(2, 0), at(0, 40), at(-2, 0), at(-8, 0)]
        torso = [at(-13, 82), at(13, 82), at(16, 70), at(17, 45), at(-17, 45), at(-16, 70)]
        cv2.fillPoly(image, [np.array(legs, np.int32)], (40, 30, 30))
        cv2.fillPoly(image, [np.array(torso, np.int32)], (50, 40, 190))
        cv2.ellipse(image, at(0, 92), (round(6 * u), round(8 * u)), 0, 0, 360, (90, 120, 190), -1)
        return Box(x - 17 * u, y - 100 * u, x + 17 * u, y)

    def _bag(self, image: Image, x: float, y: float) -> Box:
        s = self.scale
        w, h = person_size(y)
        bw, bh = w * 0.8 * s, h * 0.22 * s
        x, y = x * s, y * s
        cv2.rectangle(image, (round(x - bw / 2), round(y - bh)), (round(x + bw / 2), round(y)), (20, 160, 230), -1)
        return Box(x - bw / 2, y - bh, x + bw / 2, y)
