"""`--tuning`: the dense engine's settings measured side by side on the same tensors, interleaved.

The micro-batch (the one compute shape of a dense model, `engine.config.DEFAULT_MICRO_BATCH`) at every
precision, and OpenVINO's LATENCY hint (one request on all threads) against the engine's THROUGHPUT (one
single-threaded stream per core). Every setting is an EngineConfig: the bench runs the engine's own backends,
never a copy of them. On a shared machine the load drifts between rounds more than the micro-batches differ, so
each sweep is also reported as per-round speed ratios to the default (the rows of one round saw the same load),
their median and quartiles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .stage_rows import engine_label, engine_row
from .timing import Row

MICRO_BATCHES = {"read_tensor": (8, 16, 32, 64), "reference": (32, 64, 128, 256)}


@dataclass
class Sweep:
    """One precision's dense engine at each micro-batch; `default` is the one the engine picks on this CPU."""

    precision: str
    default: int
    rows: dict[int, Row]

    def ratios(self) -> dict[int, list[float]]:
        """Per micro-batch, each round's speed over the default's in the same round (> 1: faster)."""
        base = self.rows[self.default].times
        return {m: [b / t for b, t in zip(base, row.times)] for m, row in self.rows.items() if len(row.times) == len(base)}

    def report(self) -> dict[str, Any]:
        out: dict[str, Any] = {"precision": self.precision, "default": self.default, "speed_vs_default": {}}
        for micro, ratios in self.ratios().items():
            if ratios:
                q1, median, q3 = np.percentile(ratios, (25, 50, 75))
                out["speed_vs_default"][micro] = {"median": float(median), "q1": float(q1), "q3": float(q3)}
        return out


def sweeps(tb: Any, precisions: Sequence[str]) -> list[Sweep]:
    out = []
    for precision in precisions:
        default = tb.openvino(precision, dense=True)
        if default is None:
            continue
        rows = {
            m: engine_row(tb, tb.openvino(precision, dense=True, micro_batch=m), tb.tensors, tb.annotations, "tuning: ")
            for m in MICRO_BATCHES[tb.tt]
        }
        rows.setdefault(default.micro_batch, engine_row(tb, default, tb.tensors, tb.annotations, "tuning: "))
        out.append(Sweep(precision, default.micro_batch, dict(sorted(rows.items()))))
    return out


def latency_row(tb: Any) -> Row:
    """The default FP32 dense engine compiled with the LATENCY hint (the THROUGHPUT twin is the sweep's default)."""
    engine = tb.openvino("fp32", dense=True, hint="LATENCY")
    row = engine_row(tb, engine, tb.tensors, tb.annotations, "tuning: ")
    row.name = f"tuning: {engine_label(engine)}, LATENCY hint"
    return row


def format_sweeps(reports: Sequence[dict[str, Any]]) -> str:
    lines = ["micro-batch sweeps (dense): median per-round speed vs the default [quartiles]"]
    for r in reports:
        cells = [
            f"{m}{'*' if m == r['default'] else ''}: {x['median']:.2f} [{x['q1']:.2f}-{x['q3']:.2f}]"
            for m, x in r["speed_vs_default"].items()
        ]
        lines.append(f"  {r['precision'].upper()}: " + ", ".join(cells) + "   (* default)")
    return "\n".join(lines)
