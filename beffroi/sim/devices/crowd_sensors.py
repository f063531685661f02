"""Devices that count people: people counters, turnstiles and cameras (their people_count and stream health)."""

from __future__ import annotations

import random

from beffroi.domain.registry import DeviceKind
from beffroi.sim.catalogue import SimDevice
from beffroi.sim.devices.base import DeviceModel, Environment, Report, poisson

NORMAL_RATIO_MAX = 0.88
"""A people counter's reported ratio never passes this without an incident (the default alarm is at 0.9)."""


class PeopleCounter(DeviceModel):
    """A counting sensor at a zone's entrance: people in and out since its last report, and the zone's occupancy."""

    kind = DeviceKind.PEOPLE_COUNTER

    def __init__(self, device: SimDevice, env: Environment, rng: random.Random) -> None:
        super().__init__(device, env, rng)
        self._share = 1.0 / env.catalogue.count_alike(device)

    def report(self, t: float, dt: float) -> Report:
        """Counts of the interval (Poisson noise around the crowd model's flow) and the zone's occupancy."""
        place = self.place
        rng = self.rng
        entered, left = place.flows(t - dt, t)
        if place.capacity > 0:
            ratio = min(max(place.ratio(t) + rng.gauss(0.0, 0.004), 0.0), NORMAL_RATIO_MAX)
            occupancy = round(ratio * place.capacity)
        else:
            ratio = 0.0
            occupancy = round(place.observed(t))
        return Report(
            {
                "count_in": poisson(rng, entered * self._share),
                "count_out": poisson(rng, left * self._share),
                "occupancy": occupancy,
                "occupancy_ratio": round(ratio, 4),
            }
        )


class Turnstile(DeviceModel):
    """A ticket turnstile: passages since its last report and the tickets it refused (~0.6 % of attempts)."""

    kind = DeviceKind.TURNSTILE
    DENIED_SHARE = 0.006

    def __init__(self, device: SimDevice, env: Environment, rng: random.Random) -> None:
        super().__init__(device, env, rng)
        self._share = 1.0 / env.catalogue.count_alike(device)

    def report(self, t: float, dt: float) -> Report:
        """Passages through this turnstile in the interval and refusals."""
        entered, _ = self.place.flows(t - dt, t)
        passages = poisson(self.rng, entered * self._share)
        return Report({"passages": passages, "denied": poisson(self.rng, passages * self.DENIED_SHARE)})


class Camera(DeviceModel):
    """A camera's health (online, frames per second) and the people its analytics count in its field of view."""

    kind = DeviceKind.CAMERA

    def __init__(self, device: SimDevice, env: Environment, rng: random.Random) -> None:
        super().__init__(device, env, rng)
        self._view = rng.uniform(0.02, 0.15)
        self._fps = rng.choice((25.0, 25.0, 30.0, 12.5))

    def report(self, t: float, dt: float) -> Report:
        """Online, fps (rare dips), and people counted: the zone's crowd times the share the camera sees."""
        rng = self.rng
        fps = self._fps if rng.random() > 0.02 else round(self._fps * rng.uniform(0.5, 0.9), 1)
        seen = self.place.observed(t) * self._view
        return Report({"online": 1, "fps": fps, "people_count": max(0, round(rng.gauss(seen, 0.05 * seen + 0.5)))})
