"""Backends behind one small interface: run a frozen model at its one fixed compute shape.

`openvino` (default), `tensorflow` (stock TF on the frozen graph; `OPENVINO_TF_DISABLE=1`), and
`openvino-tensorflow` (the discontinued legacy integration, Python <= 3.9 with TF 2.9 only). Each takes any
number of rows and computes them in micro-batches of exactly `micro_batch` rows (engine/batching.py).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any, Protocol

import numpy as np

from ..errors import InputError
from ..logs import import_openvino, import_openvino_tensorflow, import_tensorflow
from .batching import micro_batches
from .config import BACKENDS, EngineConfig
from .convert import openvino_model
from .freeze import FrozenModel

log = logging.getLogger("vqsr_cnn")

OV_PRECISION = {"f32": "fp32", "bf16": "bf16", "f16": "fp16"}


class Backend(Protocol):
    name: str
    device: str
    precision: str  # what the compiled model really executes, not what was asked for
    micro_batch: int

    @property
    def compiles(self) -> int:
        """Compiled shapes: 1 for the life of the backend."""

    def run(self, tensor: np.ndarray, annotations: np.ndarray) -> np.ndarray:
        """Probabilities (rows, classes) for any number of rows, computed micro-batch by micro-batch."""


class _ShapeCounter:
    """Counts the distinct input shapes a backend has run (the fixed-shape rule makes it 1)."""

    def __init__(self) -> None:
        self._seen: set[tuple[int, ...]] = set()
        self._lock = threading.Lock()

    def see(self, shape: tuple[int, ...]) -> None:
        if shape not in self._seen:
            with self._lock:
                self._seen.add(shape)

    @property
    def count(self) -> int:
        return len(self._seen)


class TensorFlowBackend:
    """The frozen ConcreteFunction on stock TensorFlow (FP32), the reference the other backends are diffed against."""

    name = "tensorflow"
    device = "CPU"
    precision = "fp32"

    def __init__(self, frozen: FrozenModel, micro_batch: int) -> None:
        tf = import_tensorflow()

        self._tf = tf
        self._fn = frozen.function
        self._classes = frozen.n_classes
        self.micro_batch = micro_batch
        self._shapes = _ShapeCounter()

    @property
    def compiles(self) -> int:
        return self._shapes.count

    def run(self, tensor: np.ndarray, annotations: np.ndarray) -> np.ndarray:
        out = np.zeros((tensor.shape[0], self._classes), dtype=np.float32)
        for start, rows, t, a in micro_batches(tensor, annotations, self.micro_batch):
            self._shapes.see(t.shape)
            probs = self._fn(self._tf.constant(t), self._tf.constant(a))
            probs = probs[0] if isinstance(probs, (list, tuple)) else probs
            out[start : start + rows] = probs.numpy()[:rows]
        return out


def cpu_has_bf16() -> bool:
    ov = import_openvino()

    return "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


class OpenVINOBackend:
    """OpenVINO runtime on CPU: one model compiled once at the micro-batch shape, `streams` requests in flight.

    THROUGHPUT (default, measured by `vqsr-cnn bench --tuning`): one single-threaded stream per core, each
    scoring one micro-batch; on a busy machine no stream waits for a descheduled sibling thread, unlike
    LATENCY (one request, all threads synchronised per layer). Every stream runs the same compiled kernels
    at the same shape, so a row's result does not depend on which stream scored it.
    """

    name = "openvino"
    device = "CPU"

    def __init__(self, frozen: FrozenModel, config: EngineConfig, quantized_model: Any = None) -> None:
        ov = import_openvino()

        precision = config.precision
        if precision == "int8" and quantized_model is None:
            log.warning("precision int8 needs a quantised model (vqsr_cnn.engine.quantize.int8_model); running fp32")
            precision = "fp32"
        if precision == "bf16" and not cpu_has_bf16():
            log.warning(
                "bf16 was requested but this CPU has no native bf16 (OpenVINO capabilities: %s); running fp32",
                ",".join(ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")),
            )
            precision = "fp32"
        self.micro_batch = config.micro_batch
        self._names = self.input_names = frozen.input_names
        self._classes = frozen.n_classes
        model = quantized_model.clone() if quantized_model is not None else openvino_model(frozen)
        model.reshape(
            {self._names[0]: [self.micro_batch, *frozen.tensor_shape], self._names[1]: [self.micro_batch, frozen.n_annotations]}
        )
        # INT8 layers run INT8 regardless; the layers accuracy control kept in float run at int8_float.
        float_hint = {"fp32": "f32", "bf16": "bf16"}.get(precision) or int8_float_hint(config)
        threads = config.intra_threads if config.intra_threads > 0 else (os.cpu_count() or 1)
        self.streams = threads if config.ov_hint == "THROUGHPUT" else 1
        self.config: dict[str, Any] = {"INFERENCE_PRECISION_HINT": float_hint, "PERFORMANCE_HINT": config.ov_hint}
        if config.ov_hint == "THROUGHPUT":
            self.config.update(NUM_STREAMS=self.streams, ENABLE_CPU_PINNING=True)
        if config.intra_threads > 0:
            self.config["INFERENCE_NUM_THREADS"] = config.intra_threads
        compiled = ov.Core().compile_model(model, self.device, self.config)
        self.compiles = 1
        hint = compiled.get_property("INFERENCE_PRECISION_HINT")  # an ov.Type: what the compiled model executes
        ran = OV_PRECISION.get(hint.get_type_name() if hasattr(hint, "get_type_name") else str(hint).lower(), str(hint))
        self.precision = "int8" if precision == "int8" else ran
        self.compiled = compiled  # the depth-aware engine runs its dense bucket on requests of its own
        self._queue = ov.AsyncInferQueue(compiled, self.streams)
        self._lock = threading.Lock()  # one run at a time per queue (its callback and output buffer are shared)

    def run(self, tensor: np.ndarray, annotations: np.ndarray) -> np.ndarray:
        out = np.zeros((tensor.shape[0], self._classes), dtype=np.float32)

        def done(request: Any, userdata: tuple[int, int]) -> None:
            start, rows = userdata
            out[start : start + rows] = request.get_output_tensor(0).data[:rows]

        with self._lock:
            self._queue.set_callback(done)
            for start, rows, t, a in micro_batches(tensor, annotations, self.micro_batch):
                self._queue.start_async({self._names[0]: t, self._names[1]: a}, userdata=(start, rows))
            self._queue.wait_all()
        return out


def int8_float_hint(config: EngineConfig) -> str:
    """Precision of the float layers of an INT8 model: bf16 where the CPU has native bf16, else f32.

    Measured on the trained 2D model: INT8 convolutions + bf16 elsewhere ran 2.2x FP32 (INT8 + f32: 1.2x)
    with p99 |dscore| 0.09 and no threshold crossing. VQSR_CNN_INT8_FLOAT=f32 keeps the float layers f32.
    """
    return config.int8_float or ("bf16" if cpu_has_bf16() else "f32")


class OpenVINOTensorFlowBackend:
    """The legacy `openvino_tensorflow` integration running the frozen graph in TF1-style sessions.

    One session per worker thread (the OVTF cluster executables are not shared across threads), runs taking
    turns (concurrent runs aborted natively); the
    frozen-session path is used because toggling OVTF around Keras predict can crash it.
    """

    name = "openvino-tensorflow"
    device = "CPU"

    def __init__(self, frozen: FrozenModel, config: EngineConfig) -> None:
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
        self._shapes = _ShapeCounter()
        self._inputs = frozen.input_names
        self._output = frozen.output_name
        # OpenVINO 2022.3 inside OVTF picks BF16 on CPUs that have it; report what actually runs.
        self.precision = ovtf_cpu_precision(ovtf)
        if config.precision != self.precision:
            log.warning(
                "openvino-tensorflow runs %s here, not the requested %s: its precision is set only by an "
                "INFERENCE_PRECISION_HINT property in %s",
                self.precision,
                config.precision,
                os.path.join(os.path.dirname(ovtf.__file__), "plugins.xml"),
            )

    @property
    def compiles(self) -> int:
        return self._shapes.count

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
            self._shapes.see(t.shape)
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
    return {"f32": "fp32", "bf16": "bf16", "f16": "fp16"}.get(hint.lower(), hint.lower())


def make_backend(frozen: FrozenModel, config: EngineConfig, quantized_model: Any = None) -> Backend:
    """The backend `config.backend` (resolved) at `config.micro_batch` rows per call."""
    if config.backend == "tensorflow":
        if config.precision != "fp32":
            log.warning("the tensorflow backend runs fp32 only; ignoring precision %s", config.precision)
        return TensorFlowBackend(frozen, config.micro_batch)
    if config.backend == "openvino":
        return OpenVINOBackend(frozen, config, quantized_model)
    if config.backend == "openvino-tensorflow":
        return OpenVINOTensorFlowBackend(frozen, config)
    raise InputError(f"unknown backend {config.backend!r}: choose one of {', '.join(BACKENDS)}")
