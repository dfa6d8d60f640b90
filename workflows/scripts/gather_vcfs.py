"""Gather scored shards into one bgzipped, indexed VCF (Snakemake `script:` of rule gather).

Shards are merged by (header contig order, POS), so interval lists in any order work.  A record that
overlaps two intervals can be written by both shards; identical lines from different shards are kept once
(as many times as the shard holding the most copies has them), so the gathered file has the records of
an unsharded run.
"""

import heapq
import logging
import sys
from collections import Counter
from itertools import groupby
from typing import Dict, Iterator, List, Tuple

import pysam


def records(path: str, shard: int, rank: Dict[str, int]) -> Iterator[Tuple[int, int, int, str]]:
    with pysam.VariantFile(path) as vf:
        for rec in vf:
            yield rank.setdefault(rec.contig, len(rank)), rec.pos, shard, str(rec)


def gather(shards: List[str], out_vcf: str) -> int:
    if not shards:
        raise ValueError("no shards to gather")
    with pysam.VariantFile(shards[0]) as first:
        header = str(first.header)
        rank = {name: i for i, name in enumerate(first.header.contigs)}
    streams = [records(p, i, rank) for i, p in enumerate(shards)]
    written = 0
    with pysam.BGZFile(out_vcf, "wb") as out:
        out.write(header.encode())
        for _, group in groupby(heapq.merge(*streams, key=lambda r: (r[0], r[1])), key=lambda r: (r[0], r[1])):
            per_shard: Dict[int, Counter] = {}
            order: List[str] = []
            for _, _, shard, line in group:
                per_shard.setdefault(shard, Counter())[line] += 1
                if line not in order:
                    order.append(line)
            for line in order:
                copies = max(c[line] for c in per_shard.values())
                out.write(line.encode() * copies)
                written += copies
    pysam.tabix_index(out_vcf, preset="vcf", force=True)
    return written


if "snakemake" in globals():
    smk = globals()["snakemake"]
    sys.stderr = sys.stdout = open(smk.log[0], "w")  # tracebacks go to the rule's log
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")
    n = gather(list(smk.input.shards), smk.output.vcf)
    logging.info("gathered %d records from %d shards into %s", n, len(smk.input.shards), smk.output.vcf)
