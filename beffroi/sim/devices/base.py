"""What every simulated device shares: its report, its surroundings, its battery, and its counting noise."""

from __future__ import annotations

import abc
import math
import random
from typing import ClassVar

from beffroi.domain.registry import DEVICE_PROFILES, DeviceKind
from beffroi.sim.catalogue import Catalogue, SimDevice
from beffroi.sim.crowd import CrowdModel, Place
from beffroi.sim.local_time import LocalTime
from beffroi.sim.payloads import DeviceEvent
from beffroi.sim.weather import Weather


class Report:
    """One report of a device: its metric values, and optionally an event and a position (lon, lat)."""

    __slots__ = ("event", "location", "value")

    def __init__(
        self,
        value: dict[str, float],
        event: DeviceEvent | None = None,
        location: tuple[float, float] | None = None,
    ) -> None:
        self.value = value
        self.event = event
        self.location = location


class Environment:
    """The surroundings every device model reads: the crowd, the weather, local time, the catalogue."""

    def __init__(
        self,
        *,
        catalogue: Catalogue,
        crowd: CrowdModel,
        weather: Weather,
        local_time: LocalTime,
        start: float,
        pir_false_positives_per_day: float,
    ) -> None:
        self.catalogue = catalogue
        self.crowd = crowd
        self.weather = weather
        self.local_time = local_time
        self.start = start
        self.pir_false_positives_per_day = pir_false_positives_per_day


class Battery:
    """A battery that drains linearly and is swapped for a full one when it reaches 20 % (seekable in time)."""

    SWAP_AT = 20.0
    FULL = 100.0

    __slots__ = ("_drain_per_s", "_level0", "_t0")

    def __init__(self, rng: random.Random, t0: float, drain_per_hour: tuple[float, float]) -> None:
        self._t0 = t0
        self._level0 = rng.uniform(55.0, 100.0)
        self._drain_per_s = rng.uniform(*drain_per_hour) / 3600.0

    def level(self, t: float) -> float:
        """Charge in percent at `t`, rounded to 0.1."""
        used = max(t - self._t0, 0.0) * self._drain_per_s
        spare = self._level0 - self.SWAP_AT
        if used <= spare:
            return round(self._level0 - used, 1)
        cycle = self.FULL - self.SWAP_AT
        return round(self.FULL - math.fmod(used - spare, cycle), 1)


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson-distributed count with this mean (normal approximation above 30)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit = math.exp(-mean)
    count = 0
    product = rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


class DeviceModel(abc.ABC):
    """Produces the reports of one device. Subclasses set `kind` and implement `report`.

    `report(t, dt)` is called in time order; `dt` is the time since the device's previous report.
    """

    kind: ClassVar[DeviceKind]
    metrics: ClassVar[tuple[str, ...]]

    def __init__(self, device: SimDevice, env: Environment, rng: random.Random) -> None:
        self.device = device
        self.env = env
        self.rng = rng
        self.place: Place = env.crowd.place(device.site_id, device.zone_id)

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            cls.metrics = DEVICE_PROFILES[cls.kind].metrics

    @abc.abstractmethod
    def report(self, t: float, dt: float) -> Report:
        """The device's report at scenario time `t`, `dt` seconds after its previous one."""
