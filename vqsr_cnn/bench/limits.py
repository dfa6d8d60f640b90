"""The machine's limit per precision (FP32, BF16, INT8), in model FLOPs/s, measured on the same cores with the
same runtime as the rows it is held against: the best of the probes (`probes.py`), each timed as a bench row
(interleaved with the others) and taken at its fastest round.

Model FLOPs are 2 x the MACs of the direct GEMM or convolution, whatever algorithm the runtime picks (a Winograd
or FFT convolution does fewer operations for the same model FLOPs), and rows count the FLOPs their engine
executes (exact rows: only their R + 1 rows). A row above every probe of its precision means the probes missed
a faster kernel: the limit is then raised to that row and the report says so, so `% limit` never exceeds 100.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..engine.cpu import CpuInfo
from .probes import PRECISIONS, probes
from .timing import Row


def limit_rows(
    keras_model: Any, micro_batch: int, threads: int, cpu: CpuInfo, precisions: Sequence[str] = PRECISIONS
) -> list[Row]:
    """One `limit` row per probe, timed with the others; the report keeps the best per precision."""
    return [
        Row(
            f"limit probe: {p.precision.upper()} {p.name}",
            "limit",
            p.run,
            precision=p.precision,
            flops=p.flops,
            note=f"{p.calls} calls a timing",
        )
        for p in probes(keras_model, micro_batch, threads, cpu, precisions)
    ]


@dataclass
class Limit:
    """A precision's limit in model FLOPs/s: the best probe, raised to the best engine row if one beat it."""

    precision: str
    gflops: float
    source: str  # the probe (or, when raised, the row) that set it
    probes: dict[str, float] = field(default_factory=dict)  # every probe's GFLOP/s
    raised_by: str = ""  # the engine row above every probe, if any

    def describe(self) -> str:
        why = (
            f"raised to the row '{self.raised_by}': no probe reached it"
            if self.raised_by
            else f"best of {len(self.probes)} probes"
        )
        return f"{self.precision.upper()} {self.gflops:.0f} GFLOP/s ({why}: {self.source})"


def row_gflops(row: Row) -> float | None:
    """The model GFLOP/s a timed row reached, or None: a probe's best round (load only ever slows a kernel down, and
    on a shared VM the same probe swung 140-290 GFLOP/s between rounds at load < 1, so its fastest round is the
    estimate of the peak); any other row's median round, counting the FLOPs its engine executes per variant."""
    if not row.times:
        return None
    if row.kind == "limit":
        return row.flops / min(row.times) / 1e9
    if row.flops_per_variant:
        return row.variants * row.flops_per_variant / row.median / 1e9
    return None


def resolve_limits(rows: Sequence[Row]) -> dict[str, Limit]:
    """Per precision: the best probe; raised to any engine or end-to-end row that ran faster (and said so)."""
    limits: dict[str, Limit] = {}
    for row in rows:
        rate = row_gflops(row)
        if row.kind != "limit" or rate is None:
            continue
        limit = limits.setdefault(row.precision, Limit(row.precision, 0.0, ""))
        limit.probes[row.name] = rate
        if rate > limit.gflops:
            limit.gflops, limit.source = rate, row.name
    for row in rows:
        rate = row_gflops(row)
        if row.kind in ("engine", "end-to-end") and rate is not None and row.precision in limits:
            limit = limits[row.precision]
            if rate > limit.gflops:
                limit.gflops, limit.source, limit.raised_by = rate, row.name, row.name
    return limits
