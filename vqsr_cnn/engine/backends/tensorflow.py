"""Stock TensorFlow on the frozen graph (FP32): the reference every other backend is diffed against."""

from __future__ import annotations

import numpy as np

from ...runtimes import import_tensorflow
from ..batching import micro_batches
from ..freeze import FrozenModel
from .ovtf_runtime import stock_tensorflow
from .shapes import ShapeCounter


class TensorFlowBackend:
    """The frozen ConcreteFunction on stock TensorFlow (FP32), in any process.

    Where openvino_tensorflow was imported (and so enabled), TensorFlow would hand this function to OpenVINO when it
    first instantiates it; every call therefore runs under `stock_tensorflow()`, which switches OVTF off meanwhile.
    """

    name = "tensorflow"
    device = "CPU"
    precision = "fp32"

    def __init__(self, frozen: FrozenModel, micro_batch: int) -> None:
        tf = import_tensorflow()

        self._tf = tf
        self._fn = frozen.function
        self._classes = frozen.n_classes
        self.micro_batch = micro_batch
        self.shapes = ShapeCounter()

    def run(self, tensor: np.ndarray, annotations: np.ndarray) -> np.ndarray:
        out = np.zeros((tensor.shape[0], self._classes), dtype=np.float32)
        with stock_tensorflow():
            for start, rows, t, a in micro_batches(tensor, annotations, self.micro_batch):
                self.shapes.see(t.shape)
                probs = self._fn(self._tf.constant(t), self._tf.constant(a))
                probs = probs[0] if isinstance(probs, (list, tuple)) else probs
                out[start : start + rows] = probs.numpy()[:rows]
        return out
