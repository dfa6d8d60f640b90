"""Backends behind one small interface: run a frozen model at its one fixed compute shape.

`openvino` (default), `tensorflow` (stock TF on the frozen graph; `OPENVINO_TF_DISABLE=1`), and
`openvino-tensorflow` (the discontinued legacy integration, Python <= 3.9 with TF 2.9 only). Each takes any
number of rows and computes them in micro-batches of exactly `micro_batch` rows (engine/batching.py), and
reports the precision its compiled model really executes.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from ...errors import InputError
from ..config import BACKENDS, EngineConfig
from ..freeze import FrozenModel
from ..precision import Precision
from .openvino import OpenVINOBackend
from .ovtf import OpenVINOTensorFlowBackend
from .shapes import ShapeCounter
from .tensorflow import TensorFlowBackend

__all__ = ["Backend", "OpenVINOBackend", "OpenVINOTensorFlowBackend", "ShapeCounter", "TensorFlowBackend", "make_backend"]


class Backend(Protocol):
    name: str
    device: str
    precision: str  # what the compiled model really executes, not what was asked for
    micro_batch: int
    shapes: ShapeCounter  # the input shapes it has run (the fixed-shape rule: one)

    def run(self, tensor: np.ndarray, annotations: np.ndarray) -> np.ndarray:
        """Probabilities (rows, classes) for any number of rows, computed micro-batch by micro-batch."""


def make_backend(frozen: FrozenModel, config: EngineConfig, precision: Precision, model: Any = None) -> Backend:
    """The backend `config.backend` (resolved) at `config.micro_batch` rows per call, running `precision`.

    `model`: an OpenVINO model to compile instead of the frozen graph (the INT8 model), same inputs and outputs.
    """
    if config.backend == "tensorflow":
        return TensorFlowBackend(frozen, config.micro_batch)
    if config.backend == "openvino":
        return OpenVINOBackend(frozen, config, precision, model)
    if config.backend == "openvino-tensorflow":
        return OpenVINOTensorFlowBackend(frozen, config, precision)
    raise InputError(f"unknown backend {config.backend!r}: choose one of {', '.join(BACKENDS)}")
