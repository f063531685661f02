"""Environment sensors: smoke/heat detectors, air quality, noise level, temperature and humidity.

They follow the weather's daily cycle and the crowd around them, and stay under every default alarm
threshold without an incident (heat 58 °C, smoke 4 %/m, PM2.5 75 µg/m³, CO₂ 2500 ppm, noise 105 dB(A),
heat stress 38 °C).
"""

from __future__ import annotations

import math
import random

from beffroi.domain.registry import DeviceKind
from beffroi.sim.catalogue import SimDevice
from beffroi.sim.devices.base import Battery, DeviceModel, Environment, Report


class SmokeHeat(DeviceModel):
    """An addressable smoke and heat detector under cover: dust-level obscuration, room temperature."""

    kind = DeviceKind.SMOKE_HEAT

    def __init__(self, device: SimDevice, env: Environment, rng: random.Random) -> None:
        super().__init__(device, env, rng)
        self._battery = Battery(rng, env.start, (0.002, 0.006))
        self._bias = rng.uniform(-0.8, 0.8)

    def report(self, t: float, dt: float) -> Report:
        """Smoke obscuration (%/m), temperature (°C) and battery level."""
        rng = self.rng
        ambient = self.env.weather.conditions(t).temperature_c
        temperature = ambient - 2.0 + 4.0 * self.place.activity(t) + self._bias
        return Report(
            {
                "smoke_obscuration_pct_m": round(abs(rng.gauss(0.05, 0.04)), 3),
                "temperature_c": round(temperature + rng.gauss(0.0, 0.15), 2),
                "battery_pct": self._battery.level(t),
            }
        )


class AirQuality(DeviceModel):
    """An air-quality station: particles and NO₂ follow traffic and the day's background, CO₂ the crowd."""

    kind = DeviceKind.AIR_QUALITY

    def __init__(self, device: SimDevice, env: Environment, rng: random.Random) -> None:
        super().__init__(device, env, rng)
        self._coarse = rng.uniform(1.4, 1.8)

    def report(self, t: float, dt: float) -> Report:
        """PM2.5, PM10 and NO₂ (µg/m³) and CO₂ (ppm)."""
        rng = self.rng
        weather = self.env.weather.conditions(t)
        traffic = weather.traffic
        activity = self.place.activity(t)
        pm2_5 = max(1.0, weather.pm2_5_background * (0.8 + 0.5 * traffic) + 12.0 * activity + rng.gauss(0.0, 1.2))
        pm10 = max(pm2_5, pm2_5 * self._coarse + 2.0 + rng.gauss(0.0, 1.0))
        no2 = max(2.0, 12.0 + 35.0 * traffic + 8.0 * activity + rng.gauss(0.0, 2.0))
        co2 = 415.0 + 650.0 * activity + rng.gauss(0.0, 8.0)
        return Report(
            {
                "pm2_5_ug_m3": round(pm2_5, 1),
                "pm10_ug_m3": round(pm10, 1),
                "no2_ug_m3": round(no2, 1),
                "co2_ppm": round(co2),
            }
        )


class NoiseLevel(DeviceModel):
    """A sound level meter: equivalent and maximum A-weighted levels, from city noise up to a full stand's roar."""

    kind = DeviceKind.NOISE_LEVEL
    LAEQ_MAX = 99.0

    def report(self, t: float, dt: float) -> Report:
        """LAeq and LAmax (dB(A)) over the interval."""
        rng = self.rng
        city = 9.0 * min(self.env.weather.conditions(t).traffic, 1.0)
        crowd = 42.0 * math.sqrt(self.place.activity(t))
        laeq = min(max(47.0 + city + crowd + rng.gauss(0.0, 1.2), 35.0), self.LAEQ_MAX)
        lamax = min(laeq + 5.0 + rng.expovariate(0.25), 125.0)
        return Report({"laeq_db": round(laeq, 1), "lamax_db": round(lamax, 1)})


class Temperature(DeviceModel):
    """An outdoor temperature and humidity probe; some sit in the sun at midday.

    Its profile lists no battery metric, so it reports none although the kind is battery powered.
    """

    kind = DeviceKind.TEMPERATURE

    def __init__(self, device: SimDevice, env: Environment, rng: random.Random) -> None:
        super().__init__(device, env, rng)
        self._bias = rng.uniform(-0.5, 0.5)
        self._sun = rng.uniform(0.0, 1.5)

    def report(self, t: float, dt: float) -> Report:
        """Temperature (°C) and relative humidity (%)."""
        rng = self.rng
        weather = self.env.weather.conditions(t)
        sun = self._sun * math.exp(-(((weather.hour - 14.0) / 2.5) ** 2))
        temperature = weather.temperature_c + self._bias + sun + rng.gauss(0.0, 0.1)
        humidity = min(max(weather.humidity_pct - 2.0 * sun + rng.gauss(0.0, 1.5), 15.0), 100.0)
        return Report(
            {
                "temperature_c": round(temperature, 2),
                "humidity_pct": round(humidity, 1),
            }
        )
