"""Standalone input: VCF text, indexed FASTA and BAM/CRAM (pysam) -> :class:`~vqsr_cnn.records.Example`.

Everything here reproduces what GATK's CNNScoreVariants (Java, GATK 4.2) sends to Python for a record,
so the encoder sees the same strings as through the bridge:

- VCF records are parsed as htsjdk does: REF/ALT upper-cased (symbolic alleles kept), ALT list printed
  as Java's ``List.toString()`` (``[A, T]``), variant type from htsjdk's allele-type rules (``*`` is an
  ordinary one-base allele: ``C>*`` is a SNP, ``CT>*`` an indel), INFO values as
  ``getAttributeAsString``: a comma list becomes ``[a, b]``, an empty value ``.``, a bare flag ``true``.
- Reference window: bases ``[max(1, pos - w//2), min(len, end + w//2)]``, first ``w`` of them, padded
  with ``'\\x00'``; upper-cased and IUPAC codes turned into ``N`` (GATK's caching FASTA reader does both;
  any other letter is an error there and here).
- Reads: those overlapping ``[pos, end]`` (htsjdk's overlap rule, placed unmapped reads included), kept
  by GATK's WellformedReadFilter and the artificial-haplotype read-group blacklist, then down-sampled
  to ``read_limit`` with GATK's reservoir and random seed (:mod:`.reservoir`): ``read_filter="gatk"``, the
  default, is exactly GATK 4.2's CNNScoreVariants read set (its getDefaultReadFilters()). ``"strict"``
  additionally drops unmapped, secondary, duplicate and QC-fail reads (DESIGN.md §4), a departure from GATK.

Errors are ``ValueError`` / ``OSError`` with one line naming the file, the record and the fix.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import numpy as np

from ..records import Example, Read, Variant
from .reservoir import JavaRandom, reservoir_sample

# htsjdk VariantContext.MAX_ALLELE_SIZE_FOR_NON_SV: longer insertions count as structural variants.
MAX_ALLELE_SIZE_FOR_NON_SV = 150
# HaplotypeBAMWriter's artificial read groups, which CNNScoreVariants blacklists.
ARTIFICIAL_READ_GROUPS = frozenset({"ArtificialHaplotypeRG", "ArtificialHaplotype"})
READ_FILTERS = ("gatk", "strict")
_QUERY_CONSUMING = (0, 1, 4, 7, 8)  # M I S = X
_CLIPS = (4, 5)  # S H
_N_OP = 3


# --------------------------------------------------------------------------------------------- VCF


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
                raise ValueError(f"{path}: BGZF file is truncated (no end-of-file marker); re-create it with bgzip "
                                 "or re-download it")
    handle = gzip.open(path, "rb") if head[:2] == b"\x1f\x8b" else open(path, "rb")
    line_number = 0
    try:
        with handle:
            for raw in handle:
                line_number += 1
                yield raw
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise ValueError(f"{path}: compressed file is truncated or corrupt after line {line_number} ({exc}); "
                         "re-create it (bgzip) or re-download it") from None


def is_symbolic(allele: str) -> bool:
    """htsjdk's wouldBeSymbolicAllele: <ID>, breakends with [ or ], single breakends .A / A."""
    if len(allele) <= 1:
        return False
    return (allele[0] == "<" or allele[-1] == ">" or "[" in allele or "]" in allele
            or allele[0] == "." or allele[-1] == ".")


_ACCEPTED_BASES = frozenset("ACGTNacgtn")


def _check_allele(allele: str, is_ref: bool, where: str) -> None:
    """htsjdk's acceptableAlleleBases, as the VCF codec applies it."""
    if not allele:
        raise ValueError(f"{where}: empty allele")
    if is_symbolic(allele):
        if is_ref:
            raise ValueError(f"{where}: symbolic allele {allele!r} is not allowed as REF")
        return
    if allele == "*" and not is_ref:
        return
    if not set(allele) <= _ACCEPTED_BASES:
        raise ValueError(f"{where}: allele {allele!r} has bases other than A, C, G, T, N")


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
        raise ValueError(f"{where}: empty INFO column (use '.')")
    out: dict[str, str] = {}
    if info == ".":
        return out
    if " " in info:
        raise ValueError(f"{where}: whitespace in the INFO column is not allowed")
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
                raise ValueError(f"{self.path}: not a VCF (line 1 must be '##fileformat=VCFv4.x', got "
                                 f"{line.rstrip()[:40]!r}); add the VCF header")
            if line.startswith("##"):
                lines.append(line)
                continue
            if line.startswith("#CHROM"):
                lines.append(line)
                break
            raise ValueError(f"{self.path} line {self._line_number}: data before the '#CHROM' header line; "
                             "the VCF header is missing or damaged")
        else:
            raise ValueError(f"{self.path}: no '#CHROM' header line (empty or header-only file without it)")
        columns = lines[-1].rstrip("\r\n").split("\t")
        if columns[:8] != ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]:
            raise ValueError(f"{self.path} line {self._line_number}: malformed '#CHROM' line (expected the 8 "
                             "tab-separated VCF columns)")
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
            raise ValueError(f"{self.where(line_number)}: malformed record, {len(fields)} tab-separated columns "
                             f"(need at least 8): {text.strip()[:60]!r}")
        contig, pos_text, _id, ref, alt_text, _qual, _filter, info = fields[:8]
        where = self.where(line_number, contig, pos_text)
        try:
            pos = int(pos_text)
        except ValueError:
            raise ValueError(f"{where}: POS {pos_text!r} is not an integer") from None
        if pos < 1:
            raise ValueError(f"{where}: POS must be at least 1")
        _check_allele(ref, True, where)
        alts = tuple(a for a in alt_text.split(",") if a != ".") if alt_text != "." else ()
        for alt in alts:
            _check_allele(alt, False, where)
            if alt in ("<NON_REF>", "<*>"):
                raise ValueError(f"{where}: this is a GVCF (ALT {alt} reference blocks); score the genotyped VCF "
                                 "instead: run GATK GenotypeGVCFs first")
        end = pos + len(ref) - 1
        if "END=" in info:
            for item in info.split(";"):
                if item.startswith("END="):
                    try:
                        end = int(item[4:])
                    except ValueError:
                        raise ValueError(f"{where}: INFO END={item[4:]!r} is not an integer") from None
        return VcfRecord(line_number, text, contig, pos, ref, alts, info, end)


# ------------------------------------------------------------------------------------------- FASTA

# GATK's CachingIndexedFastaSequenceFile upper-cases and turns IUPAC ambiguity codes into N.
_IUPAC_TO_N = str.maketrans({c: "N" for c in "RYMKWSBDHVrymkwsbdhv"})
_REFERENCE_OK = frozenset("ACGTN")
_CACHE_BASES = 1 << 20


def _is_bgzf(path: str) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(16)
    return len(head) >= 14 and head[:4] == b"\x1f\x8b\x08\x04" and head[12:14] == b"BC"


class ReferenceReader:
    """Indexed FASTA (plain + .fai, or bgzip + .fai + .gzi) with a 1 Mb block cache, like GATK's."""

    def __init__(self, path: str | os.PathLike) -> None:
        import pysam

        self.path = str(path)
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"reference FASTA {self.path} does not exist")
        with open(self.path, "rb") as fh:
            magic = fh.read(2)
        if magic == b"\x1f\x8b" and not _is_bgzf(self.path):
            raise ValueError(f"reference FASTA {self.path} is gzip- but not bgzip-compressed; recompress it with "
                             f"'zcat {self.path} | bgzip > ref.fa.gz && samtools faidx ref.fa.gz' or decompress it")
        if not os.path.exists(self.path + ".fai"):
            raise FileNotFoundError(f"reference FASTA {self.path} has no index {self.path}.fai; create it with "
                                    f"'samtools faidx {self.path}'")
        if magic == b"\x1f\x8b" and not os.path.exists(self.path + ".gzi"):
            raise FileNotFoundError(f"bgzipped reference FASTA {self.path} has no {self.path}.gzi; create it with "
                                    f"'samtools faidx {self.path}'")
        try:
            self.fasta = pysam.FastaFile(self.path)
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot open reference FASTA {self.path}: {exc}; re-index it with "
                             f"'samtools faidx {self.path}'") from None
        self.lengths = dict(zip(self.fasta.references, self.fasta.lengths))
        self._cache: tuple[str, int, str] = ("", 0, "")

    def close(self) -> None:
        self.fasta.close()

    def _bases(self, contig: str, start: int, stop: int) -> str:
        """1-based inclusive [start, stop], upper-cased, IUPAC -> N."""
        name, block_start, block = self._cache
        if name != contig or start < block_start or stop >= block_start + len(block):
            if stop - start + 1 > _CACHE_BASES:
                return self.fasta.fetch(contig, start - 1, stop).upper().translate(_IUPAC_TO_N)
            block_start = max(1, start - 1000)
            block_stop = min(self.lengths[contig], block_start + _CACHE_BASES)
            block = self.fasta.fetch(contig, block_start - 1, block_stop).upper().translate(_IUPAC_TO_N)
            self._cache = (contig, block_start, block)
        return block[start - block_start : stop - block_start + 1]

    def window(self, contig: str, pos: int, end: int, window: int, where: str) -> str:
        """The reference string Java sends: `window` bases from max(1, pos - window//2), '\\x00'-padded."""
        length = self.lengths.get(contig)
        if length is None:
            raise ValueError(f"{where}: contig {contig!r} is not in the reference {self.path} "
                             f"(it has {_some(self.lengths)}); VCF and FASTA must use the same contig names")
        half = window // 2
        lo = max(1, pos - half)
        hi = min(length, end + half, lo + window - 1)  # Java takes the first `window` bases of [lo, end + half]
        try:
            bases = self._bases(contig, lo, hi) if lo <= hi else ""
        except (OSError, ValueError) as exc:
            raise OSError(f"{where}: cannot read reference {self.path} ({exc}); re-index it with "
                          f"'samtools faidx {self.path}'") from None
        if not set(bases) <= _REFERENCE_OK:
            bad = sorted(set(bases) - _REFERENCE_OK)
            raise ValueError(f"{where}: reference {self.path} has non-IUPAC base(s) {', '.join(map(repr, bad))} "
                             f"near {contig}:{pos} (GATK rejects them too)")
        return bases + "\x00" * (window - len(bases))


def _some(names: dict[str, int] | Sequence[str], n: int = 5) -> str:
    names = list(names)
    return ", ".join(names[:n]) + (f", ... ({len(names)} in all)" if len(names) > n else "")


# --------------------------------------------------------------------------------------------- BAM


def _index_candidates(path: str) -> list[str]:
    stem = os.path.splitext(path)[0]
    if path.endswith(".cram"):
        return [path + ".crai", stem + ".crai"]
    return [path + ".bai", stem + ".bai", path + ".csi"]


class ReadSource:
    """Reads overlapping a variant, filtered and down-sampled as CNNScoreVariants does."""

    def __init__(self, path: str | os.PathLike, reference: str | None = None, read_filter: str = "gatk",
                 seed: int | None = None) -> None:
        import pysam

        self.path = str(path)
        if read_filter not in READ_FILTERS:
            raise ValueError(f"unknown read filter {read_filter!r}: choose one of {', '.join(READ_FILTERS)}")
        self.strict = read_filter == "strict"
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"reads file {self.path} does not exist")
        if not any(os.path.exists(p) for p in _index_candidates(self.path)):
            raise FileNotFoundError(f"reads file {self.path} has no index ({' or '.join(_index_candidates(self.path)[:2])});"
                                    f" create it with 'samtools index {self.path}'")
        try:
            kwargs = {"reference_filename": reference} if self.path.endswith(".cram") and reference else {}
            self.bam = pysam.AlignmentFile(self.path, "rc" if self.path.endswith(".cram") else "rb", **kwargs)
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot open reads file {self.path} as BAM/CRAM: {exc}") from None
        if not self.bam.has_index():
            raise FileNotFoundError(f"reads file {self.path} has no usable index; create it with "
                                    f"'samtools index {self.path}'")
        self.lengths = dict(zip(self.bam.references, self.bam.lengths))
        self.rng = JavaRandom() if seed is None else JavaRandom(seed)
        self.reads_seen = 0
        self.reads_kept = 0

    def close(self) -> None:
        self.bam.close()

    def check_reference(self, reference: ReferenceReader) -> None:
        """GATK refuses a BAM whose sequence dictionary disagrees with the reference's; so do we."""
        check_same_assembly(f"reads file {self.path}", "BAM", self.lengths, reference,
                            "align the reads to this reference or rename the contigs")

    def _keep(self, read, start1: int, contig_length: int) -> bool:  # pysam.AlignedSegment
        """WellformedReadFilter + ReadGroupBlackListReadFilter (+ the strict extras)."""
        if self.strict and (read.flag & 0x704):  # unmapped, secondary, QC-fail, duplicate (supplementary kept, as GATK)
            return False
        seq = read.query_sequence
        if not seq:
            return False  # SEQ_IS_STORED
        quals = read.query_qualities
        if quals is None or len(quals) != len(seq):
            return False  # HAS_MATCHING_BASES_AND_QUALS
        if not read.has_tag("RG") or read.get_tag("RG") in ARTIFICIAL_READ_GROUPS:
            return False  # HAS_READ_GROUP, artificial haplotypes
        if read.is_unmapped:
            return True
        if start1 > contig_length:
            return False  # ALIGNMENT_AGREES_WITH_HEADER
        cigar = read.cigartuples or ()
        if any(op == _N_OP for op, _ in cigar):
            return False  # CIGAR_CONTAINS_NO_N_OPERATOR
        if sum(n for op, n in cigar if op in _QUERY_CONSUMING) != len(seq):
            return False  # READLENGTH_EQUALS_CIGARLENGTH
        return True

    def reads(self, contig: str, pos: int, end: int, read_limit: int, where: str) -> list[Read]:
        length = self.lengths.get(contig)
        if length is None:
            raise ValueError(f"{where}: contig {contig!r} is not in the reads file {self.path} "
                             f"(it has {_some(self.lengths)}); use reads aligned to the VCF's reference")

        def overlapping() -> Iterator:
            for read in self.bam.fetch(contig, max(0, pos - 1), end):
                start1 = read.reference_start + 1
                if read.is_unmapped:
                    end1 = start1  # htsjdk returns placed unmapped reads whose position is inside the query
                else:
                    end1 = read.reference_end if read.reference_end is not None else start1 - 1  # 1-based inclusive
                if start1 > end or end1 < pos:  # htsjdk's overlap test on the clipped alignment
                    continue
                self.reads_seen += 1
                if self._keep(read, start1, length):
                    yield read

        try:
            kept = reservoir_sample(overlapping(), read_limit, self.rng)
        except (OSError, ValueError) as exc:  # truncated or corrupt BAM/CRAM blocks
            raise OSError(f"{where}: cannot read reads file {self.path} ({exc}); check or re-create it "
                          f"(samtools quickcheck {self.path})") from None
        self.reads_kept += len(kept)
        return [to_read(r) for r in kept]


def unclipped_start(read) -> int:
    """htsjdk getUnclippedStart: 1-based alignment start minus leading soft and hard clips."""
    start = read.reference_start + 1
    for op, n in read.cigartuples or ():
        if op not in _CLIPS:
            break
        start -= n
    return start


def to_read(read) -> Read:
    """The eight fields GATKReadToString sends, as a Read record."""
    paired = read.is_paired
    return Read(
        read.query_sequence,
        np.asarray(read.query_qualities, dtype=np.uint8),
        read.cigarstring or "*",
        read.is_reverse,
        paired and read.mate_is_reverse,
        paired and read.is_read1,
        read.mapping_quality,
        unclipped_start(read),
    )


# ------------------------------------------------------------------------------------------ examples


def make_example(record: VcfRecord, header: VcfHeader, reference: ReferenceReader, reads: ReadSource | None,
                 annotation_keys: Sequence[str], window: int, read_limit: int, where: str) -> Example:
    """One VCF record -> the Example Java would have sent (reads only when `reads` is given)."""
    info = parse_info(record.info, header.info_types, where)
    annotations = {k: info[k] for k in annotation_keys if k in info}
    alts = tuple(a if is_symbolic(a) else a.upper() for a in record.alts)
    vtype = java_type_string(variant_type(record.ref, record.alts))
    variant = Variant(record.contig, record.pos, record.ref.upper(), alts, vtype)
    ref_window = reference.window(record.contig, record.pos, record.end, window, where)
    read_list = reads.reads(record.contig, record.pos, record.end, read_limit, where) if reads is not None else None
    return Example(variant, ref_window, annotations, read_list)


def check_contigs(header: VcfHeader, vcf_path: str, reference: ReferenceReader) -> None:
    """Fail early when the VCF's declared contigs cannot be the FASTA's (names or lengths)."""
    if header.contigs:
        check_same_assembly(f"VCF {vcf_path}", "VCF", header.contigs, reference,
                            "use the reference the calls were made on")


def check_same_assembly(what: str, kind: str, lengths: dict[str, int | None], reference: ReferenceReader,
                        fix: str) -> None:
    """Shared contig check (VCF or BAM vs FASTA): some names in common, and equal lengths where both declare one."""
    common = set(lengths) & set(reference.lengths)
    if not common:
        raise ValueError(f"{what} and reference {reference.path} share no contig names "
                         f"({kind}: {_some(lengths)}; FASTA: {_some(reference.lengths)}); {fix}")
    for name in sorted(common):
        declared = lengths[name]
        if declared is not None and declared != reference.lengths[name]:
            raise ValueError(f"contig {name!r} is {declared} bp in {what} but {reference.lengths[name]} bp in "
                             f"reference {reference.path}: a different assembly")
