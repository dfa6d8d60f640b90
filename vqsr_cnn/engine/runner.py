"""The Engine: load once, freeze once, choose the backend once, then predict at one fixed compute shape."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .. import defines
from ..logs import import_tensorflow
from ..models.annotation_scale import AnnotationRangeCheck
from ..models.spec import ModelSpec
from .backends import make_backend
from .config import EngineConfig
from .depth_runner import depth_engine
from .freeze import FrozenModel, freeze

log = logging.getLogger("vqsr_cnn")

_threads_configured = False


def configure_tensorflow_threads(intra: int, inter: int) -> None:
    """Set TF's pools before any op runs (0 = let the runtime decide); later calls are no-ops."""
    global _threads_configured
    if _threads_configured:
        return
    tf = import_tensorflow()

    try:
        if intra > 0:
            tf.config.threading.set_intra_op_parallelism_threads(intra)
        if inter > 0:
            tf.config.threading.set_inter_op_parallelism_threads(inter)
    except RuntimeError:
        log.debug("TensorFlow already initialised; thread settings unchanged")
    _threads_configured = True


class Engine:
    """Predict probabilities for any number of rows; the backend only ever sees `micro_batch`-row batches.

    A row's probabilities depend only on that row (and the model, backend, precision and machine): how many
    rows a caller gathers per call (GATK's batch sizes, `--inference-batch-size`) changes nothing but latency.
    """

    def __init__(self, model: Any, spec: ModelSpec, config: EngineConfig | None = None, quantized_model: Any = None) -> None:
        self.spec = spec
        self.frozen: FrozenModel = freeze(model)
        self.config = (config or EngineConfig()).resolved(spec.tensor_type)
        configure_tensorflow_threads(self.config.intra_threads, self.config.inter_threads)
        self.check_annotations = AnnotationRangeCheck(model, spec.annotations)
        self.backend = make_backend(self.frozen, self.config, quantized_model)
        self.depth = depth_engine(model, self.frozen, self.backend, self.config)  # None: every row runs dense
        log.info(
            "vqsr_cnn engine: backend=%s device=%s precision=%s (requested %s) micro-batch=%d rows threads(intra=%s, inter=%s)",
            self.backend.name,
            self.backend.device,
            self.backend.precision,
            self.config.precision,
            self.backend.micro_batch,
            self.config.intra_threads or "auto",
            self.config.inter_threads or "auto",
        )

    @property
    def compiles(self) -> int:
        return self.backend.compiles

    @property
    def micro_batch(self) -> int:
        return self.backend.micro_batch

    def predict_arrays(self, tensors: np.ndarray, annotations: np.ndarray) -> np.ndarray:
        self.check_annotations(annotations)
        if tensors.shape[0] == 0:
            return np.zeros((0, len(defines.SNP_INDEL_LABELS)), dtype=np.float32)
        if self.depth is not None:
            return self.depth.predict(tensors, annotations)
        return self.backend.run(tensors, annotations)

    def predict(self, inputs: Sequence[np.ndarray] | Mapping[str, np.ndarray], **_: Any) -> np.ndarray:
        """Keras-style predict: a [tensor, annotations] list or a dict keyed by input name (batch_size is moot)."""
        if isinstance(inputs, Mapping):
            tensor = next(v for v in inputs.values() if np.ndim(v) > 2)
            annotations = next(v for v in inputs.values() if np.ndim(v) == 2)
        else:
            tensor, annotations = inputs
        return self.predict_arrays(np.asarray(tensor), np.asarray(annotations))
