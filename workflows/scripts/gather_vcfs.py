"""Gather scored shards into one bgzipped, indexed VCF (Snakemake `script:` of rule gather).

Planned shards (scatter by contig / fixed-size regions, see shard_plan.py) are concatenated in plan order,
as `bcftools concat` does: `vqsr-cnn score -L` keeps records that *overlap* a region, so a deletion that
crosses a region boundary is scored by two shards; each shard contributes only the records whose POS lies
in its own region, so every record is written once and the output is sorted.  A record out of order (a
plan that does not follow the contig order) stops the gather instead of writing an unsorted file.

User intervals (scatter by intervals) may overlap and come in any order: those shards are merged by
(header contig order, POS), identical lines from different shards kept once (as many times as the shard
holding the most copies has them), which gives the records of an unsharded run.
"""

import heapq
import logging
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from itertools import groupby
from typing import Optional

import pysam


def records(path: str, shard: int, rank: dict[str, int]) -> Iterator[tuple[int, int, int, str]]:
    with pysam.VariantFile(path) as vf:
        for rec in vf:
            yield rank.setdefault(rec.contig, len(rank)), rec.pos, shard, str(rec)


def _header_and_rank(first_shard: str) -> tuple[str, dict[str, int]]:
    with pysam.VariantFile(first_shard) as first:
        return str(first.header), {name: i for i, name in enumerate(first.header.contigs)}


def concat(shards: list[str], regions: Sequence[Sequence], rank: dict[str, int], out) -> int:
    """Records of shard i with POS in regions[i] = (contig, start, end), shard after shard; `rank` is the header's
    contig order, which the output must follow."""
    written, last = 0, None
    for path, (contig, start, end) in zip(shards, regions):
        with pysam.VariantFile(path) as vf:
            for rec in vf:
                if rec.contig != contig or not start <= rec.pos <= end:
                    continue  # overlaps this region but starts in another: that shard writes it
                here = (rank.setdefault(rec.contig, len(rank)), rec.pos, f"{rec.contig}:{rec.pos}")
                if last is not None and here[:2] < last[:2]:
                    raise ValueError(
                        f"{path}: {rec.contig}:{rec.pos} comes after an earlier shard's record at "
                        f"{last[2]}; the scatter plan is not in file order"
                    )
                last = here
                out.write(str(rec).encode())
                written += 1
    return written


def merge(shards: list[str], rank: dict[str, int], out) -> int:
    streams = [records(p, i, rank) for i, p in enumerate(shards)]
    written = 0
    for _, group in groupby(heapq.merge(*streams, key=lambda r: (r[0], r[1])), key=lambda r: (r[0], r[1])):
        per_shard: dict[int, Counter] = {}
        order: list[str] = []
        for _, _, shard, line in group:
            per_shard.setdefault(shard, Counter())[line] += 1
            if line not in order:
                order.append(line)
        for line in order:
            copies = max(c[line] for c in per_shard.values())
            out.write(line.encode() * copies)
            written += copies
    return written


def gather(shards: list[str], out_vcf: str, regions: Optional[Sequence[Sequence]] = None) -> int:
    if not shards:
        raise ValueError("no shards to gather")
    if regions is not None and len(regions) != len(shards):
        raise ValueError(f"{len(shards)} shards but {len(regions)} planned regions")
    header, rank = _header_and_rank(shards[0])
    with pysam.BGZFile(out_vcf, "wb") as out:
        out.write(header.encode())
        written = concat(shards, regions, rank, out) if regions is not None else merge(shards, rank, out)
    pysam.tabix_index(out_vcf, preset="vcf", force=True)
    return written


if "snakemake" in globals():
    smk = globals()["snakemake"]
    sys.stderr = sys.stdout = open(smk.log[0], "w")  # tracebacks go to the rule's log
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")
    planned = smk.params.regions
    n = gather(list(smk.input.shards), smk.output.vcf, planned if planned else None)
    logging.info(
        "gathered %d records from %d shards (%s) into %s",
        n,
        len(smk.input.shards),
        "concatenated in plan order" if planned else "merged by position",
        smk.output.vcf,
    )
