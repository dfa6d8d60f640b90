"""Probes of the machine's peak per precision (FP32, BF16, INT8): kernels timed as bench rows (`limits.py`).

Square GEMMs (2048^3 on all threads, 1024^3 per stream), a stack of convolutions shaped like the model's
heaviest layer, and the model's own chain of convolutions, at the dense micro-batch (activations kept in the
runtime's layout between convolutions, as in the engine: one convolution between f32 reorders measured 25-35%
below the whole model), each compiled as the engine compiles (`compile_config`: one single-threaded stream per
core) or as one request on all threads; FP32 also gets numpy's BLAS GEMM. BF16 and INT8 probes exist only where
this CPU runs them (the engine's own precision decision), so AMX and VNNI kernels count; INT8 probes are
FakeQuantize'd as NNCF quantises. FLOPs are model FLOPs: 2 x the MACs of the direct GEMM or convolution,
whatever algorithm the runtime picks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.backends.openvino import compile_config, executed_precision
from ..engine.config import EngineConfig
from ..engine.cpu import CpuInfo
from ..engine.precision import Precision, decide
from ..runtimes import import_openvino
from .flops import layer_macs

PRECISIONS = ("fp32", "bf16", "int8")
GEMM_SHAPES = ((2048, "LATENCY"), (1024, "THROUGHPUT"))  # (M = K = N, OpenVINO hint)
STACK_DEPTH = 4  # convolutions per conv probe
CALL_SECONDS = 0.3  # a probe's timed call repeats its kernel to last about this long, like the other rows


@dataclass
class Probe:
    """One timed kernel: `run()` does `flops` model FLOPs."""

    precision: str
    name: str
    flops: float
    run: Callable[[], None]
    calls: int = 1  # kernel calls per timed run


def _fake_quantize(ops: Any, node: Any, low: float, high: float, levels: int) -> Any:
    """An INT8 quantisation point, as NNCF inserts them: OpenVINO then runs the consumer as an INT8 kernel."""
    lo, hi = ops.constant(np.float32(low)), ops.constant(np.float32(high))
    return ops.fake_quantize(node, lo, hi, lo, hi, levels)


def _compiled(model: Any, hint: str, precision: Precision, threads: int) -> tuple[Any, int]:
    """(compiled model, requests per call): compiled exactly as the engine compiles (EngineConfig + Precision)."""
    ov = import_openvino()
    props, streams = compile_config(EngineConfig(ov_hint=hint, intra_threads=threads), precision)
    return ov.Core().compile_model(model, "CPU", props), streams


def _runner(model: Any, inputs: np.ndarray, hint: str, precision: Precision, threads: int) -> tuple[Callable[[], None], int, str]:
    """(one call: `streams` requests in flight at once, requests per call, executed precision)."""
    ov = import_openvino()
    compiled, streams = _compiled(model, hint, precision, threads)
    queue = ov.AsyncInferQueue(compiled, streams)

    def run() -> None:
        for _ in range(streams):
            queue.start_async({0: inputs})
        queue.wait_all()

    return run, streams, executed_precision(compiled, precision)


def _gemm(size: int, int8: bool) -> tuple[Any, np.ndarray, float]:
    """(size x size) @ (size x size) with constant weights, its input, its FLOPs."""
    ov = import_openvino()
    import openvino.opset13 as ops

    rng = np.random.default_rng(0)
    a = ops.parameter([size, size], ov.Type.f32, name="a")
    weights = ops.constant((rng.standard_normal((size, size)) / np.sqrt(size)).astype(np.float32))
    x = _fake_quantize(ops, a, 0.0, 4.0, 256) if int8 else a
    w = _fake_quantize(ops, weights, -0.1, 0.1, 255) if int8 else weights
    model = ov.Model([ops.matmul(x, w, False, False)], [a], "gemm_probe")
    return model, np.abs(rng.standard_normal((size, size))).astype(np.float32), 2.0 * size**3


@dataclass(frozen=True)
class Conv:
    """One valid convolution of a probe, channels last: taps and strides in 2D (a Conv1D is one row tall)."""

    in_channels: int
    out_channels: int
    taps: tuple[int, int]
    strides: tuple[int, int]


def _as_2d(layer: Any) -> tuple[tuple[int, int, int], Conv]:
    """(channels-last input shape, Conv) of a Keras Conv1D/Conv2D layer."""
    in_shape = tuple(int(d) for d in layer.input.shape[1:])
    kernel = tuple(int(d) for d in layer.kernel.shape)  # (*taps, in channels, out channels)
    taps, strides = kernel[:-2], tuple(int(s) for s in layer.strides)
    if len(taps) == 1:
        in_shape, taps, strides = (1, *in_shape), (1, *taps), (1, *strides)
    return (in_shape[0], in_shape[1], in_shape[2]), Conv(kernel[-2], kernel[-1], (taps[0], taps[1]), (strides[0], strides[1]))


def convolutions(keras_model: Any) -> list[Any]:
    return [layer for layer in keras_model.layers if type(layer).__name__ in ("Conv1D", "Conv2D") and layer_macs(layer)]


def heaviest_conv(keras_model: Any) -> Any:
    """The model's convolution layer with the most MACs (the layer the engine spends most of its time in)."""
    return max(convolutions(keras_model), key=layer_macs)


def conv_chain(keras_model: Any) -> list[Any]:
    """The model's first convolutions whose shapes chain (each one's input shape the previous one's output), i.e.
    the model's convolution path without what lies between (dropout, and it stops at the first pooling)."""
    chain: list[Any] = []
    for layer in convolutions(keras_model):
        if chain and tuple(layer.input.shape[1:]) != tuple(chain[-1].output.shape[1:]):
            break
        chain.append(layer)
    return chain


def _convs(
    in_shape: tuple[int, int, int], convs: Sequence[Conv], batch: int, int8: bool, name: str
) -> tuple[Any, np.ndarray, float]:
    """Valid convolutions one after another (ReLU between), channels last in and out like the converted models
    (OpenVINO fuses the transposes into its own layout): activations stay in the runtime's layout between them,
    as in the engine, so the probe times the kernels, not a reorder per call. Random weights; FLOPs per layer."""
    ov = import_openvino()
    import openvino.opset13 as ops

    rng = np.random.default_rng(0)
    a = ops.parameter([batch, *in_shape], ov.Type.f32, name="a")
    x = ops.transpose(a, ops.constant(np.array([0, 3, 1, 2], dtype=np.int64)))
    spatial, flops = list(in_shape[:2]), 0.0
    for conv in convs:
        spatial = [(n - k) // s + 1 for n, k, s in zip(spatial, conv.taps, conv.strides)]
        fan_in = conv.in_channels * conv.taps[0] * conv.taps[1]
        weights = rng.standard_normal((conv.out_channels, conv.in_channels, *conv.taps)) / np.sqrt(fan_in)
        w = ops.constant(weights.astype(np.float32))
        if int8:
            x, w = _fake_quantize(ops, x, 0.0, 4.0, 256), _fake_quantize(ops, w, -0.1, 0.1, 255)
        x = ops.relu(ops.convolution(x, w, list(conv.strides), [0, 0], [0, 0], [1, 1]))
        flops += 2.0 * batch * spatial[0] * spatial[1] * conv.out_channels * fan_in
    x = ops.transpose(x, ops.constant(np.array([0, 2, 3, 1], dtype=np.int64)))
    return ov.Model([x], [a], name), np.abs(rng.standard_normal((batch, *in_shape))).astype(np.float32), flops


def _conv_stack(layer: Any, batch: int, int8: bool, depth: int = STACK_DEPTH) -> tuple[Any, np.ndarray, float]:
    """`depth` convolutions with the layer's taps, strides and input channels (in = out, so they chain) on its
    input shape: its kernel shape without the one layer's reorders."""
    in_shape, conv = _as_2d(layer)
    square = Conv(conv.in_channels, conv.in_channels, conv.taps, conv.strides)
    return _convs(in_shape, [square] * depth, batch, int8, f"conv_stack_like_{layer.name}")


def _model_chain(layers: Sequence[Any], batch: int, int8: bool) -> tuple[Any, np.ndarray, float]:
    """The model's own chain of convolutions (`conv_chain`), same shapes, random weights."""
    shapes = [_as_2d(layer) for layer in layers]
    return _convs(shapes[0][0], [conv for _, conv in shapes], batch, int8, "model_conv_chain")


def _repeated(precision: str, name: str, flops: float, once: Callable[[], object]) -> Probe:
    """A probe whose call repeats `once` (warmed up) enough times to last about CALL_SECONDS."""
    once()
    start = time.perf_counter()
    once()
    calls = max(1, round(CALL_SECONDS / max(time.perf_counter() - start, 1e-6)))

    def run() -> None:
        for _ in range(calls):
            once()

    return Probe(precision, name, flops * calls, run, calls)


def _numpy_gemm(size: int = 2048) -> Probe:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    return _repeated("fp32", f"numpy GEMM {size}^3, BLAS threads", 2.0 * size**3, lambda: np.matmul(a, b))


@dataclass(frozen=True)
class Plan:
    """One OpenVINO probe to build: a graph (`build(*args)` -> model, input, FLOPs per request) and a hint."""

    precision: Precision
    label: str
    hint: str  # THROUGHPUT: one request per stream, as the engine; LATENCY: one request on all threads
    build: Callable[..., tuple[Any, np.ndarray, float]]
    args: tuple[Any, ...]


def plan(keras_model: Any, micro_batch: int, cpu: CpuInfo, precisions: Sequence[str] = PRECISIONS) -> list[Plan]:
    """The OpenVINO probes of every precision this CPU really executes (a BF16 request on a CPU without BF16 runs
    FP32: no BF16 probe, and BF16 rows are held against the FP32 limit)."""
    layer, chain = heaviest_conv(keras_model), conv_chain(keras_model)
    out: list[Plan] = []
    for asked in precisions:
        precision = decide(asked, "openvino", cpu)
        if precision.runs != asked:
            continue
        int8 = asked == "int8"
        out.extend(Plan(precision, f"GEMM {size}^3", hint, _gemm, (size, int8)) for size, hint in GEMM_SHAPES)
        for hint in ("THROUGHPUT", "LATENCY"):
            out.append(
                Plan(
                    precision,
                    f"{STACK_DEPTH} convs like {layer.name} at batch {micro_batch}",
                    hint,
                    _conv_stack,
                    (layer, micro_batch, int8),
                )
            )
            if len(chain) > 1:
                label = f"the model's convs {'+'.join(c.name for c in chain)} at batch {micro_batch}"
                out.append(Plan(precision, label, hint, _model_chain, (chain, micro_batch, int8)))
    return out


def probes(keras_model: Any, micro_batch: int, threads: int, cpu: CpuInfo, precisions: Sequence[str] = PRECISIONS) -> list[Probe]:
    """Every probe, built and compiled (numpy's FP32 GEMM first); one the runtime compiled to another precision
    than planned is dropped, never held against the wrong limit."""
    out = [_numpy_gemm()] if "fp32" in precisions else []
    for p in plan(keras_model, micro_batch, cpu, precisions):
        model, inputs, flops = p.build(*p.args)
        run, requests, ran = _runner(model, inputs, p.hint, p.precision, threads)
        if ran == p.precision.runs:
            how = "one per stream" if p.hint == "THROUGHPUT" else "all threads"
            out.append(_repeated(ran, f"OpenVINO {p.label}, {how}", flops * requests, run))
    return out
