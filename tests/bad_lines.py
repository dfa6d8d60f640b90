"""The bad-data-line corpus: one field of one real data line changed, as Java's side could never write it.

Each case is (tensor type, mutation of the line's tab-separated fields, text the error must contain). Used
by tests/test_fifo.py (parse + encode, fast) and tests/test_bridge.py (over real FIFOs: a nack, nothing
written). The broken line is line BAD_INDEX of a 12-line batch of real lines (HG004 1D, NA12878 2D).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

BATCH = 12
BAD_INDEX = 6  # 1D: HG004 chr21:7642 (an indel); 2D: NA12878 chr22:16585144 (36 reads of 150 bases)
READ = 7  # first field of the first read in a 2D line


def _set(index: int, value: str) -> Callable[[list[str]], list[str]]:
    def mutate(f: list[str]) -> list[str]:
        return [*f[:index], value, *f[index + 1 :]]

    return mutate


def _edit(index: int, fn: Callable[[str], str]) -> Callable[[list[str]], list[str]]:
    def mutate(f: list[str]) -> list[str]:
        return [*f[:index], fn(f[index]), *f[index + 1 :]]

    return mutate


Case = tuple[str, Callable[[list[str]], list[str]], str]

CASES: dict[str, Case] = {
    # --- 1D lines (exactly 7 fields) ---
    "1d extra 8th field": ("reference", lambda f: [*f, "extra"], "exactly 7 tab-separated fields, got 8"),
    "1d 6 fields": ("reference", lambda f: f[:6], "expected at least 7 tab-separated fields, got 6"),
    "1d position not a number": ("reference", _set(1, "7642x"), "position must be an integer"),
    "1d position 0": ("reference", _set(1, "0"), "position must lie in 1.."),
    "1d empty contig": ("reference", _set(0, ""), "contig and REF must not be empty"),
    "1d ALT not a Java list": ("reference", _set(3, "GT"), "ALT alleles must be a Java list"),
    "1d unknown variant type": ("reference", _set(6, "SNV"), "variant type must be one of SNP, INDEL, OTHER"),
    "1d reference window of 4 bases": (
        "reference",
        _edit(4, lambda r: r[:4]),
        "reference window has 4 characters, expected exactly 128",
    ),
    "1d reference window of 129 bases": (
        "reference",
        _edit(4, lambda r: r + "A"),
        "reference window has 129 characters, expected exactly 128",
    ),
    "1d reference base not a base": ("reference", _edit(4, lambda r: r[:10] + "!" + r[11:]), "unknown reference base(s) '!'"),
    "1d lower-case reference": ("reference", _edit(4, lambda r: r[:10] + "a" + r[11:]), "unknown reference base(s) 'a'"),
    "1d bases after the padding": (
        "reference",
        _edit(4, lambda r: r[:100] + "\x00" + r[101:]),
        "bases after its '\\x00' padding",
    ),
    "1d annotation without =": (
        "reference",
        _edit(5, lambda a: "MQ49.37;" + a.split(";", 1)[1]),
        "annotations must be KEY=value; pairs",
    ),
    "1d annotation not a number": (
        "reference",
        _edit(5, lambda a: "MQ=high;" + a.split(";", 1)[1]),
        "annotation MQ='high' is not a number",
    ),
    # --- 2D lines (7 fields, then 8 tab-terminated fields per read) ---
    "2d read base '!'": ("read_tensor", _edit(READ, lambda s: "!" + s[1:]), "read 1: unknown symbol(s) '!' in the read bases"),
    "2d read base '~' (our skip mark)": (
        "read_tensor",
        _edit(READ + 8, lambda s: s[:20] + "~" + s[21:]),
        "read 2: unknown symbol(s) '~' in the read bases",
    ),
    "2d '*' inside a read": ("read_tensor", _edit(READ, lambda s: s[:5] + "*" + s[6:]), "unknown symbol(s) '*'"),
    "2d empty read bases": ("read_tensor", _set(READ, ""), "read 1: empty read bases"),
    "2d CIGAR shorter than the read": (
        "read_tensor",
        _set(READ + 2, "10M"),
        "read 1: CIGAR 10M covers 10 read bases but the read has 150",
    ),
    "2d CIGAR longer than the read": ("read_tensor", _set(READ + 2, "100M60S"), "CIGAR 100M60S covers 160"),
    "2d malformed CIGAR": ("read_tensor", _set(READ + 2, "150Q"), "read 1: malformed CIGAR '150Q'"),
    "2d one quality missing": (
        "read_tensor",
        _edit(READ + 1, lambda q: q.rsplit(",", 1)[0]),
        "read 1: 150 bases but 149 base qualities",
    ),
    "2d quality not a number": ("read_tensor", _edit(READ + 1, lambda q: "x" + q), "comma-separated integers"),
    "2d quality above a Java byte": (
        "read_tensor",
        _edit(READ + 1, lambda q: "200" + q[q.index(",") :]),
        "base qualities must lie in 0..127",
    ),
    "2d is-reverse not true/false": ("read_tensor", _set(READ + 3, "True"), "is-reverse must be 'true' or 'false'"),
    "2d mate-is-reverse not true/false": ("read_tensor", _set(READ + 4, "1"), "mate-is-reverse must be 'true'"),
    "2d first-of-pair not true/false": ("read_tensor", _set(READ + 5, ""), "first-of-pair must be 'true'"),
    "2d MAPQ negative": ("read_tensor", _set(READ + 6, "-1"), "MAPQ must lie in 0..255"),
    "2d MAPQ not a number": ("read_tensor", _set(READ + 6, "sixty"), "MAPQ must be an integer"),
    "2d start not a number": ("read_tensor", _set(READ + 7, "1.5e6"), "start must be an integer"),
    "2d read with 7 fields": ("read_tensor", lambda f: [*f[: READ + 7], *f[READ + 8 :]], "groups of 8"),
    "2d no final tab": ("read_tensor", lambda f: f[:-1], "ends with a tab after the variant type"),
    "2d reference window of 4 bases": (
        "read_tensor",
        _edit(4, lambda r: r[:4]),
        "reference window has 4 characters, expected exactly 128",
    ),
    "2d reference base not a base": ("read_tensor", _edit(4, lambda r: "!" + r[1:]), "unknown reference base(s) '!'"),
    "2d unknown variant type": ("read_tensor", _set(6, "snp"), "variant type must be one of"),
}


def good_batch(testdata: Path, tensor_type: str) -> list[str]:
    """12 real data lines of this tensor type (the 2D file has 10: its first two repeat)."""
    kind = "1d" if tensor_type == "reference" else "2d"
    lines = (testdata / "fifo" / f"lines_{kind}.txt").read_text().splitlines(keepends=True)
    return (lines * 2)[:BATCH]


def bad_batch(testdata: Path, case: str) -> tuple[list[str], str, str]:
    """(the batch with line BAD_INDEX broken, the tensor type, the variant 'contig:pos' the error must name)."""
    tensor_type, mutate, _ = CASES[case]
    lines = good_batch(testdata, tensor_type)
    fields = lines[BAD_INDEX].rstrip("\n").split("\t")
    locus = f"{fields[0]}:{fields[1]}"
    lines[BAD_INDEX] = "\t".join(mutate(fields)) + "\n"
    return lines, tensor_type, locus
