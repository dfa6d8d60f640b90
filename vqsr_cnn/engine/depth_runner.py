"""The depth-aware 2D engine on OpenVINO: variants routed by their R to row buckets, one fixed shape each.

Each bucket of h input rows has one model cut to h rows (`depth.freeze_cut`), compiled once for one compute
shape (micro-batch x h rows); the last micro-batch of a bucket is zero-padded. A variant's bucket depends
only on its own tensor, so its score never depends on its batch. Before a bucket model scores any variant,
it scores synthetic tensors of its depth range next to the dense model and is refused (its variants run
dense) if any probability differs by more than `TOLERANCE`.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import defines
from . import depth
from .freeze import FrozenModel

log = logging.getLogger("vqsr_cnn")

N_LABELS = len(defines.SNP_INDEL_LABELS)
TOLERANCE = 1e-5  # max |d probability| between a bucket model and the dense model at load
# Input rows per bucket. Measured on the GIAB 30x slice and the NA12878 chr1 tensors (docs/performance.md):
# R clusters at 20-60, so 8-row steps there; past 80 rows conv2d_1/2 are nearly full height (104) and
# conv2d_3 full (80), so a cut model would save < 10%: those variants run dense.
DEFAULT_ROW_BUCKETS = (8, 16, 24, 32, 40, 48, 56, 64, 80)


@dataclass
class _Bucket:
    rows: int
    compiled: Any = None
    requests: list[Any] = field(default_factory=list)
    refused: str = ""
    max_delta: float = float("nan")
    rss_mb: float = 0.0  # resident memory this bucket's model added when it was compiled


class DepthAwareOpenVINO:
    """Predict 2D probabilities computing only each variant's distinct read rows (exact in FP32)."""

    def __init__(self, plan: depth.DepthPlan, backend: Any, micro_batch: int,
                 buckets: tuple[int, ...] = DEFAULT_ROW_BUCKETS) -> None:
        import openvino as ov

        if not plan.applies:
            raise ValueError(f"depth-aware engine not applicable: {plan.reason}")
        self._ov, self._core = ov, ov.Core()
        self.plan = plan
        self.dense = backend  # the engine's own dense OpenVINO backend: the top bucket and the reference
        self.height = plan.height
        self.micro_batch, self.streams, self.device = micro_batch, max(1, backend.streams), backend.device
        self.config = dict(backend.config)
        heights = sorted({min(int(b), self.height) for b in buckets if b > 0} | {self.height})
        self.buckets = {h: _Bucket(h) for h in heights}
        self.buckets[self.height].compiled = backend  # dense: compiled by the backend already
        self._cut_model: Any = None
        self._cut_frozen: FrozenModel | None = None
        self.compiles = 0
        self._lock = threading.RLock()
        self._pool = ThreadPoolExecutor(max_workers=self.streams, thread_name_prefix="vqsr-depth")
        self.executed_precision = backend.precision

    # ------------------------------------------------------------ models
    def _compile(self, rows: int) -> Any:
        """The cut model reshaped to `rows` read rows, compiled at the fixed micro-batch."""
        if self._cut_model is None:  # converted once (read rows dynamic), reshaped per bucket
            self._cut_frozen = depth.freeze_cut(self.plan)
            self._cut_model = self._ov.convert_model(self._cut_frozen.graph_def, input=[
                (self._cut_frozen.input_names[0], [self.micro_batch, -1, *self.plan.tensor_shape[1:]]),
                (self._cut_frozen.input_names[1], [self.micro_batch, self.plan.n_annotations])])
        assert self._cut_frozen is not None
        model = self._cut_model.clone()
        model.reshape({self._cut_frozen.input_names[0]: [self.micro_batch, rows, *self.plan.tensor_shape[1:]]})
        return self._core.compile_model(model, self.device, self.config)

    def _compiled(self, rows: int) -> _Bucket:
        """The bucket's compiled model, built (and, for a cut model, proven against dense) on first use."""
        from ..bench.timing import rss_mb

        bucket = self.buckets[rows]
        if bucket.compiled is not None or bucket.refused:
            return bucket
        with self._lock:
            if bucket.compiled is not None or bucket.refused:
                return bucket
            before = rss_mb()
            compiled = self._compile(rows)
            self.compiles += 1
            requests = [compiled.create_infer_request() for _ in range(self.streams)]
            delta = self._prove(rows, requests[0])
            bucket.max_delta = delta
            if not delta <= TOLERANCE:
                bucket.refused = f"max |dp| {delta:.2e} > {TOLERANCE:g} vs dense on synthetic tensors"
                log.warning("depth-aware bucket of %d rows refused (%s): its variants run dense", rows, bucket.refused)
                return bucket
            bucket.compiled, bucket.requests = compiled, requests
            bucket.rss_mb = max(0.0, rss_mb() - before)
        return bucket

    def _prove(self, rows: int, request: Any) -> float:
        """Max |d probability| between the cut model and the dense model on synthetic tensors of this depth."""
        shapes = sorted({0, 1, rows // 2, rows - 1})  # no reads, one read, half, the deepest this bucket takes
        depths = [shapes[i % len(shapes)] for i in range(max(self.micro_batch, len(shapes)))]
        tensors, annotations = depth.synthetic_tensors(self.plan.tensor_shape, depths, self.plan.n_annotations,
                                                       seed=rows)
        assert (depth.rows_needed(depth.distinct_rows(tensors), self.height) <= rows).all()
        dense = self.dense.run(tensors, annotations)
        cut = np.zeros_like(dense)
        for a in range(0, tensors.shape[0], self.micro_batch):
            idx = np.arange(a, min(a + self.micro_batch, tensors.shape[0]))
            cut[idx] = self._infer(request, tensors, annotations, idx, rows)
        return float(np.abs(dense - cut).max())

    def _infer(self, request: Any, tensors: np.ndarray, annotations: np.ndarray, idx: np.ndarray,
               rows: int) -> np.ndarray:
        """One micro-batch: rows 0..rows-1 of the chosen variants, zero-padded to the fixed shape."""
        t = np.zeros((self.micro_batch, rows, *tensors.shape[2:]), dtype=np.float32)
        a = np.zeros((self.micro_batch, annotations.shape[1]), dtype=np.float32)
        t[: idx.size] = tensors[idx, :rows]
        a[: idx.size] = annotations[idx]
        request.infer({0: t, 1: a})
        return request.get_output_tensor(0).data[: idx.size].copy()

    # ------------------------------------------------------------ routing
    def route(self, tensors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(R, bucket rows) per variant; variants of a refused bucket go to the next one up (dense at the top)."""
        r = depth.distinct_rows(tensors)
        need = depth.rows_needed(r, self.height)
        heights = np.array(sorted(self.buckets))
        rows = heights[np.searchsorted(heights, need)]
        return r, rows

    def predict(self, tensors: np.ndarray, annotations: np.ndarray) -> np.ndarray:
        n = tensors.shape[0]
        out = np.zeros((n, N_LABELS), dtype=np.float32)
        if n == 0:
            return out
        _, rows = self.route(tensors)
        t32 = tensors.astype(np.float32, copy=False)
        a32 = annotations.astype(np.float32, copy=False)
        jobs: list[tuple[int, np.ndarray]] = []
        for h in sorted(set(rows.tolist()), reverse=True):  # biggest first: better balance across streams
            members = np.flatnonzero(rows == h)
            while self._compiled(h).refused:
                h = min(b for b in self.buckets if b > h)
            if h == self.height:  # the dense backend: its own fixed shape and streams
                out[members] = self.dense.run(t32[members], a32[members])
                continue
            jobs.extend((h, members[a:a + self.micro_batch]) for a in range(0, members.size, self.micro_batch))
        cursor = iter(range(len(jobs)))
        take = threading.Lock()

        def worker(slot: int) -> None:
            while True:
                with take:
                    i = next(cursor, None)
                if i is None:
                    return
                h, idx = jobs[i]
                out[idx] = self._infer(self.buckets[h].requests[slot], t32, a32, idx, h)

        futures = [self._pool.submit(worker, s) for s in range(min(self.streams, len(jobs)))]
        for f in futures:
            f.result()
        return out

    # ------------------------------------------------------------ reporting
    def executed_flops(self, tensors: np.ndarray) -> np.ndarray:
        """FLOPs the engine executes per variant (its bucket's cut model)."""
        _, rows = self.route(tensors)
        per = {h: depth.cut_flops(self.plan, h) for h in set(rows.tolist())}
        return np.array([per[h] for h in rows.tolist()], dtype=np.float64)

    def describe(self) -> dict[str, Any]:
        live = {h: b for h, b in self.buckets.items() if b.compiled is not None}
        return {"row_buckets": sorted(self.buckets), "micro_batch": self.micro_batch, "compiled": sorted(live),
                "refused": {h: b.refused for h, b in self.buckets.items() if b.refused},
                "max_delta_vs_dense": {h: b.max_delta for h, b in live.items() if h != self.height},
                "rss_mb_by_bucket": {h: round(b.rss_mb, 1) for h, b in live.items()},
                "executed_precision": self.executed_precision}

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def depth_engine(model: Any, frozen: FrozenModel, backend: Any, config: Any) -> DepthAwareOpenVINO | None:
    """The depth-aware engine for a 2D model on OpenVINO FP32, or None (dense) with one log line saying why."""
    if len(frozen.tensor_shape) != 3:
        return None  # 1D models have no read axis: nothing to say
    if config.dense:
        log.info("vqsr_cnn depth-aware 2D engine: off (--dense / VQSR_CNN_DENSE=1): every read row is computed")
        return None
    if backend.name != "openvino":
        log.info("vqsr_cnn depth-aware 2D engine: off: the %s backend runs dense (the reference)", backend.name)
        return None
    if backend.precision != "fp32":
        log.info("vqsr_cnn depth-aware 2D engine: off: it is proven in FP32 only and this model runs %s",
                 backend.precision)
        return None
    plan = depth.analyse(model)
    if not plan.applies:
        log.info("vqsr_cnn depth-aware 2D engine: off, model runs dense: %s", plan.reason)
        return None
    runner = DepthAwareOpenVINO(plan, backend, backend.micro_batch)
    log.info("vqsr_cnn depth-aware 2D engine: on (row buckets %s, micro-batch %d, each proven vs dense within %g "
             "before use; --dense or VQSR_CNN_DENSE=1 turns it off)", ",".join(map(str, sorted(runner.buckets))),
             backend.micro_batch, TOLERANCE)
    return runner
