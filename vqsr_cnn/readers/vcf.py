"""VCF text -> records, parsed as htsjdk (and so CNNScoreVariants.java) sees them.

REF/ALT upper-cased (symbolic alleles kept), ALT list printed as Java's ``List.toString()`` (``[A, T]``),
variant type from htsjdk's allele-type rules (``*`` is an ordinary one-base allele: ``C>*`` is a SNP,
``CT>*`` an indel), INFO values as ``getAttributeAsString``: a comma list becomes ``[a, b]``, an empty
value ``.``, a bare flag ``true``.  Bad input raises :class:`~vqsr_cnn.errors.InputError` naming the file,
line and record.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from ..errors import InputError

# htsjdk VariantContext.MAX_ALLELE_SIZE_FOR_NON_SV: longer insertions count as structural variants.
MAX_ALLELE_SIZE_FOR_NON_SV = 150


class VcfHeader(NamedTuple):
    lines: list[str]  # every header line as read (with its line ending), '#CHROM' last
    samples: list[str]
    contigs: dict[str, int | None]  # ##contig IDs -> length when given
    info_types: dict[str, str]  # ##INFO ID -> Type
    is_gvcf: bool


class VcfRecord(NamedTuple):
    line_number: int
    text: str  # the whole line as read, line ending included (decoded with surrogateescape)
    contig: str
    pos: int
    ref: str
    alts: tuple[str, ...]  # as in the file, no-call '.' alleles dropped (htsjdk does)
    info: str
    end: int  # htsjdk's getEnd(): INFO END when present, else pos + len(REF) - 1


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


_BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def _open_text_lines(path: str) -> Iterator[bytes]:
    """Yield raw lines of a plain, gzip or BGZF file; truncation becomes a clear error, never silence."""
    with open(path, "rb") as probe:
        head = probe.read(16)
        bgzf = len(head) >= 14 and head[:4] == b"\x1f\x8b\x08\x04" and head[12:14] == b"BC"
        if bgzf:
            probe.seek(max(0, os.path.getsize(path) - len(_BGZF_EOF)))
            if probe.read() != _BGZF_EOF:
                raise InputError(
                    f"{path}: BGZF file is truncated (no end-of-file marker); re-create it with bgzip or re-download it"
                )
    handle = gzip.open(path, "rb") if head[:2] == b"\x1f\x8b" else open(path, "rb")
    line_number = 0
    try:
        with handle:
            for raw in handle:
                line_number += 1
                yield raw
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InputError(
            f"{path}: compressed file is truncated or corrupt after line {line_number} ({exc}); "
            "re-create it (bgzip) or re-download it"
        ) from None


def is_symbolic(allele: str) -> bool:
    """htsjdk's wouldBeSymbolicAllele: <ID>, breakends with [ or ], single breakends .A / A."""
    if len(allele) <= 1:
        return False
    return allele[0] == "<" or allele[-1] == ">" or "[" in allele or "]" in allele or allele[0] == "." or allele[-1] == "."


_ACCEPTED_BASES = frozenset("ACGTNacgtn")


def _check_allele(allele: str, is_ref: bool, where: str) -> None:
    """htsjdk's acceptableAlleleBases, as the VCF codec applies it."""
    if not allele:
        raise InputError("empty allele", where)
    if is_symbolic(allele):
        if is_ref:
            raise InputError(f"symbolic allele {allele!r} is not allowed as REF", where)
        return
    if allele == "*" and not is_ref:
        return
    if not set(allele) <= _ACCEPTED_BASES:
        raise InputError(f"allele {allele!r} has bases other than A, C, G, T, N", where)


def variant_type(ref: str, alts: Sequence[str]) -> str:
    """htsjdk's VariantContext type: NO_VARIATION, SNP, MNP, INDEL, SYMBOLIC or MIXED."""
    if not alts:
        return "NO_VARIATION"
    kinds = set()
    for alt in alts:
        if is_symbolic(alt):
            kinds.add("SYMBOLIC")
        elif len(alt) == len(ref):
            kinds.add("SNP" if len(alt) == 1 else "MNP")
        else:
            kinds.add("INDEL")
    return kinds.pop() if len(kinds) == 1 else "MIXED"


def java_type_string(htsjdk_type: str) -> str:
    """What Java sends: ``variant.isSNP() ? "SNP" : variant.isIndel() ? "INDEL" : "OTHER"``."""
    return htsjdk_type if htsjdk_type in ("SNP", "INDEL") else "OTHER"


def is_symbolic_or_sv(record: VcfRecord) -> bool:
    """htsjdk isSymbolicOrSV, used by --filter-symbolic-and-sv (only long *insertions* count as SV)."""
    kind = variant_type(record.ref, record.alts)
    if kind == "SYMBOLIC":
        return True
    return kind == "INDEL" and any(len(a) - len(record.ref) > MAX_ALLELE_SIZE_FOR_NON_SV for a in record.alts)


def parse_info(info: str, info_types: dict[str, str], where: str) -> dict[str, str]:
    """INFO -> {key: value as Java's getAttributeAsString prints it}."""
    if not info:
        raise InputError("empty INFO column (use '.')", where)
    out: dict[str, str] = {}
    if info == ".":
        return out
    if " " in info:
        raise InputError("whitespace in the INFO column is not allowed", where)
    for item in info.split(";"):
        key, eq, value = item.partition("=")
        if eq:
            values = value.split(",")
            if len(values) == 1:
                if info_types.get(key) == "Flag" and value == "0":
                    continue
                text = value
            else:
                text = "[" + ", ".join(values) + "]"
            out[key] = text if text != "" else "."
        else:
            kind = info_types.get(key)
            out[key] = "." if kind is not None and kind != "Flag" else "true"
    return out


def _header_value(line: str, key: str) -> str | None:
    """Value of key in a structured header line ##X=<ID=..,Number=..>, ignoring quoted text."""
    body = line.rstrip("\r\n")
    start = body.find("<")
    if start < 0:
        return None
    fields, depth, current, quoted = [], 0, "", False
    for ch in body[start + 1 : body.rfind(">") if body.rfind(">") > start else len(body)]:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted and depth == 0:
            fields.append(current)
            current = ""
        else:
            current += ch
    fields.append(current)
    for field in fields:
        k, _, v = field.partition("=")
        if k == key:
            return v
    return None


class VcfReader:
    """Stream a VCF (plain, gzip or BGZF) as header + raw records; nothing is held beyond one line."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = str(path)
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"VCF {self.path} does not exist")
        if os.path.isdir(self.path):
            raise IsADirectoryError(f"VCF {self.path} is a directory, not a VCF file")
        self._lines = _open_text_lines(self.path)
        self._line_number = 0
        self.header = self._read_header()

    def _read_header(self) -> VcfHeader:
        lines: list[str] = []
        for raw in self._lines:
            self._line_number += 1
            line = _decode(raw)
            if self._line_number == 1 and not line.startswith("##fileformat=VCF"):
                raise InputError(
                    f"{self.path}: not a VCF (line 1 must be '##fileformat=VCFv4.x', got "
                    f"{line.rstrip()[:40]!r}); add the VCF header"
                )
            if line.startswith("##"):
                lines.append(line)
                continue
            if line.startswith("#CHROM"):
                lines.append(line)
                break
            raise InputError(
                f"{self.path} line {self._line_number}: data before the '#CHROM' header line; "
                "the VCF header is missing or damaged"
            )
        else:
            raise InputError(f"{self.path}: no '#CHROM' header line (empty or header-only file without it)")
        columns = lines[-1].rstrip("\r\n").split("\t")
        if columns[:8] != ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]:
            raise InputError(
                f"{self.path} line {self._line_number}: malformed '#CHROM' line (expected the 8 tab-separated VCF columns)"
            )
        contigs: dict[str, int | None] = {}
        info_types: dict[str, str] = {}
        is_gvcf = False
        for line in lines:
            if line.startswith("##contig="):
                cid, length = _header_value(line, "ID"), _header_value(line, "length")
                if cid:
                    contigs[cid] = int(length) if length and length.isdigit() else None
            elif line.startswith("##INFO="):
                iid = _header_value(line, "ID")
                if iid:
                    info_types[iid] = _header_value(line, "Type") or "String"
            elif line.startswith("##GVCFBlock"):
                is_gvcf = True
        return VcfHeader(lines, columns[9:], contigs, info_types, is_gvcf)

    def __iter__(self) -> Iterator[VcfRecord]:
        for raw in self._lines:
            self._line_number += 1
            text = _decode(raw)
            if not text.strip():
                continue
            yield self.parse_record(text, self._line_number)

    def where(self, line_number: int, contig: str = "", pos: object = "") -> str:
        locus = f" ({contig}:{pos})" if contig else ""
        return f"{self.path} line {line_number}{locus}"

    def parse_record(self, text: str, line_number: int) -> VcfRecord:
        fields = text.rstrip("\r\n").split("\t", 8)
        if len(fields) < 8:
            raise InputError(
                f"{self.where(line_number)}: malformed record, {len(fields)} tab-separated columns "
                f"(need at least 8): {text.strip()[:60]!r}"
            )
        contig, pos_text, _id, ref, alt_text, _qual, _filter, info = fields[:8]
        where = self.where(line_number, contig, pos_text)
        try:
            pos = int(pos_text)
        except ValueError:
            raise InputError(f"POS {pos_text!r} is not an integer", where) from None
        if pos < 1:
            raise InputError("POS must be at least 1", where)
        _check_allele(ref, True, where)
        alts = tuple(a for a in alt_text.split(",") if a != ".") if alt_text != "." else ()
        for alt in alts:
            _check_allele(alt, False, where)
            if alt in ("<NON_REF>", "<*>"):
                raise InputError(
                    f"this is a GVCF (ALT {alt} reference blocks); score the genotyped VCF instead: run GATK GenotypeGVCFs first",
                    where,
                )
        end = pos + len(ref) - 1
        if "END=" in info:
            for item in info.split(";"):
                if item.startswith("END="):
                    try:
                        end = int(item[4:])
                    except ValueError:
                        raise InputError(f"INFO END={item[4:]!r} is not an integer", where) from None
        return VcfRecord(line_number, text, contig, pos, ref, alts, info, end)
