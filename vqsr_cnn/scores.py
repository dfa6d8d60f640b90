"""Probabilities -> GATK's CNN log-odds scores."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import defines

_L = defines.SNP_INDEL_LABELS
_EPS = defines.SCORE_EPSILON


def predictions_to_snp_scores(predictions: np.ndarray, eps: float = _EPS) -> np.ndarray:
    p = predictions.astype(np.float32)  # float32 arithmetic, as GATK
    return np.log(eps + p[:, _L["SNP"]] / (p[:, _L["NOT_SNP"]] + eps))


def predictions_to_indel_scores(predictions: np.ndarray, eps: float = _EPS) -> np.ndarray:
    p = predictions.astype(np.float32)  # float32 arithmetic, as GATK
    return np.log(eps + p[:, _L["INDEL"]] / (p[:, _L["NOT_INDEL"]] + eps))


def predictions_to_snp_indel_scores(predictions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return predictions_to_snp_scores(predictions), predictions_to_indel_scores(predictions)


def scores_for_types(predictions: np.ndarray, variant_types: Sequence[str]) -> np.ndarray:
    """SNP score for SNPs, INDEL score for indels, the larger of the two for anything else."""
    snp, indel = predictions_to_snp_indel_scores(predictions)
    types = np.asarray(variant_types)
    return np.where(types == "SNP", snp, np.where(types == "INDEL", indel, np.maximum(snp, indel)))


def format_score(score: float) -> str:
    return f"{score:.3f}"
