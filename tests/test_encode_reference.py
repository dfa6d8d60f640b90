"""1D reference and annotation encoding (hand-worked)."""

from __future__ import annotations

import numpy as np
import pytest

from vqsr_cnn.encode import encode_annotations, parse_annotation_string, resolve_annotation_names
from vqsr_cnn.encode.reference import encode_reference


def test_reference_one_hot_ambiguity_and_nul():
    t = encode_reference("ACGTKN\x00A", 8)
    assert t[:4].tolist() == np.eye(4).tolist()
    assert t[4].tolist() == [0, 0, 0.5, 0.5] and t[5].tolist() == [0.25] * 4
    assert not t[6:].any()  # '\x00' ends the sequence, even if bases follow


def test_short_reference_is_zero_padded_and_long_is_an_error():
    assert encode_reference("AC", 4)[2:].sum() == 0
    with pytest.raises(ValueError, match="more than the window"):
        encode_reference("ACGTA", 4)


def test_unknown_reference_symbol_is_an_error():
    with pytest.raises(ValueError, match="'\\*'"):
        encode_reference("AC*T", 4, "chr1:5 A>C: ")


def test_annotations_missing_dot_nan_list_become_numbers():
    values = parse_annotation_string("MQ=60.00;DP=.;SOR=NaN;FS=1.5,2.5;QD=[3.0, 4.0];ReadPosRankSum=-0.5;")
    names = resolve_annotation_names("best_practices")
    assert encode_annotations(values, names).tolist() == [60.0, 0.0, 0.0, 1.5, 3.0, 0.0, -0.5]


def test_annotation_names_from_set_name_or_java_comma_list():
    assert resolve_annotation_names("MQ,DP") == ["MQ", "DP"]
    assert len(resolve_annotation_names("best_practices")) == 7


def test_text_annotation_is_an_error_naming_the_key():
    with pytest.raises(ValueError, match="annotation MQ='high'"):
        encode_annotations({"MQ": "high"}, ["MQ"])
