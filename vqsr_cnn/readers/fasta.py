"""Indexed FASTA -> reference windows exactly as GATK's caching reader serves them, and contig checks.

Window: bases ``[max(1, pos - w//2), min(len, end + w//2)]``, first ``w`` of them, padded with ``'\\x00'``;
upper-cased and IUPAC codes turned into ``N`` (GATK's caching FASTA reader does both; any other letter is
an error there and here).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from ..errors import InputError

# GATK's CachingIndexedFastaSequenceFile upper-cases and turns IUPAC ambiguity codes into N.
_IUPAC_TO_N = str.maketrans({c: "N" for c in "RYMKWSBDHVrymkwsbdhv"})
_REFERENCE_OK = frozenset("ACGTN")
_CACHE_BASES = 1 << 20


def _is_bgzf(path: str) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(16)
    return len(head) >= 14 and head[:4] == b"\x1f\x8b\x08\x04" and head[12:14] == b"BC"


class ReferenceReader:
    """Indexed FASTA (plain + .fai, or bgzip + .fai + .gzi) with a 1 Mb block cache, like GATK's."""

    def __init__(self, path: str | os.PathLike) -> None:
        import pysam

        self.path = str(path)
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"reference FASTA {self.path} does not exist")
        with open(self.path, "rb") as fh:
            magic = fh.read(2)
        if magic == b"\x1f\x8b" and not _is_bgzf(self.path):
            raise InputError(
                f"reference FASTA {self.path} is gzip- but not bgzip-compressed; recompress it with "
                f"'zcat {self.path} | bgzip > ref.fa.gz && samtools faidx ref.fa.gz' or decompress it"
            )
        if not os.path.exists(self.path + ".fai"):
            raise FileNotFoundError(
                f"reference FASTA {self.path} has no index {self.path}.fai; create it with 'samtools faidx {self.path}'"
            )
        if magic == b"\x1f\x8b" and not os.path.exists(self.path + ".gzi"):
            raise FileNotFoundError(
                f"bgzipped reference FASTA {self.path} has no {self.path}.gzi; create it with 'samtools faidx {self.path}'"
            )
        try:
            self.fasta = pysam.FastaFile(self.path)
        except (OSError, ValueError) as exc:
            raise InputError(
                f"cannot open reference FASTA {self.path}: {exc}; re-index it with 'samtools faidx {self.path}'"
            ) from None
        self.lengths = dict(zip(self.fasta.references, self.fasta.lengths))
        self._cache: tuple[str, int, str] = ("", 0, "")

    def close(self) -> None:
        self.fasta.close()

    def _bases(self, contig: str, start: int, stop: int) -> str:
        """1-based inclusive [start, stop], upper-cased, IUPAC -> N."""
        name, block_start, block = self._cache
        if name != contig or start < block_start or stop >= block_start + len(block):
            if stop - start + 1 > _CACHE_BASES:
                return self.fasta.fetch(contig, start - 1, stop).upper().translate(_IUPAC_TO_N)
            block_start = max(1, start - 1000)
            block_stop = min(self.lengths[contig], block_start + _CACHE_BASES)
            block = self.fasta.fetch(contig, block_start - 1, block_stop).upper().translate(_IUPAC_TO_N)
            self._cache = (contig, block_start, block)
        return block[start - block_start : stop - block_start + 1]

    def window(self, contig: str, pos: int, end: int, window: int, where: str) -> str:
        """The reference string Java sends: `window` bases from max(1, pos - window//2), '\\x00'-padded."""
        length = self.lengths.get(contig)
        if length is None:
            raise InputError(
                f"contig {contig!r} is not in the reference {self.path} "
                f"(it has {_some(self.lengths)}); VCF and FASTA must use the same contig names",
                where,
            )
        half = window // 2
        lo = max(1, pos - half)
        hi = min(length, end + half, lo + window - 1)  # Java takes the first `window` bases of [lo, end + half]
        try:
            bases = self._bases(contig, lo, hi) if lo <= hi else ""
        except (OSError, ValueError) as exc:
            raise OSError(
                f"{where}: cannot read reference {self.path} ({exc}); re-index it with 'samtools faidx {self.path}'"
            ) from None
        if not set(bases) <= _REFERENCE_OK:
            bad = sorted(set(bases) - _REFERENCE_OK)
            raise InputError(
                f"reference {self.path} has non-IUPAC base(s) {', '.join(map(repr, bad))} "
                f"near {contig}:{pos} (GATK rejects them too)",
                where,
            )
        return bases + "\x00" * (window - len(bases))


def _some(names: Mapping[str, int | None] | Sequence[str], n: int = 5) -> str:
    names = list(names)
    return ", ".join(names[:n]) + (f", ... ({len(names)} in all)" if len(names) > n else "")


def check_same_assembly(what: str, kind: str, lengths: Mapping[str, int | None], reference: ReferenceReader, fix: str) -> None:
    """Shared contig check (VCF or BAM vs FASTA): some names in common, and equal lengths where both declare one."""
    common = set(lengths) & set(reference.lengths)
    if not common:
        raise InputError(
            f"{what} and reference {reference.path} share no contig names "
            f"({kind}: {_some(lengths)}; FASTA: {_some(reference.lengths)}); {fix}"
        )
    for name in sorted(common):
        declared = lengths[name]
        if declared is not None and declared != reference.lengths[name]:
            raise InputError(
                f"contig {name!r} is {declared} bp in {what} but {reference.lengths[name]} bp in "
                f"reference {reference.path}: a different assembly"
            )
