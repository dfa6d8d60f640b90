"""FP32 convolutions along a fixed-length axis computed as DFT correlations by matrix products.

A valid, stride-1 convolution with a (1, K) kernel over a length-N axis costs N_out * K * C * C_out multiply-adds
per row. By the convolution theorem it equals, exactly in real arithmetic, a correlation in the frequency domain:
transform each input channel (N -> F = N // 2 + 1 complex bins), multiply each bin's C channels by that bin's
C x C_out complex matrix (the transformed taps), transform back only the N_out positions kept. The transforms here
are constant matrices, so all three steps are matrix products the CPU runs at full rate, on the plugin's own
channels-last layout: 2F N C + 4 F C C_out + 2F N_out C_out multiply-adds, which for the bundled models is 3.2-3.8x
fewer than the direct convolution (conv1d_2, conv1d_3, conv2d_2; ``dft_gain``).

FP32 only: the frequency-domain sums are as accurate as the direct ones in FP32 (max relative error vs float64
below the direct convolution's, measured: docs/performance.md, "Convolutions as DFT products"), but not in BF16,
and INT8 models quantise the convolutions themselves. The read-row convolutions of the 2D model run along the
exact-rows axis, whose length varies per variant: they stay direct (the rewrite needs a fixed length).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..runtimes import import_openvino
from .ov_graph import constant_value, only_consumer

# Rewrite a convolution only where the products need at most a third of its multiply-adds: the transposes between
# them cost time the count leaves out (conv2d_4, 2.1x fewer, ran slower rewritten: docs/performance.md).
MIN_GAIN = 3.0


def direct_macs(n: int, k: int, c: int, co: int) -> int:
    """Multiply-adds per row of the direct convolution."""
    return (n - k + 1) * k * c * co


def dft_macs(n: int, k: int, c: int, co: int) -> int:
    """Multiply-adds per row of the three products: forward transform, per-bin channel mix, inverse of kept outputs."""
    f = n // 2 + 1
    return 2 * f * n * c + 4 * f * c * co + 2 * f * (n - k + 1) * co


def dft_gain(n: int, k: int, c: int, co: int) -> float:
    return direct_macs(n, k, c, co) / dft_macs(n, k, c, co)


# The per-bin matrices are F x 2C x 2C_out floats, held twice by the plugin: a wide custom model is left direct
# rather than given hundreds of MB of them (the bundled models' largest, conv1d_2, is 62 MB).
MAX_MIX_BYTES = 128 * 2**20


def worth_rewriting(n: int, k: int, c: int, co: int) -> bool:
    """Whether a (1, K) convolution over N positions, C -> C_out channels, runs as DFT products (FP32)."""
    return k >= 2 and dft_gain(n, k, c, co) >= MIN_GAIN and (n // 2 + 1) * 4 * c * co * 4 <= MAX_MIX_BYTES


def _kernel(conv: Any) -> np.ndarray | None:
    """The (C_out, C, K) taps of a stride-1, undilated, unpadded 4-D Convolution along its last axis of fixed length
    with a (1, K) constant kernel worth rewriting, else None."""
    if conv.get_type_name() != "Convolution":
        return None
    attrs = conv.get_attributes()
    if any(v != 1 for v in [*attrs["strides"], *attrs["dilations"]]) or any([*attrs["pads_begin"], *attrs["pads_end"]]):
        return None
    taps = constant_value(conv.input(1).get_source_output())
    shape = conv.get_input_partial_shape(0)
    if taps is None or taps.ndim != 4 or shape.rank.get_length() != 4 or shape[1].is_dynamic or shape[3].is_dynamic:
        return None
    co, c, rows, k = taps.shape
    if rows != 1 or not worth_rewriting(shape[3].get_length(), k, c, co):
        return None
    return taps[:, :, 0, :].astype(np.float64)


def dft_matrices(taps: np.ndarray, n: int, dtype: type = np.float64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(forward (2F, N), per-bin mix (F, 2C, 2C_out), inverse (N_out, 2F)) for taps (C_out, C, K), computed in
    float64 and stored as `dtype` (the mix is the large one: 62 MB in float32 for conv1d_2, written in place).

    Forward rows are Re and Im of X[f] = sum_n x[n] e^(-2 pi i f n / N). The correlation y[m] = sum_k x[m + k] w[k]
    is X[f] conj(W[f]) in the frequency domain (circular over N, which wraps only outputs past N_out): as real
    products [Re X, Im X] [[Re W, -Im W], [Im W, Re W]]. The inverse weighs bins 1..F-1 twice (their conjugate
    twins), bin 0 and an even N's Nyquist bin once.
    """
    co, c, k = taps.shape
    bins = np.arange(n // 2 + 1)
    phase = 2 * np.pi * np.outer(bins, np.arange(n)) / n  # (F, N)
    forward = np.concatenate([np.cos(phase), -np.sin(phase)])
    w = np.einsum("ock,fk->fco", taps, np.exp(-1j * phase[:, :k]))
    mix = np.empty((bins.size, 2 * c, 2 * co), dtype=dtype)
    mix[:, :c, :co], mix[:, :c, co:], mix[:, c:, :co], mix[:, c:, co:] = w.real, -w.imag, w.imag, w.real
    weight = np.where((bins == 0) | (2 * bins == n), 1.0, 2.0) / n
    out = phase[:, : n - k + 1].T  # (N_out, F)
    inverse = np.concatenate([weight * np.cos(out), -weight * np.sin(out)], axis=1)
    return forward.astype(dtype), mix, inverse.astype(dtype)


# Elementwise activations without attributes, which commute with the transpose back to channels-first (a Keras
# layer's activation follows its bias): opset name -> opset function.
ACTIVATIONS = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh"}


def _channel_bias(node: Any, channels: int) -> tuple[np.ndarray, Any] | None:
    """(bias per channel, the Add) when `node`'s one reader adds a constant that varies only along axis 1, else None."""
    add = only_consumer(node.output(0))
    if add is None or add.get_type_name() != "Add":
        return None
    for i in (0, 1):
        value = constant_value(add.input(i).get_source_output())
        if value is not None and add.input(1 - i).get_source_output().get_node() is node:
            if value.ndim == 4 and value.shape[1] == channels and value.size == channels:
                return value.reshape(channels), add
    return None


def dft_convs(model: Any) -> int:
    """Replace each convolution `_kernel` accepts by its three products (FP32 models only); returns how many."""
    ov = import_openvino()
    ops = ov.opset13

    def i64(values: Any) -> Any:
        return ops.constant(np.array(values, np.int64))

    def f32(values: np.ndarray) -> Any:
        return ops.constant(np.ascontiguousarray(values, dtype=np.float32))  # no copy of a float32 C array

    rewritten = 0
    for conv in model.get_ordered_ops():
        taps = _kernel(conv)
        if taps is None:
            continue
        co, c, _ = taps.shape
        n = conv.get_input_partial_shape(0)[3].get_length()
        bins = n // 2 + 1
        forward, mix, inverse = dft_matrices(taps, n, np.float32)
        # The no-op reshape makes the plugin hand over plain memory first (one fast standard reorder): with a dynamic
        # read axis, a transpose straight off the convolution's channels-last output ran as a slow generic reorder
        # (exact-rows cut model, 37 rows, one thread: 1.1 ms of the 6.6 ms, against 0.33 ms this way).
        plain = ops.reshape(conv.input(0).get_source_output(), i64([0, 0, -1, n]), True)
        rows_last = ops.transpose(plain, i64([0, 2, 3, 1]))  # (B, H, N, C)
        spectrum = ops.reshape(ops.matmul(f32(forward), rows_last, False, False), i64([0, 0, 2, bins, c]), True)
        per_bin = ops.reshape(ops.transpose(spectrum, i64([3, 0, 1, 2, 4])), i64([bins, -1, 2 * c]), False)
        mixed = ops.matmul(per_bin, f32(mix), False, False)  # (F, B*H, 2 C_out)
        batch_rows = ops.gather(ops.shape_of(spectrum), i64([0, 1]), i64(0))
        mixed = ops.reshape(mixed, ops.concat([i64([bins]), batch_rows, i64([2, co])], 0), False)
        mixed = ops.reshape(ops.transpose(mixed, i64([1, 2, 3, 0, 4])), i64([0, 0, 2 * bins, co]), True)  # (B, H, 2F, C_out)
        # The inverse on the left, then back to (B, C_out, H, N_out). The layer's bias and activation move before
        # that transpose, onto the product's last axis (C_out), where the plugin fuses them into the product instead
        # of running them as one more pass over the output (AMX Xeon, one thread, 37 rows: 0.05 ms of 5.8).
        out, last = ops.matmul(f32(inverse), mixed, False, False).output(0), conv
        bias = _channel_bias(conv, co)
        if bias is not None:
            out, last = ops.add(out, f32(bias[0])).output(0), bias[1]
            act = only_consumer(last.output(0))
            if act is not None and act.get_type_name() in ACTIVATIONS:
                out, last = getattr(ops, ACTIVATIONS[act.get_type_name()])(out).output(0), act
        last.output(0).replace(ops.transpose(out, i64([0, 3, 1, 2])).output(0))
        rewritten += 1
    model.validate_nodes_and_infer_types()
    return rewritten
