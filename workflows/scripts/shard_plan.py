"""Plan scatter shards from index files only: the tabix/CSI index of the VCF (which contigs have records)
and the FASTA .fai (contig lengths).  Snakemake imports this while it parses the workflow (lint, dry-run,
--report and every cluster job do), so it must never read VCF records: on a whole-genome call set that
would cost minutes per parse.

Shards are (contig, start, end) regions, 1-based inclusive, in the order the gather concatenates them:
contigs in VCF-index order (the order of the records), else .fai order; within a contig, consecutive
fixed-size regions.  Each record belongs to the one region holding its POS, so concatenating the shards
in plan order gives the unsharded file (bcftools concat semantics).
"""

from __future__ import annotations

import gzip
import re
import struct
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Region:
    contig: str
    start: int  # 1-based, inclusive
    end: int  # inclusive

    def __str__(self) -> str:
        return f"{self.contig}:{self.start}-{self.end}"


def fai_lengths(fasta: str) -> dict[str, int]:
    """{contig: length} from FASTA.fai, in file order."""
    fai = Path(f"{fasta}.fai")
    if not fai.is_file():
        raise ValueError(f"{fasta}: no .fai index beside it (samtools faidx {fasta}); scatter plans from it")
    lengths = {}
    for number, line in enumerate(fai.read_text().splitlines(), start=1):
        fields = line.split("\t")
        if len(fields) < 2 or not fields[1].isdigit():
            raise ValueError(f"{fai} line {number}: not a .fai line (name, length, offset, ...)")
        lengths[fields[0]] = int(fields[1])
    return lengths


def _names_block(data: bytes, offset: int) -> list[str]:
    """The tabix header's sequence-name block at `offset`: format, col_seq, col_beg, col_end, meta, skip, l_nm,
    then l_nm bytes of NUL-terminated names."""
    (l_nm,) = struct.unpack_from("<i", data, offset + 24)
    names = data[offset + 28 : offset + 28 + l_nm].split(b"\0")
    return [n.decode() for n in names if n]


def index_contigs(vcf: str) -> list[str] | None:
    """Contigs with records, in file order, read from VCF.tbi or VCF.csi (never the VCF); None without an
    index.  TBI: magic, n_ref, then the names block.  CSI: magic, min_shift, depth, l_aux, then the same
    names block in the aux data (htslib writes it for VCF)."""
    for suffix in (".tbi", ".csi"):
        index = Path(f"{vcf}{suffix}")
        if not index.is_file():
            continue
        try:
            with gzip.open(index, "rb") as handle:
                data = handle.read(1 << 24)  # the header sits at the start; 16 MB is plenty for the names
        except (OSError, EOFError) as exc:
            raise ValueError(f"{index}: not a bgzipped index ({exc}); re-index with tabix -p vcf") from exc
        if data[:4] == b"TBI\1":
            return _names_block(data, 8)
        if data[:4] == b"CSI\1":
            (l_aux,) = struct.unpack_from("<i", data, 12)
            return _names_block(data, 16) if l_aux >= 28 else None
        raise ValueError(f"{index}: unknown index format (magic {data[:4]!r})")
    return None


def plan_regions(vcf: str, fasta: str, region_size: int = 0) -> list[Region]:
    """Regions to score separately: every contig with records (from the VCF index; every .fai contig when the
    VCF has none), split into `region_size`-base pieces (0 = whole contigs)."""
    lengths = fai_lengths(fasta)
    contigs = index_contigs(vcf)
    if contigs is None:
        contigs = list(lengths)
    missing = [c for c in contigs if c not in lengths]
    if missing:
        raise ValueError(
            f"{vcf}: contig(s) {', '.join(missing[:5])} have records but are not in {fasta}.fai: "
            "was it called against another reference?"
        )
    regions = []
    for contig in contigs:
        size = region_size if region_size > 0 else lengths[contig]
        regions += [Region(contig, s, min(s + size - 1, lengths[contig])) for s in range(1, lengths[contig] + 1, size)]
    return regions


def shard_name(i: int, region: Region, whole: bool) -> str:
    """000-chr1 for a whole contig, 003-chr1_150000001-200000000 for a piece: sortable and path-safe."""
    label = region.contig if whole else f"{region.contig}_{region.start}-{region.end}"
    return f"{i:03d}-{re.sub(r'[^A-Za-z0-9_.-]', '_', label)[:60]}"
