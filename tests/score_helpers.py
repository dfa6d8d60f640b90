"""GATK's CNN score written out by hand, for tests: independent of vqsr_cnn.scores (which it pins).

CNNScoreVariants' model outputs softmax over (NOT_SNP, NOT_INDEL, SNP, INDEL), in that order (the models'
`output_labels`); a SNP scores log(eps + P(SNP) / (P(NOT_SNP) + eps)), an indel the same with the indel pair,
anything else the larger of the two, with eps = 1e-7.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

EPS = 1e-7
NOT_SNP, NOT_INDEL, SNP, INDEL = 0, 1, 2, 3


def log_odds(p_true: float, p_false: float) -> float:
    return math.log(EPS + p_true / (p_false + EPS))


def score_by_hand(row: Sequence[float], variant_type: str) -> float:
    snp = log_odds(float(row[SNP]), float(row[NOT_SNP]))
    indel = log_odds(float(row[INDEL]), float(row[NOT_INDEL]))
    if variant_type == "SNP":
        return snp
    if variant_type == "INDEL":
        return indel
    return max(snp, indel)


def scores_by_hand(rows: Sequence[Sequence[float]], variant_types: Sequence[str]) -> list[float]:
    return [score_by_hand(row, t) for row, t in zip(rows, variant_types, strict=True)]
