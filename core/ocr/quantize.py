"""An 8-bit copy of a recognizer: the same network with its convolutions' weights and activations in 8-bit
integers, which onnxruntime runs about twice as fast on a CPU with 8-bit dot-product instructions.

Why static, not dynamic: a dynamic copy measures each activation's range on every run, and read 0.4 times as
many crops a second as the float model (its convolutions become onnxruntime's slow ``ConvInteger``); a static
one fixes the ranges once, from crops like the ones it will read (:func:`quantize_reader`'s ``batches``). Why only the convolutions, and not the last: the softmax's
probabilities in 8 bits round a read's CTC probability to zero (every read fell to unreadable when it was
tried), and the last convolution, the one that scores the classes, decides between look-alike characters by
small margins. The gate is the model's own: an 8-bit copy is calibrated again (``baytwin ocr calibrate``).

Weights are signed and activations unsigned (U8S8), the fast pair. A CPU without 8-bit dot products (x86
without VNNI) multiplies that pair in 16-bit sums that can saturate (onnxruntime's quantization notes), so
:func:`int8_reads_exactly` tells whether this machine reads an 8-bit copy as it was measured; the default
reader chooses by it (``core/ocr/recognizer.py``).
"""

from __future__ import annotations

import itertools
import platform
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

#: The operators quantized: the convolutions and what passes their 8-bit outputs on unchanged.
QUANTIZED_OPS = ("Conv", "MaxPool", "Relu")


class QuantizeProblem(Exception):
    """The model cannot be quantized; the message says why."""


def quantize_reader(model: Path, out: Path, batches: Iterable[np.ndarray]) -> int:
    """Write ``model``'s 8-bit copy to ``out``, its activation ranges measured on ``batches`` (uint8 NHWC input
    as the model takes it). Returns how many crops measured them."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    try:
        graph = onnx.load(str(model))
    except Exception as err:  # onnx raises DecodeError, OSError ... for a file that is not a model
        raise QuantizeProblem(f"{model}: not an ONNX model ({str(err).splitlines()[0] if str(err) else type(err).__name__})") from None
    input_name = graph.graph.input[0].name
    if not any(node.op_type == "Conv" for node in graph.graph.node):  # refused before any work
        raise QuantizeProblem(f"{model}: no convolutions to quantize")
    remaining = iter(batches)
    first = next(remaining, None)
    if first is None or not len(first):
        raise QuantizeProblem("no crops to measure the activations' ranges on")
    measured = [0]

    class Crops(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self._batches = itertools.chain([first], remaining)

        def get_next(self) -> dict[str, np.ndarray] | None:
            batch = next(self._batches, None)
            if batch is None:
                return None
            measured[0] += len(batch)
            return {input_name: batch}

    with tempfile.TemporaryDirectory() as scratch:
        prepared = Path(scratch) / "prepared.onnx"
        quant_pre_process(str(model), str(prepared))
        # named as the pre-processing left them: the last one stays in floating point
        convolutions = [node.name for node in onnx.load(str(prepared)).graph.node if node.op_type == "Conv"]
        quantize_static(str(prepared), str(out), Crops(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax, op_types_to_quantize=list(QUANTIZED_OPS),
                        nodes_to_exclude=convolutions[-1:])
    return measured[0]


def int8_reads_exactly(cpu_flags: Iterable[str] | None = None, machine: str | None = None) -> bool:
    """Whether this CPU runs an 8-bit copy's U8S8 products without saturating, so it reads as it was measured:
    x86 with VNNI (AVX512-VNNI or AVX-VNNI). Elsewhere (x86 without VNNI, Arm, a system without
    ``/proc/cpuinfo``) nothing here has measured it, and the float model reads. ``cpu_flags`` and ``machine``
    default to this machine's."""
    machine = (machine or platform.machine()).lower()
    if machine not in ("x86_64", "amd64"):
        return False
    flags = set(cpu_flags) if cpu_flags is not None else _cpu_flags()
    return bool(flags & {"avx512_vnni", "avx_vnni"})


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()
