"""Real data lines for the parity tests (GATK 4.2's own code, the Intel-patch path) built by
scripts/make_fifo_lines.py: 1D all 1,762 records of testdata/hg004_chr21; 2D the GIAB NA12878 slice
(joint-call and truth-set sites) and chr22_normal. The joint call's INFO/DP is summed over 3,202 samples and
saturates every score, so DP is set per sample to the reads over the site in the BAM."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pysam
from conftest import ROOT, TESTDATA


def _make_fifo_lines():
    spec = importlib.util.spec_from_file_location("make_fifo_lines", ROOT / "scripts" / "make_fifo_lines.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def with_sample_dp(line: str, bam: Path) -> str:
    """Replace a cohort INFO/DP by the depth of this sample's BAM at the site (all reads, as GATK keeps them)."""
    fields = line.split("\t")
    if "DP=" not in fields[5]:
        return line
    with pysam.AlignmentFile(str(bam)) as reads:
        depth = reads.count(fields[0], int(fields[1]) - 1, int(fields[1]), read_callback="nofilter")
    fields[5] = ";".join(f"DP={depth}" if item.startswith("DP=") else item for item in fields[5].split(";"))
    return "\t".join(fields)


def lines_2d() -> list[str]:
    make = _make_fifo_lines()
    giab, normal = TESTDATA / "giab_chr22", TESTDATA / "chr22_normal"
    fasta, bam = giab / "chr22_GRCh38_Npadded_16570000-16610000.fa.gz", giab / "NA12878.chr22_16584000-16587000.bam"
    lines = [
        with_sample_dp(line, bam)
        for line in make.lines_for(giab / "NA12878.jointcall.chr22_16584000-16587000.vcf.gz", fasta, bam, lambda r: True)
    ]
    lines += list(make.lines_for(giab / "NA12878_GIAB.chr22_16584000-16587000.vcf.gz", fasta, bam, lambda r: True))
    lines += list(
        make.lines_for(
            normal / "test_haplotcaller.noCNN.vcf", normal / "genome.fasta", normal / "test.paired_end.sorted.bam", lambda r: True
        )
    )
    return lines


def lines_1d() -> list[str]:
    d = TESTDATA / "hg004_chr21"
    return list(
        _make_fifo_lines().lines_for(d / "NA24143.vcf.gz", d / "hg38_chr21_22000000_23000000.fasta", None, lambda r: True)
    )
