"""The vectorised read-tensor encoder and data-line parser give, bit for bit, what a plain per-base reading of
GATK 4.2's rules gives: on every real 2D data line in testdata and on seeded generated reads that hit the
layout's corners (insertions and deletions at every key, reads off either end of the window, more reads
than rows, IUPAC codes, '*' reads, reads without qualities, NUL-padded references).

The reference is `vqsr_cnn.bench.gatk42_recreation` (per-base Python loops written from docs/design.md §5,
independently of `vqsr_cnn.encode`); qualities are checked against `int()` of each comma-separated text.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from real_fifo_lines import lines_2d

from vqsr_cnn import defines
from vqsr_cnn.bench.gatk42_recreation import encode_lines, encode_read_tensor_loop, encode_reference_loop
from vqsr_cnn.encode import encode_examples
from vqsr_cnn.encode.reads import encode_read_tensor
from vqsr_cnn.readers.fifo import parse_data_line
from vqsr_cnn.records import Read, Variant

NAMES = defines.ANNOTATIONS_SETS["best_practices"]


def assert_same_bits(ours: np.ndarray, reference: np.ndarray) -> None:
    """Equal as stored: a -0.0 for a 0.0 (or the other way round) is a difference."""
    assert ours.shape == reference.shape and ours.dtype == reference.dtype == np.float32
    np.testing.assert_array_equal(ours.view(np.uint32), reference.view(np.uint32))


@pytest.fixture(scope="module")
def real_lines(testdata) -> list[str]:
    """The 2D lines of testdata/fifo and the GIAB / chr22_normal lines built from testdata's BAMs."""
    return (testdata / "fifo" / "lines_2d.txt").read_text().splitlines(keepends=True) + lines_2d()


@pytest.mark.parametrize("read_limit", [defines.DEFAULT_READ_LIMIT, 16])
def test_real_lines_encode_as_the_per_base_reference(real_lines, read_limit):
    examples = [parse_data_line(line, "read_tensor", i + 1).example for i, line in enumerate(real_lines)]
    tensors, annotations = encode_examples(examples, "read_tensor", NAMES, read_limit=read_limit)
    loop_tensors, loop_annotations, _ = encode_lines(real_lines, "read_tensor", NAMES, defines.DEFAULT_WINDOW_SIZE, read_limit)
    assert tensors[:, :, :, :5].any() and tensors[:, :, :, 10:].any()  # real reads, not an empty fixture
    assert_same_bits(tensors, loop_tensors)
    assert_same_bits(annotations, loop_annotations)


def test_real_lines_parse_qualities_and_fields_as_plain_python(real_lines):
    lines = [*real_lines, _with_unqualified_read(real_lines[0])]
    for i, line in enumerate(lines):
        reads = parse_data_line(line, "read_tensor", i + 1).example.reads
        fields = line.rstrip("\n").split("\t")[defines.VARIANT_FIFO_FIELDS : -1]
        assert len(reads) * defines.READ_ELEMENTS == len(fields)
        for read, k in zip(reads, range(0, len(fields), defines.READ_ELEMENTS)):
            seq, quals, cigar, reverse, mate_reverse, first, mapq, start = fields[k : k + defines.READ_ELEMENTS]
            expected = [int(q) for q in quals.split(",")] if quals else []
            assert read.qual.dtype == np.uint8 and read.qual.tolist() == expected
            assert (read.seq, read.cigar, read.mapping_quality, read.start) == (seq, cigar, int(mapq), int(start))
            assert (read.reverse, read.mate_reverse, read.first) == (reverse == "true", mate_reverse == "true", first == "true")


def _with_unqualified_read(line: str) -> str:
    """The line with its second read's qualities removed (Java sends '' for a read without them)."""
    fields = line.split("\t")
    fields[defines.VARIANT_FIFO_FIELDS + defines.READ_ELEMENTS + 1] = ""
    return "\t".join(fields)


# ---- generated reads: the layout's corners, many times over ----

BASES = "ACGT" * 4 + "".join(defines.AMBIGUITY_CODES)


def _cigar(rng: random.Random, length: int) -> str:
    """A CIGAR covering `length` read bases, with I/D/S/N/H/P/=/X ops anywhere (zero-length ones too)."""
    ops, left = [], length
    while left > 0:
        op = rng.choice("MMMMIDSN=XHP")
        n = min(rng.randint(0, 12), left) if op in defines.CIGAR_OPS_THAT_CONSUME_READ else rng.randint(0, 6)
        left -= n if op in defines.CIGAR_OPS_THAT_CONSUME_READ else 0
        ops.append(f"{n}{op}")
        if left > 0 and rng.random() < 0.3:
            ops.append(f"{left}M")
            left = 0
    return "".join(ops) or "0M"


def _read(rng: random.Random, pos: int, window: int) -> Read:
    length = rng.choice([1, 2, 5, 20, 40, 150])
    seq = "".join(rng.choice(BASES) for _ in range(length)) if rng.random() > 0.03 else defines.NULL_SEQUENCE
    quals = np.array([rng.randint(0, 93) for _ in seq], dtype=np.uint8) if rng.random() < 0.9 else np.zeros(0, np.uint8)
    cigar = _cigar(rng, len(seq)) if seq != defines.NULL_SEQUENCE else defines.NULL_SEQUENCE
    flags = (rng.random() < 0.5, rng.random() < 0.5, rng.random() < 0.5)
    return Read(seq, quals, cigar, *flags, rng.randint(0, 70), pos + rng.randint(-2 * window, window + 5))


def _as_loop_read(read: Read) -> dict:
    return {
        "seq": read.seq,
        "qual": read.qual.tolist(),
        "cigar": read.cigar,
        "reverse": read.reverse,
        "mate_reverse": read.mate_reverse,
        "first": read.first,
        "mapq": read.mapping_quality,
        "start": read.start,
    }


@pytest.mark.parametrize("seed", range(4))
def test_generated_reads_encode_as_the_per_base_reference(seed):
    rng = random.Random(seed)
    gapped = 0
    for _ in range(60):
        window, read_limit = rng.choice([8, 16, 32, 128]), rng.choice([4, 16, 128])
        pos = rng.randint(1, 300)
        variant = Variant("chr1", pos, "A", ("C",), rng.choice(defines.VARIANT_TYPES))
        reference = "".join(rng.choice("ACGTNRK") for _ in range(window))
        if rng.random() < 0.2:  # past the contig end
            keep = rng.randint(0, window)
            reference = reference[:keep] + "\x00" * (window - keep)
        reads = [_read(rng, pos, window) for _ in range(rng.choice([0, 1, 3, 10, 40, 140]))]
        gapped += any("I" in r.cigar or "D" in r.cigar for r in reads)
        ours = encode_read_tensor(variant, reference, reads, window, read_limit)
        loop = encode_read_tensor_loop(
            pos, variant.variant_type, reference, [_as_loop_read(r) for r in reads], window, read_limit
        )
        assert_same_bits(ours, loop)
    assert gapped > 20  # the generator does reach the insertion / deletion layout


def test_out_is_written_whole():
    """A reused `out` keeps nothing from before (the batch tensor is allocated empty)."""
    rng = random.Random(7)
    reads = [_read(rng, 100, 16) for _ in range(5)]
    variant = Variant("chr1", 100, "A", ("C",), "INDEL")
    out = np.full((8, 16, 15), np.nan, dtype=np.float32)
    assert_same_bits(
        encode_read_tensor(variant, "ACGT" * 4, reads, 16, 8, out=out), encode_read_tensor(variant, "ACGT" * 4, reads, 16, 8)
    )


def test_negative_flag_values_stay_negative_zero_outside_the_span():
    """GATK multiplies the flags by the span mask: a negative MAPQ (not from Java) gives -0.0 outside it, as before."""
    read = Read("ACGTACGT", np.full(8, 30, dtype=np.uint8), "8M", True, False, True, -6, 6)  # columns 0-7, span [0, 7)
    t = encode_read_tensor(Variant("chr1", 10, "A", ("C",), "SNP"), "ACGTACGT", [read], 8, 2)
    assert t[0, 0, 14] == np.float32(-6 / 60) and t[0, 7, 14] == 0
    assert np.signbit(t[0, 7, 14]) and not np.signbit(t[1, 7, 14])


def test_first_error_in_row_order():
    """A short quality string in row 1 is reported before a malformed CIGAR in row 2, and the other way round."""
    good = Read("GGGG", np.full(4, 30, dtype=np.uint8), "4M", False, False, True, 60, 8)  # rows in start order
    short = good._replace(qual=np.full(3, 30, dtype=np.uint8))
    broken = good._replace(cigar="4Q", start=9)
    variant = Variant("chr1", 10, "A", ("C",), "SNP")
    with pytest.raises(ValueError, match="read 1 has 4 bases but 3 qualities"):
        encode_read_tensor(variant, "ACGTACGT", [short, broken], 8, 4)
    with pytest.raises(ValueError, match="malformed CIGAR '4Q'"):
        encode_read_tensor(variant, "ACGTACGT", [broken._replace(start=7), short], 8, 4)


# ---- 1D: the whole batch in one table lookup ----


def test_reference_batches_encode_as_the_per_base_reference(testdata):
    """testdata's real 1D lines and generated windows (IUPAC codes, '\\x00'-padded contig ends) in one batch."""
    rng = random.Random(11)
    lines = (testdata / "fifo" / "lines_1d.txt").read_text().splitlines(keepends=True)
    examples = [parse_data_line(line, "reference", i + 1).example for i, line in enumerate(lines)]
    for keep in [0, 1, 64, 127, 128, *(rng.randint(0, 128) for _ in range(40))]:
        window = "".join(rng.choice("ACGT" + "".join(defines.AMBIGUITY_CODES)) for _ in range(keep))
        examples.append(examples[0]._replace(reference=window + "\x00" * (128 - keep)))
    tensors, annotations = encode_examples(examples, "reference", NAMES)
    loop = np.stack([encode_reference_loop(e.reference, 128) for e in examples])
    assert tensors.any() and not tensors[len(lines)].any()  # real bases; the all-padding window is all zero
    assert_same_bits(tensors, loop)
    assert annotations[: len(lines)].any()


def test_reference_batch_errors_come_in_example_order():
    """Each example's annotations, then its reference window: the first offending example is the one named."""
    good = parse_data_line("chr1\t100\tA\t[G]\t" + "A" * 128 + "\tDP=3;\tSNP\n", "reference", 1).example
    bad_reference = good._replace(reference="A" * 127 + "!", where="line 2")
    bad_annotation = good._replace(annotations={"DP": "high"}, where="line 3")
    with pytest.raises(ValueError, match="unknown reference base") as info:
        encode_examples([good, bad_reference, bad_annotation], "reference", ["DP"])
    assert info.value.where == "line 2"
    with pytest.raises(ValueError, match="annotation DP='high'") as info:
        encode_examples([good, bad_annotation, bad_reference], "reference", ["DP"])
    assert info.value.where == "line 3"
    both = bad_reference._replace(annotations={"DP": "high"})
    with pytest.raises(ValueError, match="annotation DP='high'"):
        encode_examples([good, both], "reference", ["DP"])
