"""vqsr_cnn.scores against GATK's log-odds formula worked out by hand on explicit probabilities.

Columns are (NOT_SNP, NOT_INDEL, SNP, INDEL); a SNP scores log(1e-7 + P(SNP) / (P(NOT_SNP) + 1e-7)), an
indel the same with the indel pair, any other type (MIXED, MNP, ...) the larger of the two.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from score_helpers import scores_by_hand

from vqsr_cnn import defines
from vqsr_cnn.scores import (
    format_score,
    predictions_to_indel_scores,
    predictions_to_snp_indel_scores,
    predictions_to_snp_scores,
    scores_for_types,
)

#                  NOT_SNP NOT_INDEL SNP  INDEL
ROWS = np.array(
    [
        [0.10, 0.20, 0.60, 0.10],  # SNP-like: snp log(6), indel log(1/2)
        [0.05, 0.15, 0.05, 0.75],  # indel-like: snp log(1), indel log(5)
        [0.70, 0.10, 0.10, 0.10],  # false SNP: snp log(1/7), indel log(1)
        [0.00, 0.50, 0.50, 0.00],  # P(NOT_SNP)=0 and P(INDEL)=0: epsilon keeps both finite
        [0.25, 0.25, 0.25, 0.25],
    ],
    dtype=np.float32,
)
E = 1e-7
SNP_BY_HAND = [
    math.log(E + 0.60 / (0.10 + E)),
    math.log(E + 0.05 / (0.05 + E)),
    math.log(E + 0.10 / (0.70 + E)),
    math.log(E + 0.50 / (0.00 + E)),
    math.log(E + 0.25 / (0.25 + E)),
]
INDEL_BY_HAND = [
    math.log(E + 0.10 / (0.20 + E)),
    math.log(E + 0.75 / (0.15 + E)),
    math.log(E + 0.10 / (0.10 + E)),
    math.log(E + 0.00 / (0.50 + E)),
    math.log(E + 0.25 / (0.25 + E)),
]
TOL = {"rtol": 1e-6, "atol": 1e-6}  # the module computes in float32, as GATK; the hand values are float64


def test_constants_are_gatks():
    assert defines.SCORE_EPSILON == 1e-7
    assert defines.SNP_INDEL_LABELS == {"NOT_SNP": 0, "NOT_INDEL": 1, "SNP": 2, "INDEL": 3}


def test_snp_and_indel_log_odds_by_hand():
    np.testing.assert_allclose(predictions_to_snp_scores(ROWS), SNP_BY_HAND, **TOL)
    np.testing.assert_allclose(predictions_to_indel_scores(ROWS), INDEL_BY_HAND, **TOL)
    snp, indel = predictions_to_snp_indel_scores(ROWS)
    np.testing.assert_allclose(snp, SNP_BY_HAND, **TOL)
    np.testing.assert_allclose(indel, INDEL_BY_HAND, **TOL)
    # the worked values, rounded: log 6, log 1/2, log 5, log 1/7, log(0.5 / 1e-7) and log(1e-7)
    assert [round(x, 4) for x in SNP_BY_HAND[:3]] == [1.7918, 0.0, -1.9459]
    assert [round(x, 4) for x in INDEL_BY_HAND[:3]] == [-0.6931, 1.6094, 0.0]
    assert round(SNP_BY_HAND[3], 3) == round(math.log(5e6), 3) == 15.425
    assert round(INDEL_BY_HAND[3], 3) == round(math.log(1e-7), 3) == -16.118


def test_epsilon_keeps_zero_probabilities_finite():
    edge = np.array([[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 0.0, 0.0]], dtype=np.float32)
    snp, indel = predictions_to_snp_indel_scores(edge)
    assert np.isfinite(snp).all() and np.isfinite(indel).all()
    np.testing.assert_allclose(snp, [math.log(E), math.log(E + 1.0 / E), math.log(E)], **TOL)
    np.testing.assert_allclose(snp, indel, **TOL)


@pytest.mark.parametrize("other", ["MIXED", "MNP", "SYMBOLIC", "NO_VARIATION"])
def test_each_type_takes_its_own_score_and_other_types_the_larger(other):
    types = ["SNP", "INDEL", other, other, other]
    expected = [
        SNP_BY_HAND[0],
        INDEL_BY_HAND[1],
        max(SNP_BY_HAND[2], INDEL_BY_HAND[2]),
        max(SNP_BY_HAND[3], INDEL_BY_HAND[3]),
        max(SNP_BY_HAND[4], INDEL_BY_HAND[4]),
    ]
    got = scores_for_types(ROWS, types)
    np.testing.assert_allclose(got, expected, **TOL)
    assert got[2] == pytest.approx(INDEL_BY_HAND[2], abs=1e-6)  # here the indel score is the larger
    assert got[3] == pytest.approx(SNP_BY_HAND[3], abs=1e-6)  # and here the SNP score
    np.testing.assert_allclose(got, scores_by_hand(ROWS, types), **TOL)  # the shared test helper agrees


def test_scores_follow_their_rows_not_their_positions():
    types = ["SNP", "INDEL", "MIXED", "INDEL", "SNP"]
    order = [3, 0, 4, 2, 1]
    straight = scores_for_types(ROWS, types)
    permuted = scores_for_types(ROWS[order], [types[i] for i in order])
    np.testing.assert_array_equal(permuted, straight[order])
    np.testing.assert_allclose(
        straight,
        [SNP_BY_HAND[0], INDEL_BY_HAND[1], max(SNP_BY_HAND[2], INDEL_BY_HAND[2]), INDEL_BY_HAND[3], SNP_BY_HAND[4]],
        **TOL,
    )


def test_float64_input_is_scored_in_float32_like_gatk():
    p64 = ROWS.astype(np.float64)
    np.testing.assert_array_equal(scores_for_types(p64, ["SNP"] * 5), scores_for_types(ROWS, ["SNP"] * 5))
    assert scores_for_types(p64, ["SNP"] * 5).dtype == np.float32


def test_format_score_three_decimals():
    assert format_score(SNP_BY_HAND[0]) == "1.792"
    assert format_score(INDEL_BY_HAND[0]) == "-0.693"
    assert format_score(SNP_BY_HAND[3]) == "15.425"
    assert format_score(0.0) == "0.000"
    assert format_score(-2.0) == "-2.000"
