"""1D reference tensor: one-hot A,C,G,T with GATK's ambiguity fractions; '\x00' ends the window."""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from . import symbols


def reference_codes(window: str, size: int, where: str = "") -> np.ndarray:
    """Validated codes of a reference window, up to its first '\x00' (GATK's rules; both tensor types use them).

    Java pads past contig ends with '\x00'; everything from the first one on stays zero.  Any other
    symbol than A,C,G,T or an IUPAC code is an error naming the variant.
    """
    codes = symbols.to_codes(window)
    kinds = symbols.KIND[codes]
    end = np.flatnonzero(kinds == symbols.END)
    if end.size:
        codes, kinds = codes[: end[0]], kinds[: end[0]]
    bad = (kinds != symbols.BASE) & (kinds != symbols.AMBIGUOUS)
    if bad.any():
        raise InputError(f"unknown reference base(s) {symbols.describe_invalid(codes[bad])} in the reference window", where)
    if codes.size > size:
        raise InputError(f"reference window has {codes.size} bases, more than the window size {size}", where)
    return codes


def encode_reference(window: str, size: int, where: str = "") -> np.ndarray:
    """Encode a reference window to shape (size, 4) (one-hot, GATK's ambiguity fractions)."""
    codes = reference_codes(window, size, where)
    out = np.zeros((size, 4), dtype=np.float32)
    out[: codes.size] = symbols.FRACTIONS[codes]
    return out
