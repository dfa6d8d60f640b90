"""Build expected tensors by hand from the spelled-out row strings of docs/design.md §5 (independent of the encoder)."""

from __future__ import annotations

import numpy as np

Q_CALLED = {q: 1 - 10 ** (-q / 10) for q in range(61)}
BASES = "ACGT"
GATK_AMBIGUITY = {"K": [0, 0, 0.5, 0.5], "R": [0.5, 0, 0, 0.5], "N": [0.25] * 4}


def expected_read_row(row: str, quals: list[int], window: int) -> np.ndarray:
    """row uses '~' for empty columns, '*' for gaps, bases/IUPAC codes otherwise; quals per column."""
    out = np.zeros((window, 15), dtype=np.float64)
    for col, ch in enumerate(row[:window]):
        if ch == "~":
            continue
        if ch == "*":
            out[col, 4] = 1
        elif ch in BASES:
            q = quals[col]
            out[col, :4] = (1 - Q_CALLED[q]) / 3
            out[col, BASES.index(ch)] = Q_CALLED[q]
        else:
            out[col, :4] = GATK_AMBIGUITY[ch]
    return out


def set_flags(row: np.ndarray, first_col: int, end_col: int, reverse: bool, mate_reverse: bool, first: bool, mapq: int) -> None:
    row[first_col:end_col, 10] = reverse
    row[first_col:end_col, 11] = mate_reverse
    row[first_col:end_col, 12] = first
    row[first_col:end_col, 13] = not first
    row[first_col:end_col, 14] = mapq / 60


def expected_reference(ref: str, window: int) -> np.ndarray:
    out = np.zeros((window, 5))
    for col, ch in enumerate(ref[:window]):
        if ch in BASES:
            out[col, BASES.index(ch)] = 1
        elif ch == "*":
            out[col, 4] = 1
        elif ch in GATK_AMBIGUITY:
            out[col, :4] = GATK_AMBIGUITY[ch]
    return out
