"""The Engine: load once, freeze once, choose the backend once, then predict at fixed shapes."""

from __future__ import annotations

import logging
from argparse import Namespace
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .. import defines
from ..models.annotation_scale import AnnotationRangeCheck
from .backends import make_backend, select_backend, select_precision
from .batching import bucket_sizes, pad_rows, plan
from .depth_runner import depth_engine
from .freeze import FrozenModel, freeze

log = logging.getLogger("vqsr_cnn")

_threads_configured = False


def configure_tensorflow_threads(intra: int, inter: int) -> None:
    """Set TF's pools before any op runs (0 = let the runtime decide); later calls are no-ops."""
    global _threads_configured
    if _threads_configured:
        return
    import tensorflow as tf

    try:
        if intra > 0:
            tf.config.threading.set_intra_op_parallelism_threads(intra)
        if inter > 0:
            tf.config.threading.set_inter_op_parallelism_threads(inter)
    except RuntimeError:
        log.debug("TensorFlow already initialised; thread settings unchanged")
    _threads_configured = True


class Engine:
    """Predict probabilities for any number of rows; only bucket shapes ever reach the backend."""

    def __init__(self, model: Any, args: Namespace, backend: str | None = None, precision: str | None = None,
                 batch_size: int = 256, intra_threads: int = 0, inter_threads: int = 0,
                 quantized_model: Any = None, dense: bool | None = None) -> None:
        configure_tensorflow_threads(intra_threads, inter_threads)
        self.args = args
        self.keras_model = model
        self.frozen: FrozenModel = freeze(model)
        self.backend_name = select_backend(backend)
        self.precision = select_precision(precision)
        self.buckets = bucket_sizes(batch_size)
        self.check_annotations = AnnotationRangeCheck(model, getattr(args, "annotations", []))
        self.backend = make_backend(self.backend_name, self.frozen, self.precision, intra_threads, inter_threads,
                                    quantized_model)
        self.depth = depth_engine(self, dense)  # None: every variant runs the dense model
        log.info("vqsr_cnn engine: backend=%s device=%s precision=%s threads(intra=%s, inter=%s) buckets=%s",
                 self.backend.name, self.backend.device, self.backend.precision, intra_threads or "auto",
                 inter_threads or "auto", ",".join(map(str, self.buckets)))

    @property
    def compiles(self) -> int:
        return self.backend.compiles

    def set_batch_size(self, batch_size: int) -> None:
        """Change the largest shape (GATK passes its inference batch size per call); keeps compiled shapes."""
        buckets = bucket_sizes(batch_size)
        if buckets != self.buckets:
            self.buckets = buckets

    def predict_arrays(self, tensors: np.ndarray, annotations: np.ndarray) -> np.ndarray:
        n = tensors.shape[0]
        self.check_annotations(annotations)
        if self.depth is not None:
            return self.depth.predict(tensors, annotations)
        out = np.zeros((n, len(defines.SNP_INDEL_LABELS)), dtype=np.float32)
        for start, stop, size in plan(n, self.buckets):
            probs = self.backend.run(pad_rows(tensors[start:stop].astype(np.float32, copy=False), size),
                                     pad_rows(annotations[start:stop].astype(np.float32, copy=False), size))
            out[start:stop] = probs[: stop - start]
        return out

    def predict(self, inputs: Sequence[np.ndarray] | Mapping[str, np.ndarray], batch_size: int | None = None,
                **_: Any) -> np.ndarray:
        """Keras-style predict: a [tensor, annotations] list or a dict keyed by input name."""
        if batch_size:
            self.set_batch_size(batch_size)
        if isinstance(inputs, Mapping):
            tensor = next(v for v in inputs.values() if np.ndim(v) > 2)
            annotations = next(v for v in inputs.values() if np.ndim(v) == 2)
        else:
            tensor, annotations = inputs
        return self.predict_arrays(np.asarray(tensor), np.asarray(annotations))
