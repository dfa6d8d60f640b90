"""`ReadSource` reads the BAM once through a sliding window: for any sequence of records (sorted, repeated,
going back, far apart, long deletions) it gives exactly what one index query per record gives, read for read and
random draw for random draw."""

from __future__ import annotations

import random
from pathlib import Path

import pysam
import pytest

from vqsr_cnn.readers import bam as bam_module
from vqsr_cnn.readers.bam import ReadSource, to_read
from vqsr_cnn.readers.reservoir import JavaRandom, reservoir_sample

BAMS = {
    "giab 30x": ("na12878_chr22/NA12878.chr22_16570000-16610000.bam", "chr22", 16_570_000, 16_610_000),
    "240x, duplicates, clips": ("chr22_normal/test.paired_end.sorted.bam", "chr22", 950, 5_200),
}


def _per_record_query(path: Path, records: list[tuple[str, int, int]], limit: int) -> list[list[tuple]]:
    """The reads of each record from its own index query (htsjdk's overlap test on top), down-sampled."""
    source = ReadSource(path)  # for its filters only
    raw = pysam.AlignmentFile(str(path))
    rng = JavaRandom()
    out = []
    for contig, pos, end in records:
        length = source.lengths[contig]
        hits = []
        for r in raw.fetch(contig, pos - 1, end):
            start = r.reference_start + 1
            stop = start if r.is_unmapped else (r.reference_end if r.reference_end is not None else start - 1)
            if start <= end and stop >= pos and source._keep(r, start, length):
                hits.append(r)
        out.append([_key(to_read(r)) for r in reservoir_sample(hits, limit, rng)])
    return out


def _key(read) -> tuple:
    return (read.seq, read.qual.tobytes(), read.cigar, read.reverse, read.mate_reverse, read.first, read.start)


def _records(contig: str, lo: int, hi: int, seed: int) -> list[tuple[str, int, int]]:
    """Sorted records with SNPs and deletions up to 400 bp, same-position pairs, a jump back and a far gap."""
    rnd = random.Random(seed)
    pos, records = lo + 50, []
    while pos < hi - 500:
        end = pos + (rnd.choice([0, 0, 0, 1, 5, 60, 400]))
        records.append((contig, pos, end))
        if rnd.random() < 0.1:
            records.append((contig, pos, pos))  # a second record at the same position
        pos += rnd.choice([1, 7, 40, 150, 600, 3_000] if hi - lo > 20_000 else [1, 7, 40, 150])
    back = records[len(records) // 2]
    return records + [back] + records[len(records) // 2 : len(records) // 2 + 20]  # back to the middle, then on


@pytest.mark.parametrize("name", list(BAMS))
@pytest.mark.parametrize("limit", [128, 10])
def test_window_gives_what_one_query_per_record_gives(testdata, name, limit):
    rel, contig, lo, hi = BAMS[name]
    path = testdata / rel
    records = _records(contig, lo, hi, seed=limit)
    expected = _per_record_query(path, records, limit)
    source = ReadSource(path)
    got = [[_key(r) for r in source.reads(c, p, e, limit, "w")] for c, p, e in records]
    assert sum(map(len, expected)) > 10 * limit, "the records must see reads"
    assert any(len(x) == limit for x in expected), "some record must be down-sampled"
    for record, want, have in zip(records, expected, got):
        assert have == want, f"record {record}"


def test_far_records_restart_from_the_index(testdata, monkeypatch):
    """A record far past the last read pulled is reached by a new index query, not by decoding every read between."""
    rel, contig, lo, _ = BAMS["giab 30x"]
    source = ReadSource(testdata / rel)
    window = bam_module._SlidingWindow
    restarts: list[int] = []
    real = window._restart

    def counted(self, c: str, p: int) -> None:
        restarts.append(p)
        real(self, c, p)

    monkeypatch.setattr(window, "_restart", counted)
    far = lo + 100 + 3 * window.RESTART_GAP
    for pos in (lo + 100, lo + 150, far):
        source.reads(contig, pos, pos, 128, "w")
    assert restarts == [lo + 100, far]
