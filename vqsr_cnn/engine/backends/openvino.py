"""OpenVINO runtime on CPU: one model compiled once at the micro-batch shape, `streams` requests in flight."""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np

from ...runtimes import import_openvino
from ..batching import micro_batches
from ..config import EngineConfig
from ..convert import openvino_model
from ..dft_convs import dft_convs
from ..freeze import FrozenModel
from ..precision import FROM_HINT, Precision
from .shapes import ShapeCounter


def compile_config(config: EngineConfig, precision: Precision) -> tuple[dict[str, Any], int]:
    """(OpenVINO compile properties, streams) for the engine's settings: the one place they are chosen.

    THROUGHPUT (default, measured by `vqsr-cnn bench --tuning`): one single-threaded stream per core, each
    scoring one micro-batch; on a busy machine no stream waits for a descheduled sibling thread, unlike
    LATENCY (one request, all threads synchronised per layer).
    """
    threads = config.intra_threads if config.intra_threads > 0 else (os.cpu_count() or 1)
    streams = threads if config.ov_hint == "THROUGHPUT" else 1
    props: dict[str, Any] = {"INFERENCE_PRECISION_HINT": precision.float_hint, "PERFORMANCE_HINT": config.ov_hint}
    if config.ov_hint == "THROUGHPUT":
        props.update(NUM_STREAMS=streams, ENABLE_CPU_PINNING=True)
    if config.intra_threads > 0:
        props["INFERENCE_NUM_THREADS"] = config.intra_threads
    return props, streams


def for_precision(model: Any, precision: Precision) -> int:
    """Rewrite the graph in place for this precision; returns how many convolutions became DFT products: where FP32
    runs, the long convolutions do (`dft_convs.py`); BF16 and INT8 keep them, as they are fast on the units built
    for those."""
    return dft_convs(model) if precision.runs == "fp32" else 0


def executed_precision(compiled: Any, precision: Precision) -> str:
    """What the compiled model executes, read back from it (INT8 layers run INT8 whatever the float hint)."""
    hint = compiled.get_property("INFERENCE_PRECISION_HINT")  # an ov.Type
    name = hint.get_type_name() if hasattr(hint, "get_type_name") else str(hint).lower()
    return "int8" if precision.runs == "int8" else FROM_HINT.get(name, name)


def start_in_place(queue: Any, names: tuple[str, str], tensor: np.ndarray, annotations: np.ndarray, out: np.ndarray) -> None:
    """Start the queue's next idle request on these inputs, read in place, its output written straight into `out`.

    No Python callback: a finished request never waits for the GIL (held by the encoder thread) to hand back its
    result. Everything that can fail happens on the idle request before the queue takes it (its start_async takes
    the first idle request, the one named here: only the caller's thread starts requests), so an error never
    leaves a request out of the queue for a later wait to hang on. The caller keeps the arrays alive and calls
    ``wait_all`` before reading `out`.
    """
    ov = import_openvino()

    request = queue[queue.get_idle_request_id()]
    request.set_tensor(names[0], ov.Tensor(tensor, shared_memory=True))
    request.set_tensor(names[1], ov.Tensor(annotations, shared_memory=True))
    request.set_output_tensor(0, ov.Tensor(out, shared_memory=True))
    queue.start_async({}, None)


# Requests in flight per stream: the next micro-batch is queued while a stream still runs, so no stream waits
# for this thread (which needs the GIL, held by the encoder thread) to start its next one.
REQUESTS_PER_STREAM = 2


class OpenVINOBackend:
    """Every stream runs the same compiled kernels at the same shape, so a row's result does not depend on
    which stream scored it."""

    name = "openvino"
    device = "CPU"

    def __init__(self, frozen: FrozenModel, config: EngineConfig, precision: Precision, model: Any = None) -> None:
        ov = import_openvino()

        self.micro_batch = config.micro_batch
        self._names = self.input_names = frozen.input_names
        self._classes = frozen.n_classes
        model = model.clone() if model is not None else openvino_model(frozen)
        model.reshape(
            {self._names[0]: [self.micro_batch, *frozen.tensor_shape], self._names[1]: [self.micro_batch, frozen.n_annotations]}
        )
        self.config, self.streams = compile_config(config, precision)
        for_precision(model, precision)
        compiled = ov.Core().compile_model(model, self.device, self.config)
        self.precision = executed_precision(compiled, precision)
        self.compiled = compiled
        self.shapes = ShapeCounter()
        self._queue = ov.AsyncInferQueue(compiled, REQUESTS_PER_STREAM * self.streams)
        self._lock = threading.Lock()  # one run at a time (outputs are set per request)

    def run(self, tensor: np.ndarray, annotations: np.ndarray) -> np.ndarray:
        """Each micro-batch on the next idle request (`start_in_place`), several in flight per stream."""
        micro = self.micro_batch
        out = np.zeros((-(-tensor.shape[0] // micro) * micro, self._classes), dtype=np.float32)
        held = []  # every input until wait_all (the padded last micro-batch is a copy)
        with self._lock:
            try:
                for start, _, t, a in micro_batches(tensor, annotations, micro):
                    self.shapes.see(t.shape)
                    held.append((t, a))
                    start_in_place(self._queue, self._names, t, a, out[start : start + micro])
            finally:
                self._queue.wait_all()
        return out[: tensor.shape[0]]
