"""The legacy `openvino_tensorflow` integration (CPython 3.8/3.9 with TensorFlow 2.9.3 only)."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

import numpy as np

from ...logs import import_openvino_tensorflow, import_tensorflow
from ..batching import micro_batches
from ..config import EngineConfig
from ..freeze import FrozenModel
from ..precision import FROM_HINT, Precision
from .shapes import ShapeCounter

log = logging.getLogger("vqsr_cnn")


class OpenVINOTensorFlowBackend:
    """The legacy `openvino_tensorflow` integration running the frozen graph in TF1-style sessions.

    One session per worker thread (the OVTF cluster executables are not shared across threads), runs taking
    turns (concurrent runs aborted natively); the
    frozen-session path is used because toggling OVTF around Keras predict can crash it.
    """

    name = "openvino-tensorflow"
    device = "CPU"

    def __init__(self, frozen: FrozenModel, config: EngineConfig, precision: Precision) -> None:
        try:
            ovtf = import_openvino_tensorflow()
        except ImportError as exc:
            raise RuntimeError(
                "backend 'openvino-tensorflow' needs the openvino-tensorflow package (CPython 3.8/3.9 with "
                f"TensorFlow 2.9.3): {exc}. Use the 'openvino' backend, its maintained successor."
            ) from None
        tf = import_tensorflow()

        ovtf.set_backend("CPU")
        ovtf.enable()
        self._tf = tf
        self._graph = tf.Graph()
        with self._graph.as_default():
            tf.compat.v1.import_graph_def(frozen.graph_def, name="")
        self._config = tf.compat.v1.ConfigProto(
            intra_op_parallelism_threads=config.intra_threads, inter_op_parallelism_threads=config.inter_threads
        )
        self._local = threading.local()
        # Two sessions running at once aborted the process natively (SIGABRT inside OVTF, 1 of 6 runs of
        # tests/test_legacy_backend.py's two-thread test): each thread keeps its own session, runs take turns.
        self._run_lock = threading.Lock()
        self.micro_batch = config.micro_batch
        self._classes = frozen.n_classes
        self.shapes = ShapeCounter()
        self._inputs = frozen.input_names
        self._output = frozen.output_name
        # OpenVINO 2022.3 inside OVTF picks BF16 on CPUs that have it; report what actually runs.
        self.precision = ovtf_cpu_precision(ovtf)
        if precision.runs != self.precision:
            log.warning(
                "openvino-tensorflow runs %s here, not the requested %s: its precision is set only by an "
                "INFERENCE_PRECISION_HINT property in %s",
                self.precision,
                precision.runs,
                os.path.join(os.path.dirname(ovtf.__file__), "plugins.xml"),
            )

    def _session(self) -> Any:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._tf.compat.v1.Session(graph=self._graph, config=self._config)
            self._local.session = session
        return session

    def run(self, tensor: np.ndarray, annotations: np.ndarray) -> np.ndarray:
        out = np.zeros((tensor.shape[0], self._classes), dtype=np.float32)
        session = self._session()
        for start, rows, t, a in micro_batches(tensor, annotations, self.micro_batch):
            self.shapes.see(t.shape)
            with self._run_lock:
                out[start : start + rows] = session.run(self._output, {self._inputs[0]: t, self._inputs[1]: a})[:rows]
        return out


def ovtf_cpu_precision(ovtf: Any) -> str:
    """The CPU inference precision OVTF's bundled OpenVINO uses, read through its C API with its plugins.xml."""
    import ctypes

    folder = os.path.dirname(ovtf.__file__)
    try:
        lib = ctypes.CDLL(next(os.path.join(folder, f) for f in sorted(os.listdir(folder)) if f.startswith("libopenvino_c.so")))
        core, value = ctypes.c_void_p(), ctypes.c_void_p()
        if lib.ov_core_create_with_config(os.path.join(folder, "plugins.xml").encode(), ctypes.byref(core)) != 0:
            return "unknown"
        try:
            if lib.ov_core_get_property(core, b"CPU", b"INFERENCE_PRECISION_HINT", ctypes.byref(value)) != 0:
                return "unknown"
            hint = ctypes.string_at(value).decode()
            lib.ov_free(value)
        finally:
            lib.ov_core_free(core)
    except (OSError, StopIteration, AttributeError):
        return "unknown"
    return FROM_HINT.get(hint.lower(), hint.lower())
