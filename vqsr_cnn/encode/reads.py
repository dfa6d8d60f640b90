"""2D read tensor, reproducing GATK 4.2's layout rules (see docs/design.md §5).

All rows of a variant are built at once: Python looks only at the CIGARs that carry an I or D op (their
gap keys); where each base lands, its symbol, quality and flags are numpy passes over a (reads x window)
grid of indices into the variant's concatenated bases, and the channels come from the lookup tables of
:mod:`.symbols`.  Every tensor element is written exactly once.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import defines
from ..errors import InputError
from ..records import Read, Variant
from . import symbols

_SKIP = -1  # left of the read's start, or past its row: column stays empty
_GAP = -2  # '*' fill for insertions seen in other reads, or this read's deletions
N_CHANNELS = symbols.CHANNELS
_FLAG_CHANNELS = slice(defines.READ_CHANNEL_REVERSE, defines.READ_CHANNEL_MAPQ + 1)


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


@lru_cache(maxsize=4096)
def cigar_gap_ops(cigar: str) -> tuple[tuple[str, int, int], ...]:
    """The I and D ops of a CIGAR as (op, length, window cursor before the op): all a row's own gaps need."""
    out = []
    cursor = 0
    for op, n in cigar_ops(cigar):
        if op in "ID":
            out.append((op, n, cursor))
        if op in defines.CIGAR_OPS_THAT_ADVANCE:
            cursor += n
    return tuple(out)


def window_start(pos: int, window: int) -> int:
    return pos - window // 2


def insertion_map(reads: list[Read], start: int, window: int) -> dict[int, int]:
    """Largest insertion length at each window key, over reads that reach the window."""
    inserts: dict[int, int] = {}
    for read in reads:
        shift = start - read.start
        if abs(shift) >= window or "I" not in read.cigar:
            continue
        for op, n, cursor in cigar_gap_ops(read.cigar):
            key = cursor - shift
            if op == "I" and n > inserts.get(key, 0):
                inserts[key] = n
    return inserts


def own_gaps(read: Read, start: int, inserts: dict[int, int]) -> dict[int, int]:
    """The gaps one row gets: its I ops shorten the map's run at their key, its D ops add their own."""
    shift = start - read.start
    own: dict[int, int] = {}
    for op, n, cursor in cigar_gap_ops(read.cigar):
        key = cursor - shift
        if op == "D":
            own[key] = n
        elif key in inserts:
            own[key] = inserts[key] - n
    for key, n in inserts.items():
        own.setdefault(key, n)
    return own


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


_INT64_SAFE = 2**62  # starts and positions inside this bound sort and subtract exactly as int64


class _Columns:
    """A variant's reads transposed once: their bases concatenated (codes for the tables, code points for
    sorting), the per-read fields as tuples, and two sentinel cells past the bases (SKIP, then GAP)."""

    def __init__(self, reads: list[Read]) -> None:
        columns = tuple(zip(*reads)) if reads else ((),) * len(Read._fields)
        self.seqs, self.quals, self.cigars, self.reverse, self.mate_reverse, self.first, self.mapq, self.starts = columns
        self.lengths = np.array([len(seq) for seq in self.seqs], dtype=np.int64)
        self.offsets = np.zeros(len(reads), dtype=np.int64)
        np.cumsum(self.lengths[:-1], out=self.offsets[1:])
        text = "".join(self.seqs)
        self.skip = len(text)  # index of the SKIP sentinel cell; the GAP sentinel follows it
        self.gap = self.skip + 1
        self.codes = symbols.to_codes(text + defines.SKIP_CHAR + defines.INDEL_CHAR)
        self.points = self.codes if text.isascii() else np.frombuffer(text.encode("utf-32-le"), dtype="<u4")

    def qualities(self) -> np.ndarray:
        """Every read's qualities at the offsets of its bases (none: MISSING_QUALITY), 0 for the sentinels."""
        if [q.size for q in self.quals] == self.lengths.tolist():
            quals = list(self.quals)
        else:
            quals = [
                q[:n] if q.size >= n else np.full(n, 0 if q.size else symbols.MISSING_QUALITY, dtype=np.uint8)
                for q, n in zip(self.quals, self.lengths.tolist())
            ]
        return np.concatenate([*quals, np.zeros(2, dtype=np.uint8)])

    def cells(self, at: np.ndarray, where: str) -> np.ndarray:
        """READ_ROWS index (symbol class and quality) of the cells at `at`."""
        quals = self.qualities()
        if quals.dtype == np.uint8:
            return (symbols.SYMBOL_CLASS[self.codes] * symbols.QUALITY_LEVELS + quals)[at]
        codes, quals = self.codes[at], quals[at].astype(np.int64)  # not from a reader: cast as an intp grid would
        base = symbols.KIND[codes] == symbols.BASE  # qualities index the table only at bases
        if quals[base].min(initial=0) < 0 or quals[base].max(initial=0) >= symbols.QUALITY_LEVELS:
            raise InputError(f"base qualities must lie in 0..{symbols.QUALITY_LEVELS - 1}", where)
        return symbols.SYMBOL_CLASS[codes] * symbols.QUALITY_LEVELS + np.where(base, quals, 0)


def _read_order(reads: list[Read], variant: Variant, columns: _Columns) -> np.ndarray:
    """Indices of the reads by start, then (stably) by sort base: one stable sort on (base, start)."""
    starts = columns.starts
    if not reads:
        return np.zeros(0, dtype=np.int64)
    if max(abs(min(starts)), abs(max(starts)), abs(variant.pos)) >= _INT64_SAFE:
        keys = [(sort_base(r, variant), r.start) for r in reads]  # beyond int64: Python ints, same order
        return np.array(sorted(range(len(reads)), key=keys.__getitem__), dtype=np.int64)
    if variant.variant_type == "SNP":
        last = columns.lengths - 1
        at = columns.offsets + np.minimum(np.maximum(variant.pos - np.array(starts, dtype=np.int64), 0), last)
        bases = np.where(columns.lengths > 0, columns.points[np.maximum(at, 0)], ord("Z"))
    else:
        bases = np.array([ord(sort_base(r, variant)) for r in reads], dtype=np.int64)
    return np.lexsort((np.array(starts, dtype=np.int64), bases))


def order_reads(reads: list[Read], variant: Variant) -> list[Read]:
    """By start, then (stably) by sort base."""
    return [reads[i] for i in _read_order(reads, variant, _Columns(reads))]


def _choose_reads(order: np.ndarray, read_limit: int) -> np.ndarray:
    """More reads than rows: keep an evenly spaced subset of the ordered reads (GATK: random)."""
    if order.size <= read_limit:
        return order
    return order[(np.arange(read_limit) * order.size) // read_limit]


def _insert_gaps(
    elements: np.ndarray,
    lengths: np.ndarray,
    gaps: tuple[np.ndarray, np.ndarray, np.ndarray],
    window: int,
    marks: tuple[int, int],
) -> np.ndarray:
    """Lay out rows of elements with '*' runs: GATK inserts them largest key first, key < 1 as a prefix.

    Row r holds elements[r, :lengths[r]]; gaps are (row, key, count) with count > 0; marks are the values
    of (a column past the row, a '*' column).  Inserting from the largest key down means a run at key k
    lands before element k (before element 0 for k < 1, after the last element for k >= its length), so
    element e moves right by every run keyed at or before it.  The row then ends after all its elements
    and runs; only its first `window` columns are kept.
    """
    rows, keys, counts = gaps
    height = elements.shape[0]
    at = np.minimum(np.minimum(np.maximum(keys, 0), lengths[rows]), window)
    runs = np.bincount(rows * (window + 1) + at, weights=counts, minlength=height * (window + 1))
    runs = runs.reshape(height, window + 1).astype(np.int64)
    cols = np.arange(window)
    row_end = np.minimum(lengths + runs.sum(axis=1), window)
    out = np.where(cols < row_end[:, None], marks[1], marks[0])
    target = cols + np.cumsum(runs[:, :window], axis=1)
    shown = (cols < np.minimum(lengths, window)[:, None]) & (target < window)
    r, e = np.nonzero(shown)
    out[r, target[r, e]] = elements[r, e]
    return out


def _clamp(value: int, window: int) -> int:
    """Keys, shifts and run lengths act the same anywhere beyond +-window: clamped, they fit int64 exactly."""
    return -window if value < -window else window if value > window else value


def _row_gaps(
    reads: list[Read], chosen: list[int], start: int, inserts: dict[int, int], window: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, key, count) of every '*' run of the chosen rows: the map's runs, or a row's own (I/D) ones."""
    gaps: list[tuple[int, int, int]] = []
    shared = [(_clamp(key, window), _clamp(n, window)) for key, n in inserts.items() if n > 0]
    for j, i in enumerate(chosen):
        cigar = reads[i].cigar
        if "I" in cigar or "D" in cigar:
            own = own_gaps(reads[i], start, inserts).items()
            gaps.extend((j, _clamp(key, window), _clamp(n, window)) for key, n in own if n > 0)
        elif shared:
            gaps.extend((j, key, n) for key, n in shared)
    table = np.array(gaps, dtype=np.int64).reshape(-1, 3)
    return table[:, 0], table[:, 1], table[:, 2]


def _check_rows(columns: _Columns, chosen: list[int], where: str) -> None:
    """Row by row, as the rows are laid out: a malformed CIGAR, then fewer qualities than bases, is an error."""
    lengths = columns.lengths.tolist()
    short = any(0 < columns.quals[i].size < lengths[i] for i in chosen)
    try:
        for cigar in {columns.cigars[i] for i in chosen}:
            cigar_ops(cigar)
    except InputError:
        short = True
    if not short:
        return
    for j, i in enumerate(chosen):  # an error: find the first one in row order
        cigar_ops(columns.cigars[i])
        if 0 < columns.quals[i].size < lengths[i]:
            raise InputError(f"read {j + 1} has {lengths[i]} bases but {columns.quals[i].size} qualities", where)


def read_cells(
    reads: list[Read], chosen: np.ndarray, columns: _Columns, start: int, inserts: dict[int, int], window: int, where: str
) -> np.ndarray:
    """Which cell of `columns` each (row, column) of the chosen reads shows: a base, or the SKIP / GAP sentinel."""
    rows = chosen.tolist()
    _check_rows(columns, rows, where)
    shift = np.array([_clamp(start - columns.starts[i], window) for i in rows], dtype=np.int64)
    length = np.maximum(np.minimum(columns.lengths[chosen], window) - shift, 0)  # bases[:window], then shifted
    cols = np.arange(window)
    source = cols + shift[:, None]  # index into the read of the element at column e, before gaps
    at = np.where((cols < length[:, None]) & (source >= 0), source + columns.offsets[chosen][:, None], columns.skip)
    gaps = _row_gaps(reads, rows, start, inserts, window)
    if gaps[0].size:
        gapped = np.flatnonzero(np.bincount(gaps[0], minlength=chosen.size))
        remap = np.zeros(chosen.size, dtype=np.int64)
        remap[gapped] = np.arange(gapped.size)
        marks = (columns.skip, columns.gap)
        at[gapped] = _insert_gaps(at[gapped], length[gapped], (remap[gaps[0]], gaps[1], gaps[2]), window, marks)
    return at


def reference_row(reference: str, inserts: dict[int, int], window: int) -> np.ndarray:
    """Every row's cells without reads: channels 5-9 from the reference window with the insertion map's
    '*' runs, cut to `window`; all other channels zero.  Shape (window, 15)."""
    codes = symbols.to_codes(reference + "\x00" + defines.INDEL_CHAR)  # past the end: nothing shown; then '*'
    length = codes.size - 2
    shared = [(_clamp(key, window), _clamp(n, window)) for key, n in inserts.items() if n > 0]
    elements = np.minimum(np.arange(window), length)
    if shared:
        keys, counts = np.array(shared, dtype=np.int64).T
        gaps = (np.zeros(keys.size, dtype=np.int64), keys, counts)
        elements = _insert_gaps(elements[None], np.array([length]), gaps, window, (length, length + 1))[0]
    return symbols.REFERENCE_ROWS[codes[elements]]


def encode_read_tensor(
    variant: Variant,
    reference: str,
    reads: list[Read],
    window: int = defines.DEFAULT_WINDOW_SIZE,
    read_limit: int = defines.DEFAULT_READ_LIMIT,
    out: np.ndarray | None = None,
    where: str = "",
) -> np.ndarray:
    """Encode one variant's reads into a (read_limit, window, 15) channels_last tensor (all of `out` is written)."""
    tensor = np.empty((read_limit, window, N_CHANNELS), dtype=np.float32) if out is None else out
    write_read_rows(variant, reference, reads, tensor, where)
    return tensor


def write_read_rows(
    variant: Variant, reference: str, reads: list[Read], out: np.ndarray, where: str = "", fill_tail: bool = True
) -> int:
    """Write a variant's read tensor into `out` (read_limit, window, 15); returns the leading rows written.

    Every row after the reads is the same reads-free row (the reference channels). With `fill_tail` all of them
    are written (each element once: the tensor is memory-bound); without, only the first of them is, and the
    rest of `out` is left as it was for the caller to fill (``engine.exact_rows.plan.fill_tails``) where a
    consumer needs the whole tensor: the exact-rows engine reads only a variant's leading rows.
    """
    read_limit, window = out.shape[0], out.shape[1]
    start = window_start(variant.pos, window)
    inserts = insertion_map(reads, start, window)
    columns = _Columns(reads)
    chosen = _choose_reads(_read_order(reads, variant, columns), read_limit)
    empty_row = reference_row(reference, inserts, window)
    if chosen.size:
        at = read_cells(reads, chosen, columns, start, inserts, window, where)
        fill_read_rows(out[: chosen.size], empty_row, at, columns, chosen, where)
    written = read_limit if fill_tail else min(chosen.size + 1, read_limit)
    out[chosen.size : written] = empty_row
    return written


def fill_read_rows(
    block: np.ndarray, empty_row: np.ndarray, at: np.ndarray, columns: _Columns, chosen: np.ndarray, where: str
) -> None:
    """Write the read rows: the empty row's reference channels, channels 0-4 (symbol and quality) and 10-14
    (flags over [first, last) filled column).

    A cell is two whole-cell table lookups OR-ed with the empty row's bits: every table is zero outside
    its channels, so this writes exactly their values (a -0.0 flag included) without a strided write.
    """
    window = at.shape[1]
    cells = columns.cells(at, where)
    if cells.max() >= symbols.BAD_CLASS * symbols.QUALITY_LEVELS:
        codes = columns.codes[at]
        bad = symbols.SYMBOL_CLASS[codes] == symbols.BAD_CLASS
        raise InputError(f"unknown symbol(s) {symbols.describe_invalid(codes[bad])} in a read sequence", where)
    filled = cells >= symbols.QUALITY_LEVELS  # class 0 shows nothing
    first = filled.argmax(axis=1)
    last = np.where(filled.sum(axis=1) >= 2, window - 1 - filled[:, ::-1].argmax(axis=1), first)
    cols = np.arange(window)
    rows = chosen.tolist()
    flag_row = 2 * np.arange(len(rows))[:, None] + ((cols >= first[:, None]) & (cols < last[:, None]))
    first_of_pair = [columns.first[i] for i in rows]
    attrs = np.array(
        [
            [columns.reverse[i] for i in rows],
            [columns.mate_reverse[i] for i in rows],
            first_of_pair,
            [not f for f in first_of_pair],
            [columns.mapq[i] / defines.MAPPING_QUALITY_MAX for i in rows],
        ],
        dtype=np.float32,
    ).T
    flags = np.zeros((len(rows), 2, N_CHANNELS), dtype=np.float32)  # per row: outside, inside its span
    flags[:, :, _FLAG_CHANNELS] = np.array([False, True])[None, :, None] * attrs[:, None, :]  # as span * attrs
    bits = block.view(np.uint32)
    np.bitwise_or(np.take(symbols.READ_ROWS.view(np.uint32), cells, axis=0), empty_row.view(np.uint32), out=bits)
    bits |= np.take(flags.view(np.uint32).reshape(-1, N_CHANNELS), flag_row, axis=0)
