"""One VCF record + reference + reads -> the :class:`~vqsr_cnn.records.Example` Java would have sent."""

from __future__ import annotations

from collections.abc import Sequence

from ..records import Example, Variant
from .bam import ReadSource
from .fasta import ReferenceReader, check_same_assembly
from .vcf import VcfHeader, VcfRecord, is_symbolic, java_type_string, parse_info, variant_type


def make_example(
    record: VcfRecord,
    header: VcfHeader,
    reference: ReferenceReader,
    reads: ReadSource | None,
    annotation_keys: Sequence[str],
    window: int,
    read_limit: int,
    where: str,
) -> Example:
    """One VCF record -> the Example Java would have sent (reads only when `reads` is given)."""
    info = parse_info(record.info, header.info_types, where)
    annotations = {k: info[k] for k in annotation_keys if k in info}
    alts = tuple(a if is_symbolic(a) else a.upper() for a in record.alts)
    vtype = java_type_string(variant_type(record.ref, record.alts))
    variant = Variant(record.contig, record.pos, record.ref.upper(), alts, vtype)
    ref_window = reference.window(record.contig, record.pos, record.end, window, where)
    read_list = reads.reads(record.contig, record.pos, record.end, read_limit, where) if reads is not None else None
    return Example(variant, ref_window, annotations, read_list, where)


def check_contigs(header: VcfHeader, vcf_path: str, reference: ReferenceReader) -> None:
    """Fail early when the VCF's declared contigs cannot be the FASTA's (names or lengths)."""
    if header.contigs:
        check_same_assembly(f"VCF {vcf_path}", "VCF", header.contigs, reference, "use the reference the calls were made on")
