"""A YOLO-style detector run by ONNX Runtime on the CPU, from a model file the operator installs (never
downloaded) and whose SHA-256 the configuration gives."""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime

from beffroi.errors import ConfigError
from beffroi.video.camera import AnalysisConfig
from beffroi.video.detections import Box, Detection
from beffroi.video.detectors.crops import CropPlan
from beffroi.video.detectors.letterbox import letterbox
from beffroi.video.detectors.registry import PersonSize, register_detector
from beffroi.video.detectors.yolo_output import Candidates, Layout, decode, suppress, to_detections
from beffroi.video.frames import Image

STRIDE = 32
"""A YOLO model's largest stride: an input side must be a multiple of it."""


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, in lower-case hex."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def to_input_tensor(image: Image) -> npt.NDArray[np.float32]:
    """A BGR (or grey) square image → the model's input: RGB, float32 in [0, 1], 1 × 3 × H × W."""
    if image.ndim == 2:
        image = np.asarray(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR), dtype=np.uint8)
    rgb = image[:, :, ::-1].transpose(2, 0, 1)
    tensor = np.empty((1, *rgb.shape), dtype=np.float32)
    np.multiply(rgb, np.float32(1 / 255), out=tensor[0], dtype=np.float32)
    return tensor


class OnnxYoloDetector:
    """Finds the objects of `classes` (model class index → label) in an image with a YOLOv5/v8-style ONNX model
    of square input `input_size`. With regions (from the motion gate) covering a small part of the frame, it
    looks only at crops around them (see `CropPlan`): each at its own size when the model takes any size (a
    small crop then costs a fraction of a whole pass), else at `input_size` and only when one crop covers them.
    `config_prefix` is what names its settings in errors ("analysis." for a camera's detector, "" for a plug-in
    whose settings are its own); `layout` is the output's ("v8", "v5"), told by its shape when "auto"."""

    sees_every_frame = False

    def __init__(
        self,
        model: Path,
        sha256: str,
        input_size: int,
        classes: dict[int, str],
        min_score: float,
        iou: float = 0.45,
        threads: int = 1,
        name: str = "onnx_yolo",
        crop_plan: CropPlan | None = None,
        config_prefix: str = "analysis.",
        layout: Layout = "auto",
    ) -> None:
        self.name = name
        self.input_size = input_size
        self.classes = dict(classes)
        self.min_score = min_score
        self.iou = iou
        self.layout: Layout = layout
        self.crop_plan = crop_plan or CropPlan(min_side=input_size // 2)
        source = f"detector {name}"
        if not model.is_file():
            raise ConfigError(source, [f"{config_prefix}model: file not found: {model}"])
        actual = file_sha256(model)
        if actual != sha256.strip().lower():
            raise ConfigError(
                source, [f"{config_prefix}model_sha256: {model} has SHA-256 {actual}, not the configured {sha256}"]
            )
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        try:
            self._session = onnxruntime.InferenceSession(
                str(model), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # ONNX Runtime raises its own untyped errors for a bad file
            raise ConfigError(source, [f"{config_prefix}model: not a loadable ONNX model: {error}"]) from None
        inputs = self._session.get_inputs()
        self._input_name: str = inputs[0].name
        shape = list(inputs[0].shape)
        if len(shape) != 4:
            raise ConfigError(source, [f"{config_prefix}model: its input is {shape}, not an image (1, 3, H, W)"])
        self.dynamic = not all(isinstance(side, int) for side in shape[2:])
        """True when the model takes any input size: a crop then runs at its own size, at a fraction of the cost."""
        if not self.dynamic and shape[2:] != [input_size] * 2:
            raise ConfigError(
                source, [f"{config_prefix}model_input: the model takes {shape[2]}×{shape[3]}, not {input_size}"]
            )

    def detect(self, image: Image, regions: list[Box] | None = None) -> list[Detection]:
        """The objects found, in pixels of `image`; with `regions`, only around them (none: nothing to look at)."""
        height, width = image.shape[:2]
        crops = None if regions is None else self.crop_plan.crops(regions, width, height)
        if crops is not None and not self.dynamic and len(crops) > 1:
            crops = None  # each crop would cost a whole pass at the model's fixed size: one pass is cheaper
        if crops is None:
            return to_detections(self._run(image, self.input_size), self.classes)
        found: list[Candidates] = []
        for crop in crops:
            x1, y1 = int(crop.x1), int(crop.y1)
            side = self.input_size
            if self.dynamic:  # at the crop's own resolution, in multiples of the model's largest stride
                side = min(self.input_size, -(-round(max(crop.width, crop.height)) // STRIDE) * STRIDE)
            part = self._run(image[y1 : int(crop.y2), x1 : int(crop.x2)], side)
            offset = np.array([x1, y1, x1, y1], dtype=np.float32)
            found.append(Candidates(part.boxes + offset, part.scores, part.class_ids))
        if not found:
            return []
        joined = Candidates(
            np.concatenate([c.boxes for c in found]),
            np.concatenate([c.scores for c in found]),
            np.concatenate([c.class_ids for c in found]),
        )
        return to_detections(suppress(joined, self.iou), self.classes)

    def _run(self, image: Image, side: int) -> Candidates:
        square, placement = letterbox(image, side)
        (output, *_) = self._session.run(None, {self._input_name: to_input_tensor(square)})
        return decode(np.asarray(output), placement, self.classes, self.min_score, self.iou, self.layout)


def _from_config(config: AnalysisConfig, person_size: PersonSize | None) -> OnnxYoloDetector:
    if config.model is None or not config.model_sha256:
        raise ConfigError("analysis", ["analysis.model: detector onnx_yolo needs `model` and `model_sha256`"])
    return OnnxYoloDetector(
        config.model, config.model_sha256, config.model_input, config.model_classes, config.min_score
    )


register_detector("onnx_yolo", _from_config)
