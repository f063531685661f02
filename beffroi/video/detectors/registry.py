"""The detectors a camera can name in `analysis.detector`, registered by kind, and building the one it names."""

from __future__ import annotations

from collections.abc import Callable

from beffroi.errors import ConfigError
from beffroi.video.camera import AnalysisConfig
from beffroi.video.detections import Detector

PersonSize = Callable[[float], tuple[float, float]]
"""The expected width and height (pixels of the analysed frame) of a standing person whose feet are at row y."""

DetectorFactory = Callable[[AnalysisConfig, PersonSize | None], Detector]

_REGISTRY: dict[str, DetectorFactory] = {}


def register_detector(kind: str, factory: DetectorFactory) -> None:
    """Make a detector available under `kind` (called once, at import of its module)."""
    if kind in _REGISTRY:
        raise ValueError(f"detector {kind!r} registered twice")
    _REGISTRY[kind] = factory


def registered_detectors() -> list[str]:
    """The kinds of every registered detector, sorted."""
    return sorted(_REGISTRY)


def build_detector(config: AnalysisConfig, person_size: PersonSize | None = None) -> Detector:
    """The detector `config.detector` names, built from the camera's analysis settings; ConfigError naming
    `analysis.detector` when no detector of that kind is registered (or naming the bad key of its settings)."""
    factory = _REGISTRY.get(config.detector)
    if factory is None:
        known = ", ".join(registered_detectors())
        raise ConfigError("analysis", [f"analysis.detector: unknown detector {config.detector!r} (known: {known})"])
    return factory(config, person_size)
