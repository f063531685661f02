"""A constant-velocity Kalman filter on boxes, for many tracks at once: the state of each track is its box centre,
width and height in pixels and their rates of change per second, so frames may come at uneven times."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

STATE_SIZE = 8
"""(cx, cy, w, h, vx, vy, vw, vh): pixels and pixels per second."""
MEASUREMENT_SIZE = 4
"""(cx, cy, w, h) in pixels."""
MIN_SIZE_PX = 1.0


def boxes_to_measurements(boxes: FloatArray) -> FloatArray:
    """(x1, y1, x2, y2) rows → (cx, cy, w, h) rows."""
    out = np.empty_like(boxes)
    out[:, 0] = (boxes[:, 0] + boxes[:, 2]) / 2
    out[:, 1] = (boxes[:, 1] + boxes[:, 3]) / 2
    out[:, 2] = boxes[:, 2] - boxes[:, 0]
    out[:, 3] = boxes[:, 3] - boxes[:, 1]
    return out


def states_to_boxes(mean: FloatArray) -> FloatArray:
    """The (x1, y1, x2, y2) box of each state row, sizes kept at least one pixel."""
    half_w = np.maximum(mean[:, 2], MIN_SIZE_PX) / 2
    half_h = np.maximum(mean[:, 3], MIN_SIZE_PX) / 2
    return np.stack((mean[:, 0] - half_w, mean[:, 1] - half_h, mean[:, 0] + half_w, mean[:, 1] + half_h), axis=1)


@dataclass(frozen=True, slots=True)
class BoxMotionModel:
    """Noise levels of the filter, all relative to each box's height so one setting fits near and far objects:
    `measurement_noise` is the standard deviation of a detected box's centre and sides (in box heights),
    `acceleration` and `size_acceleration` the standard deviation of the unexplained acceleration of the centre and
    of the sides (box heights per s², white noise), `initial_speed` the standard deviation of a new track's speed
    (box heights per s)."""

    measurement_noise: float = 0.05
    acceleration: float = 1.0
    size_acceleration: float = 0.5
    initial_speed: float = 1.5

    def initiate(self, measurements: FloatArray) -> tuple[FloatArray, FloatArray]:
        """States (n × 8) and covariances (n × 8 × 8) of new tracks at their first measurements (n × 4), at rest."""
        n = len(measurements)
        mean = np.zeros((n, STATE_SIZE))
        mean[:, :MEASUREMENT_SIZE] = measurements
        height = np.maximum(measurements[:, 3], MIN_SIZE_PX)
        std = np.empty((n, STATE_SIZE))
        std[:, :MEASUREMENT_SIZE] = 2 * self.measurement_noise
        std[:, MEASUREMENT_SIZE:] = self.initial_speed
        std[:, 6:] = self.initial_speed / 4
        variance = (std * height[:, None]) ** 2
        cov = np.zeros((n, STATE_SIZE, STATE_SIZE))
        idx = np.arange(STATE_SIZE)
        cov[:, idx, idx] = variance
        return mean, cov

    def predict(self, mean: FloatArray, cov: FloatArray, dt: float) -> tuple[FloatArray, FloatArray]:
        """The states and covariances `dt` seconds later (dt ≥ 0)."""
        if len(mean) == 0 or dt <= 0:
            return mean, cov
        new_mean = mean.copy()
        new_mean[:, :MEASUREMENT_SIZE] += dt * mean[:, MEASUREMENT_SIZE:]
        # A box never shrinks below a pixel: stop the size rates that would take it there.
        too_small = new_mean[:, 2:4] < MIN_SIZE_PX
        if too_small.any():
            new_mean[:, 2:4] = np.where(too_small, MIN_SIZE_PX, new_mean[:, 2:4])
            new_mean[:, 6:8] = np.where(too_small, 0.0, new_mean[:, 6:8])
        # P' = F P F^T with F = [[I, dt I], [0, I]], written blockwise (cheaper than two batched 8×8 products).
        pp = cov[:, :4, :4]
        pv = cov[:, :4, 4:]
        vp = cov[:, 4:, :4]
        vv = cov[:, 4:, 4:]
        new_cov = np.empty_like(cov)
        top_right = pv + dt * vv
        new_cov[:, :4, :4] = pp + dt * (pv + vp) + dt * dt * vv
        new_cov[:, :4, 4:] = top_right
        new_cov[:, 4:, :4] = np.swapaxes(top_right, 1, 2)
        new_cov[:, 4:, 4:] = vv
        # Continuous white-noise acceleration, scaled by each box's height squared.
        height2 = np.maximum(mean[:, 3], MIN_SIZE_PX) ** 2
        q = np.array([self.acceleration, self.acceleration, self.size_acceleration, self.size_acceleration]) ** 2
        q_box = q[None, :] * height2[:, None]
        idx = np.arange(MEASUREMENT_SIZE)
        new_cov[:, idx, idx] += q_box * (dt**3 / 3)
        new_cov[:, idx, idx + 4] += q_box * (dt**2 / 2)
        new_cov[:, idx + 4, idx] += q_box * (dt**2 / 2)
        new_cov[:, idx + 4, idx + 4] += q_box * dt
        return new_mean, new_cov

    def update(
        self, mean: FloatArray, cov: FloatArray, measurements: FloatArray, noise_scale: FloatArray | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """The states and covariances corrected by one measurement each (rows aligned); `noise_scale` multiplies
        each measurement's standard deviation (1 when None)."""
        if len(mean) == 0:
            return mean, cov
        height = np.maximum(mean[:, 3], MIN_SIZE_PX)
        std = self.measurement_noise * height
        if noise_scale is not None:
            std = std * noise_scale
        innovation_cov = cov[:, :4, :4].copy()
        idx = np.arange(MEASUREMENT_SIZE)
        innovation_cov[:, idx, idx] += (std**2)[:, None]
        # K^T = S^-1 (H P): S is symmetric, so one batched solve gives the gain.
        gain_t = np.linalg.solve(innovation_cov, cov[:, :4, :])
        gain = np.swapaxes(gain_t, 1, 2)
        innovation = measurements - mean[:, :4]
        new_mean = mean + np.einsum("nij,nj->ni", gain, innovation)
        new_cov = cov - gain @ cov[:, :4, :]
        new_cov = (new_cov + np.swapaxes(new_cov, 1, 2)) / 2
        new_mean[:, 2:4] = np.maximum(new_mean[:, 2:4], MIN_SIZE_PX)
        return new_mean, new_cov
