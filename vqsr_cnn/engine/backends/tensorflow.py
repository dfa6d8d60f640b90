"""Stock TensorFlow on the frozen graph (FP32): the reference every other backend is diffed against."""

from __future__ import annotations

import numpy as np

from ...logs import import_tensorflow
from ..batching import micro_batches
from ..freeze import FrozenModel
from .shapes import ShapeCounter


class TensorFlowBackend:
    """The frozen ConcreteFunction on stock TensorFlow (FP32)."""

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
        for start, rows, t, a in micro_batches(tensor, annotations, self.micro_batch):
            self.shapes.see(t.shape)
            probs = self._fn(self._tf.constant(t), self._tf.constant(a))
            probs = probs[0] if isinstance(probs, (list, tuple)) else probs
            out[start : start + rows] = probs.numpy()[:rows]
        return out
