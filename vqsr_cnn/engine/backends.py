"""Backends behind one small interface: run a frozen model on one fixed-shape batch.

`openvino` (default), `tensorflow` (stock TF on the frozen graph; `OPENVINO_TF_DISABLE=1`), and
`openvino-tensorflow` (the discontinued legacy integration, Python <= 3.9 with TF 2.9 only).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
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
    if importlib.util.find_spec("openvino_tensorflow") is not None:  # the legacy Python 3.9 environment
        return "openvino-tensorflow"
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


def int8_float_hint() -> str:
    """Precision of the float layers of an INT8 model: bf16 where the CPU has native bf16, else f32.

    Measured on the trained 2D model: INT8 convolutions + bf16 elsewhere ran 2.2x FP32 (INT8 + f32: 1.2x)
    with p99 |dscore| 0.09 and no threshold crossing. VQSR_CNN_INT8_FLOAT=f32 keeps the float layers f32.
    """
    choice = os.environ.get("VQSR_CNN_INT8_FLOAT", "").lower()
    if choice in ("f32", "bf16"):
        return choice
    import openvino as ov

    return "bf16" if "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES") else "f32"


class OpenVINOBackend:
    """OpenVINO runtime on CPU, one compiled model per bucket shape (compiled on first use)."""

    name = "openvino"
    device = "CPU"

    def __init__(self, frozen: FrozenModel, precision: str = "fp32", intra_threads: int = 0,
                 inter_threads: int = 0, quantized_model: Any = None) -> None:
        import openvino as ov

        self._ov = ov
        self._core = ov.Core()
        if precision == "int8" and quantized_model is None:
            log.warning("precision int8 needs a quantised model (vqsr_cnn.engine.quantize.int8_model); running fp32")
            precision = "fp32"
        self.precision = precision
        self._names = frozen.input_names
        self._frozen = frozen
        self._model = quantized_model if quantized_model is not None else ov.convert_model(
            frozen.graph_def, input=[(frozen.input_names[0], [-1, *frozen.tensor_shape]),
                                     (frozen.input_names[1], [-1, frozen.n_annotations])])
        # int8 layers are int8 regardless; the layers accuracy control kept in float run bf16 where native
        hint = "bf16" if precision == "bf16" else (int8_float_hint() if precision == "int8" else "f32")
        # THROUGHPUT (default, measured by `vqsr-cnn bench --tuning`): one single-threaded stream per core, each
        # scoring a slice of the batch; on a busy machine no stream waits for a descheduled sibling thread, unlike
        # LATENCY (one request, all threads synchronised per layer). VQSR_CNN_OV_HINT=LATENCY restores the latter.
        mode = os.environ.get("VQSR_CNN_OV_HINT", "THROUGHPUT").upper()
        if mode not in ("THROUGHPUT", "LATENCY"):
            raise ValueError(f"VQSR_CNN_OV_HINT={mode!r}: choose THROUGHPUT or LATENCY")
        threads = intra_threads if intra_threads > 0 else (os.cpu_count() or 1)
        self.streams = threads if mode == "THROUGHPUT" else 1
        self.config: dict[str, Any] = {"INFERENCE_PRECISION_HINT": hint, "PERFORMANCE_HINT": mode}
        if mode == "THROUGHPUT":
            self.config["NUM_STREAMS"] = self.streams
            self.config["ENABLE_CPU_PINNING"] = True
        if intra_threads > 0:
            self.config["INFERENCE_NUM_THREADS"] = intra_threads
        self._compiled: dict[int, Any] = {}
        self.compiles = 0
        self.requested_precision = precision
        if precision != "int8":  # report what the CPU executes, not what was asked (bf16 runs f32 without BF16)
            from .precision import probe_precision, warn_if_unavailable

            self.precision = probe_precision(hint, self.device)
            warn_if_unavailable(precision, self.precision)

    def _queue(self, batch: int) -> tuple[Any, int]:
        """(async queue, slice size) for a padded batch: one request per stream, each on one slice."""
        entry = self._compiled.get(batch)
        if entry is None:
            jobs = max(1, min(self.streams, batch))
            rows = -(-batch // jobs)
            model = self._model.clone()
            model.reshape({self._names[0]: [rows, *self._frozen.tensor_shape],
                           self._names[1]: [rows, self._frozen.n_annotations]})
            compiled = self._core.compile_model(model, self.device, {**self.config, "NUM_STREAMS": jobs}
                                                if "NUM_STREAMS" in self.config else self.config)
            entry = (self._ov.AsyncInferQueue(compiled, jobs), rows)
            self._compiled[batch] = entry
            self.compiles += 1
        return entry

    def run(self, tensor: np.ndarray, annotations: np.ndarray) -> np.ndarray:
        batch = tensor.shape[0]
        queue, rows = self._queue(batch)
        out = np.zeros((batch, 4), dtype=np.float32)

        def done(request: Any, start: int) -> None:
            out[start:start + rows] = request.get_output_tensor(0).data[: min(rows, batch - start)]

        queue.set_callback(done)
        for start in range(0, batch, rows):
            t, a = tensor[start:start + rows], annotations[start:start + rows]
            if t.shape[0] < rows:  # only when the bucket does not split evenly: pad with zeros
                t = np.concatenate([t, np.zeros((rows - t.shape[0], *t.shape[1:]), t.dtype)])
                a = np.concatenate([a, np.zeros((rows - a.shape[0], *a.shape[1:]), a.dtype)])
            queue.start_async({self._names[0]: np.ascontiguousarray(t), self._names[1]: np.ascontiguousarray(a)},
                              userdata=start)
        queue.wait_all()
        return out


class OpenVINOTensorFlowBackend:
    """The legacy `openvino_tensorflow` integration running the frozen graph in TF1-style sessions.

    One session per worker thread (the OVTF cluster executables are not shared across threads); the
    frozen-session path is used because toggling OVTF around Keras predict can crash it.
    """

    name = "openvino-tensorflow"
    device = "CPU"

    def __init__(self, frozen: FrozenModel, precision: str = "fp32", intra_threads: int = 0,
                 inter_threads: int = 0) -> None:
        # Without this, each new cluster times OpenVINO against TF for 3 calls and keeps the winner.
        os.environ.setdefault("OPENVINO_TF_DISABLE_COST_ASSIGNMENT", "1")
        try:
            import openvino_tensorflow as ovtf
        except ImportError as exc:
            raise RuntimeError(
                "backend 'openvino-tensorflow' needs the openvino-tensorflow package (CPython 3.8/3.9 with "
                f"TensorFlow 2.9.3): {exc}. Use the 'openvino' backend, its maintained successor."
            ) from None
        import tensorflow as tf

        ovtf.set_backend("CPU")
        ovtf.enable()
        self._tf = tf
        self._graph = tf.Graph()
        with self._graph.as_default():
            tf.compat.v1.import_graph_def(frozen.graph_def, name="")
        self._config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=intra_threads,
                                                inter_op_parallelism_threads=inter_threads)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._inputs = frozen.input_names
        self._output = frozen.output_name
        # OpenVINO 2022.3 inside OVTF picks BF16 on CPUs that have it; report what actually runs.
        self.precision = ovtf_cpu_precision(ovtf)
        if precision != self.precision:
            log.warning("openvino-tensorflow runs %s here, not the requested %s: its precision is set only by an "
                        "INFERENCE_PRECISION_HINT property in %s", self.precision, precision,
                        os.path.join(os.path.dirname(ovtf.__file__), "plugins.xml"))
        self.compiles = 0
        self._seen: set[tuple[int, int]] = set()

    def _session(self) -> Any:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._tf.compat.v1.Session(graph=self._graph, config=self._config)
            self._local.session = session
        return session

    def run(self, tensor: np.ndarray, annotations: np.ndarray) -> np.ndarray:
        key = (threading.get_ident(), tensor.shape[0])
        if key not in self._seen:
            with self._lock:
                if key not in self._seen:
                    self._seen.add(key)
                    self.compiles += 1
        return self._session().run(self._output, {self._inputs[0]: tensor, self._inputs[1]: annotations})


def ovtf_cpu_precision(ovtf: Any) -> str:
    """The CPU inference precision OVTF's bundled OpenVINO uses, read through its C API with its plugins.xml."""
    import ctypes

    folder = os.path.dirname(ovtf.__file__)
    try:
        lib = ctypes.CDLL(next(os.path.join(folder, f) for f in sorted(os.listdir(folder))
                               if f.startswith("libopenvino_c.so")))
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
