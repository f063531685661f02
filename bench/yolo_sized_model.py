"""How long a model of YOLOv8n's size and cost takes on one CPU core, and what the detectors cost per frame.

Builds, with random weights (fixed seed), a conv net shaped like YOLOv8n: strided 3×3 convolutions with SiLU
(16, 32, 64, 128, 256 channels), 3×3 blocks at each scale, and a head at strides 8, 16 and 32 whose outputs are
joined into YOLOv8's (1, 84, N) layout (N = 2100 at 320 px, 8400 at 640 px); ~3.2 M parameters, ~8.7 GFLOPs at
640 (YOLOv8n: 3.2 M, 8.7). Times ONNX Runtime on it at 320 and 640 px (one thread), the whole OnnxYoloDetector
path on a 1280 × 720 frame (letterbox, inference, decoding), and the fallback detector per 640 × 360 and
1280 × 720 frame on a drawn scene. Prints one JSON object.

Usage: python bench/yolo_sized_model.py [--out /tmp/yolo_sized.onnx] [--runs 20] [--threads 1]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import onnx  # noqa: E402
import onnxruntime  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from beffroi.video.detectors.fallback import FallbackDetector  # noqa: E402
from beffroi.video.detectors.onnx_yolo import OnnxYoloDetector  # noqa: E402

WIDTHS = (16, 32, 64, 128, 256)
"""Channels after each stride-2 convolution (strides 2 to 32)."""
BLOCKS = (1, 2, 3, 3, 3)
"""3×3 convolutions kept at each scale."""
HEAD = 80
"""Channels of the two 3×3 convolutions of each head before its 1×1 to 84 outputs."""
OUTPUTS = 84
"""4 box values + 80 COCO classes."""


class Builder:
    """Accumulates the nodes, weights and cost of the graph."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.weights: list[onnx.TensorProto] = []
        self.params = 0
        self.macs_per_pixel = 0.0
        """Multiply-adds per input pixel: the cost scales with the input's area."""
        self.count = 0

    def conv(self, x: str, c_in: int, c_out: int, k: int, stride: int, scale: int, act: bool = True) -> str:
        """A k×k convolution (with bias) at `scale` (input pixels per output pixel, one way), SiLU after."""
        self.count += 1
        name = f"conv{self.count}"
        std = (2.0 / (c_in * k * k)) ** 0.5 if act else 0.01
        weight = self.rng.normal(0, std, size=(c_out, c_in, k, k)).astype(np.float32)
        bias = np.zeros(c_out, dtype=np.float32)
        if not act:
            bias[4:] = -8.0  # class scores near 0: an empty scene, so decoding costs what it costs in practice
        self.weights += [numpy_helper.from_array(weight, f"{name}.w"), numpy_helper.from_array(bias, f"{name}.b")]
        self.params += weight.size + bias.size
        self.macs_per_pixel += c_out * c_in * k * k / (scale * stride) ** 2
        out = f"{name}.out"
        self.nodes.append(
            helper.make_node(
                "Conv",
                [x, f"{name}.w", f"{name}.b"],
                [out],
                kernel_shape=[k, k],
                strides=[stride] * 2,
                pads=[k // 2] * 4,
            )
        )
        if not act:
            return out
        self.nodes.append(helper.make_node("Sigmoid", [out], [f"{name}.sig"]))
        self.nodes.append(helper.make_node("Mul", [out, f"{name}.sig"], [f"{name}.silu"]))
        return f"{name}.silu"


def build_model(path: Path, seed: int = 0) -> dict[str, Any]:
    """Write the model to `path`; its parameter count and GFLOPs (2 × multiply-adds) at 320 and 640 px."""
    builder = Builder(seed)
    x, channels, scale = "images", 3, 1
    features: list[tuple[str, int, int]] = []
    for stage, (width, blocks) in enumerate(zip(WIDTHS, BLOCKS, strict=True)):
        x = builder.conv(x, channels, width, 3, 2, scale)
        channels, scale = width, scale * 2
        for _ in range(blocks):
            x = builder.conv(x, channels, channels, 3, 1, scale)
        if stage >= 2:
            features.append((x, channels, scale))
    flat = []
    builder.weights.append(numpy_helper.from_array(np.array([1, OUTPUTS, -1], dtype=np.int64), "flat_shape"))
    for feature, feature_channels, feature_scale in features:
        y = builder.conv(feature, feature_channels, HEAD, 3, 1, feature_scale)
        y = builder.conv(y, HEAD, HEAD, 3, 1, feature_scale)
        y = builder.conv(y, HEAD, OUTPUTS, 1, 1, feature_scale, act=False)
        builder.nodes.append(helper.make_node("Reshape", [y, "flat_shape"], [f"{y}.flat"]))
        flat.append(f"{y}.flat")
    builder.nodes.append(helper.make_node("Concat", flat, ["joined"], axis=2))
    builder.nodes.append(helper.make_node("Sigmoid", ["joined"], ["output0"]))
    graph = helper.make_graph(
        builder.nodes,
        "yolov8n_sized",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, "height", "width"])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, OUTPUTS, "candidates"])],
        initializer=builder.weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
    return {
        "parameters": builder.params,
        "gflops_320": round(2 * builder.macs_per_pixel * 320 * 320 / 1e9, 2),
        "gflops_640": round(2 * builder.macs_per_pixel * 640 * 640 / 1e9, 2),
    }


def timed_ms(call: Any, runs: int, warm: int = 3) -> dict[str, float]:
    """Median and best of `runs` calls, in milliseconds, after `warm` untimed ones."""
    for _ in range(warm):
        call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(statistics.median(times), 2), "best_ms": round(min(times), 2)}


def time_inference(path: Path, runs: int, threads: int) -> dict[str, Any]:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    session = onnxruntime.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    out: dict[str, Any] = {}
    for size in (320, 640):
        tensor = np.random.default_rng(1).random((1, 3, size, size), dtype=np.float32)
        (output,) = session.run(None, {"images": tensor})
        out[str(size)] = {
            "output_shape": list(output.shape),
            **timed_ms(lambda t=tensor: session.run(None, {"images": t}), runs),
        }
    return out


def time_detector(path: Path, runs: int, threads: int) -> dict[str, Any]:
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    frame = np.random.default_rng(2).integers(0, 256, size=(720, 1280, 3), dtype=np.uint8)
    out: dict[str, Any] = {}
    for size in (320, 640):
        detector = OnnxYoloDetector(path, sha, size, {0: "person"}, min_score=0.35, threads=threads)
        out[f"1280x720_at_{size}"] = timed_ms(lambda d=detector: d.detect(frame), runs)
    return out


def drawn_frames(width: int, height: int, count: int) -> list[np.ndarray]:
    """A textured ground with eight walkers (dark legs, coloured torso, head) and a bag, in `count` frames."""
    rng = np.random.default_rng(3)
    texture = rng.normal(110, 18, size=(height // 4 + 1, width // 4 + 1, 3)).astype(np.float32)
    ground = np.clip(cv2.resize(texture, (width, height)), 0, 255).astype(np.uint8)
    s = width / 640
    frames = []
    for i in range(count):
        image = ground.copy()
        cv2.rectangle(image, (int(500 * s), int(300 * s)), (int(530 * s), int(322 * s)), (20, 160, 230), -1)
        for k in range(8):
            foot = (80 + 30 * k) * s
            x = ((60 + 70 * k + (4 if k % 2 else -4) * i) % 600) * s
            h = (30 + (foot / s - 60) * 0.3) * s
            cv2.rectangle(
                image, (int(x - 0.15 * h), int(foot - 0.5 * h)), (int(x + 0.15 * h), int(foot)), (40, 30, 30), -1
            )
            cv2.rectangle(
                image,
                (int(x - 0.17 * h), int(foot - 0.85 * h)),
                (int(x + 0.17 * h), int(foot - 0.5 * h)),
                (50, 40, 190),
                -1,
            )
            cv2.circle(image, (int(x), int(foot - 0.92 * h)), max(1, int(0.07 * h)), (90, 120, 190), -1)
        noise = rng.normal(0, 3, size=image.shape)
        frames.append(np.clip(image + noise, 0, 255).astype(np.uint8))
    return frames


def time_fallback(runs: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for width, height in ((640, 360), (1280, 720)):
        frames = drawn_frames(width, height, 60 + runs)
        scale = width / 640

        def person_size(row: float, s: float = scale) -> tuple[float, float]:
            h = (30 + (row / s - 60) * 0.3) * s
            return 0.34 * h, h

        for hog in (False, True):
            detector = FallbackDetector(5.0, person_size) if hog else FallbackDetector(5.0, person_size, hog=None)
            for frame in frames[:60]:
                detector.detect(frame)
            times, found = [], 0
            for frame in frames[60:]:
                start = time.perf_counter()
                found = len(detector.detect(frame))
                times.append((time.perf_counter() - start) * 1000)
            key = f"{width}x{height}_{'with' if hog else 'without'}_hog"
            out[key] = {
                "median_ms": round(statistics.median(times), 2),
                "best_ms": round(min(times), 2),
                "found": found,
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("/tmp/yolo_sized.onnx"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    size = build_model(args.out)
    result = {
        "model": {"path": str(args.out), **size},
        "onnxruntime": {"version": onnxruntime.__version__, "threads": args.threads},
        "inference": time_inference(args.out, args.runs, args.threads),
        "onnx_yolo_detector": time_detector(args.out, args.runs, args.threads),
        "fallback_detector": time_fallback(args.runs * 5),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
