"""What precision an OpenVINO CPU model really executes, and a warning when the request cannot be met.

On a CPU without native BF16 (e.g. AVX2-only AMD EPYC) OpenVINO accepts INFERENCE_PRECISION_HINT=bf16 and
silently runs f32: asking the compiled model is the only honest answer.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

log = logging.getLogger("vqsr_cnn")

_NAMES = {"f32": "fp32", "float32": "fp32", "bf16": "bf16", "bfloat16": "bf16", "f16": "fp16", "float16": "fp16",
          "i8": "int8", "u8": "int8"}
_NEEDS = {"bf16": "BF16", "fp16": "FP16", "int8": "INT8"}  # OPTIMIZATION_CAPABILITIES entry per precision
_warned: set[tuple[str, str]] = set()


def precision_name(value: Any) -> str:
    """'fp32' / 'bf16' / 'fp16' from an OpenVINO element type or hint string."""
    text = str(getattr(value, "get_type_name", lambda: value)()).lower()
    text = text.replace("<type: '", "").replace("'>", "")
    return _NAMES.get(text, text)


def executed_precision(compiled: Any) -> str:
    """The float precision a compiled CPU model runs (its INFERENCE_PRECISION_HINT after compilation)."""
    try:
        return precision_name(compiled.get_property("INFERENCE_PRECISION_HINT"))
    except (RuntimeError, TypeError, AttributeError):
        return "unknown"


def cpu_capabilities() -> list[str]:
    import openvino as ov

    try:
        return list(ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"))
    except RuntimeError:
        return []


def warn_if_unavailable(requested: str, executed: str) -> None:
    """Warn once per (requested, executed) pair when the compiled model does not run what was asked."""
    if requested == executed or requested == "int8" or executed == "unknown":
        return  # int8 models keep float layers at the float hint; their int8 layers are int8 regardless
    key = (requested, executed)
    if key in _warned:
        return
    _warned.add(key)
    need = _NEEDS.get(requested, requested.upper())
    caps = cpu_capabilities()
    log.warning("precision %s requested but this CPU runs %s (OpenVINO CPU capabilities: %s%s); scores are %s scores",
                requested, executed, ", ".join(caps) or "unknown",
                "" if need in caps else f"; no {need}", executed)


def probe_precision(hint: str, device: str = "CPU") -> str:
    """The precision `device` executes for INFERENCE_PRECISION_HINT=hint, from a one-MatMul model (~10 ms)."""
    import openvino as ov
    import openvino.opset13 as ops

    x = ops.parameter([4, 16], ov.Type.f32, name="x")
    y = ops.matmul(x, ops.constant(np.ones((16, 16), dtype=np.float32)), False, False)
    compiled = ov.Core().compile_model(ov.Model([y], [x], "precision_probe"), device,
                                       {"INFERENCE_PRECISION_HINT": hint})
    return executed_precision(compiled)
