"""Backends behind one small interface: run a frozen model on one fixed-shape batch.

`openvino` (default), `tensorflow` (stock TF on the frozen graph; `OPENVINO_TF_DISABLE=1`), and
`openvino-tensorflow` (the discontinued legacy integration, Python <= 3.9 with TF 2.9 only).
"""

from __future__ import annotations

import importlib.util
import logging
import os
from typing import Any, Protocol

import numpy as np

from .freeze import FrozenModel

log = logging.getLogger("vqsr_cnn")

BACKENDS = ("openvino", "tensorflow", "openvino-tensorflow")
PRECISIONS = ("fp32", "bf16", "int8")


class Backend(Protocol):
    name: str
    device: str
    precision: str
    compiles: int  # how many fixed shapes this backend has compiled

    def run(self, tensor: np.ndarray, annotations: np.ndarray) -> np.ndarray:
        """Probabilities (batch, 4) for one padded batch; the batch size is always a bucket size."""


def select_backend(explicit: str | None = None) -> str:
    """OPENVINO_TF_DISABLE=1 -> tensorflow (Intel's GATK patch switch); then explicit / VQSR_CNN_BACKEND;
    then openvino when importable, else tensorflow with a warning."""
    if os.environ.get("OPENVINO_TF_DISABLE", "") == "1":
        return "tensorflow"
    choice = explicit or os.environ.get("VQSR_CNN_BACKEND") or ""
    if choice:
        if choice not in BACKENDS:
            raise ValueError(f"unknown backend {choice!r}: choose one of {', '.join(BACKENDS)}")
        return choice
    if importlib.util.find_spec("openvino") is not None:
        return "openvino"
    log.warning("openvino is not installed; falling back to the tensorflow backend")
    return "tensorflow"


def select_precision(explicit: str | None = None) -> str:
    choice = (explicit or os.environ.get("VQSR_CNN_PRECISION") or "fp32").lower()
    if choice not in PRECISIONS:
        raise ValueError(f"unknown precision {choice!r}: choose one of {', '.join(PRECISIONS)}")
    return choice


class TensorFlowBackend:
    """The frozen ConcreteFunction on stock TensorFlow (FP32)."""

    name = "tensorflow"
    device = "CPU"
    precision = "fp32"

    def __init__(self, frozen: FrozenModel, intra_threads: int = 0, inter_threads: int = 0) -> None:
        import tensorflow as tf

        self._tf = tf
        self._fn = frozen.function
        self.compiles = 0
        self._seen: set[int] = set()
        self.threads = (intra_threads, inter_threads)

    def run(self, tensor: np.ndarray, annotations: np.ndarray) -> np.ndarray:
        if tensor.shape[0] not in self._seen:
            self._seen.add(tensor.shape[0])
            self.compiles += 1
        out = self._fn(self._tf.constant(tensor), self._tf.constant(annotations))
        out = out[0] if isinstance(out, (list, tuple)) else out
        return out.numpy()


class OpenVINOBackend:
    """OpenVINO runtime on CPU, one compiled model per bucket shape (compiled on first use)."""

    name = "openvino"
    device = "CPU"

    def __init__(self, frozen: FrozenModel, precision: str = "fp32", intra_threads: int = 0,
                 inter_threads: int = 0, quantized_model: Any = None) -> None:
        import openvino as ov

        self._ov = ov
        self._core = ov.Core()
        self.precision = precision
        self._names = frozen.input_names
        self._frozen = frozen
        self._model = quantized_model if quantized_model is not None else ov.convert_model(
            frozen.graph_def, input=[(frozen.input_names[0], [-1, *frozen.tensor_shape]),
                                     (frozen.input_names[1], [-1, frozen.n_annotations])])
        hint = "bf16" if precision == "bf16" else "f32"  # int8 layers are int8 regardless; the rest stays f32
        self.config: dict[str, Any] = {"INFERENCE_PRECISION_HINT": hint, "PERFORMANCE_HINT": "LATENCY"}
        if intra_threads > 0:
            self.config["INFERENCE_NUM_THREADS"] = intra_threads
        self._compiled: dict[int, Any] = {}
        self.compiles = 0

    def _request(self, batch: int) -> Any:
        request = self._compiled.get(batch)
        if request is None:
            model = self._model.clone()
            model.reshape({self._names[0]: [batch, *self._frozen.tensor_shape],
                           self._names[1]: [batch, self._frozen.n_annotations]})
            compiled = self._core.compile_model(model, self.device, self.config)
            request = compiled.create_infer_request()
            self._compiled[batch] = request
            self.compiles += 1
        return request

    def run(self, tensor: np.ndarray, annotations: np.ndarray) -> np.ndarray:
        request = self._request(tensor.shape[0])
        result = request.infer({self._names[0]: tensor, self._names[1]: annotations})
        return np.array(next(iter(result.values())), dtype=np.float32, copy=True)


class OpenVINOTensorFlowBackend:
    """The legacy `openvino_tensorflow` integration running the frozen graph in a TF1-style session."""

    name = "openvino-tensorflow"
    device = "CPU"

    def __init__(self, frozen: FrozenModel, precision: str = "fp32", intra_threads: int = 0,
                 inter_threads: int = 0) -> None:
        try:
            import openvino_tensorflow as ovtf
        except ImportError as exc:
            raise RuntimeError(
                "backend 'openvino-tensorflow' needs the openvino-tensorflow package (CPython 3.8/3.9 with "
                f"TensorFlow 2.9.3): {exc}. Use the 'openvino' backend, its maintained successor."
            ) from None
        import tensorflow as tf

        os.environ.setdefault("OPENVINO_TF_DISABLE_COST_ASSIGNMENT", "1")
        ovtf.set_backend("CPU")
        ovtf.enable()
        self._tf = tf
        graph = tf.Graph()
        with graph.as_default():
            tf.compat.v1.import_graph_def(frozen.graph_def, name="")
        config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=intra_threads,
                                          inter_op_parallelism_threads=inter_threads)
        self._session = tf.compat.v1.Session(graph=graph, config=config)
        self._inputs = frozen.input_names
        self._output = frozen.output_name
        # The bundled OpenVINO 2022.3 picks BF16 on CPUs that have it; say what actually runs.
        self.precision = "bf16 (runtime default)" if precision == "fp32" else precision
        self.compiles = 0
        self._seen: set[int] = set()

    def run(self, tensor: np.ndarray, annotations: np.ndarray) -> np.ndarray:
        if tensor.shape[0] not in self._seen:
            self._seen.add(tensor.shape[0])
            self.compiles += 1
        return self._session.run(self._output, {self._inputs[0]: tensor, self._inputs[1]: annotations})


def make_backend(name: str, frozen: FrozenModel, precision: str, intra_threads: int, inter_threads: int,
                 quantized_model: Any = None) -> Backend:
    if name == "tensorflow":
        if precision != "fp32":
            log.warning("the tensorflow backend runs fp32 only; ignoring precision %s", precision)
        return TensorFlowBackend(frozen, intra_threads, inter_threads)
    if name == "openvino":
        return OpenVINOBackend(frozen, precision, intra_threads, inter_threads, quantized_model)
    if name == "openvino-tensorflow":
        return OpenVINOTensorFlowBackend(frozen, precision, intra_threads, inter_threads)
    raise ValueError(f"unknown backend {name!r}: choose one of {', '.join(BACKENDS)}")
