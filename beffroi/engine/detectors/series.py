"""Detectors that run over one numeric series: how `beffroi detect FILE.csv --detector NAME --param k=v` (an
integrator tuning a detector on past data) and the anomaly evaluation drive any detector.

A series detector is an ordinary `Detector` built from string parameters; the series is fed to it as readings of
metric `SERIES_METRIC` from the device `series_device()`, and `on_tick` is called at each reading's time. Its
alarm is the state of the condition it reports; its score is `score_of` when it implements `Scoring` (the anomaly
detectors: a score in [0, 1] per point), else 1.0 while its condition is active and 0.0 otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from beffroi.domain.observations import Position
from beffroi.domain.registry import Device, DeviceKind
from beffroi.engine.detectors.base import Detector
from beffroi.errors import ConfigError

SERIES_TENANT = "series"
SERIES_DEVICE_ID = "series"
SERIES_METRIC = "value"

SeriesFactory = Callable[[Mapping[str, str]], Detector]
"""Builds a detector for one series from `--param` values (strings: the factory parses them and raises
ConfigError naming a bad or unknown parameter)."""


@runtime_checkable
class Scoring(Protocol):
    """A detector that scores each point of a series."""

    def score_of(self, device_id: str, metric: str) -> float | None:
        """The score in [0, 1] of the series' latest point (1: surely anomalous); None before the first point."""
        ...


@dataclass(frozen=True)
class SeriesDetectorSpec:
    """A detector runnable over one series, with its parameters documented for `beffroi detect --help`."""

    name: str
    factory: SeriesFactory
    description: str
    params: Mapping[str, str] = field(default_factory=dict)
    """Parameter name → what it means and its default."""


_SPECS: dict[str, SeriesDetectorSpec] = {}


def register_series_detector(spec: SeriesDetectorSpec) -> None:
    """Make a detector available to `beffroi detect` under `spec.name` (done by each detector module at import)."""
    if spec.name in _SPECS and _SPECS[spec.name] is not spec:
        raise ConfigError("series detectors", [f"series detector {spec.name!r} is already registered"])
    _SPECS[spec.name] = spec


def series_detector_names() -> list[str]:
    """The registered names, sorted."""
    return sorted(_SPECS)


def series_detector(name: str) -> SeriesDetectorSpec:
    """The spec registered under `name`; ConfigError naming the known ones otherwise."""
    spec = _SPECS.get(name)
    if spec is None:
        known = ", ".join(series_detector_names()) or "none"
        raise ConfigError("beffroi detect", [f"unknown detector {name!r} (known: {known})"])
    return spec


def series_device(kind: DeviceKind = DeviceKind.TEMPERATURE, interval_s: float = 60.0) -> Device:
    """The device a series is attributed to (its kind and interval matter to kind-filtered and absence rules)."""
    return Device(
        id=SERIES_DEVICE_ID,
        tenant_id=SERIES_TENANT,
        site_id="series",
        kind=kind,
        position=Position(0.0, 0.0),
        interval_s=interval_s,
        metrics=[SERIES_METRIC],
    )
