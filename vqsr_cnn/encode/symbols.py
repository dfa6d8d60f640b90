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


def _channel_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whole-cell channel values, so a row is one table lookup instead of a pass per symbol kind.

    SYMBOL_CLASS maps a code to its class (0: nothing shown, 1: '*', then one class per base and IUPAC
    code, last BAD_CLASS: a symbol a read must not show); READ_ROWS[class * QUALITY_LEVELS + quality] is
    a read cell (channels 0-4: p-hot from the quality for A/C/G/T, fractions for IUPAC codes, channel 4 for
    '*'); REFERENCE_ROWS[code] is a reference cell (channels 5-9: one-hot, fractions, '*').  Other
    channels are zero.  Every value is copied from P_CALLED / P_OTHER / FRACTIONS.
    """
    shown = [c for c in range(256) if KIND[c] in (BASE, AMBIGUOUS)]
    symbol_class = np.full(256, 2 + len(shown), dtype=np.int32)
    symbol_class[KIND == SKIP] = 0
    symbol_class[GAP_CODE] = 1
    symbol_class[shown] = np.arange(2, 2 + len(shown))
    read = np.zeros((3 + len(shown), QUALITY_LEVELS, CHANNELS), dtype=np.float32)
    read[1, :, 4] = 1.0
    reference = np.zeros((256, CHANNELS), dtype=np.float32)
    ref = defines.REFERENCE_CHANNEL_OFFSET
    reference[GAP_CODE, ref + 4] = 1.0
    for code in shown:
        if KIND[code] == BASE:
            read[symbol_class[code], :, :4] = P_OTHER[:, None]
            read[symbol_class[code], :, BASE_INDEX[code]] = P_CALLED
            reference[code, ref + BASE_INDEX[code]] = 1.0
        else:
            read[symbol_class[code], :, :4] = FRACTIONS[code]
            reference[code, ref : ref + 4] = FRACTIONS[code]
    return symbol_class, read.reshape(-1, CHANNELS), reference


CHANNELS = 15  # of a read tensor cell: read A,C,G,T,*, reference A,C,G,T,*, four flags, MAPQ
QUALITY_LEVELS = 256  # READ_ROWS rows per symbol class: one per uint8 quality
SYMBOL_CLASS, READ_ROWS, REFERENCE_ROWS = _channel_tables()
BAD_CLASS = int(SYMBOL_CLASS.max())  # INVALID and END: an error wherever a read row shows one
