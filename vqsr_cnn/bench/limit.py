"""The machine's measured matrix-multiply throughput, on the same cores, with the same runtime.

A large square MatMul compiled by OpenVINO with an f32 or bf16 inference-precision hint is as close
to the cores' GEMM peak as this runtime gets; dividing by a model's FLOPs per variant gives the
`limit` row: the variants/second a perfectly GEMM-efficient engine would reach.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..logs import import_openvino


def openvino_matmul(size: int, precision: str, threads: int) -> tuple[Any, np.ndarray]:
    """A compiled (size x size) @ (size x size) MatMul with a constant right-hand side, and its input."""
    # OpenVINO is imported only when a limit row is built: ~1 s and a large native library the other
    # bench modules (and the tests that import them) do not need.
    ov = import_openvino()
    import openvino.opset13 as ops

    rng = np.random.default_rng(0)
    a = ops.parameter([size, size], ov.Type.f32, name="a")
    b = ops.constant(rng.standard_normal((size, size), dtype=np.float32))
    model = ov.Model([ops.matmul(a, b, False, False)], [a], "gemm_limit")
    config: dict[str, Any] = {"INFERENCE_PRECISION_HINT": "bf16" if precision == "bf16" else "f32", "PERFORMANCE_HINT": "LATENCY"}
    if threads > 0:
        config["INFERENCE_NUM_THREADS"] = threads
    compiled = ov.Core().compile_model(model, "CPU", config)
    return compiled.create_infer_request(), rng.standard_normal((size, size), dtype=np.float32)


class GemmProbe:
    """One timed GEMM call; `flops` per call. Used as a bench row so it is interleaved like the others."""

    def __init__(self, precision: str, threads: int, size: int = 2048, calls: int = 4) -> None:
        self.precision = precision
        self.size = size
        self.calls = calls  # GEMMs per timed call: a few, so one timing spans about a second like the other rows
        self.flops = 2 * size**3 * calls
        if precision == "numpy-f32":
            rng = np.random.default_rng(0)
            self._a = rng.standard_normal((size, size), dtype=np.float32)
            self._b = rng.standard_normal((size, size), dtype=np.float32)
            self._request = None
        else:
            self._request, self._a = openvino_matmul(size, precision, threads)

    def __call__(self) -> None:
        for _ in range(self.calls):
            if self._request is None:
                np.matmul(self._a, self._b)
            else:
                self._request.infer({0: self._a})
