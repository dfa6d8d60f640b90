"""Parse the tab-separated data lines CNNScoreVariants.java writes to the data FIFO."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import defines
from ..encode.annotations import parse_annotation_string
from ..records import Example, Read, Variant


class DataLine(NamedTuple):
    example: Example
    echo: str  # contig, pos, REF, ALT list exactly as Java sent them (the temp file repeats them)


def _java_bool(text: str, what: str) -> bool:
    if text == "true":
        return True
    if text == "false":
        return False
    raise ValueError(f"{what} must be 'true' or 'false', got {text!r}")


def _parse_alts(text: str) -> tuple[str, ...]:
    inner = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    return tuple(a.strip() for a in inner.split(",") if a.strip())


def _parse_quals(text: str, where: str) -> np.ndarray:
    if not text:
        return np.zeros(0, dtype=np.uint8)
    try:
        values = np.array(text.split(defines.DATA_VALUE_SEPARATOR), dtype=np.int64)
    except ValueError:
        raise ValueError(f"{where}: base qualities must be comma-separated integers, got {text[:40]!r}") from None
    if values.size and (values.min() < 0 or values.max() > 255):
        raise ValueError(f"{where}: base qualities must lie in 0..255")
    return values.astype(np.uint8)


def _parse_int(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{what} must be an integer, got {text!r}") from None


def parse_data_line(line: str, tensor_type: str, line_number: int = 0) -> DataLine:
    """Parse one data line; errors name the line and variant so they read well in GATK's log."""
    fields = line.rstrip("\n").split(defines.DATA_TYPE_SEPARATOR)
    label = f"data line {line_number}" if line_number else "data line"
    if len(fields) < defines.VARIANT_FIFO_FIELDS:
        raise ValueError(
            f"{label}: expected at least {defines.VARIANT_FIFO_FIELDS} tab-separated fields, got {len(fields)}: {line[:80]!r}"
        )
    contig, pos_text, ref, alts_text, reference, annotations, vtype = fields[: defines.VARIANT_FIFO_FIELDS]
    where = f"{label} ({contig}:{pos_text} {ref}>{alts_text})"
    pos = _parse_int(pos_text, f"{where}: position")
    variant = Variant(contig, pos, ref, _parse_alts(alts_text), vtype.strip())
    reads: list[Read] | None = None
    if tensor_type in defines.TENSOR_MAPS_2D:
        rest = fields[defines.VARIANT_FIFO_FIELDS:]
        if rest and rest[-1] == "":
            rest = rest[:-1]  # reads are tab-terminated
        if len(rest) % defines.READ_ELEMENTS:
            raise ValueError(
                f"{where}: read fields come in groups of {defines.READ_ELEMENTS}, got {len(rest)} fields after the variant"
            )
        reads = []
        for k in range(0, len(rest), defines.READ_ELEMENTS):
            seq, qual, cigar, rev, mate_rev, first, mapq, start = rest[k : k + defines.READ_ELEMENTS]
            rwhere = f"{where}, read {k // defines.READ_ELEMENTS + 1}"
            reads.append(Read(
                seq,
                _parse_quals(qual, rwhere),
                cigar,
                _java_bool(rev, f"{rwhere}: is-reverse"),
                _java_bool(mate_rev, f"{rwhere}: mate-is-reverse"),
                _java_bool(first, f"{rwhere}: first-of-pair"),
                _parse_int(mapq, f"{rwhere}: MAPQ"),
                _parse_int(start, f"{rwhere}: start"),
            ))
    echo = defines.DATA_TYPE_SEPARATOR.join((contig, pos_text, ref, alts_text))
    return DataLine(Example(variant, reference, parse_annotation_string(annotations), reads), echo)


def _java_alts(alts: tuple[str, ...]) -> str:
    return "[" + ", ".join(alts) + "]"


def format_data_line(example: Example) -> str:
    """The data line CNNScoreVariants.java would write for this example (inverse of parse_data_line).

    Used to prove that standalone scoring and the bridge see identical input.
    """
    v = example.variant
    annotations = "".join(f"{k}{defines.ANNOTATION_SET_STRING}{val}{defines.ANNOTATION_SEPARATOR}"
                          for k, val in example.annotations.items())
    fields = [v.contig, str(v.pos), v.ref, _java_alts(v.alts), example.reference, annotations, v.variant_type]
    line = defines.DATA_TYPE_SEPARATOR.join(fields)
    if example.reads is not None:
        line += defines.DATA_TYPE_SEPARATOR
        for r in example.reads:
            quals = defines.DATA_VALUE_SEPARATOR.join(map(str, r.qual.tolist()))
            parts = [r.seq, quals, r.cigar, _bool(r.reverse), _bool(r.mate_reverse), _bool(r.first),
                     str(r.mapping_quality), str(r.start)]
            line += "".join(p + defines.DATA_TYPE_SEPARATOR for p in parts)
    return line + "\n"


def _bool(value: bool) -> str:
    return "true" if value else "false"
