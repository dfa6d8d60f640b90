"""1D reference and annotation encoding (hand-worked)."""

from __future__ import annotations

import numpy as np
import pytest

from vqsr_cnn.encode import annotation_values, encode_examples, parse_annotation_string, resolve_annotation_names
from vqsr_cnn.records import Example, Variant


def _reference(window: str, size: int, where: str = "") -> np.ndarray:
    """One window through the batch encoder (what the bridge and `score` run)."""
    example = Example(Variant("chr1", 5, "A", ("C",), "SNP"), window, {}, None, where)
    return encode_examples([example], "reference", [], window=size)[0][0]


def test_reference_one_hot_ambiguity_and_nul():
    t = _reference("ACGTKN\x00\x00", 8)
    assert t[:4].tolist() == np.eye(4).tolist()
    assert t[4].tolist() == [0, 0, 0.5, 0.5] and t[5].tolist() == [0.25] * 4
    assert not t[6:].any()  # '\x00' pads past the contig end: zeros


def test_a_window_of_another_length_is_an_error():
    for window in ("AC", "ACGTA"):
        with pytest.raises(ValueError, match=f"reference window has {len(window)} characters, expected exactly 4"):
            _reference(window, 4)


def test_unknown_reference_symbol_is_an_error():
    with pytest.raises(ValueError, match="unknown reference base\\(s\\) '\\*' in the reference window") as info:
        _reference("AC*T", 4, "chr1:5 A>C")
    assert info.value.where == "chr1:5 A>C"
    with pytest.raises(ValueError, match="unknown reference base\\(s\\) '\\*' in") as info:  # not the padding
        _reference("A*\x00\x00", 4)


def test_annotations_missing_dot_nan_list_become_numbers():
    values = parse_annotation_string("MQ=60.00;DP=.;SOR=NaN;FS=1.5,2.5;QD=[3.0, 4.0];ReadPosRankSum=-0.5;")
    names = resolve_annotation_names("best_practices")
    assert annotation_values(values, names) == [60.0, 0.0, 0.0, 1.5, 3.0, 0.0, -0.5]


def test_annotation_names_from_set_name_or_java_comma_list():
    assert resolve_annotation_names("MQ,DP") == ["MQ", "DP"]
    assert len(resolve_annotation_names("best_practices")) == 7


def test_text_annotation_is_an_error_naming_the_key():
    with pytest.raises(ValueError, match="annotation MQ='high'"):
        annotation_values({"MQ": "high"}, ["MQ"])
