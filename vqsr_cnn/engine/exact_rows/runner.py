"""The exact-rows 2D engine on OpenVINO: each variant runs alone at exactly the read rows it needs.

A variant with R distinct rows before its uniform tail needs R + 1 input rows (`plan.rows_needed`). One cut
model with a dynamic read axis is compiled once at batch 1; each variant is one inference of shape
(1, R + 1, positions, channels) on one of the streams. Its shape depends only on its own tensor, so its score
never depends on its batch, and nothing is padded but the one row below (measured in one run: 1.67x the former 7
row buckets on GATK's NA12878 chr1 tensors; docs/performance.md).

Where FP32 runs the DFT products after a convolution (`..dft_convs`), a variant needing an even number of rows
runs at one more: with a dynamic read axis the plugin copies that convolution's channels-last output to plain
memory one pixel at a time, its channels `rows x positions` floats apart, and for the bundled model (128 positions)
an even row count makes that stride a multiple of 1 KiB, so a pixel's 64 writes fall into at most 4 of the L1
cache's 64 sets (AMX Xeon, one thread: even heights 7-12% slower than the next, odd one; docs/performance.md,
"Odd row counts"). The extra row is a copy of the tail row, which the cut model
takes at any rows >= R + 1: still exact, and still a function of the variant alone.

At start-up every height the engine runs (1..H, or the odd ones and H) is proven against the dense model of the
same precision (`proof.py`), in blocks of one dense micro-batch; a refused height's variants run on the dense
model. Proving at start-up also warms every shape, so scoring runs at its steady rate from the first variant.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np

from ... import defines
from ...runtimes import import_openvino
from ..backends import Backend
from ..backends.openvino import compile_config, executed_precision, for_precision, start_in_place
from ..backends.shapes import ShapeCounter
from ..config import EngineConfig
from ..precision import Precision
from .plan import RowPlan, distinct_rows, fill_tails, rows_needed
from .proof import TOLERANCE, synthetic_tensors

log = logging.getLogger("vqsr_cnn")

N_LABELS = len(defines.SNP_INDEL_LABELS)
# Requests in flight per stream: the next variant's inputs are set while a stream still runs, so a stream never
# idles between variants. 4 measured +4-7% over 1 on the AMX Xeon (bridge, 1024 GIAB lines, 7 rounds, every
# precision); more gave nothing. Each request holds only one variant's buffers.
REQUESTS_PER_STREAM = 4


def odd_rows(rows: np.ndarray, height: int) -> np.ndarray:
    """`rows` with every even count below `height` raised by one (the tail row once more)."""
    return np.where((rows % 2 == 0) & (rows < height), rows + 1, rows)


class ExactRows:
    """Predict 2D probabilities computing only each variant's distinct read rows."""

    def __init__(
        self,
        plan: RowPlan,
        cut_model: Any,
        input_names: tuple[str, str],
        dense: Backend,
        config: EngineConfig,
        precision: Precision,
    ) -> None:
        ov = import_openvino()

        if not plan.applies:
            raise ValueError(f"exact rows not applicable: {plan.reason}")
        self.plan = plan
        self.dense = dense  # the engine's dense backend, same precision: the reference and the refused heights
        self.height = plan.height
        self.inputs = input_names
        model = cut_model.clone()
        model.reshape({input_names[0]: [1, -1, *plan.tensor_shape[1:]], input_names[1]: [1, plan.n_annotations]})
        props, self.streams = compile_config(config, precision)
        self.odd = for_precision(model, precision) > 0  # DFT products after a convolution: run odd row counts
        self.compiled = ov.Core().compile_model(model, dense.device, props)
        self.precision = executed_precision(self.compiled, precision)
        self.tolerance = TOLERANCE[self.precision]
        self.shapes = ShapeCounter()  # (1, rows, positions, channels) per height run
        self._queue = ov.AsyncInferQueue(self.compiled, REQUESTS_PER_STREAM * self.streams)
        self._lock = threading.Lock()  # one run at a time (outputs are set per request)
        self.proven: dict[int, float] = {}  # height -> max |dp| vs dense on its synthetic tensors
        self.refused: dict[int, str] = {}
        all_heights = np.arange(1, self.height + 1)
        self.heights = np.unique(odd_rows(all_heights, self.height)) if self.odd else all_heights  # what runs
        self._prove()

    def route(self, tensors: np.ndarray, written: np.ndarray | None = None) -> np.ndarray:
        """Input rows per variant: its R distinct rows and one tail row (all rows when R = height); one tail row
        more for an even count where the engine runs odd counts."""
        rows = rows_needed(distinct_rows(tensors, written), self.height)
        return odd_rows(rows, self.height) if self.odd else rows

    def _run(self, tensors: np.ndarray, annotations: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Each variant's probabilities from the cut model at its own rows, the streams kept busy; inputs read in
        place and each result written straight into its row of `out` (`start_in_place`)."""
        tensors = np.ascontiguousarray(tensors, dtype=np.float32)
        annotations = np.ascontiguousarray(annotations, dtype=np.float32)
        out = np.zeros((tensors.shape[0], N_LABELS), dtype=np.float32)
        with self._lock:
            try:
                for i, h in enumerate(rows.tolist()):
                    tensor = tensors[i : i + 1, :h]
                    self.shapes.see(tensor.shape)
                    start_in_place(self._queue, self.inputs, tensor, annotations[i : i + 1], out[i : i + 1])
            finally:
                self._queue.wait_all()
        return out

    def predict(self, tensors: np.ndarray, annotations: np.ndarray, written: np.ndarray | None = None) -> np.ndarray:
        """`written`: the encoder's rows per variant (the rest not yet written); see ``plan.distinct_rows``."""
        rows = self.route(tensors, written)
        if written is not None and self.odd:  # an odd count can pass the rows written: the tail row once more
            for i in np.flatnonzero(rows > written).tolist():
                tensors[i, written[i] : rows[i]] = tensors[i, written[i] - 1]
        dense = np.isin(rows, list(self.refused))
        if not dense.any():  # the usual case: no copy of the batch, and only each variant's own rows are read
            return self._run(tensors, annotations, rows)
        out = np.zeros((tensors.shape[0], N_LABELS), dtype=np.float32)
        cut = np.flatnonzero(~dense)
        if cut.size:
            out[cut] = self._run(tensors[cut], annotations[cut], rows[cut])
        fill_tails(tensors, written, np.flatnonzero(dense))
        out[dense] = self.dense.run(tensors[dense], annotations[dense])
        return out

    def _prove(self) -> None:
        """Prove every height the engine runs against the dense model, one dense micro-batch of heights at a time."""
        block = max(1, self.dense.micro_batch)
        for first in range(0, len(self.heights), block):
            heights = self.heights[first : first + block]
            tensors, annotations = synthetic_tensors(
                self.plan.tensor_shape, (heights - 1).tolist(), self.plan.n_annotations, seed=int(heights[0])
            )
            assert (self.route(tensors) == heights).all()  # each synthetic tensor needs exactly its height
            delta = np.abs(self.dense.run(tensors, annotations) - self._run(tensors, annotations, heights)).max(axis=1)
            for h, d in zip(heights.tolist(), delta.tolist()):
                if d <= self.tolerance:
                    self.proven[h] = d
                else:
                    self.refused[h] = f"max |dp| {d:.2e} > {self.tolerance:g} vs dense {self.precision} on a synthetic tensor"
        if self.refused:
            log.warning(
                "exact rows: %d of %d heights refused (%s, e.g. %s): their variants run dense",
                len(self.refused),
                len(self.heights),
                self.precision,
                next(iter(self.refused.values())),
            )

    def describe(self) -> dict[str, Any]:
        return {
            "mode": "exact rows",
            "batch": 1,
            "streams": self.streams,
            "heights_proven": len(self.proven),
            "heights_run": len(self.heights),
            "odd_rows": self.odd,
            "refused": dict(self.refused),
            "max_delta_vs_dense": max(self.proven.values(), default=float("nan")),
            "tolerance": self.tolerance,
            "executed_precision": self.precision,
        }
