"""Image files for the reader's tests: rendered plates and frames, and files that are not what they claim."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np


def write_rgb(path: Path, rgb: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


def write_huge_header_png(path: Path, width: int = 100_000, height: int = 100_000) -> Path:
    """A small, valid-looking PNG whose header claims ``width`` x ``height`` pixels (8-bit RGB)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))
    return path


def write_yolo_detector(path: Path, rows: np.ndarray, input_size: int = 640, config: str | None = None) -> Path:
    """A stand-in for a brought YOLO-style ONNX detector: whatever the frame, it returns ``rows`` ((N, 5+classes):
    cx, cy, w, h, objectness, ...) in input pixels; ``config`` is written beside it as its .yaml. Needs onnx."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    table = numpy_helper.from_array(np.asarray(rows, np.float32)[None], "rows")
    zero = numpy_helper.from_array(np.array(0.0, np.float32), "zero")
    nodes = [helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0),
             helper.make_node("Mul", ["mean", "zero"], ["nothing"]),  # ties the output to the input
             helper.make_node("Add", ["rows", "nothing"], ["detections"])]
    graph = helper.make_graph(
        nodes, "yolo_stand_in",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, input_size, input_size])],
        [helper.make_tensor_value_info("detections", TensorProto.FLOAT, [1, *np.asarray(rows).shape])],
        initializer=[table, zero])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    if config is not None:
        path.with_suffix(".yaml").write_text(config)
    return path
