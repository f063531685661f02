"""GPS trackers carried by field agents who walk between random points of their site, pause, and recharge."""

from __future__ import annotations

import math
import random

from beffroi.domain.registry import DeviceKind
from beffroi.sim.catalogue import SimDevice
from beffroi.sim.devices.base import DeviceModel, Environment, Report

METRES_PER_DEGREE = 111_320.0
MIN_SPAN_DEG = 0.002
"""A site smaller than this (about 200 m) is widened to it, so agents have room to walk."""
DRAIN_PER_HOUR = (5.0, 9.0)
CHARGE_PER_HOUR = 60.0
RECHARGE_BELOW = 22.0
"""Agents put their tracker on charge before the low-battery alarm (15 %) would fire."""
CHARGED_AT = 95.0
MEAN_PAUSE_S = 120.0
GPS_NOISE_M = 3.0


class GpsTracker(DeviceModel):
    """A field agent's tracker: position (in the payload's location), walking speed and battery."""

    kind = DeviceKind.GPS_TRACKER

    def __init__(self, device: SimDevice, env: Environment, rng: random.Random) -> None:
        super().__init__(device, env, rng)
        min_lon, min_lat, max_lon, max_lat = env.catalogue.site_bounds(device.site_id)
        if max_lon - min_lon < MIN_SPAN_DEG:
            mid = (min_lon + max_lon) / 2
            min_lon, max_lon = mid - MIN_SPAN_DEG / 2, mid + MIN_SPAN_DEG / 2
        if max_lat - min_lat < MIN_SPAN_DEG:
            mid = (min_lat + max_lat) / 2
            min_lat, max_lat = mid - MIN_SPAN_DEG / 2, mid + MIN_SPAN_DEG / 2
        self._box = (min_lon, min_lat, max_lon, max_lat)
        self._lon_m = METRES_PER_DEGREE * math.cos(math.radians((min_lat + max_lat) / 2))
        self._lon = device.lon
        self._lat = device.lat
        self._walk_speed = rng.uniform(0.9, 1.5)
        self._target = self._pick_target()
        self._pause_left = 0.0
        self._battery = rng.uniform(40.0, 100.0)
        self._drain_per_s = rng.uniform(*DRAIN_PER_HOUR) / 3600.0
        self._charging = False

    def _pick_target(self) -> tuple[float, float]:
        min_lon, min_lat, max_lon, max_lat = self._box
        return self.rng.uniform(min_lon, max_lon), self.rng.uniform(min_lat, max_lat)

    def _update_battery(self, dt: float) -> None:
        if self._charging:
            self._battery = min(100.0, self._battery + CHARGE_PER_HOUR / 3600.0 * dt)
            if self._battery >= CHARGED_AT:
                self._charging = False
        else:
            self._battery -= self._drain_per_s * dt
            if self._battery < RECHARGE_BELOW:
                self._charging = True

    def _walk(self, dt: float) -> bool:
        """Move for `dt` seconds; True when the agent was walking at the end."""
        remaining = dt
        while remaining > 0:
            if self._pause_left > 0:
                waited = min(self._pause_left, remaining)
                self._pause_left -= waited
                remaining -= waited
                continue
            east = (self._target[0] - self._lon) * self._lon_m
            north = (self._target[1] - self._lat) * METRES_PER_DEGREE
            distance = math.hypot(east, north)
            reach = self._walk_speed * remaining
            if reach < distance:
                fraction = reach / distance
                self._lon += (self._target[0] - self._lon) * fraction
                self._lat += (self._target[1] - self._lat) * fraction
                return True
            self._lon, self._lat = self._target
            remaining -= distance / self._walk_speed
            self._pause_left = min(self.rng.expovariate(1.0 / MEAN_PAUSE_S), 600.0)
            self._target = self._pick_target()
        return False

    def report(self, t: float, dt: float) -> Report:
        """Speed (m/s), battery level, and the noisy GPS position as the report's location."""
        rng = self.rng
        was_charging = self._charging
        self._update_battery(dt)
        walking = False if was_charging or self._charging else self._walk(dt)
        speed = self._walk_speed + rng.gauss(0.0, 0.1) if walking else abs(rng.gauss(0.0, 0.05))
        lon = self._lon + rng.gauss(0.0, GPS_NOISE_M) / self._lon_m
        lat = self._lat + rng.gauss(0.0, GPS_NOISE_M) / METRES_PER_DEGREE
        return Report(
            {"speed_m_s": round(max(speed, 0.0), 2), "battery_pct": round(self._battery, 1)},
            location=(round(lon, 6), round(lat, 6)),
        )
