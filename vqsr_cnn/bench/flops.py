"""FLOPs per variant counted from the model itself: 2 x the multiply-accumulates of Conv and Dense layers, and
what an engine really executes (the exact-rows engine computes only each variant's R + 1 read rows; OpenVINO at
FP32 computes the long convolutions as DFT products, `engine/dft_convs.py`, and is counted with their
multiply-adds).

Pooling, activations, normalisation and bias adds are ignored (a few tenths of a percent here); these are the
model FLOPs the limits (`limits.py`) are counted in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..engine.dft_convs import dft_macs, worth_rewriting
from ..engine.exact_rows.plan import READ_AXIS, RowPlan, layer_heights


def _shape(tensor_shape: Any) -> tuple[int, ...]:
    return tuple(int(d) for d in tensor_shape[1:])


def _dft_rows_macs(layer: Any) -> int | None:
    """MACs per example of a convolution `engine.dft_convs` rewrites (its (1, K) kernel along the last spatial
    axis, stride 1, valid), computed as DFT products; None for any other layer."""
    kind = type(layer).__name__
    if kind not in ("Conv1D", "Conv2D") or getattr(layer, "padding", "valid") != "valid":
        return None
    if any(int(v) != 1 for v in (*layer.strides, *layer.dilation_rate)):
        return None
    inputs, kernel = _shape(layer.input.shape), tuple(int(v) for v in layer.kernel.shape)
    if kind == "Conv2D" and kernel[0] != 1:
        return None
    n, k, c, co = inputs[-2], kernel[-3], kernel[-2], kernel[-1]
    if not worth_rewriting(n, k, c, co):
        return None
    rows = inputs[0] if kind == "Conv2D" else 1
    return rows * dft_macs(n, k, c, co)


def layer_macs(layer: Any, dft: bool = False) -> int:
    """MACs of one example through a Conv1D/Conv2D/Conv3D/Dense layer (0 for anything else); `dft`: as OpenVINO
    computes it at FP32 (the long convolutions as DFT products)."""
    kind = type(layer).__name__
    if dft and (rewritten := _dft_rows_macs(layer)) is not None:
        return rewritten
    if kind in ("Conv1D", "Conv2D", "Conv3D"):
        out = _shape(layer.output.shape)
        kernel = int(np.prod(layer.kernel.shape[:-1]))  # spatial taps x input channels / groups
        channels_last = getattr(layer, "data_format", "channels_last") == "channels_last"
        spatial = out[:-1] if channels_last else out[1:]
        return int(np.prod(spatial)) * kernel * int(layer.filters)
    if kind == "Dense":
        inputs = _shape(layer.input.shape)
        return int(np.prod(inputs[:-1], dtype=np.int64)) * int(layer.kernel.shape[0]) * int(layer.units)
    return 0


def model_flops(model: Any, dft: bool = False) -> int:
    """FLOPs per example (2 x MACs), walking nested models too."""
    total = 0
    for layer in model.layers:
        if hasattr(layer, "layers") and not hasattr(layer, "kernel"):
            total += model_flops(layer, dft)
        else:
            total += 2 * layer_macs(layer, dft)
    return total


def flops_by_layer(model: Any) -> dict[str, int]:
    return {layer.name: 2 * layer_macs(layer) for layer in model.layers if layer_macs(layer)}


def cut_flops(plan: RowPlan, rows: int, dft: bool = False) -> int:
    """FLOPs per example of the exact-rows model cut to `rows` input rows (layers scaled by the rows they compute)."""
    heights = layer_heights(plan, rows)
    total = 0
    for step in plan.steps:
        macs = layer_macs(step.layer, dft) if step.kind != "input" else 0
        if macs and step.name in heights:
            full = int(step.layer.output.shape[READ_AXIS])
            macs = macs * heights[step.name] // full
        total += 2 * macs
    return total


def executed_flops(exact: Any, tensors: np.ndarray, dft: bool = False) -> np.ndarray:
    """FLOPs per variant of what an exact-rows engine runs: its R + 1 rows (the dense model for a refused height)."""
    rows = exact.route(tensors)
    dense = sum(2 * layer_macs(step.layer, dft) for step in exact.plan.steps if step.kind != "input")
    per = {h: dense if h in exact.refused else cut_flops(exact.plan, h, dft) for h in set(rows.tolist())}
    return np.array([per[h] for h in rows.tolist()], dtype=np.float64)


def runs_dft(engine: Any) -> bool:
    """Whether the engine's OpenVINO models compute the long convolutions as DFT products (FP32 runs)."""
    return engine.backend.name == "openvino" and engine.backend.precision == "fp32"


def engine_flops(engine: Any, tensors: np.ndarray | Sequence[np.ndarray], keras_model: Any) -> float:
    """Mean model FLOPs per variant the engine executes on these tensors (the whole model unless it runs exact rows)."""
    dft = runs_dft(engine)
    if engine.exact is None:
        return float(model_flops(keras_model, dft))
    return float(executed_flops(engine.exact, np.asarray(tensors), dft).mean())
