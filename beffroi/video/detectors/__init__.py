"""People and object detectors, registered by kind: a camera's `analysis.detector` names one and
`build_detector` builds it. Importing this package registers the shipped ones ("onnx_yolo", "fallback")."""

from beffroi.video.detectors import fallback, onnx_yolo
from beffroi.video.detectors.registry import (
    PersonSize,
    build_detector,
    register_detector,
    registered_detectors,
)

__all__ = ["PersonSize", "build_detector", "fallback", "onnx_yolo", "register_detector", "registered_detectors"]
