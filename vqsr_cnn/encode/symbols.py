"""Byte lookup tables built once from :mod:`vqsr_cnn.defines`, so encoding is table lookups."""

from __future__ import annotations

import numpy as np

from .. import defines

# Kinds of symbol in a read row or reference window.
INVALID, BASE, GAP, AMBIGUOUS, SKIP, END = 0, 1, 2, 3, 4, 5

KIND = np.full(256, INVALID, dtype=np.uint8)
BASE_INDEX = np.zeros(256, dtype=np.intp)
FRACTIONS = np.zeros((256, 4), dtype=np.float32)
for _base, _i in defines.DNA_SYMBOLS.items():
    KIND[ord(_base)] = BASE
    BASE_INDEX[ord(_base)] = _i
    FRACTIONS[ord(_base), _i] = 1.0
for _code, _fractions in defines.AMBIGUITY_CODES.items():
    KIND[ord(_code)] = AMBIGUOUS
    FRACTIONS[ord(_code)] = _fractions
KIND[ord(defines.INDEL_CHAR)] = GAP
KIND[ord(defines.SKIP_CHAR)] = SKIP
KIND[0] = END

# Internal codes for marks that never come from the data (outside the byte range).
SKIP_CODE = ord(defines.SKIP_CHAR)
GAP_CODE = ord(defines.INDEL_CHAR)

# p-hot: the called base gets 1 - 10^(-q/10), the other three share the error evenly.
_Q = np.arange(256, dtype=np.float64)
P_CALLED = (1.0 - 10.0 ** (-_Q / 10.0)).astype(np.float32)
P_OTHER = ((1.0 - (1.0 - 10.0 ** (-_Q / 10.0))) / 3.0).astype(np.float32)
# Reads without qualities are encoded as certain calls (GATK 4.2 crashes on them).
MISSING_QUALITY = 255


def to_codes(text: str) -> np.ndarray:
    """String -> uint8 codes; non-ASCII characters map to an invalid code."""
    return np.frombuffer(text.encode("latin-1", errors="replace"), dtype=np.uint8)


def describe_invalid(codes: np.ndarray) -> str:
    """The distinct symbols in `codes` (already selected as offending), for error messages."""
    return ", ".join(repr(chr(c)) for c in sorted(set(codes.tolist())))
