"""The score file GATK's Java side re-reads: `contig\tpos\tREF\t[ALTS]\tscore` per data line, in order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

import numpy as np

from ..scores import format_score


def format_lines(echoes: Sequence[str], scores: Sequence[float] | np.ndarray) -> str:
    if len(echoes) != len(scores):
        raise ValueError(f"{len(echoes)} variants but {len(scores)} scores: refusing to write an out-of-sync file")
    return "".join(f"{echo}\t{format_score(s)}\n" for echo, s in zip(echoes, scores))


def write_batch(out: TextIO, echoes: Sequence[str], scores: Sequence[float] | np.ndarray) -> None:
    """One write per batch, so a batch that failed leaves nothing behind."""
    out.write(format_lines(echoes, scores))
