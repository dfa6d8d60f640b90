"""Standalone scoring and the GATK bridge cannot drift: the same records give the same tensors either way.

Examples built from VCF/FASTA/BAM are written as the data lines Java would send (format_data_line),
parsed back as the bridge parses them (parse_data_line) and encoded; the arrays must equal those encoded
straight from the standalone Examples.  Also: the committed real FIFO lines regenerate byte-for-byte.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from vqsr_cnn import defines
from vqsr_cnn.encode import encode_examples
from vqsr_cnn.readers.bam import ReadSource
from vqsr_cnn.readers.examples import make_example
from vqsr_cnn.readers.fasta import ReferenceReader
from vqsr_cnn.readers.fifo import format_data_line, parse_data_line
from vqsr_cnn.readers.vcf import VcfReader

KEYS = defines.ANNOTATIONS_SETS["best_practices"]


def standalone_examples(vcf: Path, fasta: Path, bam: Path | None, limit: int | None = None) -> list:
    reader, reference = VcfReader(vcf), ReferenceReader(fasta)
    reads = ReadSource(bam, str(fasta)) if bam else None
    out = []
    for record in reader:
        out.append(make_example(record, reader.header, reference, reads, KEYS, 128, 128, reader.where(record.line_number)))
        if limit and len(out) == limit:
            break
    return out


def assert_bridge_parity(examples: list, tensor_type: str) -> None:
    lines = [format_data_line(e) for e in examples]
    bridged = [parse_data_line(line, tensor_type, i + 1).example for i, line in enumerate(lines)]
    direct_t, direct_a = encode_examples(examples, tensor_type, KEYS)
    bridge_t, bridge_a = encode_examples(bridged, tensor_type, KEYS)
    assert direct_t.any()
    np.testing.assert_array_equal(direct_t, bridge_t)
    np.testing.assert_array_equal(direct_a, bridge_a)
    assert [format_data_line(e) for e in bridged] == lines


def test_parity_chr22_normal_1d_and_2d(testdata):
    d = testdata / "chr22_normal"
    args = (d / "test_haplotcaller.noCNN.vcf", d / "genome.fasta")
    assert_bridge_parity(standalone_examples(*args, None), "reference")
    examples = standalone_examples(*args, d / "test.paired_end.sorted.bam")
    assert max(len(e.reads) for e in examples) == 128  # the deep site is down-sampled
    assert_bridge_parity(examples, "read_tensor")


def test_parity_giab_2d_with_indels(testdata):
    d = testdata / "giab_chr22"
    fasta, bam = d / "chr22_GRCh38_Npadded_16570000-16610000.fa.gz", d / "NA12878.chr22_16584000-16587000.bam"
    examples = standalone_examples(d / "NA12878_GIAB.chr22_16584000-16587000.vcf.gz", fasta, bam)
    assert {"SNP", "INDEL"} <= {e.variant.variant_type for e in examples}
    assert_bridge_parity(examples, "read_tensor")


def test_parity_hg004_1d(testdata):
    d = testdata / "hg004_chr21"
    examples = standalone_examples(d / "NA24143.vcf.gz", d / "hg38_chr21_22000000_23000000.fasta", None, limit=400)
    assert_bridge_parity(examples, "reference")


def test_committed_fifo_lines_regenerate(tmp_path):
    spec = importlib.util.spec_from_file_location("make_fifo_lines", ROOT / "scripts" / "make_fifo_lines.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--out", str(tmp_path)]) == 0
    for name, tensor_type in (("lines_1d.txt", "reference"), ("lines_2d.txt", "read_tensor")):
        committed = (ROOT / "testdata" / "fifo" / name).read_text()
        assert (tmp_path / name).read_text() == committed, f"testdata/fifo/{name} is stale: rerun make_fifo_lines.py"
        lines = committed.splitlines(keepends=True)
        assert len(lines) >= 10
        for i, line in enumerate(lines):
            assert format_data_line(parse_data_line(line, tensor_type, i + 1).example) == line


@pytest.mark.slow
def test_parity_full_giab_bam(shared_data):
    d = shared_data / "na12878_chr22_reads_giab"
    examples = standalone_examples(
        d / "NA12878.1000GP_NYGC30x_jointcall.nonref.chr22_16570000-16610000.vcf.gz",
        d / "chr22_GRCh38_Npadded_16570000-16610000.fa.gz",
        d / "NA12878.chr22.bam",
    )
    assert len(examples) == 72 and all(e.reads for e in examples)
    assert_bridge_parity(examples, "read_tensor")


def _score_default_read_filter() -> str:
    from vqsr_cnn.cli import build_parser

    args = build_parser().parse_args(["score", "-V", "x.vcf", "-R", "x.fa", "-O", "y.vcf"])
    return args.read_filter


@pytest.mark.parametrize("site", ["giab", "chr22_normal"])
def test_score_default_reads_like_gatk(testdata, site):
    """`vqsr-cnn score` by default selects GATK 4.2's reads: its tensors equal the bridge's for data lines
    built with GATK's read filters (make_fifo_lines.py), on the GIAB slice (which has duplicates) and
    chr22_normal; the strict filter would not (so this test can fail)."""
    assert _score_default_read_filter() == "gatk"
    spec = importlib.util.spec_from_file_location("make_fifo_lines", ROOT / "scripts" / "make_fifo_lines.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    if site == "giab":
        d = testdata / "giab_chr22"
        vcf, fasta = d / "NA12878.jointcall.chr22_16584000-16587000.vcf.gz", d / "chr22_GRCh38_Npadded_16570000-16610000.fa.gz"
        bam = d / "NA12878.chr22_16584000-16587000.bam"
    else:
        d = testdata / "chr22_normal"
        vcf, fasta, bam = d / "test_haplotcaller.noCNN.vcf", d / "genome.fasta", d / "test.paired_end.sorted.bam"
    lines = list(make.lines_for(vcf, fasta, bam, lambda r: True))  # GATK's filters, as Java would send
    bridged = [parse_data_line(line, "read_tensor", i + 1).example for i, line in enumerate(lines)]
    standalone = standalone_examples(vcf, fasta, bam)  # ReadSource's default, what `score` uses
    bridge_t, bridge_a = encode_examples(bridged, "read_tensor", KEYS)
    score_t, score_a = encode_examples(standalone, "read_tensor", KEYS)
    np.testing.assert_array_equal(score_t, bridge_t)
    np.testing.assert_array_equal(score_a, bridge_a)
    if site == "giab":
        reader, reference = VcfReader(vcf), ReferenceReader(fasta)
        strict = ReadSource(bam, str(fasta), read_filter="strict")
        examples = [make_example(r, reader.header, reference, strict, KEYS, 128, 128, "w") for r in reader]
        strict_t, _ = encode_examples(examples, "read_tensor", KEYS)
        changed = sum(not np.array_equal(a, b) for a, b in zip(strict_t, score_t))
        assert changed > len(lines) // 2, f"strict should change most GIAB tensors (duplicates), changed {changed}"
