"""The depth-aware 2D engine on OpenVINO: variants routed by their R to row buckets, one fixed shape each.

(Over 300 lines: routing, per-bucket gathering across batches, lazy compilation and the load-time proof against
dense are one mechanism; the graph surgery and its algebra are in :mod:`.depth`.)

Each bucket of h input rows has one model cut to h rows (`depth.freeze_cut`), compiled once for one compute
shape (micro-batch x h rows). A variant's bucket depends only on its own tensor, and every micro-batch of a
bucket has the same shape (a short one is zero-padded), so its score never depends on its batch.

Padding is the cost: a bucket's last micro-batch of a call is mostly zeros, and with ~7 buckets and GATK's
64-line gathers that padding alone cost more than dense. So variants are gathered per bucket across the
caller's batches (`stream`): a micro-batch runs when its bucket fills, and short ones only when the caller's
hold is exceeded (the bridge: the end of a transfer batch) or at the end. Scores come back in batch order.

Before a bucket model scores any variant, it scores synthetic tensors of its depth range next to the dense
model and is refused (its variants run in the next bucket up, dense at the top) if any probability differs
by more than `TOLERANCE`.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np

from .. import defines
from . import depth
from .freeze import FrozenModel

log = logging.getLogger("vqsr_cnn")

K = TypeVar("K")
N_LABELS = len(defines.SNP_INDEL_LABELS)
TOLERANCE = 1e-5  # max |d probability| between a bucket model and the dense model at load
# Input rows per bucket, chosen from the R distributions of the NA12878 chr1 tensors and the GIAB 30x slice
# (docs/performance.md): with the padding a 256-variant transfer batch leaves in each bucket counted, these 7
# execute the fewest FLOPs of any 3-9 multiples of 8 (8 is kept for variants without reads); timed, they are
# within the noise of the former 9 buckets (scripts/depth_configs.py) with 2 fewer compiled models. Past 80 rows
# conv2d_1/2 are nearly full height (104) and conv2d_3 full (80), so a cut model would save < 10%: dense.
DEFAULT_ROW_BUCKETS = (8, 24, 32, 40, 48, 56, 80)
# Micro-batch of the cut models: measured per variant as fast as 16 (docs/performance.md), half the padding.
# The dense bucket keeps the engine's own micro-batch (its compiled model); a smaller engine micro-batch
# (VQSR_CNN_MICRO_BATCH) lowers this one too.
CUT_MICRO_BATCH = 8
MAX_QUEUED_PER_STREAM = 2  # micro-batches waiting per stream: bounds memory, throttles the encoder


@dataclass
class _Bucket:
    rows: int
    micro: int
    inputs: tuple[str, str] = ("", "")  # input names of its compiled model
    compiled: Any = None
    requests: list[Any] = field(default_factory=list)  # one per stream slot
    refused: str = ""
    max_delta: float = float("nan")
    rss_mb: float = 0.0  # resident memory this bucket's model added when it was compiled
    runs: int = 0  # micro-batches executed (padding included)
    variants: int = 0  # real variants scored


@dataclass
class _Waiting(Generic[K]):
    """One caller batch whose probabilities are being filled in by bucket jobs."""

    key: K
    probs: np.ndarray
    remaining: int
    buckets: set[int] = field(default_factory=set)  # buckets holding its not yet dispatched rows


@dataclass
class _Fill:
    """A bucket's micro-batch being filled: zeros until a variant's rows are copied in."""

    tensors: np.ndarray
    annotations: np.ndarray
    dest: list[tuple[_Waiting[Any], int]] = field(default_factory=list)


class DepthAwareOpenVINO:
    """Predict 2D probabilities computing only each variant's distinct read rows (exact in FP32)."""

    def __init__(
        self,
        plan: depth.DepthPlan,
        backend: Any,
        micro_batch: int,
        buckets: tuple[int, ...] = DEFAULT_ROW_BUCKETS,
        cut_micro_batch: int = CUT_MICRO_BATCH,
    ) -> None:
        import openvino as ov

        if not plan.applies:
            raise ValueError(f"depth-aware engine not applicable: {plan.reason}")
        self._ov, self._core = ov, ov.Core()
        self.plan = plan
        self.dense = backend  # the engine's own dense OpenVINO backend: the top bucket and the reference
        self.height = plan.height
        self.micro_batch = min(micro_batch, cut_micro_batch)
        self.streams, self.device = max(1, backend.streams), backend.device
        self.config = dict(backend.config)
        heights = sorted({min(int(b), self.height) for b in buckets if b > 0} | {self.height})
        self.buckets = {h: _Bucket(h, self.micro_batch) for h in heights}
        top = self.buckets[self.height]
        top.micro, top.compiled, top.inputs = backend.micro_batch, backend.compiled, tuple(backend.input_names)
        top.requests = [backend.compiled.create_infer_request() for _ in range(self.streams)]
        self._cut_model: Any = None
        self._cut_frozen: FrozenModel | None = None
        self.compiles = 0
        self._lock = threading.RLock()
        self._slots: queue.Queue[int] = queue.Queue()
        for slot in range(self.streams):
            self._slots.put(slot)
        self._pool = ThreadPoolExecutor(max_workers=self.streams, thread_name_prefix="vqsr-depth")
        self.executed_precision = backend.precision

    # ------------------------------------------------------------ models
    def _compile(self, rows: int) -> Any:
        """The cut model reshaped to `rows` read rows, compiled at the cut micro-batch."""
        if self._cut_model is None:  # converted once (read rows dynamic), reshaped per bucket
            self._cut_frozen = depth.freeze_cut(self.plan)
            self._cut_model = self._ov.convert_model(
                self._cut_frozen.graph_def,
                input=[
                    (self._cut_frozen.input_names[0], [self.micro_batch, -1, *self.plan.tensor_shape[1:]]),
                    (self._cut_frozen.input_names[1], [self.micro_batch, self.plan.n_annotations]),
                ],
            )
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
            bucket.inputs = self._cut_frozen.input_names if self._cut_frozen else ("", "")
            delta = self._prove(rows, requests[0], bucket.inputs)
            bucket.max_delta = delta
            if not delta <= TOLERANCE:
                bucket.refused = f"max |dp| {delta:.2e} > {TOLERANCE:g} vs dense on synthetic tensors"
                log.warning(
                    "depth-aware bucket of %d rows refused (%s): its variants run in the next bucket up", rows, bucket.refused
                )
                return bucket
            bucket.compiled, bucket.requests = compiled, requests
            bucket.rss_mb = max(0.0, rss_mb() - before)
        return bucket

    def _prove(self, rows: int, request: Any, inputs: tuple[str, str]) -> float:
        """Max |d probability| between the cut model and the dense model on synthetic tensors of this depth."""
        shapes = sorted({0, 1, rows // 2, rows - 1})  # no reads, one read, half, the deepest this bucket takes
        depths = [shapes[i % len(shapes)] for i in range(max(self.micro_batch, len(shapes)))]
        tensors, annotations = depth.synthetic_tensors(self.plan.tensor_shape, depths, self.plan.n_annotations, seed=rows)
        assert (depth.rows_needed(depth.distinct_rows(tensors), self.height) <= rows).all()
        dense = self.dense.run(tensors, annotations)
        cut = np.zeros_like(dense)
        for a in range(0, tensors.shape[0], self.micro_batch):
            b = min(a + self.micro_batch, tensors.shape[0])
            t = np.zeros((self.micro_batch, rows, *tensors.shape[2:]), dtype=np.float32)
            ann = np.zeros((self.micro_batch, annotations.shape[1]), dtype=np.float32)
            t[: b - a], ann[: b - a] = tensors[a:b, :rows], annotations[a:b]
            request.infer({inputs[0]: t, inputs[1]: ann})
            cut[a:b] = request.get_output_tensor(0).data[: b - a]
        return float(np.abs(dense - cut).max())

    # ------------------------------------------------------------ routing
    def route(self, tensors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(R, bucket rows) per variant: the smallest bucket that holds its R distinct rows and one tail row."""
        r = depth.distinct_rows(tensors)
        need = depth.rows_needed(r, self.height)
        heights = np.array(sorted(self.buckets))
        rows = heights[np.searchsorted(heights, need)]
        return r, rows

    def _usable(self, rows: int) -> int:
        """The bucket that runs variants routed to `rows`: itself, or the next one up if it was refused."""
        while self._compiled(rows).refused:
            rows = min(b for b in self.buckets if b > rows)
        return rows

    # ------------------------------------------------------------ running
    def predict(self, tensors: np.ndarray, annotations: np.ndarray) -> np.ndarray:
        """Probabilities for one batch (its short micro-batches run at the end of the call)."""
        return next(self.stream([(tensors, annotations, None)]))[1]

    def stream(self, batches: Iterable[tuple[np.ndarray, np.ndarray, K]], hold: int = 0) -> Iterator[tuple[K, np.ndarray]]:
        """(key, probabilities) per (tensors, annotations, key), in order, gathering each bucket across batches.

        A bucket's micro-batch runs as soon as it is full. Batches wait for their variants in partly filled
        buckets until more than `hold` variants wait in all; then the buckets holding the oldest batch's
        variants run short (zero-padded). Whatever the batches and `hold`, each variant runs in its own
        bucket's one compiled shape: they change the padding executed, never a probability.
        """
        fills: dict[int, _Fill] = {}
        waiting: deque[_Waiting[K]] = deque()
        state = {"held": 0, "queued": 0}
        done = threading.Condition()
        errors: list[BaseException] = []
        limit = MAX_QUEUED_PER_STREAM * self.streams

        def finished(future: Future[None]) -> None:
            with done:
                state["queued"] -= 1
                error = future.exception()
                if error is not None:
                    errors.append(error)
                done.notify_all()

        def dispatch(rows: int) -> None:
            fill = fills.pop(rows)
            for w, _ in fill.dest:
                w.buckets.discard(rows)
            with done:  # backpressure: at most `limit` micro-batches queued or running
                done.wait_for(lambda: state["queued"] < limit or bool(errors))
                state["queued"] += 1
            self._pool.submit(self._run, rows, fill, done).add_done_callback(finished)

        def wait(w: _Waiting[K]) -> None:
            for rows in sorted(w.buckets):
                if rows in fills:
                    dispatch(rows)
            with done:
                done.wait_for(lambda: w.remaining == 0 or bool(errors))
            if errors:
                raise errors[0]

        for tensors, annots, key in batches:
            n = int(tensors.shape[0])
            w = _Waiting(key, np.zeros((n, N_LABELS), dtype=np.float32), n)
            waiting.append(w)
            state["held"] += n
            if n:
                self._add(w, tensors, annots, fills, dispatch)
            if errors:
                raise errors[0]
            while waiting and (waiting[0].remaining == 0 or state["held"] > hold):
                wait(waiting[0])
                w = waiting.popleft()
                state["held"] -= w.probs.shape[0]
                yield w.key, w.probs
        while waiting:
            wait(waiting[0])
            w = waiting.popleft()
            yield w.key, w.probs

    def _add(
        self, w: _Waiting[Any], tensors: np.ndarray, annotations: np.ndarray, fills: dict[int, _Fill], dispatch: Any
    ) -> None:
        """Copy each variant's rows into its bucket's filling micro-batch; dispatch the ones that fill."""
        _, rows = self.route(tensors)
        for h in sorted(set(rows.tolist())):
            members = np.flatnonzero(rows == h)
            h = self._usable(h)
            bucket = self.buckets[h]
            start = 0
            while start < members.size:
                fill = fills.get(h)
                if fill is None:
                    fill = fills[h] = _Fill(
                        np.zeros((bucket.micro, h, *tensors.shape[2:]), dtype=np.float32),
                        np.zeros((bucket.micro, annotations.shape[1]), dtype=np.float32),
                    )
                at = len(fill.dest)
                take = members[start : start + bucket.micro - at]
                fill.tensors[at : at + take.size] = tensors[take, :h]
                fill.annotations[at : at + take.size] = annotations[take]
                fill.dest.extend((w, int(i)) for i in take)
                w.buckets.add(h)
                start += take.size
                if len(fill.dest) == bucket.micro:
                    dispatch(h)

    def _run(self, rows: int, fill: _Fill, done: threading.Condition) -> None:
        """One micro-batch on a free stream slot; its probabilities go to the waiting batches."""
        bucket = self.buckets[rows]
        slot = self._slots.get()
        try:
            request = bucket.requests[slot]
            request.infer({bucket.inputs[0]: fill.tensors, bucket.inputs[1]: fill.annotations})
            probs = request.get_output_tensor(0).data[: len(fill.dest)].copy()
        finally:
            self._slots.put(slot)
        with done:
            bucket.runs += 1
            bucket.variants += len(fill.dest)
            for k, (w, i) in enumerate(fill.dest):
                w.probs[i] = probs[k]
                w.remaining -= 1

    # ------------------------------------------------------------ reporting
    def executed_flops(self, tensors: np.ndarray) -> np.ndarray:
        """FLOPs per variant of its bucket's model (padding not counted: see `executed`)."""
        _, rows = self.route(tensors)
        per = {h: depth.cut_flops(self.plan, h) for h in set(rows.tolist())}
        return np.array([per[h] for h in rows.tolist()], dtype=np.float64)

    def executed(self) -> dict[str, Any]:
        """Micro-batches and variants run per bucket so far, and the FLOPs executed per variant, padding included."""
        used = {h: b for h, b in self.buckets.items() if b.runs}
        flops = sum(b.runs * b.micro * depth.cut_flops(self.plan, h) for h, b in used.items())
        variants = sum(b.variants for b in used.values())
        return {
            "runs": {h: b.runs for h, b in used.items()},
            "variants": {h: b.variants for h, b in used.items()},
            "flops_per_variant": flops / variants if variants else 0.0,
        }

    def reset_counts(self) -> None:
        for b in self.buckets.values():
            b.runs = b.variants = 0

    def describe(self) -> dict[str, Any]:
        live = {h: b for h, b in self.buckets.items() if b.compiled is not None}
        return {
            "row_buckets": sorted(self.buckets),
            "micro_batch": self.micro_batch,
            "dense_micro_batch": self.buckets[self.height].micro,
            "compiled": sorted(live),
            "refused": {h: b.refused for h, b in self.buckets.items() if b.refused},
            "max_delta_vs_dense": {h: b.max_delta for h, b in live.items() if h != self.height},
            "rss_mb_by_bucket": {h: round(b.rss_mb, 1) for h, b in live.items()},
            "executed_precision": self.executed_precision,
        }

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
        log.info("vqsr_cnn depth-aware 2D engine: off: it is proven in FP32 only and this model runs %s", backend.precision)
        return None
    plan = depth.analyse(model)
    if not plan.applies:
        log.info("vqsr_cnn depth-aware 2D engine: off, model runs dense: %s", plan.reason)
        return None
    runner = DepthAwareOpenVINO(plan, backend, backend.micro_batch)
    log.info(
        "vqsr_cnn depth-aware 2D engine: on (row buckets %s, micro-batch %d, dense bucket %d; each proven vs "
        "dense within %g before use; --dense or VQSR_CNN_DENSE=1 turns it off)",
        ",".join(map(str, sorted(runner.buckets))),
        runner.micro_batch,
        backend.micro_batch,
        TOLERANCE,
    )
    return runner
