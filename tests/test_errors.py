"""One error type for bad input (InputError, with a `where`), caught only at the edges; bugs keep their traceback."""

from __future__ import annotations

import pytest

from vqsr_cnn import cli
from vqsr_cnn.defines import TensorType
from vqsr_cnn.encode import encode_examples
from vqsr_cnn.errors import InputError
from vqsr_cnn.readers.fifo import parse_data_line
from vqsr_cnn.records import Example, Variant


def test_input_error_puts_where_first_and_keeps_both_parts():
    exc = InputError("POS must be at least 1", "calls.vcf line 12 (chr1:0)")
    assert str(exc) == "calls.vcf line 12 (chr1:0): POS must be at least 1"
    assert (exc.message, exc.where) == ("POS must be at least 1", "calls.vcf line 12 (chr1:0)")
    assert isinstance(exc, ValueError), "GATK-era callers catch ValueError"
    assert str(InputError("no where")) == "no where"


def test_tensor_type_is_parsed_once_with_one_message():
    assert TensorType.parse("read_tensor") is TensorType.READ_TENSOR
    assert TensorType.READ_TENSOR == "read_tensor" and f"{TensorType.REFERENCE}" == "reference"
    with pytest.raises(InputError, match=r"^--tensor-type: unknown tensor type 'pileup': expected 'reference'"):
        TensorType.parse("pileup", "--tensor-type")


def test_an_encoding_error_names_the_example_it_came_from_without_re_encoding():
    """The reader's label travels on the Example; the batch encoder raises with it directly."""
    good = Example(Variant("chr1", 100, "A", ("G",), "SNP"), "A" * 128, {}, None, "calls.vcf line 7 (chr1:100)")
    bad = good._replace(reference="A" * 127 + "!", where="calls.vcf line 8 (chr1:101)")
    with pytest.raises(InputError) as info:
        encode_examples([good, bad], TensorType.REFERENCE, ["DP"], 128, 128)
    assert info.value.where == "calls.vcf line 8 (chr1:101)"
    unnamed = bad._replace(where="")
    with pytest.raises(InputError) as info:
        encode_examples([unnamed], TensorType.REFERENCE, ["DP"], 128, 128)
    assert info.value.where == "chr1:100 A>G", "without a reader label: contig:pos ref>alt"


def test_a_data_line_error_carries_its_line_number_as_where():
    line = "chr1\t100\tA\t[G]\t" + "A" * 128 + "\tDP=3;\tNOT_A_TYPE\n"
    with pytest.raises(InputError) as info:
        parse_data_line(line, TensorType.REFERENCE, 5)
    assert info.value.where == "data line 5 (chr1:100 A>[G])"
    assert "variant type must be one of SNP, INDEL, OTHER" in info.value.message


def test_cli_prints_input_errors_in_one_line_and_lets_bugs_raise(monkeypatch, capsys):
    def bad_input(args):
        raise InputError("--threads must be 0 or more, got -1")

    def bug(args):
        raise KeyError("a bug, not bad input")

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    parser._subparsers._group_actions[0].choices["diff"].set_defaults(func=bad_input)
    assert cli.main(["diff", "a.vcf", "b.vcf", "-o", "out"]) == 2
    assert capsys.readouterr().err == "vqsr-cnn diff: error: --threads must be 0 or more, got -1\n"
    parser._subparsers._group_actions[0].choices["diff"].set_defaults(func=bug)
    with pytest.raises(KeyError, match="a bug"):
        cli.main(["diff", "a.vcf", "b.vcf", "-o", "out"])
