"""The legacy `openvino_tensorflow` integration (CPython 3.8/3.9 with TensorFlow 2.9.3 only)."""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np

from ...runtimes import import_openvino_tensorflow, import_tensorflow
from ..batching import micro_batches
from ..config import EngineConfig
from ..freeze import FrozenModel
from ..precision import HINT, Precision
from .ovtf_runtime import LOCK, ovtf_enabled, pinned_core, planned_precision, stock_requested
from .shapes import ShapeCounter

log = logging.getLogger("vqsr_cnn")


class OpenVINOTensorFlowBackend:
    """The legacy `openvino_tensorflow` integration running the frozen graph in TF1-style sessions.

    One session per worker thread (the OVTF cluster executables are not shared across threads); every OVTF run in
    the process takes turns (two concurrent runs aborted natively). The frozen-session path is used because toggling
    OVTF around Keras predict can crash it.

    Precision: each session's graph is rewritten and compiled at its first run, inside `pinned_core`, so OVTF's
    OpenVINO compiles it at `precision.runs` (FP32 unless BF16 was asked and the CPU has it). `shipped=True` runs OVTF
    as installed instead (Intel's patch: its plugins.xml untouched, BF16 by default on CPUs with BF16).
    `self.precision` is what really compiles, read back from OVTF's OpenVINO.
    """

    name = "openvino-tensorflow"
    device = "CPU"

    def __init__(self, frozen: FrozenModel, config: EngineConfig, precision: Precision, shipped: bool = False) -> None:
        try:
            ovtf = import_openvino_tensorflow()
        except ImportError as exc:
            raise RuntimeError(
                "backend 'openvino-tensorflow' needs the openvino-tensorflow package (CPython 3.8/3.9 with "
                f"TensorFlow 2.9.3): {exc}. Use the 'openvino' backend, its maintained successor."
            ) from None
        tf = import_tensorflow()

        self._ovtf = ovtf
        self._tf = tf
        self._graph = tf.Graph()
        with self._graph.as_default():
            tf.compat.v1.import_graph_def(frozen.graph_def, name="")
        self._config = tf.compat.v1.ConfigProto(
            intra_op_parallelism_threads=config.intra_threads, inter_op_parallelism_threads=config.inter_threads
        )
        self._local = threading.local()
        self.micro_batch = config.micro_batch
        self._classes = frozen.n_classes
        self._shapes = (frozen.tensor_shape, frozen.n_annotations)
        self.shapes = ShapeCounter()
        self._inputs = frozen.input_names
        self._output = frozen.output_name
        self._asked = precision
        self.shipped = shipped
        self._hint = None if shipped else HINT.get(precision.runs, "f32")
        self._stock = stock_requested()
        if self._stock:  # OVTF's pass leaves the graph to TensorFlow: nothing is compiled by OpenVINO
            self.precision, why = "fp32", "OPENVINO_TF_DISABLE=1: the graph runs on stock TensorFlow"
        else:
            planned = planned_precision(ovtf, self._hint)
            self.precision, why = planned.precision, planned.why
        self._say(why)

    def _say(self, why: str) -> None:
        """One stderr line, in the engine's words, when what compiles is not what the engine decided to run."""
        if self.precision != self._asked.runs and not self.shipped:
            why = why or f"openvino-tensorflow's OpenVINO compiles {self.precision} with {self._hint!r} in its plugins.xml"
            log.warning("vqsr_cnn: precision %s requested, %s runs: %s", self._asked.requested, self.precision, why)

    def _session(self) -> Any:
        """This thread's session, its graph rewritten and compiled by its first run (a warm-up at the micro-batch
        shape) with OVTF on and its OpenVINO core pinned to this backend's precision."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._tf.compat.v1.Session(graph=self._graph, config=self._config)
            tensor_shape, n_annotations = self._shapes
            warm_up = {
                self._inputs[0]: np.zeros((self.micro_batch, *tensor_shape), np.float32),
                self._inputs[1]: np.zeros((self.micro_batch, n_annotations), np.float32),
            }
            if not self._stock:  # (with OPENVINO_TF_DISABLE=1 TensorFlow runs it: nothing to pin)
                with ovtf_enabled(self._ovtf), pinned_core(self._ovtf, self._hint) as pinned:
                    session.run(self._output, warm_up)
                if pinned.precision != self.precision:  # plugins.xml or its directory changed since this backend was made
                    self.precision = pinned.precision
                    self._say(pinned.why)
            self._local.session = session
        return session

    def run(self, tensor: np.ndarray, annotations: np.ndarray) -> np.ndarray:
        out = np.zeros((tensor.shape[0], self._classes), dtype=np.float32)
        session = self._session()
        for start, rows, t, a in micro_batches(tensor, annotations, self.micro_batch):
            self.shapes.see(t.shape)
            with LOCK:  # two OVTF runs at once aborted the process natively (SIGABRT inside OVTF)
                out[start : start + rows] = session.run(self._output, {self._inputs[0]: t, self._inputs[1]: a})[:rows]
        return out
