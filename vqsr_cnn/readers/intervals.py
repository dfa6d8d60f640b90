"""-L intervals as GATK takes them: ``chr``, ``chr:pos``, ``chr:start-end``, BED files, interval lists."""

from __future__ import annotations

import bisect
import os
from collections.abc import Mapping, Sequence

from ..errors import InputError

_LIST_SUFFIXES = (".list", ".intervals", ".interval_list")


class Intervals:
    """Merged 1-based inclusive intervals per contig; a record is kept when [pos, end] overlaps one."""

    def __init__(self, spans: Mapping[str, list[tuple[int, int]]]) -> None:
        self._starts: dict[str, list[int]] = {}
        self._ends: dict[str, list[int]] = {}
        for contig, items in spans.items():
            merged: list[list[int]] = []
            for start, end in sorted(items):
                if merged and start <= merged[-1][1] + 1:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            self._starts[contig] = [s for s, _ in merged]
            self._ends[contig] = [e for _, e in merged]

    def overlaps(self, contig: str, start: int, end: int) -> bool:
        starts = self._starts.get(contig)
        if not starts:
            return False
        i = bisect.bisect_right(starts, end) - 1  # last interval starting at or before `end`
        return i >= 0 and self._ends[contig][i] >= start

    def __len__(self) -> int:
        return sum(len(v) for v in self._starts.values())


def _number(text: str, spec: str) -> int:
    try:
        return int(text.replace(",", ""))
    except ValueError:
        raise InputError(f"interval {spec!r}: {text!r} is not a position") from None


def parse_locus(spec: str, lengths: Mapping[str, int]) -> tuple[str, int, int]:
    """'chr1', 'chr1:100', 'chr1:100-200' (commas allowed) -> (contig, start, end), 1-based inclusive."""
    spec = spec.strip()
    if spec in lengths:
        return spec, 1, lengths[spec]
    contig, sep, span = spec.rpartition(":")
    if not sep or contig not in lengths:
        name = contig if sep else spec
        raise InputError(
            f"interval {spec!r}: contig {name!r} is not in the reference "
            f"(known: {', '.join(list(lengths)[:5])}{', ...' if len(lengths) > 5 else ''})"
        )
    if span.endswith("+"):
        start, end = _number(span[:-1], spec), lengths[contig]
    elif "-" in span:
        a, _, b = span.partition("-")
        start, end = _number(a, spec), _number(b, spec)
    else:
        start = end = _number(span, spec)
    if start < 1 or end < start:
        raise InputError(f"interval {spec!r}: need 1 <= start <= end")
    return contig, start, min(end, lengths[contig])


def _read_file(path: str, lengths: Mapping[str, int]) -> list[tuple[str, int, int]]:
    out = []
    bed = path.endswith(".bed")
    with open(path) as fh:
        for n, line in enumerate(fh, 1):
            text = line.strip()
            if not text or text.startswith(("#", "@", "track", "browser")):
                continue
            fields = text.split("\t")
            where = f"{path} line {n}"
            if bed or (len(fields) >= 3 and not path.endswith(_LIST_SUFFIXES[:2])):
                if len(fields) < 3:
                    raise InputError("a BED line needs contig, start, end", where)
                contig = fields[0]
                if contig not in lengths:
                    raise InputError(f"contig {contig!r} is not in the reference", where)
                start, end = _number(fields[1], where), _number(fields[2], where)
                if bed:
                    start += 1  # BED is 0-based, half-open
                if end < start:
                    continue
                out.append((contig, start, end))
            else:
                out.append(parse_locus(fields[0], lengths))
    return out


def parse_intervals(specs: Sequence[str], lengths: Mapping[str, int]) -> Intervals | None:
    """None when no -L was given (everything is kept)."""
    if not specs:
        return None
    spans: dict[str, list[tuple[int, int]]] = {}
    for spec in specs:
        items = _read_file(spec, lengths) if os.path.isfile(spec) else [parse_locus(spec, lengths)]
        for contig, start, end in items:
            spans.setdefault(contig, []).append((start, end))
    return Intervals(spans)
