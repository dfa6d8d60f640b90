"""BAM/CRAM (pysam) -> the reads CNNScoreVariants.java sends for a record.

Reads overlapping ``[pos, end]`` (htsjdk's overlap rule, placed unmapped reads included), kept by GATK's
WellformedReadFilter and the artificial-haplotype read-group blacklist, then down-sampled to ``read_limit``
with GATK's reservoir and random seed (:mod:`.reservoir`): ``read_filter="gatk"``, the default, is exactly
GATK 4.2's CNNScoreVariants read set (its getDefaultReadFilters()).  ``"strict"`` additionally drops
unmapped, secondary, duplicate and QC-fail reads (docs/design.md), a departure from GATK.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..errors import InputError
from ..records import Read
from .fasta import ReferenceReader, _some, check_same_assembly
from .reservoir import JavaRandom, reservoir_sample

# HaplotypeBAMWriter's artificial read groups, which CNNScoreVariants blacklists.
ARTIFICIAL_READ_GROUPS = frozenset({"ArtificialHaplotypeRG", "ArtificialHaplotype"})
READ_FILTERS = ("gatk", "strict")
_QUERY_CONSUMING = (0, 1, 4, 7, 8)  # M I S = X
_CLIPS = (4, 5)  # S H
_N_OP = 3


def _index_candidates(path: str) -> list[str]:
    stem = os.path.splitext(path)[0]
    if path.endswith(".cram"):
        return [path + ".crai", stem + ".crai"]
    return [path + ".bai", stem + ".bai", path + ".csi"]


class ReadSource:
    """Reads overlapping a variant, filtered and down-sampled as CNNScoreVariants does."""

    def __init__(
        self, path: str | os.PathLike, reference: str | None = None, read_filter: str = "gatk", seed: int | None = None
    ) -> None:
        import pysam

        self.path = str(path)
        if read_filter not in READ_FILTERS:
            raise InputError(f"unknown read filter {read_filter!r}: choose one of {', '.join(READ_FILTERS)}")
        self.strict = read_filter == "strict"
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"reads file {self.path} does not exist")
        if not any(os.path.exists(p) for p in _index_candidates(self.path)):
            raise FileNotFoundError(
                f"reads file {self.path} has no index ({' or '.join(_index_candidates(self.path)[:2])});"
                f" create it with 'samtools index {self.path}'"
            )
        try:
            kwargs: dict[str, Any] = {"reference_filename": reference} if self.path.endswith(".cram") and reference else {}
            self.bam = pysam.AlignmentFile(self.path, "rc" if self.path.endswith(".cram") else "rb", **kwargs)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot open reads file {self.path} as BAM/CRAM: {exc}") from None
        if not self.bam.has_index():
            raise FileNotFoundError(f"reads file {self.path} has no usable index; create it with 'samtools index {self.path}'")
        self.lengths = dict(zip(self.bam.references, self.bam.lengths))
        self.rng = JavaRandom() if seed is None else JavaRandom(seed)
        self.reads_seen = 0
        self.reads_kept = 0
        self._window = _SlidingWindow(self)

    def close(self) -> None:
        self.bam.close()

    def check_reference(self, reference: ReferenceReader) -> None:
        """GATK refuses a BAM whose sequence dictionary disagrees with the reference's; so do we."""
        check_same_assembly(
            f"reads file {self.path}", "BAM", self.lengths, reference, "align the reads to this reference or rename the contigs"
        )

    def _keep(self, read, start1: int, contig_length: int) -> bool:  # pysam.AlignedSegment
        """WellformedReadFilter + ReadGroupBlackListReadFilter (+ the strict extras)."""
        if self.strict and (read.flag & 0x704):  # unmapped, secondary, QC-fail, duplicate (supplementary kept, as GATK)
            return False
        seq = read.query_sequence
        if not seq:
            return False  # SEQ_IS_STORED
        quals = read.query_qualities
        if quals is None or len(quals) != len(seq):
            return False  # HAS_MATCHING_BASES_AND_QUALS
        if not read.has_tag("RG") or read.get_tag("RG") in ARTIFICIAL_READ_GROUPS:
            return False  # HAS_READ_GROUP, artificial haplotypes
        if read.is_unmapped:
            return True
        if start1 > contig_length:
            return False  # ALIGNMENT_AGREES_WITH_HEADER
        cigar = read.cigartuples or ()
        if any(op == _N_OP for op, _ in cigar):
            return False  # CIGAR_CONTAINS_NO_N_OPERATOR
        if sum(n for op, n in cigar if op in _QUERY_CONSUMING) != len(seq):
            return False  # READLENGTH_EQUALS_CIGARLENGTH
        return True

    def reads(self, contig: str, pos: int, end: int, read_limit: int, where: str) -> list[Read]:
        """The reads GATK sends for a record at [pos, end] (1-based), in file order, down-sampled.

        Records come sorted, so one pass over the file serves them all: `_window` holds the reads that may still
        overlap a later record, each decoded, filtered and converted once (a fresh index query per record
        decompressed the same blocks again and again). It gives exactly what ``fetch(contig, pos - 1, end)``
        gives, in the same order; a record behind the last one, on another contig or past a gap restarts it.
        """
        length = self.lengths.get(contig)
        if length is None:
            raise InputError(
                f"contig {contig!r} is not in the reads file {self.path} "
                f"(it has {_some(self.lengths)}); use reads aligned to the VCF's reference",
                where,
            )
        try:
            overlapping = self._window.overlapping(contig, pos, end, length)
            self.reads_seen += len(overlapping)
            kept = reservoir_sample((r for r in overlapping if r.keep), read_limit, self.rng)
        except (OSError, ValueError) as exc:  # truncated or corrupt BAM/CRAM blocks
            raise OSError(
                f"{where}: cannot read reads file {self.path} ({exc}); check or re-create it (samtools quickcheck {self.path})"
            ) from None
        self.reads_kept += len(kept)
        return [r.read() for r in kept]


class _Pulled:
    """One read of the file as the window keeps it: its span, kept by the filters or not, converted once.

    htsjdk's end is never past htslib's (which counts an empty alignment as one base), so htsjdk's overlap test
    alone decides what a region query followed by that test would give."""

    __slots__ = ("segment", "start", "end", "keep", "_read")

    def __init__(self, segment, start: int, end: int) -> None:  # pysam.AlignedSegment
        self.segment = segment
        self.start = start  # 1-based alignment start
        self.end = end  # 1-based inclusive end as htsjdk computes it (start - 1 when nothing is aligned)
        self.keep = False  # set when the read overlaps a record (reads between records are never filtered)
        self._read: Read | None = None

    def read(self) -> Read:
        if self._read is None:
            self._read = to_read(self.segment)
            self.segment = None  # the record is no longer needed
        return self._read


class _SlidingWindow:
    """Reads from one position of a contig onward, in file order, pulled as records ask for them.

    Reads that end before a record can never overlap a later (sorted) record, so they are dropped; the next read
    past a record's end waits in `_next` for the record that reaches it.
    """

    RESTART_GAP = 2_000  # bp: a record this far past the last read pulled is reached faster by an index query

    def __init__(self, source: ReadSource) -> None:
        self.source = source
        self.contig: str | None = None
        self.last_pos = 0
        self.reads: list[_Pulled] = []
        self._iter: Iterator | None = None
        self._next: _Pulled | None = None

    def _restart(self, contig: str, pos: int) -> None:
        self.contig, self.reads, self._next = contig, [], None
        self._iter = self.source.bam.fetch(contig, max(0, pos - 1))  # every read ending at or after pos, in order

    def _pull(self) -> _Pulled | None:
        segment = next(self._iter, None) if self._iter is not None else None
        if segment is None:
            self._iter = None
            return None
        start = segment.reference_start + 1
        if segment.is_unmapped:
            end = start  # htsjdk returns placed unmapped reads whose position is inside the query
        else:
            end = segment.reference_end if segment.reference_end is not None else start - 1
        return _Pulled(segment, start, end)

    def overlapping(self, contig: str, pos: int, end: int, length: int) -> list[_Pulled]:
        """Reads overlapping [pos, end] by htsjdk's overlap test, in file order."""
        frontier = self._next.start if self._next is not None else None
        if contig != self.contig or pos < self.last_pos or (frontier is not None and pos - frontier > self.RESTART_GAP):
            self._restart(contig, pos)
        self.last_pos = pos
        self.reads = [r for r in self.reads if r.end >= pos]
        while True:
            if self._next is None:
                self._next = self._pull()
                if self._next is None:
                    break
            if self._next.start > end:
                break
            if self._next.end >= pos:
                self._next.keep = self.source._keep(self._next.segment, self._next.start, length)
                self.reads.append(self._next)
            self._next = None
        return [r for r in self.reads if r.start <= end]


def unclipped_start(read) -> int:
    """htsjdk getUnclippedStart: 1-based alignment start minus leading soft and hard clips."""
    start = read.reference_start + 1
    for op, n in read.cigartuples or ():
        if op not in _CLIPS:
            break
        start -= n
    return start


def to_read(read) -> Read:
    """The eight fields GATKReadToString sends, as a Read record."""
    paired = read.is_paired
    return Read(
        read.query_sequence,
        np.asarray(read.query_qualities, dtype=np.uint8),
        read.cigarstring or "*",
        read.is_reverse,
        paired and read.mate_is_reverse,
        paired and read.is_read1,
        read.mapping_quality,
        unclipped_start(read),
    )
