"""Which rows a run times, for one tensor type: the baselines, the stages, every engine at every precision (2D:
exact rows and dense), the bridge and `score` end to end, the exact-rows comparison, tuning, and the limits.

`--rows TEXT` keeps the rows whose name contains TEXT; a row is matched on the name of what was asked (e.g.
`engine: openvino INT8 exact rows`) before its engine is built, so unwanted INT8 models are never quantised.
The baseline, the Intel-patch peer, the default engine and the limits always run.
"""

from __future__ import annotations

from typing import Any

from ..engine.cpu import cpu_info
from .baseline_rows import baseline_rows, intel_patch_rows
from .exact_rows import GIAB_PREFIX, exact_rows_rows
from .limits import limit_rows
from .stage_rows import bridge_row, encode_row, engine_row, parse_row, score_row
from .timing import Row, transfer_chunks
from .tuning import latency_row, sweeps

PRECISIONS = ("fp32", "bf16", "int8")


def _modes(tb: Any) -> tuple[tuple[str, bool], ...]:
    """(name, dense) of the OpenVINO engines per precision: 2D runs exact rows by default, dense for comparison."""
    return (("exact rows", False), ("dense", True)) if tb.tt == "read_tensor" else (("", False),)


def build_rows(tb: Any) -> list[Row]:
    o = tb.options
    precisions = [p for p in PRECISIONS if p != "int8" or o.int8]
    rows: list[Row] = baseline_rows(tb, transfer_chunks(tb.n, o.transfer_batch))  # GATK 4.2's real code if its env exists
    rows.extend(intel_patch_rows(tb))
    for wanted, row in (("parse", parse_row), ("encode", encode_row)):
        if o.wanted(wanted):
            rows.append(row(tb))
    if o.wanted("engine: tensorflow"):
        rows.append(engine_row(tb, tb.engine("tensorflow", "fp32"), tb.tensors, tb.annotations))
    for stage in ("engine", "bridge", "score"):
        for precision in precisions:
            for mode, dense in _modes(tb):
                asked = f"{stage}: openvino {precision.upper()} {mode}".rstrip()
                default = (stage, precision, dense) == ("engine", "fp32", False)
                if not (o.wanted(asked) or default) or (stage == "score" and dense and precision != "fp32"):
                    continue
                engine = tb.openvino(precision, dense=dense)
                if engine is None:
                    continue
                if stage == "engine":
                    rows.append(engine_row(tb, engine, tb.tensors, tb.annotations))
                else:
                    rows.append((bridge_row if stage == "bridge" else score_row)(tb, engine))
    if o.wanted(f"{GIAB_PREFIX}exact rows vs dense"):
        rows.extend(exact_rows_rows(tb, precisions))
    if o.tuning:
        tb.sweeps = sweeps(tb, precisions)
        rows.extend(row for sweep in tb.sweeps for row in sweep.rows.values())
        rows.append(latency_row(tb))
    micro = tb.openvino("fp32", dense=True).micro_batch  # the probes' convolutions run at the dense shape
    rows.extend(limit_rows(tb.keras, micro, o.threads, cpu_info(), precisions))
    return rows
