"""FP32 vs reduced precision on labelled tensors: score drift, threshold crossings, ROC AUC change.

Thresholds are the diff report's: cut-offs at the 99.9% / 99.0% (SNP) and 99.5% / 99.0% (indel)
tranche-style quantiles of the FP32 scores (the cut-off that keeps that share of the calls), plus a
10th-percentile cut-off per type.  A call "crosses" when it is on different sides of a cut-off in the
two precisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..scores import scores_for_types
from . import data as bench_data

THRESHOLDS = {"SNP": (0.999, 0.99, 0.90), "INDEL": (0.995, 0.99, 0.90)}  # share of calls kept


def roc_auc(scores: np.ndarray, truth: np.ndarray) -> float:
    """Mann-Whitney AUC with ties counted half; NaN when only one class is present."""
    truth = np.asarray(truth, dtype=bool)
    n_pos, n_neg = int(truth.sum()), int((~truth).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    sorted_scores = np.asarray(scores)[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[truth].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def compare(reference: np.ndarray, other: np.ndarray, types: Sequence[str], truth: np.ndarray) -> dict:
    """Drift, crossings per threshold (and over any threshold) and AUC change of `other` vs `reference`."""
    type_of = np.asarray(types)
    delta = np.abs(np.asarray(other, dtype=np.float64) - np.asarray(reference, dtype=np.float64))
    crossed_any = np.zeros(len(delta), dtype=bool)
    thresholds: list[dict[str, Any]] = []
    for vtype, levels in THRESHOLDS.items():
        mask = type_of == vtype
        if not mask.any():
            continue
        for keep in levels:
            cut = float(np.quantile(reference[mask], 1.0 - keep))
            crossed = mask & ((reference >= cut) != (other >= cut))
            crossed_any |= crossed
            thresholds.append(
                {
                    "type": vtype,
                    "keep": keep,
                    "cutoff": round(cut, 4),
                    "calls": int(mask.sum()),
                    "crossed": int(crossed.sum()),
                    "share": float(crossed.sum() / mask.sum()),
                }
            )
    auc_ref, auc_other = roc_auc(reference, truth), roc_auc(other, truth)
    per_type_auc = {}
    for vtype in THRESHOLDS:
        mask = type_of == vtype
        if mask.any():
            per_type_auc[vtype] = {"fp32": roc_auc(reference[mask], truth[mask]), "reduced": roc_auc(other[mask], truth[mask])}
    return {
        "n": int(len(delta)),
        "max_abs_delta": float(delta.max()) if delta.size else 0.0,
        "p99_abs_delta": float(np.percentile(delta, 99)) if delta.size else 0.0,
        "mean_abs_delta": float(delta.mean()) if delta.size else 0.0,
        "thresholds": thresholds,
        "crossed_any": int(crossed_any.sum()),
        "crossed_any_share": float(crossed_any.mean()) if delta.size else 0.0,
        "max_share_one_threshold": max((t["share"] for t in thresholds), default=0.0),
        "auc_fp32": auc_ref,
        "auc_reduced": auc_other,
        "auc_change": float(auc_other - auc_ref),
        "auc_by_type": per_type_auc,
    }


def run_accuracy(tb: Any) -> dict[str, Any]:
    """Score a TypeBench's labelled valid tensors in FP32 (OpenVINO) and each reduced precision; compare."""
    valid = bench_data.load_tensors(bench_data.tensor_files(tb.root, "valid"), tb.tt)
    types, truth = valid.variant_types, valid.truth

    def scores(engine: Any) -> np.ndarray:
        return scores_for_types(engine.predict_arrays(valid.tensors, valid.annotations), types)

    fp32 = scores(tb.engine("openvino", "fp32"))
    result: dict[str, Any] = {
        "tensors": len(valid),
        "split": "valid",
        "model": tb.hd5_path,
        "labels": {k: valid.labels.count(k) for k in sorted(set(valid.labels))},
    }
    result["tensorflow_fp32"] = compare(fp32, scores(tb.engine("tensorflow", "fp32")), types, truth)
    result["bf16"] = compare(fp32, scores(tb.engine("openvino", "bf16")), types, truth)
    int8 = tb.int8() if tb.options.int8 else None
    if int8 is not None:
        result["int8"] = compare(fp32, scores(int8), types, truth)
    else:
        result["int8"] = {"skipped": tb.int8_note or "disabled (--no-int8)"}
    return result
