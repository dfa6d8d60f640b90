"""The Engine: load once, freeze once, decide the precision once, build and prove the compute shapes once.

Dense: every row through the full model at one fixed micro-batch. 2D on OpenVINO: each variant at its exact rows
(:mod:`.exact_rows`), every height proven against the dense model of the same precision. INT8: the engine
builds the model itself (from the cache, or calibrated on data it is given), so the GATK bridge, `vqsr-cnn
score`, the workflow and the bench get INT8 the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from .. import defines
from ..models.annotation_scale import AnnotationRangeCheck
from ..models.gatk_format import tensor_and_annotations
from ..models.spec import ModelSpec
from ..runtimes import import_tensorflow
from .backends import Backend, make_backend
from .config import EngineConfig
from .convert import openvino_model
from .cpu import cpu_info
from .exact_rows.cut import freeze_cut
from .exact_rows.plan import RowPlan, analyse, fill_tails
from .exact_rows.runner import ExactRows
from .freeze import FrozenModel, freeze
from .int8.quantize import Int8Unavailable, int8_model
from .int8.settings import MIN_CALIBRATION, Calibration, QuantizeSettings, split_calibration
from .precision import Precision, decide

log = logging.getLogger("vqsr_cnn")

_threads_configured = False
EXACT_FEED = 32  # variants per call to the exact-rows engine (Engine.feed_size)
DENSE_FEED_MICRO_BATCHES = 4  # micro-batches per call to a dense engine


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
    """Predict probabilities for any number of rows; a row's result depends only on that row.

    How many rows a caller gathers per call (GATK's batch sizes, `--inference-batch-size`) changes nothing but
    latency: the backend only ever sees its fixed micro-batch, the exact-rows engine one variant at a time.

    INT8 without a cached model and without `calibration`: the engine `needs_calibration` and is built by the
    first :meth:`calibrate` (the GATK bridge calls it with the first lines it receives).
    """

    def __init__(
        self,
        model: Any,
        spec: ModelSpec,
        config: EngineConfig | None = None,
        calibration: Callable[[], Calibration] | None = None,
        quantize: QuantizeSettings | None = None,
    ) -> None:
        self.spec = spec
        self.frozen: FrozenModel = freeze(model)
        self.config = (config or EngineConfig()).resolved(spec.tensor_type)
        configure_tensorflow_threads(self.config.intra_threads, self.config.inter_threads)
        self.check_annotations = AnnotationRangeCheck(model, spec.annotations)
        self.precision: Precision = decide(self.config.precision, self.config.backend, cpu_info(), self.config.int8_float)
        self.plan = self._row_plan(model)
        self._cut: FrozenModel | None = freeze_cut(self.plan) if self.plan is not None else None
        self.backend: Backend
        self.exact: ExactRows | None = None
        self.needs_calibration = False
        self.quantize_settings: QuantizeSettings | None = None  # what the INT8 model is (to be) made with
        int8 = None
        if self.precision.runs == "int8":
            self.quantize_settings = replace(
                quantize or QuantizeSettings(),
                float_hint=self.precision.float_hint,
                target="rows" if self._cut is not None else "dense",
                cache_dir=self.config.cache_dir,
            )
            try:
                int8 = self._int8(calibration)
            except Int8Unavailable as exc:
                self.precision = self.precision.fallback(str(exc))
            if int8 is None and self.precision.runs == "int8":
                self.needs_calibration = True
                log.info("vqsr_cnn engine: no cached INT8 model yet: it is calibrated on the first variants scored")
                return
        self._build(int8)

    # ------------------------------------------------------------ building
    def _row_plan(self, model: Any) -> RowPlan | None:
        """The exact-rows plan for a 2D model on OpenVINO, or None (dense) with one log line saying why."""
        if len(self.frozen.tensor_shape) != 3:
            return None  # 1D models have no read axis: nothing to say
        if self.config.dense:
            log.info("vqsr_cnn exact rows: off (--dense / VQSR_CNN_DENSE=1): every read row is computed")
            return None
        if self.config.backend != "openvino":
            log.info("vqsr_cnn exact rows: off: the %s backend runs dense (every read row)", self.config.backend)
            return None
        plan = analyse(model)
        if not plan.applies:
            log.info("vqsr_cnn exact rows: off, the model runs dense: %s", plan.reason)
            return None
        return plan

    def _int8(self, calibration: Callable[[], Calibration] | None) -> Any:
        """The INT8 model (cut model for exact rows, else dense): cached, or calibrated now; None if neither yet."""
        assert self.quantize_settings is not None
        target = self._cut or self.frozen
        try:
            return int8_model(target, self.spec.hd5_path, calibration, self.quantize_settings)
        except Int8Unavailable:
            if calibration is None:
                return None  # nothing cached and no data yet: calibrate() builds it
            raise

    def calibrate(self, tensors: np.ndarray, annotations: np.ndarray, variant_types: Sequence[str]) -> None:
        """Build the INT8 engine on these (the first) variants; too few, or quantisation failing, means FP32."""
        if not self.needs_calibration:
            return
        self.needs_calibration = False
        int8 = None
        try:
            if len(tensors) < MIN_CALIBRATION:
                raise Int8Unavailable(
                    f"only {len(tensors)} variants to calibrate INT8 on (need {MIN_CALIBRATION}); make the INT8 model "
                    "beforehand with `vqsr-cnn quantize`"
                )
            int8 = self._int8(lambda: split_calibration(tensors, annotations, variant_types))
        except Int8Unavailable as exc:
            self.precision = self.precision.fallback(str(exc))
        self._build(int8)

    def _build(self, int8: Any) -> None:
        precision, config = self.precision, self.config
        # The dense backend runs the INT8 model when there is one: for exact rows that is the INT8 cut model at full
        # height, so the exact rows and their dense reference share one set of quantisation parameters.
        dense_graph = self._cut if int8 is not None and self._cut is not None else self.frozen
        self.backend = make_backend(dense_graph, config, precision, int8)
        if self.plan is not None and self._cut is not None:
            cut_model = int8 if int8 is not None else openvino_model(self._cut)
            self.exact = ExactRows(self.plan, cut_model, self._cut.input_names, self.backend, config, precision)
        if precision.why:
            log.warning("vqsr_cnn: precision %s requested, %s runs: %s", precision.requested, precision.runs, precision.why)
        log.info(
            "vqsr_cnn engine: backend=%s device=%s precision=%s micro-batch=%d rows%s threads(intra=%s, inter=%s) on %s",
            self.backend.name,
            self.backend.device,
            self.executed_precision,
            self.backend.micro_batch,
            f", exact rows ({len(self.exact.proven)}/{len(self.exact.heights)} heights proven"
            f"{', odd row counts' if self.exact.odd else ''})"
            if self.exact
            else "",
            config.intra_threads or "auto",
            config.inter_threads or "auto",
            cpu_info().describe(),
        )

    # ------------------------------------------------------------ reporting
    @property
    def executed_precision(self) -> str:
        """What the compiled models really execute (read back from them), with the INT8 float layers."""
        ran = self.backend.precision
        return Precision(self.precision.requested, ran, self.precision.float_hint).describe() if ran == "int8" else ran

    @property
    def micro_batch(self) -> int:
        return self.backend.micro_batch

    @property
    def feed_size(self) -> int:
        """Variants worth handing over per call: what keeps the engine busy with the least waiting.

        Exact rows: each call ends when its last variant does, and a caller's first call waits for its encoding,
        so small calls (EXACT_FEED) keep both ends short; dense: whole micro-batches, so nothing is padded but the
        last. Callers gather at most this many (scores never depend on it).
        """
        return EXACT_FEED if self.exact is not None else self.backend.micro_batch * DENSE_FEED_MICRO_BATCHES

    # ------------------------------------------------------------ predicting
    def predict_arrays(self, tensors: np.ndarray, annotations: np.ndarray, written: np.ndarray | None = None) -> np.ndarray:
        """Probabilities per row. `written` (2D, from ``encode.encode_batch(fill_tails=False)``): per variant the
        leading read rows the encoder wrote; the rest repeat the last of them and are filled here only where a
        whole tensor is computed (the exact-rows engine reads just the rows it runs, filling the one row an odd
        row count may read past them)."""
        if self.needs_calibration:
            raise RuntimeError("the INT8 engine has no model yet: call calibrate() with the first variants")
        self.check_annotations(annotations)
        if tensors.shape[0] == 0:
            return np.zeros((0, len(defines.SNP_INDEL_LABELS)), dtype=np.float32)
        if self.exact is not None:
            return self.exact.predict(tensors, annotations, written)
        fill_tails(tensors, written)
        return self.backend.run(tensors, annotations)

    def predict(self, inputs: Sequence[np.ndarray] | Mapping[str, np.ndarray], **_: Any) -> np.ndarray:
        """Keras-style predict: a [tensor, annotations] list or a dict keyed by input name (batch_size is moot)."""
        arrays = [np.asarray(v) for v in (inputs.values() if isinstance(inputs, Mapping) else inputs)]
        tensor, annotations = tensor_and_annotations(arrays)
        return self.predict_arrays(tensor, annotations)
