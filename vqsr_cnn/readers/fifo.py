"""Parse the tab-separated data lines CNNScoreVariants.java writes to the data FIFO."""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np

from .. import defines
from ..defines import TensorType
from ..encode import symbols
from ..encode.reads import cigar_query_length
from ..errors import InputError
from ..records import Example, Read, Variant


class DataLine(NamedTuple):
    example: Example
    echo: str  # contig, pos, REF, ALT list exactly as Java sent them (the temp file repeats them)


def _parse_alts(text: str, where: str) -> tuple[str, ...]:
    """Java prints the ALT list with List.toString(): '[T]', '[A, T]' (an empty list is '[]')."""
    if not (text.startswith("[") and text.endswith("]")):
        raise InputError(f"ALT alleles must be a Java list such as [T] or [A, T], got {text[:40]!r}", where)
    inner = text[1:-1]
    if "," not in inner:  # one ALT, the usual case (a third of a 1D line's parse time otherwise)
        alt = inner.strip()
        return (alt,) if alt else ()
    return tuple(a.strip() for a in inner.split(",") if a.strip())


def _parse_int(text: str, where: str, what: str, low: int | None = None, high: int | None = None) -> int:
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"{what} must be an integer, got {text!r}", where) from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise InputError(f"{what} must lie in {low}..{'' if high is None else high}, got {value}", where)
    return value


def _parse_annotations(text: str, where: str) -> dict[str, str]:
    """Java writes 'KEY=value;' for each annotation present; anything else is not from Java."""
    pairs = {}
    for item in text.split(defines.ANNOTATION_SEPARATOR):
        if item:
            key, sep, value = item.partition(defines.ANNOTATION_SET_STRING)
            if not sep or not key:
                raise InputError(f"annotations must be KEY=value; pairs, got {text[:60]!r}", where)
            pairs[key.strip()] = value
    return pairs


_INTEGER = re.compile(r"-?[0-9]+")
_JAVA_BOOLS = {"true": True, "false": False}
_QUALITY_BYTES = b"0123456789" + defines.DATA_VALUE_SEPARATOR.encode()
_READ_BASE_BYTES = bytes(c for c in range(256) if symbols.KIND[c] in (symbols.BASE, symbols.AMBIGUOUS))


def _read_ints(texts: list[str], where: str, what: str, low: int | None = None, high: int | None = None) -> list[int]:
    """One integer field of every read (Java's Integer.toString); errors name the read."""
    joined = "".join(texts)
    if not (joined.isascii() and joined.isdigit() and "" not in texts):  # only then can a text be malformed
        for i, text in enumerate(texts):
            if not _INTEGER.fullmatch(text):
                raise InputError(f"{what} must be an integer, got {text[:20]!r}", f"{where}, read {i + 1}")
    values = list(map(int, texts))
    if values and ((low is not None and min(values) < low) or (high is not None and max(values) > high)):
        for i, value in enumerate(values):
            if (low is not None and value < low) or (high is not None and value > high):
                raise InputError(
                    f"{what} must lie in {low}..{'' if high is None else high}, got {value}", f"{where}, read {i + 1}"
                )
    return values


def _read_bools(texts: list[str], where: str, what: str) -> list[bool]:
    """One flag field of every read: Java prints booleans as 'true' / 'false'."""
    try:
        return [_JAVA_BOOLS[text] for text in texts]
    except KeyError:
        i = next(i for i, text in enumerate(texts) if text not in _JAVA_BOOLS)
        raise InputError(f"{what} must be 'true' or 'false', got {texts[i][:20]!r}", f"{where}, read {i + 1}") from None


def _read_qualities(texts: list[str], where: str) -> list[np.ndarray]:
    """Every read's comma-separated base qualities, parsed in one numpy pass over the line's values.

    Each value is at most 3 digits (checked), so it is read from the digits just before its separator.
    """
    kept = [text for text in texts if text]
    joined = defines.DATA_VALUE_SEPARATOR.join(kept)
    if not joined:
        return [np.zeros(0, dtype=np.uint8) for _ in texts]
    raw = joined.encode("latin-1", errors="replace")
    buf = np.frombuffer(raw + defines.DATA_VALUE_SEPARATOR.encode(), dtype=np.uint8)
    ends = np.flatnonzero(buf == ord(defines.DATA_VALUE_SEPARATOR))  # the separator after each value
    width = np.empty_like(ends)
    width[0] = ends[0]
    np.subtract(ends[1:], ends[:-1] + 1, out=width[1:])
    max_digits = len(str(defines.MAX_BASE_QUALITY))
    bad_chars = raw.translate(None, _QUALITY_BYTES)
    widest = int(width.max())
    if bad_chars or width.min() == 0 or widest > max_digits:
        if bad_chars:
            at = int(np.flatnonzero(np.isin(buf, np.frombuffer(_QUALITY_BYTES, dtype=np.uint8), invert=True))[0])
            first = int(np.searchsorted(ends, at))
        else:
            first = int(np.flatnonzero((width == 0) | (width > max_digits))[0])
        raise InputError(
            f"base qualities must be comma-separated integers in 0..{defines.MAX_BASE_QUALITY}, "
            f"got {texts[_value_owner(texts, first)][:40]!r}",
            f"{where}, read {_value_owner(texts, first) + 1}",
        )
    digit = buf.astype(np.int16) - ord("0")
    values = digit[ends - 1]
    for place in range(1, widest):
        values += (width > place) * digit[ends - 1 - place] * np.int16(10**place)  # wraps only where width <= place
    if values.max() > defines.MAX_BASE_QUALITY:
        raise InputError(
            f"base qualities must lie in 0..{defines.MAX_BASE_QUALITY}, got {int(values.max())}",
            f"{where}, read {_value_owner(texts, int(np.argmax(values))) + 1}",
        )
    quals = values.astype(np.uint8)
    last = iter(np.searchsorted(ends, np.cumsum([len(text) + 1 for text in kept]) - 1).tolist())  # each text's last value
    out = []
    begin = 0
    for text in texts:
        end = next(last) + 1 if text else begin
        out.append(quals[begin:end])
        begin = end
    return out


def _value_owner(texts: list[str], value: int) -> int:
    """Which read the value-th quality of the line (over the non-empty texts) belongs to."""
    counts = [text.count(defines.DATA_VALUE_SEPARATOR) + 1 if text else 0 for text in texts]
    return int(np.searchsorted(np.cumsum(counts), value, side="right"))


def _parse_reads(fields: list[str], where: str) -> list[Read]:
    """The tab-terminated groups of 8 read fields GATKReadToString writes, parsed and checked column-wise."""
    terminated = bool(fields) and fields[-1] == ""
    if terminated:
        fields = fields[:-1]
    if len(fields) % defines.READ_ELEMENTS:
        raise InputError(
            f"read fields come in groups of {defines.READ_ELEMENTS}, got {len(fields)} fields after the variant", where
        )
    if not terminated:
        raise InputError(
            "a 2D data line ends with a tab after the variant type and after every read field; this one does not", where
        )
    seqs, quals, cigars, reverse, mate_reverse, first, mapq, start = (
        fields[i :: defines.READ_ELEMENTS] for i in range(defines.READ_ELEMENTS)
    )
    reads = [
        Read(*columns)
        for columns in zip(
            seqs,
            _read_qualities(quals, where),
            cigars,
            _read_bools(reverse, where, "is-reverse"),
            _read_bools(mate_reverse, where, "mate-is-reverse"),
            _read_bools(first, where, "first-of-pair"),
            _read_ints(mapq, where, "MAPQ", 0, defines.MAX_MAPPING_QUALITY),
            _read_ints(start, where, "start"),
        )
    ]
    check_reads(reads, where)
    return reads


def _cigar_query_length(cigar: str, where: str) -> int:
    try:
        return cigar_query_length(cigar)
    except ValueError as exc:
        raise InputError(f"{exc}", where) from None


def check_reads(reads: list[Read], where: str) -> None:
    """What GATK's Java side guarantees for every read it sends, checked with one pass over the line's bases.

    Bases are A,C,G,T or IUPAC codes (or '*' alone: no stored sequence); qualities are absent or one per
    base; a CIGAR (other than '*') covers exactly the read's bases (GATK's WellformedReadFilter).
    """
    if not reads:
        return
    seqs, quals, cigars = list(zip(*reads))[:3]
    if "" in seqs:
        raise InputError("empty read bases (Java sends '*' for a read without bases)", f"{where}, read {seqs.index('') + 1}")
    stored = [i for i, seq in enumerate(seqs) if seq != defines.NULL_SEQUENCE]
    text = "".join(seqs[i] for i in stored)
    if text.encode("latin-1", errors="replace").translate(None, _READ_BASE_BYTES):
        codes = symbols.to_codes(text)
        kinds = symbols.KIND[codes]
        bad = (kinds != symbols.BASE) & (kinds != symbols.AMBIGUOUS)
        at = int(np.searchsorted(np.cumsum([len(seqs[i]) for i in stored]), np.flatnonzero(bad)[0], side="right"))
        raise InputError(
            f"unknown symbol(s) {symbols.describe_invalid(codes[bad])} in the read bases (A, C, G, T or IUPAC codes)",
            f"{where}, read {stored[at] + 1}",
        )
    lengths = [0 if seq == defines.NULL_SEQUENCE else len(seq) for seq in seqs]
    query = [
        -1
        if cigar == defines.NULL_SEQUENCE or seq == defines.NULL_SEQUENCE
        else _cigar_query_length(cigar, f"{where}, read {i + 1}")
        for i, (seq, cigar) in enumerate(zip(seqs, cigars))
    ]
    for i, (n, qual) in enumerate(zip(lengths, quals)):
        if qual.size and qual.size != n:
            raise InputError(f"{n} bases but {qual.size} base qualities", f"{where}, read {i + 1}")
    for i, (n, covered) in enumerate(zip(lengths, query)):
        if covered >= 0 and covered != n:
            raise InputError(f"CIGAR {cigars[i]} covers {covered} read bases but the read has {n}", f"{where}, read {i + 1}")


def parse_data_line(line: str, tensor_type: TensorType, line_number: int = 0) -> DataLine:
    """Parse one data line; errors name the line and variant so they read well in GATK's log.

    Every field is checked against what CNNScoreVariants.java writes (1D: exactly 7 fields; 2D: 7 fields,
    then 8 tab-terminated fields per read): a line Java could not have written is an error, never a score.
    """
    fields = line.rstrip("\r\n").split(defines.DATA_TYPE_SEPARATOR)
    label = f"data line {line_number}" if line_number else "data line"
    if len(fields) < defines.VARIANT_FIFO_FIELDS:
        locus = f" ({fields[0]}:{fields[1]})" if len(fields) > 1 else ""
        raise InputError(
            f"expected at least {defines.VARIANT_FIFO_FIELDS} tab-separated fields, got {len(fields)}: {line[:80]!r}",
            f"{label}{locus}",
        )
    contig, pos_text, ref, alts_text, reference, annotations, vtype = fields[: defines.VARIANT_FIFO_FIELDS]
    where = f"{label} ({contig}:{pos_text} {ref}>{alts_text})"
    if not contig or not ref:
        raise InputError("contig and REF must not be empty", where)
    pos = _parse_int(pos_text, where, "position", 1)
    if vtype not in defines.VARIANT_TYPES:
        raise InputError(f"variant type must be one of {', '.join(defines.VARIANT_TYPES)}, got {vtype[:20]!r}", where)
    variant = Variant(contig, pos, ref, _parse_alts(alts_text, where), vtype)
    reads: list[Read] | None = None
    if tensor_type == TensorType.READ_TENSOR:
        reads = _parse_reads(fields[defines.VARIANT_FIFO_FIELDS :], where)
    elif len(fields) != defines.VARIANT_FIFO_FIELDS:
        raise InputError(
            f"a 1D data line has exactly {defines.VARIANT_FIFO_FIELDS} tab-separated fields, "
            f"got {len(fields)} (a 2D line sent to a 1D model?)",
            where,
        )
    echo = defines.DATA_TYPE_SEPARATOR.join((contig, pos_text, ref, alts_text))
    return DataLine(Example(variant, reference, _parse_annotations(annotations, where), reads, where), echo)


def _java_alts(alts: tuple[str, ...]) -> str:
    return "[" + ", ".join(alts) + "]"


def format_data_line(example: Example) -> str:
    """The data line CNNScoreVariants.java would write for this example (inverse of parse_data_line).

    Used to prove that standalone scoring and the bridge see identical input.
    """
    v = example.variant
    annotations = "".join(
        f"{k}{defines.ANNOTATION_SET_STRING}{val}{defines.ANNOTATION_SEPARATOR}" for k, val in example.annotations.items()
    )
    fields = [v.contig, str(v.pos), v.ref, _java_alts(v.alts), example.reference, annotations, v.variant_type]
    line = defines.DATA_TYPE_SEPARATOR.join(fields)
    if example.reads is not None:
        line += defines.DATA_TYPE_SEPARATOR
        for r in example.reads:
            quals = defines.DATA_VALUE_SEPARATOR.join(map(str, r.qual.tolist()))
            parts = [
                r.seq,
                quals,
                r.cigar,
                _bool(r.reverse),
                _bool(r.mate_reverse),
                _bool(r.first),
                str(r.mapping_quality),
                str(r.start),
            ]
            line += "".join(p + defines.DATA_TYPE_SEPARATOR for p in parts)
    return line + "\n"


def _bool(value: bool) -> str:
    return "true" if value else "false"
