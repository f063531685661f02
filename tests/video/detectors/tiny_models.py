"""Tiny ONNX models built in the tests (no weights are ever downloaded): a YOLO-shaped output that is a fixed
tensor, or whose score is the mean red of the input, so the whole path (load, checksum, run, decode) is checked."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


def _save(graph: onnx.GraphProto, path: Path) -> str:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fixed_output_model(path: Path, output: np.ndarray, size: int | None) -> str:
    """A model of input (1, 3, size, size) (any height and width when `size` is None) whose output is `output`
    whatever the image (plus 0 × its mean, so the input is used); returns the file's SHA-256."""
    sides: list[int | str] = ["height", "width"] if size is None else [size, size]
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0),
        helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
        helper.make_node("Add", ["fixed", "nothing"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes,
        "fixed",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, *sides])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(output.shape))],
        initializer=[
            numpy_helper.from_array(output.astype(np.float32), "fixed"),
            numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero"),
        ],
    )
    return _save(graph, path)


def red_score_model(path: Path, box: tuple[float, float, float, float], size: int, n: int = 8) -> str:
    """A YOLOv8-shaped model, one class, `n` candidates: the first is the box (cx, cy, w, h in input pixels),
    scored by the mean of the input's first channel (red, if the detector feeds RGB) over the whole square
    input; the others score 0."""
    boxes = np.zeros((1, 4, n), dtype=np.float32)
    boxes[0, :, 0] = box
    first_only = np.zeros((1, 1, n), dtype=np.float32)
    first_only[0, 0, 0] = 1.0
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["per_channel"], axes=[2, 3], keepdims=0),  # (1, 3)
        helper.make_node("Gather", ["per_channel", "first"], ["red"], axis=1),  # (1, 1)
        helper.make_node("Unsqueeze", ["red", "last"], ["red3"]),  # (1, 1, 1)
        helper.make_node("Mul", ["red3", "first_only"], ["scores"]),  # (1, 1, n)
        helper.make_node("Concat", ["boxes", "scores"], ["output0"], axis=1),  # (1, 5, n)
    ]
    graph = helper.make_graph(
        nodes,
        "red",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 5, n])],
        initializer=[
            numpy_helper.from_array(boxes, "boxes"),
            numpy_helper.from_array(first_only, "first_only"),
            numpy_helper.from_array(np.array([0], dtype=np.int64), "first"),
            numpy_helper.from_array(np.array([2], dtype=np.int64), "last"),
        ],
    )
    return _save(graph, path)


def v8_output(candidates: list[tuple[float, float, float, float, int, float]], classes: int, n: int) -> np.ndarray:
    """A YOLOv8 output (1, 4 + classes, n) holding the candidates (cx, cy, w, h, class, score), zeros after."""
    output = np.zeros((1, 4 + classes, n), dtype=np.float32)
    for i, (cx, cy, w, h, cls, score) in enumerate(candidates):
        output[0, :4, i] = (cx, cy, w, h)
        output[0, 4 + cls, i] = score
    return output
