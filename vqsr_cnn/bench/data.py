"""Real benchmark inputs from shared/data: labelled tensors (tarballs) and examples from BAM/VCF/FASTA.

Everything is copied or extracted into a cache directory (shared/data is read-only), once.
"""

from __future__ import annotations

import gzip
import os
import random
import shutil
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import pysam

from .. import defines
from ..records import Example, Read, Variant

TENSOR_TARBALLS = {
    "read_tensor": "na12878_chr1_read_tensors/read_tensors_chr1_train_valid.tar.gz",
    "reference": "na12878_chr1_reference_tensors/reference_tensors_chr1_train_valid.tar.gz",
}
# (VCF, FASTA, BAM or None) per tensor type: the 2D rows need reads, the 1D rows a larger VCF.
VARIANT_SOURCES = {
    "read_tensor": (
        "na12878_chr22_reads_giab/NA12878.1000GP_NYGC30x_jointcall.nonref.chr22_16570000-16610000.vcf.gz",
        "na12878_chr22_reads_giab/chr22_GRCh38_Npadded_16570000-16610000.fa.gz",
        "na12878_chr22_reads_giab/NA12878.chr22.bam",
    ),
    "reference": ("hg004_chr21_hc_calls/NA24143.vcf.gz", "hg004_chr21_hc_calls/hg38_chr21_22000000_23000000.fasta", None),
}
LABEL_TYPES = {"SNP": "SNP", "NOT_SNP": "SNP", "INDEL": "INDEL", "NOT_INDEL": "INDEL"}
TRUE_LABELS = ("SNP", "INDEL")


def default_data_dir(environ: Mapping[str, str]) -> Path:
    """$VQSR_CNN_SHARED_DATA, else ../shared/data beside the repository or the working directory."""
    env = environ.get("VQSR_CNN_SHARED_DATA")
    if env:
        return Path(env)
    for base in (Path(__file__).resolve().parents[3], Path.cwd().parent, Path.cwd()):
        candidate = base / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return Path("../shared/data")


def default_cache_dir(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("VQSR_CNN_BENCH_CACHE", Path(environ.get("TMPDIR", "/tmp")) / "vqsr_cnn_bench"))


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        raise FileNotFoundError(
            f"{what} not found at {path}: pass --data DIR pointing at shared/data (or set VQSR_CNN_SHARED_DATA)"
        )
    return path


def extract_tensors(data_dir: Path, tensor_type: str, cache: Path) -> Path:
    """Extract the labelled tensor tarball once into the cache; returns its top directory."""
    tarball = _require(data_dir / TENSOR_TARBALLS[tensor_type], f"{tensor_type} tensor tarball")
    dest = cache / tarball.name.replace(".tar.gz", "")
    done = dest / ".complete"
    if not done.exists():
        tmp = dest.with_name(dest.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        with tarfile.open(tarball) as tar:
            try:
                tar.extractall(tmp, filter="data")
            except TypeError:  # Python without extraction filters (older 3.9 patch releases)
                tar.extractall(tmp)
        shutil.rmtree(dest, ignore_errors=True)
        os.replace(tmp, dest)
        done.touch()
    return dest


@dataclass
class LabelledTensors:
    tensors: np.ndarray  # float32 (n, ...) model input
    annotations: np.ndarray  # float32 (n, 7)
    labels: list[str]  # SNP / NOT_SNP / INDEL / NOT_INDEL
    paths: list[str]

    @property
    def variant_types(self) -> list[str]:
        return [LABEL_TYPES[label] for label in self.labels]

    @property
    def truth(self) -> np.ndarray:
        return np.array([label in TRUE_LABELS for label in self.labels])

    def __len__(self) -> int:
        return len(self.labels)


def tensor_files(root: Path, split: str) -> list[Path]:
    """All labelled .hd5 files of a split (train / valid), in a stable order."""
    files = sorted(p for p in root.rglob(f"*{defines.TENSOR_SUFFIX}") if f"/{split}/" in p.as_posix())
    if not files:
        raise FileNotFoundError(f"no {split} tensors under {root}")
    return files


def load_tensors(files: Sequence[Path], tensor_type: str, limit: int | None = None, seed: int = 0) -> LabelledTensors:
    """Read up to `limit` examples (a seeded sample mixing all four labels) as float32."""
    files = list(files)
    if limit is not None and limit < len(files):
        files = sorted(random.Random(seed).sample(files, limit))
    tensors, annotations, labels = [], [], []
    for path in files:
        with h5py.File(path, "r") as h5:
            tensors.append(np.asarray(h5[tensor_type], dtype=np.float32))
            key = "best_practices" if "best_practices" in h5 else "gatk"
            annotations.append(np.asarray(h5[key], dtype=np.float32))
        labels.append(path.parent.name)
    return LabelledTensors(np.stack(tensors), np.stack(annotations), labels, [str(p) for p in files])


def repeat_to(array: np.ndarray, n: int) -> np.ndarray:
    """The first n rows of the array tiled (real rows reused when more are asked than exist)."""
    reps = -(-n // array.shape[0])
    return np.ascontiguousarray(np.concatenate([array] * reps)[:n]) if reps > 1 else np.ascontiguousarray(array[:n])


# ---------------------------------------------------------------- examples from VCF / FASTA / BAM


def prepare_sources(data_dir: Path, tensor_type: str, cache: Path) -> tuple[Path, Path, Path | None]:
    """(VCF, plain indexed FASTA, BAM) for the tensor type; a gzipped FASTA is decompressed into the cache."""
    vcf, fasta, bam = VARIANT_SOURCES[tensor_type]
    vcf_path = _require(data_dir / vcf, "benchmark VCF")
    fasta_path = _require(data_dir / fasta, "benchmark FASTA")
    bam_path = _require(data_dir / bam, "benchmark BAM") if bam else None
    if fasta_path.suffix == ".gz" or not Path(str(fasta_path) + ".fai").exists():
        plain = cache / fasta_path.name.replace(".gz", "")
        if not Path(str(plain) + ".fai").exists():
            cache.mkdir(parents=True, exist_ok=True)
            opener = gzip.open if fasta_path.suffix == ".gz" else open
            tmp = plain.with_name(plain.name + f".tmp{os.getpid()}")
            with opener(fasta_path, "rb") as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.replace(tmp, plain)
            pysam.faidx(str(plain))
        fasta_path = plain
    return vcf_path, fasta_path, bam_path


def variant_type(ref: str, alts: Sequence[str]) -> str:
    """GATK's three classes: all-SNV -> SNP, plain length-changing alleles -> INDEL, else OTHER."""
    plain = all(a and set(a) <= set("ACGTN") for a in alts)
    if len(ref) == 1 and plain and all(len(a) == 1 for a in alts):
        return "SNP"
    if plain and alts and all(len(a) != len(ref) for a in alts):
        return "INDEL"
    return "OTHER"


def reference_window(fasta, contig: str, pos: int, window: int) -> str:
    """`window` bases from pos - window//2 (clipped to base 1), '\\x00'-padded past the contig end."""
    start0 = max(0, pos - 1 - window // 2)
    seq = fasta.fetch(contig, start0, start0 + window).upper()
    return seq + "\x00" * (window - len(seq))


def _info_text(value) -> str:
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def unclipped_start(read) -> int:
    """1-based start including leading soft and hard clips."""
    clip = 0
    for op, n in read.cigartuples or ():
        if op not in (4, 5):  # S, H
            break
        clip += n
    return read.reference_start - clip + 1


def reads_at(bam, contig: str, pos: int, read_limit: int, seed: int = 0) -> list[Read]:
    """Reads covering pos (no unmapped / secondary / duplicate / QC-fail), reservoir-sampled to read_limit."""
    rng = random.Random(seed)
    chosen: list[Read] = []
    seen = 0
    for aln in bam.fetch(contig, pos - 1, pos):
        if aln.is_unmapped or aln.is_secondary or aln.is_duplicate or aln.is_qcfail or not aln.query_sequence:
            continue
        read = Read(
            aln.query_sequence,
            np.asarray(aln.query_qualities if aln.query_qualities is not None else [], dtype=np.uint8),
            aln.cigarstring or "",
            aln.is_reverse,
            aln.is_paired and aln.mate_is_reverse,
            aln.is_read1,
            aln.mapping_quality,
            unclipped_start(aln),
        )
        seen += 1
        if len(chosen) < read_limit:
            chosen.append(read)
        else:
            k = rng.randrange(seen)
            if k < read_limit:
                chosen[k] = read
    return sorted(chosen, key=lambda r: r.start)


def load_examples(
    vcf: Path,
    fasta_path: Path,
    bam_path: Path | None,
    annotation_names: Sequence[str],
    window: int = defines.DEFAULT_WINDOW_SIZE,
    read_limit: int = defines.DEFAULT_READ_LIMIT,
) -> list[Example]:
    """One Example per VCF record (symbolic / '*' alleles skipped), reads attached when a BAM is given."""
    names = set(annotation_names)
    examples = []
    with pysam.VariantFile(str(vcf)) as vf, pysam.FastaFile(str(fasta_path)) as fasta:
        bam = pysam.AlignmentFile(str(bam_path)) if bam_path else None
        try:
            for rec in vf:
                alts = tuple(rec.alts or ())
                if not alts or any(a.startswith("<") or a == "*" for a in alts):
                    continue
                info = {k: _info_text(v) for k, v in rec.info.items() if k in names}
                variant = Variant(rec.chrom, rec.pos, rec.ref, alts, variant_type(rec.ref, alts))
                reads = reads_at(bam, rec.chrom, rec.pos, read_limit) if bam is not None else None
                if bam is not None and not reads:
                    continue
                examples.append(Example(variant, reference_window(fasta, rec.chrom, rec.pos, window), info, reads))
        finally:
            if bam is not None:
                bam.close()
    if not examples:
        raise ValueError(f"no scorable records in {vcf}")
    return examples


def repeat_examples(examples: Sequence[Example], n: int) -> list[Example]:
    return [examples[i % len(examples)] for i in range(n)]
