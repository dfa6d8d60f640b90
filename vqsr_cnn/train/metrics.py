"""Validation metrics in GATK's terms: per-class accuracy and ROC AUC of the SNP and INDEL log-odds scores."""

from __future__ import annotations

import numpy as np

from .. import defines
from ..scores import predictions_to_indel_scores, predictions_to_snp_scores

_L = defines.SNP_INDEL_LABELS


def roc_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U; tied scores count one half). NaN without both classes."""
    scores = np.asarray(scores, dtype=np.float64)
    positive = np.asarray(positive, dtype=bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores), dtype=np.float64)
    # Average 1-based ranks over runs of equal scores.
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_scores)) + 1]
    ends = np.r_[starts[1:], len(scores)]
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    u = ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


# GATK scores a SNP by SNP vs NOT_SNP and an indel by INDEL vs NOT_INDEL: each class's partner in its score.
_PARTNER = {"SNP": "NOT_SNP", "NOT_SNP": "SNP", "INDEL": "NOT_INDEL", "NOT_INDEL": "INDEL"}


def evaluate(probabilities: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Per-class accuracy (argmax over all 4 classes, and over the class's score pair as GATK uses it),
    overall 4-way accuracy, and the ROC AUCs of the SNP and INDEL scores."""
    labels = np.asarray(labels)
    predicted = np.argmax(probabilities, axis=1)
    out: dict[str, float] = {"accuracy": float(np.mean(predicted == labels))}
    for name, index in _L.items():
        mask = labels == index
        p = probabilities[mask]
        out[f"accuracy_{name}"] = float(np.mean(predicted[mask] == index)) if mask.any() else float("nan")
        out[f"pair_accuracy_{name}"] = float(np.mean(p[:, index] > p[:, _L[_PARTNER[name]]])) if mask.any() else float("nan")
    snp = np.isin(labels, [_L["SNP"], _L["NOT_SNP"]])
    indel = np.isin(labels, [_L["INDEL"], _L["NOT_INDEL"]])
    out["auc_snp"] = roc_auc(predictions_to_snp_scores(probabilities[snp]), labels[snp] == _L["SNP"])
    out["auc_indel"] = roc_auc(predictions_to_indel_scores(probabilities[indel]), labels[indel] == _L["INDEL"])
    return out


def format_metrics(metrics: dict[str, float]) -> str:
    per_class = " ".join(f"{name}={metrics[f'accuracy_{name}']:.3f}" for name in _L)
    per_pair = " ".join(f"{name}={metrics[f'pair_accuracy_{name}']:.3f}" for name in _L)
    return (
        f"AUC SNP={metrics['auc_snp']:.4f} INDEL={metrics['auc_indel']:.4f} | 4-way accuracy={metrics['accuracy']:.3f} "
        f"({per_class}) | within-score accuracy ({per_pair})"
    )
