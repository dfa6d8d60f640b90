"""Bench rows for the depth-aware 2D engine: dense vs depth-aware FP32, side by side, on real read tensors.

Two inputs: GATK's own NA12878 chr1 tensors (shared/data) and tensors our encoder builds from the 30x GIAB
chr22 slice (the bench's examples). Also reported: the distribution of R (rows before the uniform tail) and
the FLOPs the engine executes per variant against the dense model's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ..encode import encode_examples
from ..engine.exact_rows.plan import distinct_rows
from .flops import cut_flops
from .timing import Row, transfer_chunks


def dense_engine(tb: Any) -> Any:
    """The OpenVINO FP32 engine with the depth-aware path off (--dense)."""
    return tb.engine("openvino", "fp32", dense=True)


def giab_tensors(tb: Any) -> tuple[np.ndarray, np.ndarray]:
    """The GIAB 30x examples encoded by our encoder (what the bridge and `vqsr-cnn score` feed the engine)."""
    if "giab" not in tb.depth_inputs:
        tb.depth_inputs["giab"] = encode_examples(tb.examples, tb.tt, tb.names, tb.window, tb.read_limit)
    return tb.depth_inputs["giab"]


def depth_rows(tb: Any) -> list[Row]:
    """Dense vs depth-aware rows, interleaved with every other row: the engine on both real inputs (one
    predict per transfer batch), and the bridge and `score` end to end with the dense engine (their
    depth-aware twins are the bench's default `end to end` rows)."""
    if tb.tt != "read_tensor":
        return []
    aware = tb.engine("openvino", "fp32")
    if aware.exact is None:
        return []
    dense = dense_engine(tb)
    inputs = {"NA12878 chr1 tensors": (tb.tensors, tb.annotations), "GIAB 30x encoded": giab_tensors(tb)}
    chunks = transfer_chunks(tb.n, tb.options.transfer_batch)
    rows = []
    for label, (tensors, annots) in inputs.items():
        for name, engine in (("dense", dense), ("depth-aware", aware)):

            def run(engine: Any = engine, tensors: np.ndarray = tensors, annots: np.ndarray = annots) -> None:
                for a, b in chunks:
                    engine.predict_arrays(tensors[a:b], annots[a:b])

            rows.append(
                Row(
                    f"depth: openvino FP32 {name}, {label}",
                    "engine",
                    run,
                    tb.n,
                    precision="fp32",
                    note=f"{engine.backend.name} {engine.backend.precision}",
                )
            )
    from .rows import bridge_row, score_row  # rows.py lists these rows: imported here, not at module level

    rows.append(bridge_row(tb, DENSE_BRIDGE, dense, "fp32"))
    rows.append(replace(score_row(tb, dense), name=DENSE_SCORE))
    return rows


DENSE_BRIDGE = "depth: bridge, dense engine (--dense)"
DENSE_SCORE = "depth: score, dense engine (--dense)"
END_TO_END = {"bridge": ("end to end: bridge", DENSE_BRIDGE), "score": ("end to end: score", DENSE_SCORE)}


def executed_flops(exact: Any, tensors: np.ndarray) -> np.ndarray:
    """FLOPs per variant of the model it runs (its exact rows; the full height for a refused height)."""
    rows = exact.route(tensors)
    per = {h: cut_flops(exact.plan, exact.height if h in exact.refused else h) for h in set(rows.tolist())}
    return np.array([per[h] for h in rows.tolist()], dtype=np.float64)


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


def depth_report(tb: Any, rows: Sequence[dict[str, Any]] | None = None) -> dict[str, Any]:
    """R distribution, executed FLOPs (nothing is padded) and exactness (max |dp| vs dense) per input; speed
    ratios of the timed rows."""
    if tb.tt != "read_tensor":
        return {}
    aware = tb.engine("openvino", "fp32")
    if aware.exact is None:
        return {"applies": False}
    dense = dense_engine(tb)
    out: dict[str, Any] = {"dense_flops_per_variant": tb.flops, **aware.exact.describe()}
    timed = {r["name"]: r.get("variants_per_s") for r in rows or ()}
    inputs = {"na12878_chr1": (tb.tensors, tb.annotations, tb.real_tensors), "giab_30x": (*giab_tensors(tb), tb.real_examples)}
    for key, (tensors, annots, real) in inputs.items():
        t, a = tensors[:real], annots[:real]  # the distinct real inputs (the timed rows repeat them up to n)
        flops = executed_flops(aware.exact, t)
        delta = float(np.abs(aware.predict_arrays(t, a) - dense.predict_arrays(t, a)).max())
        out[key] = {
            "R": r_distribution(distinct_rows(t), tb.read_limit),
            "executed_gflops_per_variant": float(flops.mean() / 1e9),
            "flops_share_of_dense": float(flops.mean() / tb.flops),
            "max_abs_dp_vs_dense": delta,
        }
    for label, key in (("NA12878 chr1 tensors", "na12878_chr1"), ("GIAB 30x encoded", "giab_30x")):
        d, w = timed.get(f"depth: openvino FP32 dense, {label}"), timed.get(f"depth: openvino FP32 depth-aware, {label}")
        if d and w:
            out[key]["speedup_vs_dense"] = w / d
    for what, (aware_prefix, dense_name) in END_TO_END.items():
        w = next((v for name, v in timed.items() if name.startswith(aware_prefix) and v), None)
        if w and timed.get(dense_name):
            out[f"{what}_speedup_vs_dense"] = w / timed[dense_name]
    return out


def format_depth(report: dict[str, Any]) -> str:
    if not report or report.get("mode") != "exact rows":
        return "depth-aware engine: not applicable"
    lines = [
        f"depth-aware engine: each variant alone (batch 1) at its R + 1 read rows on {report['streams']} streams, "
        f"{report['heights_proven']} heights proven vs dense (max |dp| {report['max_delta_vs_dense']:.1e}, refused: "
        f"{sorted(report['refused']) or 'none'}), executes {report['executed_precision']}; "
        f"dense model {report['dense_flops_per_variant'] / 1e9:.2f} GFLOP/variant"
    ]
    for key in ("na12878_chr1", "giab_30x"):
        e = report.get(key)
        if not e:
            continue
        r = e["R"]
        speed = f", engine {e['speedup_vs_dense']:.2f}x dense" if "speedup_vs_dense" in e else ""
        lines.append(
            f"  {key}: {r['n']} tensors, R median {r['median']:.1f} p90 {r['p90']:.1f} max {r['max']} "
            f"(no tail: {r['no_tail']}); executed {e['executed_gflops_per_variant']:.2f} GFLOP/variant "
            f"({100 * e['flops_share_of_dense']:.0f}% of dense, nothing padded); "
            f"max |dp| vs dense {e['max_abs_dp_vs_dense']:.1e}{speed}"
        )
        lines.append(f"    R histogram (8-row bins): {r['histogram_8']}")
    for what in END_TO_END:
        if f"{what}_speedup_vs_dense" in report:
            lines.append(f"  end to end {what}: depth-aware {report[f'{what}_speedup_vs_dense']:.2f}x dense")
    return "\n".join(lines)
