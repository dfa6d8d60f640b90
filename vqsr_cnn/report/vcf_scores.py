"""Read (contig, pos, REF, ALT, type, score) per record of a scored VCF into numpy arrays.

Two readers: pysam (htslib: 8-13x faster than pyvcf3 on a 106k-record VCF, see docs/workflow.md) and pyvcf3
(pure Python).  The default, `auto`, reads with pysam and falls back to pyvcf3, with a warning, when htslib
refuses a file that another tool wrote loosely (e.g. no ##fileformat line); pyvcf3 also serves as the
cross-check of the pysam reader in the tests.  Both return the same :class:`ScoreTable`; input that cannot be
diffed (no such INFO key, unsorted records) raises ValueError with a one-line message that names the file, the
record and the fix.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import InputError
from ..readers.vcf import java_type_string
from ..readers.vcf import variant_type as htsjdk_variant_type

READERS = ("auto", "pysam", "pyvcf3")
DEFAULT_READER = "auto"
log = logging.getLogger("vqsr_cnn")
TYPE_NAMES = ("SNP", "INDEL", "OTHER")
SNP, INDEL, OTHER = 0, 1, 2
_TYPE_CODE = {"SNP": SNP, "INDEL": INDEL, "OTHER": OTHER}


@dataclass
class ScoreTable:
    """One score per VCF record, in file order.  `score` is NaN where a record has no value for the key."""

    path: str
    key: str
    reader: str
    contigs: list[str]  # contig names; `contig` indexes into this list (header order first)
    header_contigs: list[str]
    contig: np.ndarray  # int32
    pos: np.ndarray  # int64, 1-based
    ref: np.ndarray  # object (str)
    alt: np.ndarray  # object (str, ALTs joined by ',')
    vtype: np.ndarray  # int8: SNP, INDEL, OTHER
    score: np.ndarray  # float64
    filter: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))  # "PASS", "." or "A;B"
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.pos.shape[0])


def variant_type(ref: str, alts: Iterable[str]) -> int:
    """SNP / INDEL / OTHER exactly as the scorer (and GATK's Java side) types a record: htsjdk's allele-type
    rules, so `*` counts as a one-base allele and MNP, mixed and symbolic records are OTHER."""
    kind = java_type_string(htsjdk_variant_type(ref.upper(), tuple(a.upper() for a in alts if a != ".")))
    return _TYPE_CODE[kind]


def _to_float(value: Any) -> float:
    """INFO value -> float; NaN for missing ('.', None) so it is excluded from the comparison."""
    if isinstance(value, (list, tuple)):
        value = value[0] if len(value) == 1 else None
    if value is None or value == ".":
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


@contextlib.contextmanager
def _open_pysam(path: str) -> Iterator:
    """VariantFile with htslib's warnings silenced (no index needed: we read sequentially; an INFO key
    missing from the header is reported by us, once); errors still raise."""
    import pysam

    old = pysam.set_verbosity(0)
    try:
        with pysam.VariantFile(path) as vf:
            yield vf
    finally:
        pysam.set_verbosity(old)


def _pysam_rows(path: str, key: str, header_info: Callable[[list[str], bool], None]) -> Iterator[tuple]:
    with _open_pysam(path) as vf:
        header_info(list(vf.header.contigs), key in vf.header.info)
        for rec in vf:
            alts = rec.alts or ()
            info = rec.info
            filters = ";".join(rec.filter.keys()) or "."
            yield rec.contig, rec.pos, rec.ref, alts, (info[key] if key in info else None), filters


def _pyvcf3_rows(path: str, key: str, header_info: Callable[[list[str], bool], None]) -> Iterator[tuple]:
    import vcf

    gz = path.endswith((".gz", ".bgz"))
    with open(path, "rb" if gz else "r") as handle:
        try:
            reader = vcf.Reader(fsock=handle, compressed=gz)
        except SyntaxError as exc:  # pyvcf3 reports malformed (or escaped-quote) header lines this way
            raise InputError(f"pyvcf3 cannot parse the header: {exc}; try --reader pysam") from exc
        header_info(list(reader.contigs), key in reader.infos)
        for rec in reader:
            alts = tuple("." if a is None else str(a) for a in (rec.ALT or ()))
            filters = "." if rec.FILTER is None else (";".join(rec.FILTER) or "PASS")
            yield rec.CHROM, rec.POS, rec.REF, alts, rec.INFO.get(key), filters


def read_scores(path: str | Path, key: str = "CNN_2D", reader: str = DEFAULT_READER) -> ScoreTable:
    """All records of `path` with their `key` score.  Raises ValueError for a missing file, a header without
    `key`, a file where no record carries `key`, or unsorted records.  reader="auto": pysam, and pyvcf3 (with
    a warning) when htslib cannot open or parse the file."""
    path = str(path)
    if reader not in READERS:
        raise InputError(f"unknown VCF reader {reader!r}: choose one of {', '.join(READERS)}")
    if not Path(path).is_file():
        raise InputError(f"{path}: no such VCF file")
    if reader != "auto":
        return _read_scores(path, key, reader)
    try:
        return _read_scores(path, key, "pysam")
    except HtslibRefused as exc:
        log.warning(
            "%s: htslib refused the file (%s); reading it with the pure-Python pyvcf3 reader instead "
            "(slower; --reader pysam to make this an error)",
            path,
            exc.reason,
        )
        return _read_scores(path, key, "pyvcf3")


class HtslibRefused(InputError):
    """htslib could not open or parse a VCF (pyvcf3 may still read it)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _read_scores(path: str, key: str, reader: str) -> ScoreTable:
    rows_of = _pysam_rows if reader == "pysam" else _pyvcf3_rows
    header: dict = {}

    def header_info(contigs: list[str], has_key: bool) -> None:
        """Called by the reader before the first record, so a wrong file fails before any parsing."""
        if not has_key:
            raise InputError(
                f"{path}: the header has no INFO/{key} line, so the file was not scored with {key}: "
                f"score it first (vqsr-cnn score) or pick the key present with --key"
            )
        header["contigs"] = contigs

    start = time.perf_counter()
    contig_index: dict[str, int] = {}
    contig_col, pos_col, ref_col, alt_col, type_col, score_col, filter_col = [], [], [], [], [], [], []
    try:
        rows = rows_of(path, key, header_info)
        first = next(rows, None)
        contig_index.update((c, i) for i, c in enumerate(header["contigs"]))
        for contig, pos, ref, alts, value, filters in _chain(first, rows):
            idx = contig_index.setdefault(contig, len(contig_index))
            contig_col.append(idx)
            pos_col.append(pos)
            ref_col.append(ref)
            alt_col.append(",".join(alts) if alts else ".")
            type_col.append(variant_type(ref, alts))
            score_col.append(_to_float(value))
            filter_col.append(filters)
    except (OSError, ValueError, SyntaxError) as exc:
        if isinstance(exc, ValueError) and str(exc).startswith(path):
            raise
        if reader == "pysam":
            raise HtslibRefused(f"{path}: cannot read as VCF ({exc})", str(exc)) from exc
        raise InputError(f"{path}: cannot read as VCF ({exc})") from exc
    table = ScoreTable(
        path=path,
        key=key,
        reader=reader,
        contigs=list(contig_index),
        header_contigs=list(header["contigs"]),
        contig=np.asarray(contig_col, dtype=np.int32),
        pos=np.asarray(pos_col, dtype=np.int64),
        ref=np.asarray(ref_col, dtype=object),
        alt=np.asarray(alt_col, dtype=object),
        vtype=np.asarray(type_col, dtype=np.int8),
        score=_as_float64(score_col, reader),
        filter=np.asarray(filter_col, dtype=object),
        seconds=time.perf_counter() - start,
    )
    check_sorted(table)
    if len(table) and np.isnan(table.score).all():
        raise InputError(
            f"{path}: none of its {len(table)} records has an INFO/{key} value: score it first "
            f"(vqsr-cnn score) or pick the key present with --key"
        )
    return table


def _as_float64(values: list[float], reader: str) -> np.ndarray:
    """pysam hands out Type=Float INFO values as float32 (-4.988 arrives as -4.98799991607666); go back to
    the shortest decimal that float32 round-trips, i.e. the text in the file, so both readers agree."""
    if reader != "pysam":
        return np.asarray(values, dtype=np.float64)
    return np.asarray(values, dtype=np.float32).astype(str).astype(np.float64)


def _chain(first: tuple | None, rest: Iterator[tuple]) -> Iterator[tuple]:
    if first is not None:
        yield first
        yield from rest


def check_sorted(table: ScoreTable) -> None:
    """Records must come in contig blocks (in header order when the header lists contigs) with
    non-decreasing positions, as `bcftools sort` / GATK write them; raise naming the first offender."""
    c, p = table.contig, table.pos
    if len(c) < 2:
        return
    # Index of a contig = header order, then order of first appearance: a decrease means a block
    # out of header order or a contig that reappears after another one.
    bad = (c[1:] < c[:-1]) | ((c[1:] == c[:-1]) & (p[1:] < p[:-1]))
    if bad.any():
        i = int(np.flatnonzero(bad)[0]) + 1
        prev = f"{table.contigs[c[i - 1]]}:{p[i - 1]}"
        here = f"{table.contigs[c[i]]}:{p[i]}"
        raise InputError(
            f"{table.path}: records are not sorted (record {i + 1}, {here}, comes after {prev}): "
            f"sort it first, e.g. `bcftools sort -o sorted.vcf.gz {table.path}`"
        )


def record_lines(path: str | Path, ordinals: Iterable[int]) -> dict[int, str]:
    """The VCF text of the records at the given 0-based ordinals (for the report's largest differences);
    one pass that stops after the last wanted record.  htslib's rendering, or the file's own lines when
    htslib refuses the file."""
    wanted = set(int(i) for i in ordinals)
    if not wanted:
        return {}
    try:
        with _open_pysam(str(path)) as vf:
            return _pick((str(rec) for rec in vf), wanted)
    except (OSError, ValueError):
        opener = gzip.open if str(path).endswith((".gz", ".bgz")) else open
        with opener(str(path), "rt") as handle:
            return _pick((line for line in handle if not line.startswith("#")), wanted)


def _pick(lines: Iterator[str], wanted: set[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    last = max(wanted)
    for i, line in enumerate(lines):
        if i in wanted:
            out[i] = line.rstrip("\n")
        if i >= last:
            break
    return out
