"""Data-line parsing: exact round trip with the Java-style formatter, and clear errors naming the line."""

from __future__ import annotations

import numpy as np
import pytest

from vqsr_cnn.readers.fifo import format_data_line, parse_data_line
from vqsr_cnn.records import Example, Read, Variant

READ = Read("ACGT", np.array([30, 31, 32, 33], dtype=np.uint8), "4M", True, False, True, 60, 98)
EXAMPLE = Example(Variant("chr1", 100, "A", ("C", "T"), "SNP"), "ACGT" * 32, {"MQ": "60.0", "DP": "12"}, [READ])


def test_round_trip_2d_line_matches_java_layout():
    line = format_data_line(EXAMPLE)
    assert line.startswith("chr1\t100\tA\t[C, T]\t")
    assert line.endswith("ACGT\t30,31,32,33\t4M\ttrue\tfalse\ttrue\t60\t98\t\n")
    parsed = parse_data_line(line, "read_tensor")
    assert parsed.echo == "chr1\t100\tA\t[C, T]"
    assert parsed.example.variant == EXAMPLE.variant
    assert parsed.example.annotations == EXAMPLE.annotations
    (r,) = parsed.example.reads
    assert r._replace(qual=None) == READ._replace(qual=None) and r.qual.tolist() == [30, 31, 32, 33]


@pytest.mark.parametrize(
    ("alts", "expected"), [("[C]", ("C",)), ("[C, T]", ("C", "T")), ("[ CA ]", ("CA",)), ("[]", ()), ("[C, ]", ("C",))]
)
def test_alt_lists_read_as_java_printed_them(alts, expected):
    """Java's List.toString(): one ALT (the fast path), several, none; blanks around an ALT are not part of it."""
    line = f"chr1\t100\tA\t{alts}\t" + "A" * 128 + "\tDP=3;\tSNP\n"
    parsed = parse_data_line(line, "reference")
    assert parsed.example.variant.alts == expected and parsed.echo == f"chr1\t100\tA\t{alts}"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: f[:5], "expected at least 7 tab-separated fields"),
        (lambda f: f[:1] + ["1x0"] + f[2:], "position must be an integer"),
        (lambda f: f[:8] + ["30,x"] + f[9:], "base qualities must be comma-separated integers"),
        (lambda f: f[:10] + ["yes"] + f[11:], "is-reverse must be 'true' or 'false'"),
        (lambda f: f[:-3], "groups of 8"),
        (lambda f: f[:13] + ["sixty"] + f[14:], "MAPQ must be an integer"),
    ],
)
def test_malformed_lines_name_the_line_and_problem(mutate, message):
    fields = format_data_line(EXAMPLE).rstrip("\n").split("\t")
    with pytest.raises(ValueError, match=message) as info:
        parse_data_line("\t".join(mutate(fields)) + "\n", "read_tensor", line_number=3)
    assert "data line 3" in str(info.value)


def test_1d_line_ignores_read_fields():
    parsed = parse_data_line(format_data_line(EXAMPLE._replace(reads=None)), "reference")
    assert parsed.example.reads is None


# ---- the bad-line corpus (tests/bad_lines.py): every line Java could not have written is an error ----


def _parse_and_encode(lines: list[str], tensor_type: str):
    from vqsr_cnn import defines
    from vqsr_cnn.encode import encode_examples

    examples = [parse_data_line(line, tensor_type, i + 1).example for i, line in enumerate(lines)]
    return encode_examples(examples, tensor_type, defines.ANNOTATIONS_SETS["best_practices"])


@pytest.mark.parametrize("tensor_type", ["reference", "read_tensor"])
def test_the_corpus_batches_are_good_before_they_are_broken(testdata, tensor_type):
    from bad_lines import BATCH, good_batch

    tensors, _ = _parse_and_encode(good_batch(testdata, tensor_type), tensor_type)
    assert len(tensors) == BATCH


@pytest.mark.parametrize("case", list(__import__("bad_lines").CASES))
def test_bad_line_is_an_error_naming_the_variant(testdata, case):
    from bad_lines import BAD_INDEX, CASES, bad_batch

    lines, tensor_type, locus = bad_batch(testdata, case)
    with pytest.raises(ValueError) as info:
        _parse_and_encode(lines, tensor_type)
    message = str(info.value)
    assert CASES[case][2] in message
    assert locus in message or f"data line {BAD_INDEX + 1} (" in message, message
    assert "\n" not in message
