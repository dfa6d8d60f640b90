"""Plain records shared by every reader and the encoder.

Both the GATK bridge (data lines) and standalone scoring (pysam) produce these, so the encoder never
knows where its input came from.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Variant(NamedTuple):
    contig: str
    pos: int  # 1-based, as in the VCF
    ref: str
    alts: tuple[str, ...]
    variant_type: str  # 'SNP' | 'INDEL' | anything else (scored as the max of both)


class Read(NamedTuple):
    """One aligned read, with the fields CNNScoreVariants.java sends per read."""

    seq: str
    qual: np.ndarray  # uint8 base qualities; empty when the read has none
    cigar: str
    reverse: bool
    mate_reverse: bool
    first: bool
    mapping_quality: int
    start: int  # 1-based unclipped start


class Example(NamedTuple):
    """Everything needed to encode one variant."""

    variant: Variant
    reference: str  # `window` bases starting at pos - window//2, '\x00' past contig ends
    annotations: dict[str, str]  # raw INFO values by key
    reads: list[Read] | None = None
    where: str = ""  # how errors name it: "file line N (chr:pos)" or "data line N (...)"; default contig:pos ref>alt
