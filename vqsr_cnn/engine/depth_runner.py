"""The depth-aware 2D engine on OpenVINO: each variant runs alone at exactly the read rows it needs.

A variant with R distinct rows before its uniform tail needs R + 1 input rows (`depth.rows_needed`). One cut
model (`depth.freeze_cut`) with a dynamic read axis is compiled once at batch 1; each variant is one
inference of shape (1, R + 1, positions, channels) on one of the backend's streams. Its shape depends only
on its own tensor, so its score never depends on its batch, and nothing is padded: no row bucket rounds R
up and no zero-padded micro-batch runs (measured in one run: 84.1 v/s vs 50.3 for the former 7 row buckets at
micro-batch 8 on GATK's NA12878 chr1 tensors, 1.67x; docs/performance.md).

Before a height scores a variant, the cut model at that height scores synthetic tensors of that depth next
to the dense model; a height whose probabilities differ by more than `TOLERANCE` is refused (log warning) and
its variants run on the dense model. Heights are proven in blocks of `PROOF_BLOCK` (one dense micro-batch
each), so a whole genome proves at most 128 / PROOF_BLOCK blocks.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import Any

import numpy as np

from .. import defines
from ..logs import import_openvino
from . import depth
from .convert import openvino_model

log = logging.getLogger("vqsr_cnn")

N_LABELS = len(defines.SNP_INDEL_LABELS)
TOLERANCE = 1e-5  # max |d probability| between the cut model at a height and the dense model
PROOF_BLOCK = 16  # heights proven together: one dense micro-batch of synthetic tensors


class DepthAwareOpenVINO:
    """Predict 2D probabilities computing only each variant's distinct read rows (exact in FP32)."""

    def __init__(self, plan: depth.DepthPlan, backend: Any) -> None:
        ov = import_openvino()

        from ..bench.timing import rss_mb

        if not plan.applies:
            raise ValueError(f"depth-aware engine not applicable: {plan.reason}")
        self.plan = plan
        self.dense = backend  # the engine's own dense OpenVINO backend: the reference, and the refused heights
        self.height = plan.height
        self.streams = max(1, backend.streams)
        self.executed_precision = backend.precision
        cut = depth.freeze_cut(plan)
        self.inputs = cut.input_names
        model = openvino_model(cut, batch=1, tensor_shape=(-1, *plan.tensor_shape[1:]))
        before = rss_mb()
        self.compiled = ov.Core().compile_model(model, backend.device, dict(backend.config))
        self.rss_mb = max(0.0, rss_mb() - before)
        self._queue = ov.AsyncInferQueue(self.compiled, self.streams)
        self._lock = threading.Lock()  # one run at a time (the queue's callback is shared)
        self.proven: dict[int, float] = {}  # height -> max |dp| vs dense on its synthetic tensors
        self.refused: dict[int, str] = {}
        self.variants: Counter[int] = Counter()  # variants scored per height

    # ------------------------------------------------------------ routing
    def route(self, tensors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(R, input rows) per variant: its R distinct rows and one tail row (all rows when R = height)."""
        r = depth.distinct_rows(tensors)
        return r, depth.rows_needed(r, self.height)

    # ------------------------------------------------------------ running
    def _run(self, tensors: np.ndarray, annotations: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Each variant's probabilities from the cut model at its own rows, the streams kept busy."""
        tensors = np.ascontiguousarray(tensors, dtype=np.float32)
        annotations = np.ascontiguousarray(annotations, dtype=np.float32)
        out = np.zeros((tensors.shape[0], N_LABELS), dtype=np.float32)
        errors: list[BaseException] = []

        def done(request: Any, i: int) -> None:
            try:
                self._collect(out, request, i)
            except BaseException as exc:  # raised below, after every request has finished
                errors.append(exc)

        with self._lock:
            self._queue.set_callback(done)
            try:
                for i, h in enumerate(rows.tolist()):
                    feed = {self.inputs[0]: tensors[i : i + 1, :h], self.inputs[1]: annotations[i : i + 1]}
                    self._queue.start_async(feed, i, share_inputs=True)  # read in place: alive until wait_all
            finally:
                self._queue.wait_all()
        if errors:
            raise errors[0]
        return out

    @staticmethod
    def _collect(out: np.ndarray, request: Any, i: int) -> None:
        out[i] = request.get_output_tensor(0).data[0]

    def predict(self, tensors: np.ndarray, annotations: np.ndarray) -> np.ndarray:
        _, rows = self.route(tensors)
        self._prove(set(rows.tolist()))
        dense = np.isin(rows, list(self.refused))
        if not dense.any():  # the usual case: no copy of the batch
            out = self._run(tensors, annotations, rows)
        else:
            out = np.zeros((tensors.shape[0], N_LABELS), dtype=np.float32)
            cut = np.flatnonzero(~dense)
            if cut.size:
                out[cut] = self._run(tensors[cut], annotations[cut], rows[cut])
            out[dense] = self.dense.run(tensors[dense], annotations[dense])
        self.variants.update(rows.tolist())
        return out

    # ------------------------------------------------------------ the proof
    def _prove(self, heights: set[int]) -> None:
        """Prove every not yet proven height in `heights`, with the rest of its block, against dense."""
        blocks = {(h - 1) // PROOF_BLOCK for h in heights if h not in self.proven and h not in self.refused}
        for b in sorted(blocks):
            block = np.arange(b * PROOF_BLOCK + 1, min((b + 1) * PROOF_BLOCK, self.height) + 1)
            tensors, annotations = depth.synthetic_tensors(
                self.plan.tensor_shape, (block - 1).tolist(), self.plan.n_annotations, seed=int(b)
            )
            assert (self.route(tensors)[1] == block).all()  # each synthetic tensor needs exactly its height
            delta = np.abs(self.dense.run(tensors, annotations) - self._run(tensors, annotations, block)).max(axis=1)
            for h, d in zip(block.tolist(), delta.tolist()):
                if d <= TOLERANCE:
                    self.proven[h] = d
                else:
                    self.refused[h] = f"max |dp| {d:.2e} > {TOLERANCE:g} vs dense on a synthetic tensor"
                    log.warning("depth-aware engine: %d read rows refused (%s): those variants run dense", h, self.refused[h])

    # ------------------------------------------------------------ reporting
    def executed_flops(self, tensors: np.ndarray) -> np.ndarray:
        """FLOPs per variant of the model it runs (its exact rows; dense for a refused height)."""
        _, rows = self.route(tensors)
        per = {h: depth.cut_flops(self.plan, self.height if h in self.refused else h) for h in set(rows.tolist())}
        return np.array([per[h] for h in rows.tolist()], dtype=np.float64)

    def executed(self) -> dict[str, Any]:
        """Variants scored per height so far and the FLOPs executed per variant (nothing is padded)."""
        total = sum(self.variants.values())
        flops = sum(n * depth.cut_flops(self.plan, self.height if h in self.refused else h) for h, n in self.variants.items())
        return {"variants": dict(sorted(self.variants.items())), "flops_per_variant": flops / total if total else 0.0}

    def reset_counts(self) -> None:
        self.variants.clear()

    def describe(self) -> dict[str, Any]:
        return {
            "mode": "exact rows",
            "batch": 1,
            "streams": self.streams,
            "heights_proven": len(self.proven),
            "refused": dict(self.refused),
            "max_delta_vs_dense": max(self.proven.values(), default=float("nan")),
            "rss_mb": round(self.rss_mb, 1),
            "executed_precision": self.executed_precision,
        }


def depth_engine(model: Any, frozen: Any, backend: Any, config: Any) -> DepthAwareOpenVINO | None:
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
        log.info("vqsr_cnn depth-aware 2D engine: off: it is proven in FP32 only and this model runs %s", backend.precision)
        return None
    plan = depth.analyse(model)
    if not plan.applies:
        log.info("vqsr_cnn depth-aware 2D engine: off, model runs dense: %s", plan.reason)
        return None
    runner = DepthAwareOpenVINO(plan, backend)
    log.info(
        "vqsr_cnn depth-aware 2D engine: on (each variant alone at its R + 1 read rows, %d streams; each height "
        "proven vs dense within %g before use; --dense or VQSR_CNN_DENSE=1 turns it off)",
        runner.streams,
        TOLERANCE,
    )
    return runner
