"""The registry of detector kinds: each detector module registers a factory; the core names none of them."""

from __future__ import annotations

from collections.abc import Callable

from beffroi.engine.detectors.base import Detector
from beffroi.engine.rules import DetectorSettings
from beffroi.errors import ConfigError

DetectorFactory = Callable[[DetectorSettings], Detector]
"""Builds one detector from the engine's detector settings."""

_FACTORIES: dict[str, DetectorFactory] = {}


def register_detector(kind: str, factory: DetectorFactory, *, replace: bool = False) -> None:
    """Make a detector kind available to `create_detector`; registering a taken kind is an error unless `replace`."""
    if not kind:
        raise ConfigError("detector registry", ["a detector kind must not be empty"])
    if kind in _FACTORIES and not replace and _FACTORIES[kind] is not factory:
        raise ConfigError("detector registry", [f"detector kind {kind!r} is already registered"])
    _FACTORIES[kind] = factory


def unregister_detector(kind: str) -> None:
    """Forget a detector kind (a no-op when it is not registered)."""
    _FACTORIES.pop(kind, None)


def detector_kinds() -> list[str]:
    """The registered kinds, in registration order."""
    return list(_FACTORIES)


def create_detector(kind: str, settings: DetectorSettings) -> Detector:
    """A new detector of a registered kind; raises ConfigError naming the known kinds otherwise."""
    factory = _FACTORIES.get(kind)
    if factory is None:
        known = ", ".join(sorted(_FACTORIES)) or "none"
        raise ConfigError("engine detectors", [f"unknown detector kind {kind!r} (known: {known})"])
    return factory(settings)
