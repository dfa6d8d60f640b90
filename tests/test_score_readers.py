"""Standalone readers reproduce what CNNScoreVariants.java sends (no model needed here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pysam
import pytest

from vqsr_cnn.readers.bam import ReadSource, unclipped_start
from vqsr_cnn.readers.examples import make_example
from vqsr_cnn.readers.fasta import ReferenceReader
from vqsr_cnn.readers.intervals import parse_intervals
from vqsr_cnn.readers.reservoir import JavaRandom, reservoir_sample
from vqsr_cnn.readers.vcf import VcfReader, is_symbolic_or_sv, java_type_string, parse_info, variant_type
from vqsr_cnn.writers.vcf import add_info_header, insert_info

KEYS = ["MQ", "DP", "SOR", "FS", "QD", "MQRankSum", "ReadPosRankSum"]


def test_java_random_matches_java_util_random():
    # new java.util.Random(47382911).nextInt() twice, and new Random(42).nextInt(10) five times.
    rng = JavaRandom()
    assert (rng.next_int(), rng.next_int()) == (1057280359, -873351126)
    rng = JavaRandom(42)
    assert [rng.next_int(10) for _ in range(5)] == [0, 3, 8, 4, 0]


def test_reservoir_keeps_all_below_limit_and_draws_once_per_overflow():
    rng = JavaRandom()
    assert reservoir_sample(range(5), 8, rng) == [0, 1, 2, 3, 4] and rng.draws == 0
    kept = reservoir_sample(range(300), 128, rng)
    assert len(kept) == 128 and rng.draws == 300 - 128 and len(set(kept)) == 128
    again = reservoir_sample(range(300), 128, JavaRandom())
    assert again == kept  # fixed seed: same reads every run
    assert kept != sorted(kept)  # in-place replacement: slot order, as GATK's ArrayList.set


@pytest.mark.parametrize(
    "ref, alts, htsjdk, java",
    [
        ("A", ("G",), "SNP", "SNP"),
        ("C", ("*",), "SNP", "SNP"),  # '*' is a one-base allele to htsjdk, not symbolic
        ("CT", ("*",), "INDEL", "INDEL"),
        ("A", ("C", "*"), "SNP", "SNP"),
        ("A", ("AT", "*"), "MIXED", "OTHER"),
        ("AC", ("GT",), "MNP", "OTHER"),
        ("A", ("<DEL>",), "SYMBOLIC", "OTHER"),
        ("A", ("A]chr2:100]",), "SYMBOLIC", "OTHER"),
        ("A", (), "NO_VARIATION", "OTHER"),
    ],
)
def test_variant_type_follows_htsjdk(ref, alts, htsjdk, java):
    assert variant_type(ref, alts) == htsjdk
    assert java_type_string(htsjdk) == java


def test_info_values_as_java_prints_them():
    types = {"DB": "Flag", "MQ": "Float", "STR": "Flag"}
    info = parse_info("AF=0.5,0.25;MQ;DP=;DB=0;STR;X=abc;QD=.", types, "w")
    assert info == {"AF": "[0.5, 0.25]", "MQ": ".", "DP": ".", "STR": "true", "X": "abc", "QD": "."}
    assert parse_info(".", types, "w") == {}
    with pytest.raises(ValueError, match="whitespace"):
        parse_info("MQ=1 2", types, "w")


def _record(tmp_path: Path, line: str):
    vcf = tmp_path / "r.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" + line)
    return next(iter(VcfReader(vcf)))


def test_symbolic_and_sv_filter(tmp_path):
    assert is_symbolic_or_sv(_record(tmp_path, "c\t5\t.\tA\t<DEL>\t.\t.\tEND=900\n"))
    assert is_symbolic_or_sv(_record(tmp_path, "c\t5\t.\tA\tA" + "C" * 151 + "\t.\t.\t.\n"))
    assert not is_symbolic_or_sv(_record(tmp_path, "c\t5\t.\tA" + "C" * 151 + "\tA\t.\t.\t.\n"))  # htsjdk: deletions are not SV
    assert not is_symbolic_or_sv(_record(tmp_path, "c\t5\t.\tA\tC,<DEL>\t.\t.\t.\n"))  # MIXED
    assert _record(tmp_path, "c\t5\t.\tA\t<DEL>\t.\t.\tEND=900\n").end == 900


@pytest.fixture()
def small_fasta(tmp_path: Path) -> Path:
    fasta = tmp_path / "ref.fa"
    fasta.write_text(">c\n" + "acgtKRN" + "A" * 193 + "\n")  # 200 bases, lower case and IUPAC at the start
    pysam.faidx(str(fasta))
    return fasta


def test_reference_window_clipping_padding_and_case(small_fasta):
    ref = ReferenceReader(small_fasta)
    # Near the start: Java clips the window to base 1 and takes [1, end + 64], then pads with NUL.
    w = ref.window("c", 10, 10, 128, "w")
    assert len(w) == 128 and w.startswith("ACGTNNN") and w[:74] == "ACGTNNN" + "A" * 67 and set(w[74:]) == {"\x00"}
    # A long REF extends the end of the window (still 128 characters).
    assert ref.window("c", 10, 100, 128, "w")[:128].count("\x00") == 0
    # Near the end: bases up to the contig end, then NUL.
    w = ref.window("c", 190, 190, 128, "w")
    assert w[: 200 - 126 + 1] == "A" * 75 and set(w[75:]) == {"\x00"}
    with pytest.raises(ValueError, match="contig 'chr9' is not in the reference"):
        ref.window("chr9", 10, 10, 128, "w")


def test_reference_rejects_non_iupac_letters(tmp_path):
    fasta = tmp_path / "bad.fa"
    fasta.write_text(">c\n" + "A" * 50 + "*" + "A" * 50 + "\n")
    pysam.faidx(str(fasta))
    with pytest.raises(ValueError, match="non-IUPAC base"):
        ReferenceReader(fasta).window("c", 40, 40, 128, "w")


def test_read_fields_match_the_bam(testdata):
    bam = testdata / "chr22_normal" / "test.paired_end.sorted.bam"
    source = ReadSource(bam)  # the default is GATK's read set (strict may drop it)
    raw = pysam.AlignmentFile(str(bam))
    clipped = [r for r in raw.fetch(until_eof=True) if r.cigarstring and "H" in r.cigarstring]
    assert clipped, "fixture has hard-clipped reads"
    r = clipped[0]
    lead = 0
    for op, n in r.cigartuples:
        if op not in (4, 5):
            break
        lead += n
    assert unclipped_start(r) == r.reference_start + 1 - lead
    reads = source.reads("chr22", r.reference_start + 1, r.reference_start + 1, 10_000, "w")
    mine = [x for x in reads if x.seq == r.query_sequence and x.cigar == r.cigarstring]
    assert mine and mine[0].start == unclipped_start(r) and mine[0].mapping_quality == r.mapping_quality
    assert np.array_equal(mine[0].qual, np.asarray(r.query_qualities, dtype=np.uint8))
    assert mine[0].first == (r.is_paired and r.is_read1) and mine[0].reverse == r.is_reverse


def test_read_filters_gatk_default_keeps_duplicates_strict_drops_them(testdata):
    bam = testdata / "giab_chr22" / "NA12878.chr22_16584000-16587000.bam"
    raw = pysam.AlignmentFile(str(bam))
    pos = 16585144
    overlapping = [r for r in raw.fetch("chr22", pos - 1, pos)]
    dups = sum(r.is_duplicate for r in overlapping)
    assert dups > 0, "fixture site has duplicate reads"
    gatk = ReadSource(bam).reads("chr22", pos, pos, 10_000, "w")  # the default: GATK 4.2's filters
    strict = ReadSource(bam, read_filter="strict").reads("chr22", pos, pos, 10_000, "w")
    assert len(gatk) == len(overlapping)  # well-formed, RG present: GATK keeps every overlapping read
    assert len(strict) == len(overlapping) - sum(bool(r.flag & 0x704) for r in overlapping)


def test_downsampling_is_reproducible(testdata):
    bam = testdata / "chr22_normal" / "test.paired_end.sorted.bam"
    a = ReadSource(bam).reads("chr22", 1982, 1982, 128, "w")
    b = ReadSource(bam).reads("chr22", 1982, 1982, 128, "w")
    assert len(a) == 128 and [r.seq for r in a] == [r.seq for r in b]
    everything = ReadSource(bam).reads("chr22", 1982, 1982, 10_000, "w")
    assert len(everything) > 128


def test_example_from_hg004_spanning_deletion(testdata):
    vcf = VcfReader(testdata / "hg004_chr21" / "NA24143.vcf.gz")
    ref = ReferenceReader(testdata / "hg004_chr21" / "hg38_chr21_22000000_23000000.fasta")
    record = next(r for r in vcf if r.alts == ("*",) and len(r.ref) > 1)
    ex = make_example(record, vcf.header, ref, None, KEYS, 128, 128, "w")
    assert ex.variant.alts == ("*",) and ex.variant.variant_type == "INDEL"
    assert len(ex.reference) == 128 and ex.reference[64 : 64 + len(record.ref)] == record.ref.upper()
    assert list(ex.annotations) == [k for k in KEYS if k in ex.annotations]  # Java's key order


def test_intervals(small_fasta):
    lengths = ReferenceReader(small_fasta).lengths
    iv = parse_intervals(["c:10-20", "c:1,50+"], lengths)
    assert iv.overlaps("c", 20, 25) and iv.overlaps("c", 5, 10) and not iv.overlaps("c", 21, 30)
    assert iv.overlaps("c", 200, 200) and not iv.overlaps("c", 149, 149)
    with pytest.raises(ValueError, match="start <= end"):
        parse_intervals(["c:1000+"], lengths)
    assert parse_intervals([], lengths) is None
    bed = small_fasta.parent / "x.bed"
    bed.write_text("c\t9\t20\n")
    iv = parse_intervals([str(bed)], lengths)
    assert iv.overlaps("c", 10, 10) and not iv.overlaps("c", 9, 9)  # BED is 0-based
    with pytest.raises(ValueError, match="contig 'chrX' is not in the reference"):
        parse_intervals(["chrX:1-5"], lengths)


def test_info_insertion_keeps_every_other_byte():
    line = "c\t5\t.\tA\tG\t50\tPASS\tAC=1;DP=3;MQ=60\tGT\t0/1\r\n"
    assert insert_info(line, "CNN_1D", "1.000") == "c\t5\t.\tA\tG\t50\tPASS\tAC=1;CNN_1D=1.000;DP=3;MQ=60\tGT\t0/1\r\n"
    assert insert_info("c\t5\t.\tA\tG\t.\t.\t.\n", "CNN_2D", "-0.5") == "c\t5\t.\tA\tG\t.\t.\tCNN_2D=-0.5\n"
    assert insert_info("c\t5\t.\tA\tG\t.\t.\tCNN_1D=3;Z=1\n", "CNN_1D", "1") == "c\t5\t.\tA\tG\t.\t.\tCNN_1D=1;Z=1\n"
    header = ["##fileformat=VCFv4.2\n", "##INFO=<ID=AC,Number=A>\n", "##INFO=<ID=DP,Number=1>\n", "#CHROM\n"]
    out = add_info_header(header, "CNN_1D", "d")
    assert out[2].startswith('##INFO=<ID=CNN_1D,Number=1,Type=Float,Description="d">') and len(out) == 5
    assert add_info_header(out, "CNN_1D", "d") == out


def test_cram_gives_the_same_reads_as_bam(testdata, tmp_path):
    d = testdata / "chr22_normal"
    cram = tmp_path / "reads.cram"
    pysam.view("-C", "-T", str(d / "genome.fasta"), "-o", str(cram), str(d / "test.paired_end.sorted.bam"), catch_stdout=False)
    pysam.index(str(cram))
    from_bam = ReadSource(d / "test.paired_end.sorted.bam").reads("chr22", 3413, 3413, 128, "w")
    from_cram = ReadSource(cram, str(d / "genome.fasta")).reads("chr22", 3413, 3413, 128, "w")
    assert from_bam and [(r.seq, r.cigar, r.start, r.qual.tobytes()) for r in from_bam] == [
        (r.seq, r.cigar, r.start, r.qual.tobytes()) for r in from_cram
    ]
