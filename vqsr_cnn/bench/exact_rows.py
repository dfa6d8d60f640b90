"""Bench rows and report for the 2D exact-rows engine, at every precision, against dense of the same precision.

Two inputs: GATK's own NA12878 chr1 tensors (shared/data; the `engine:` rows) and the tensors our encoder builds
from the 30x GIAB chr22 slice (the bench's examples; rows here). Reported per input: the distribution of R (rows
before the uniform tail), the FLOPs the engine executes per variant against the dense model's, and max |dp| vs
dense of the same precision; per precision: the heights proven at start-up and the speed-ups of the timed rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..engine.exact_rows.plan import distinct_rows
from .flops import executed_flops
from .stage_rows import engine_label, engine_row, ran
from .timing import Row

GIAB_PREFIX = "GIAB 30x tensors: "  # our encoder's tensors of the GIAB chr22 slice


def pairs(tb: Any, precisions: Sequence[str], build: bool = True) -> list[tuple[Any, Any]]:
    """(exact-rows engine, dense engine of the same precision) per precision whose engine runs exact rows; with
    `build=False` only pairs the run has already built (the report never quantises a model nobody timed)."""
    out = []
    for precision in precisions:
        exact, dense = tb.openvino(precision, build=build), tb.openvino(precision, dense=True, build=build)
        if exact is not None and dense is not None and exact.exact is not None:
            out.append((exact, dense))
    return out


def exact_rows_rows(tb: Any, precisions: Sequence[str]) -> list[Row]:
    """R detection, and exact vs dense of each precision on the GIAB tensors (interleaved with every other row)."""
    if tb.tt != "read_tensor":
        return []
    tensors, annotations = tb.encoded()
    rows = [Row(f"{GIAB_PREFIX}R detection (distinct_rows)", "stage", lambda: distinct_rows(tensors), tb.n)]
    for exact, dense in pairs(tb, precisions):
        rows.extend(engine_row(tb, engine, tensors, annotations, GIAB_PREFIX) for engine in (dense, exact))
    return rows


def r_distribution(r: np.ndarray, height: int) -> dict[str, Any]:
    """Median / p90 / max of R and a histogram in 8-row bins (R = height: no uniform tail)."""
    bins = np.bincount(np.minimum(r, height) // 8, minlength=height // 8 + 1)
    return {
        "n": int(r.size),
        "median": float(np.median(r)),
        "p90": float(np.percentile(r, 90)),
        "max": int(r.max()),
        "no_tail": int((r >= height).sum()),
        "histogram_8": {f"{8 * i}-{8 * i + 7}" if 8 * i < height else str(height): int(c) for i, c in enumerate(bins) if c},
    }


def _speedup(timed: dict[str, float], exact_name: str, dense_name: str) -> float | None:
    e, d = timed.get(exact_name), timed.get(dense_name)
    return e / d if e and d else None


def exact_rows_report(tb: Any, precisions: Sequence[str], rows: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """Per input: R, executed FLOPs (of the first precision's engine: R + 1 rows, or the next odd count where it
    runs odd counts); per precision: proofs, max |dp| vs dense of the same
    precision on the real inputs, and the speed-up of each timed exact-rows row over its dense twin."""
    if tb.tt != "read_tensor":
        return {}
    found = pairs(tb, precisions, build=False)
    if not found:
        return {"applies": False}
    timed = {r["name"]: r["variants_per_s"] for r in rows if r.get("variants_per_s")}
    inputs = {
        "na12878_chr1": (tb.tensors[: tb.real_tensors], tb.annotations[: tb.real_tensors], "engine: "),
        "giab_30x": (tb.encoded()[0][: tb.real_examples], tb.encoded()[1][: tb.real_examples], GIAB_PREFIX),
    }  # the distinct real inputs (the timed rows repeat them up to n)
    plan_engine = found[0][0].exact
    out: dict[str, Any] = {"dense_flops_per_variant": tb.flops, "inputs": {}, "precisions": {}}
    for key, (tensors, _, _) in inputs.items():
        flops = executed_flops(plan_engine, tensors)
        out["inputs"][key] = {
            "R": r_distribution(distinct_rows(tensors), tb.read_limit),
            "executed_gflops_per_variant": float(flops.mean() / 1e9),
            "flops_share_of_dense": float(flops.mean() / tb.flops),
        }
    for exact, dense in found:
        exact_name, dense_name = engine_label(exact), engine_label(dense)
        entry: dict[str, Any] = {**exact.exact.describe(), "dense": dense_name, "max_abs_dp_vs_dense": {}}
        speedups = {f"engine {key}": (prefix + exact_name, prefix + dense_name) for key, (_, _, prefix) in inputs.items()}
        speedups.update({what: (f"{what}: {exact_name}", f"{what}: {dense_name}") for what in ("bridge", "score")})
        for key, (tensors, annots, _) in inputs.items():
            delta = np.abs(exact.predict_arrays(tensors, annots) - dense.predict_arrays(tensors, annots))
            entry["max_abs_dp_vs_dense"][key] = float(delta.max())
        entry["speedup_vs_dense"] = {k: x for k, (e, d) in speedups.items() if (x := _speedup(timed, e, d))}
        out["precisions"][ran(exact)] = entry
    return out


def format_exact_rows(report: dict[str, Any]) -> str:
    if not report.get("precisions"):
        return "exact rows: not applicable"
    dense = report["dense_flops_per_variant"] / 1e9
    lines = [
        f"exact rows (each variant alone at its R + 1 read rows, or the next odd count where FP32 runs DFT products; "
        f"dense model {dense:.2f} GFLOP/variant):"
    ]
    for key, e in report["inputs"].items():
        r = e["R"]
        lines.append(
            f"  {key}: {r['n']} tensors, R median {r['median']:.1f} p90 {r['p90']:.1f} max {r['max']} "
            f"(no tail: {r['no_tail']}); executed {e['executed_gflops_per_variant']:.2f} GFLOP/variant "
            f"({100 * e['flops_share_of_dense']:.0f}% of dense)"
        )
        lines.append(f"    R histogram (8-row bins): {r['histogram_8']}")
    for precision, e in report["precisions"].items():
        dp = ", ".join(f"{k} {v:.1e}" for k, v in e["max_abs_dp_vs_dense"].items())
        speed = ", ".join(f"{k} {v:.2f}x" for k, v in e["speedup_vs_dense"].items()) or "not timed"
        lines.append(
            f"  {precision.upper()}: {e['heights_proven']} of {e['heights_run']} heights proven"
            f"{' (odd row counts)' if e['odd_rows'] else ''} on {e['streams']} streams (max |dp| "
            f"{e['max_delta_vs_dense']:.1e}, tolerance {e['tolerance']:g}, refused: {sorted(e['refused']) or 'none'}); "
            f"max |dp| vs {e['dense']}: {dp}; speed-up vs dense: {speed}"
        )
    return "\n".join(lines)
