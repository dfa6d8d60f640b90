#!/usr/bin/env python
"""Regenerate testdata/fifo/lines_{1d,2d}.txt: real GATK-format data lines built from real reads.

Each line is what CNNScoreVariants.java would write to the data FIFO for that record, produced by the
standalone reader (vqsr_cnn.readers: vcf, fasta, bam, examples) and the Java line formatter (readers.fifo.format_data_line).
Sources are the slices in testdata/ (see testdata/README_score.md), so this runs without /work/shared:

- 1D (~20 lines): all 5 records of chr22_normal plus 15 hg004_chr21 records chosen to cover SNPs,
  indels, spanning-deletion ('*') alleles and missing rank-sum annotations.
- 2D (10 lines): the 5 chr22_normal records with reads from its BAM (the first has >128 reads, so the
  reservoir down-sampling is exercised) and 5 GIAB NA12878 sites (3 joint-call SNPs with annotations,
  2 truth-set indels) with reads from the GIAB BAM slice.

Records are read in file order through one reader per VCF, so the down-sampling draws are the ones a
full GATK run over that VCF would take.

    .venv/bin/python scripts/make_fifo_lines.py [--out testdata/fifo]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from vqsr_cnn import defines
from vqsr_cnn.readers.bam import ReadSource
from vqsr_cnn.readers.examples import make_example
from vqsr_cnn.readers.fasta import ReferenceReader
from vqsr_cnn.readers.fifo import format_data_line
from vqsr_cnn.readers.vcf import VcfReader, VcfRecord, variant_type

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = ROOT / "testdata"
KEYS = defines.ANNOTATIONS_SETS["best_practices"]
W, LIMIT = defines.DEFAULT_WINDOW_SIZE, defines.DEFAULT_READ_LIMIT


def lines_for(vcf: Path, fasta: Path, bam: Path | None, keep: Callable[[VcfRecord], bool]) -> Iterator[str]:
    reader, reference = VcfReader(vcf), ReferenceReader(fasta)
    reads = ReadSource(bam, str(fasta), read_filter="gatk") if bam else None
    for record in reader:
        where = reader.where(record.line_number, record.contig, record.pos)
        if reads is not None:
            # Every record draws (as in a full run), so kept lines see the same reservoir state as GATK.
            example = make_example(record, reader.header, reference, reads, KEYS, W, LIMIT, where)
            if keep(record):
                yield format_data_line(example)
        elif keep(record):
            yield format_data_line(make_example(record, reader.header, reference, None, KEYS, W, LIMIT, where))


def hg004_picker() -> Callable[[VcfRecord], bool]:
    """Quotas per kind, first come first served in file order: 15 records in all."""
    quota = {"snp": 5, "indel": 5, "star": 3, "no_ranksum": 2}

    def kind(record: VcfRecord) -> str:
        if "*" in record.alts:
            return "star"
        if "MQRankSum" not in (item.partition("=")[0] for item in record.info.split(";")):
            return "no_ranksum"
        return "indel" if variant_type(record.ref, record.alts) == "INDEL" else "snp"

    def keep(record: VcfRecord) -> bool:
        k = kind(record)
        if quota.get(k, 0) > 0:
            quota[k] -= 1
            return True
        return False

    return keep


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=TESTDATA / "fifo")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    normal = TESTDATA / "chr22_normal"
    hg004 = TESTDATA / "hg004_chr21"
    giab = TESTDATA / "giab_chr22"
    giab_fasta = giab / "chr22_GRCh38_Npadded_16570000-16610000.fa.gz"
    giab_bam = giab / "NA12878.chr22_16584000-16587000.bam"

    one_d = list(lines_for(normal / "test_haplotcaller.noCNN.vcf", normal / "genome.fasta", None, lambda r: True))
    one_d += list(lines_for(hg004 / "NA24143.vcf.gz", hg004 / "hg38_chr21_22000000_23000000.fasta", None, hg004_picker()))

    snps = {16584133, 16585144, 16585510}
    indels = {16584657, 16586878}
    two_d = list(
        lines_for(
            normal / "test_haplotcaller.noCNN.vcf", normal / "genome.fasta", normal / "test.paired_end.sorted.bam", lambda r: True
        )
    )
    two_d += list(
        lines_for(giab / "NA12878.jointcall.chr22_16584000-16587000.vcf.gz", giab_fasta, giab_bam, lambda r: r.pos in snps)
    )
    two_d += list(
        lines_for(giab / "NA12878_GIAB.chr22_16584000-16587000.vcf.gz", giab_fasta, giab_bam, lambda r: r.pos in indels)
    )

    for name, lines in (("lines_1d.txt", one_d), ("lines_2d.txt", two_d)):
        (args.out / name).write_text("".join(lines))
        print(f"wrote {len(lines)} lines to {args.out / name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
