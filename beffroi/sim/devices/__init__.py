"""Simulated devices: one model class per device kind, producing exactly the kind's profile metrics."""

from __future__ import annotations

import random

from beffroi.domain.registry import DeviceKind
from beffroi.sim.catalogue import SimDevice
from beffroi.sim.devices.base import DeviceModel, Environment, Report
from beffroi.sim.devices.crowd_sensors import Camera, PeopleCounter, Turnstile
from beffroi.sim.devices.environment import AirQuality, NoiseLevel, SmokeHeat, Temperature
from beffroi.sim.devices.security import AccessControl, DroneDetector, IntrusionPir, PanicButton, PerimeterFence
from beffroi.sim.devices.trackers import GpsTracker
from beffroi.sim.payloads import DeviceEvent

MODELS: dict[DeviceKind, type[DeviceModel]] = {
    model.kind: model
    for model in (
        PeopleCounter,
        Turnstile,
        Camera,
        AccessControl,
        IntrusionPir,
        PerimeterFence,
        PanicButton,
        DroneDetector,
        SmokeHeat,
        AirQuality,
        NoiseLevel,
        Temperature,
        GpsTracker,
    )
}
"""The model of each device kind."""


def build_device_model(device: SimDevice, env: Environment, rng: random.Random) -> DeviceModel:
    """The model that simulates `device`, drawing its randomness from `rng`."""
    return MODELS[device.kind](device, env, rng)


__all__ = ["MODELS", "DeviceEvent", "DeviceModel", "Environment", "Report", "build_device_model"]
