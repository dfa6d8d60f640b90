"""2D read tensor, reproducing GATK 4.2's layout rules (see docs/design.md §5).

Per read, the work is a handful of numpy index operations (one per CIGAR gap), never a loop over
bases: each row is first built as an index array into the read (with marks for "skip" and "gap"),
then every row of the variant is filled in one vectorised pass.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import defines
from ..errors import InputError
from ..records import Read, Variant
from . import symbols

_SKIP = -1  # left of the read's start: column stays empty
_GAP = -2  # '*' fill for insertions seen in other reads, or this read's deletions
N_CHANNELS = 15


@lru_cache(maxsize=4096)
def cigar_ops(cigar: str) -> tuple[tuple[str, int], ...]:
    """'10M2I5S' -> (('M', 10), ('I', 2), ('S', 5)); cached because CIGARs repeat across reads."""
    if not cigar or cigar == "*":
        return ()
    if defines.CIGAR_REGEX.sub("", cigar):
        raise InputError(f"malformed CIGAR {cigar!r}")
    return tuple((op, int(n)) for n, op in defines.CIGAR_REGEX.findall(cigar))


@lru_cache(maxsize=4096)
def cigar_query_length(cigar: str) -> int:
    """How many read bases a CIGAR covers (M, I, S, =, X): it must equal the read's length."""
    return sum(n for op, n in cigar_ops(cigar) if op in defines.CIGAR_OPS_THAT_CONSUME_READ)


def window_start(pos: int, window: int) -> int:
    return pos - window // 2


def insertion_map(reads: list[Read], start: int, window: int) -> dict[int, int]:
    """Largest insertion length at each window key, over reads that reach the window."""
    inserts: dict[int, int] = {}
    for read in reads:
        shift = start - read.start
        if abs(shift) >= window or "I" not in read.cigar:
            continue
        cursor = 0
        for op, n in cigar_ops(read.cigar):
            if op == "I":
                key = cursor - shift
                if n > inserts.get(key, 0):
                    inserts[key] = n
            if op in defines.CIGAR_OPS_THAT_ADVANCE:
                cursor += n
    return inserts


def sort_base(read: Read, variant: Variant) -> str:
    """GATK's secondary sort key: the base (or CIGAR op) each read shows at the variant."""
    if not read.seq:
        return "Z"
    last = len(read.seq) - 1
    offset = variant.pos - read.start
    if variant.variant_type == "SNP":
        return read.seq[min(max(offset, 0), last)]
    offset += 1
    total = 0
    for op, n in cigar_ops(read.cigar):
        total += n
        if total > offset:
            return read.seq[min(max(offset, 0), last)] if op == "M" else op
    return "Y"


def order_reads(reads: list[Read], variant: Variant) -> list[Read]:
    """By start, then (stably) by sort base: one sort on (base, start) gives the same order."""
    keys = [(sort_base(r, variant), r.start) for r in reads]
    return [reads[i] for i in sorted(range(len(reads)), key=keys.__getitem__)]


def _with_gaps(idx: np.ndarray, gaps: dict[int, int], window: int) -> np.ndarray:
    """Insert gap marks, largest key first; keys < 1 prefix.

    As in GATK's string slicing, a key past the end of a short row appends there (inside the
    window); only an insert that lands at or beyond column `window` can be skipped.
    """
    for key in sorted(gaps, reverse=True):
        count = gaps[key]
        if count <= 0 or min(key, idx.size) >= window:
            continue
        fill = np.full(count, _GAP, dtype=np.int32)
        idx = np.concatenate((fill, idx)) if key < 1 else np.concatenate((idx[:key], fill, idx[key:]))
    return idx[:window]


def read_row_indices(read: Read, start: int, inserts: dict[int, int], window: int) -> np.ndarray:
    """Index of the read base shown in each column (or _SKIP / _GAP), at most `window` long."""
    shift = start - read.start
    own: dict[int, int] = {}
    cursor = 0
    for op, n in cigar_ops(read.cigar):
        key = cursor - shift
        if op == "I" and key in inserts:
            own[key] = inserts[key] - n
        elif op == "D":
            own[key] = n
        if op in defines.CIGAR_OPS_THAT_ADVANCE:
            cursor += n
    for key, n in inserts.items():
        own.setdefault(key, n)
    idx = np.arange(min(len(read.seq), window), dtype=np.int32)
    if shift > 0:
        idx = idx[shift:]
    elif shift < 0:
        idx = np.concatenate((np.full(-shift, _SKIP, dtype=np.int32), idx))
    return _with_gaps(idx, own, window)


def reference_row_codes(reference: str, inserts: dict[int, int], window: int) -> np.ndarray:
    codes = symbols.to_codes(reference).astype(np.int32)
    idx = _with_gaps(np.arange(codes.size, dtype=np.int32), inserts, window)
    return np.where(idx >= 0, codes[np.maximum(idx, 0)], symbols.GAP_CODE)


def _choose_reads(reads: list[Read], read_limit: int) -> list[Read]:
    """More reads than rows: keep an evenly spaced subset of the ordered reads (GATK: random)."""
    if len(reads) <= read_limit:
        return reads
    keep = (np.arange(read_limit) * len(reads)) // read_limit
    return [reads[i] for i in keep]


def encode_read_tensor(
    variant: Variant,
    reference: str,
    reads: list[Read],
    window: int = defines.DEFAULT_WINDOW_SIZE,
    read_limit: int = defines.DEFAULT_READ_LIMIT,
    out: np.ndarray | None = None,
    where: str = "",
) -> np.ndarray:
    """Encode one variant's reads into a (read_limit, window, 15) channels_last tensor."""
    tensor = np.zeros((read_limit, window, N_CHANNELS), dtype=np.float32) if out is None else out
    start = window_start(variant.pos, window)
    inserts = insertion_map(reads, start, window)
    chosen = _choose_reads(order_reads(reads, variant), read_limit)

    n = len(chosen)
    codes = np.full((n, window), symbols.SKIP_CODE, dtype=np.int32)
    quals = np.zeros((n, window), dtype=np.intp)
    for j, read in enumerate(chosen):
        idx = read_row_indices(read, start, inserts, window)
        seq = symbols.to_codes(read.seq)
        qual = read.qual if read.qual.size else np.full(seq.size, symbols.MISSING_QUALITY, dtype=np.uint8)
        if qual.size < seq.size:
            raise InputError(f"read {j + 1} has {seq.size} bases but {qual.size} qualities", where)
        safe = np.maximum(idx, 0)
        marks = np.where(idx == _GAP, symbols.GAP_CODE, symbols.SKIP_CODE)
        codes[j, : idx.size] = np.where(idx >= 0, seq[safe] if seq.size else 0, marks)
        quals[j, : idx.size] = np.where(idx >= 0, qual[safe] if qual.size else 0, 0)

    _fill_reads(tensor, codes, quals, chosen, where)
    _fill_reference(tensor, reference_row_codes(reference, inserts, window), where)
    return tensor


def _fill_reads(tensor: np.ndarray, codes: np.ndarray, quals: np.ndarray, reads: list[Read], where: str) -> None:
    n, window = codes.shape
    if n == 0:
        return
    kinds = symbols.KIND[codes]
    bad = (kinds == symbols.INVALID) | (kinds == symbols.END)
    if bad.any():
        raise InputError(f"unknown symbol(s) {symbols.describe_invalid(codes[bad])} in a read sequence", where)
    rows = tensor[:n]
    base = kinds == symbols.BASE
    r, c = np.nonzero(base)
    q = quals[r, c]
    rows[r, c, :4] = symbols.P_OTHER[q][:, None]
    rows[r, c, symbols.BASE_INDEX[codes[r, c]]] = symbols.P_CALLED[q]
    amb = kinds == symbols.AMBIGUOUS
    rows[amb, :4] = symbols.FRACTIONS[codes[amb]]
    rows[kinds == symbols.GAP, 4] = 1.0

    filled = kinds != symbols.SKIP
    count = filled.sum(axis=1)
    first = filled.argmax(axis=1)
    last = window - 1 - filled[:, ::-1].argmax(axis=1)
    cols = np.arange(window)
    span = (cols >= first[:, None]) & (cols < last[:, None]) & (count >= 2)[:, None]
    attrs = np.array(
        [(rd.reverse, rd.mate_reverse, rd.first, not rd.first, rd.mapping_quality / defines.MAPPING_QUALITY_MAX) for rd in reads],
        dtype=np.float32,
    )
    channels = [
        defines.READ_CHANNEL_REVERSE,
        defines.READ_CHANNEL_MATE_REVERSE,
        defines.READ_CHANNEL_FIRST,
        defines.READ_CHANNEL_SECOND,
        defines.READ_CHANNEL_MAPQ,
    ]
    rows[:, :, channels] = span[:, :, None] * attrs[:, None, :]


def _fill_reference(tensor: np.ndarray, codes: np.ndarray, where: str) -> None:
    kinds = symbols.KIND[codes]
    row = np.zeros((tensor.shape[1], 5), dtype=np.float32)
    n = codes.size
    base = kinds == symbols.BASE
    row[:n][base, symbols.BASE_INDEX[codes[base]]] = 1.0
    amb = kinds == symbols.AMBIGUOUS
    row[:n][amb, :4] = symbols.FRACTIONS[codes[amb]]
    row[:n][kinds == symbols.GAP, 4] = 1.0
    off = defines.REFERENCE_CHANNEL_OFFSET
    tensor[:, :, off : off + 5] = row[None]
