"""`--tuning`: the dense engine's settings measured side by side on the same tensors, interleaved.

The micro-batch (the one compute shape of a dense model, `engine.config.DEFAULT_MICRO_BATCH`) at every
precision, and OpenVINO's LATENCY hint (one request on all threads) against the engine's THROUGHPUT (one
single-threaded stream per core, the `engine:` dense rows). Every setting is an EngineConfig: the bench runs the
engine's own backends, never a copy of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .stage_rows import engine_row
from .timing import Row

MICRO_BATCHES = {"read_tensor": (8, 16, 32, 64), "reference": (32, 64, 128, 256)}


def tuning_rows(tb: Any, precisions: Sequence[str]) -> list[Row]:
    rows = []
    for precision in precisions:
        for micro in MICRO_BATCHES[tb.tt]:
            engine = tb.openvino(precision, dense=True, micro_batch=micro)
            if engine is not None:
                rows.append(engine_row(tb, engine, tb.tensors, tb.annotations, "tuning: "))
    latency = tb.openvino("fp32", dense=True, hint="LATENCY")
    row = engine_row(tb, latency, tb.tensors, tb.annotations, "tuning: ")
    row.name += ", LATENCY hint"
    return [*rows, row]
