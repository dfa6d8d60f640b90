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
from ..readers.bam import ReadSource
from ..readers.examples import make_example
from ..readers.fasta import ReferenceReader
from ..readers.vcf import VcfReader
from ..records import Example

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


def usable(ref: str, alts: Sequence[str]) -> bool:
    """A record the bench scores: no symbolic or spanning-deletion ALT (the same rule for its lines and VCFs)."""
    return bool(alts) and not any(a.startswith("<") or a == "*" for a in alts)


def load_examples(
    vcf: Path,
    fasta_path: Path,
    bam_path: Path | None,
    annotation_names: Sequence[str],
    window: int = defines.DEFAULT_WINDOW_SIZE,
    read_limit: int = defines.DEFAULT_READ_LIMIT,
) -> list[Example]:
    """One Example per usable VCF record, made by the readers `vqsr-cnn score` uses: the bridge rows are fed what
    CNNScoreVariants.java would send for these records (GATK's read set and down-sampling)."""
    reader = VcfReader(vcf)
    reference = ReferenceReader(fasta_path)
    reads = ReadSource(bam_path, str(fasta_path)) if bam_path else None
    try:
        examples = [
            make_example(
                record,
                reader.header,
                reference,
                reads,
                annotation_names,
                window,
                read_limit,
                reader.where(record.line_number, record.contig, record.pos),
            )
            for record in reader
            if usable(record.ref, record.alts)
        ]
    finally:
        reference.close()
        if reads is not None:
            reads.close()
    if not examples:
        raise ValueError(f"no scorable records in {vcf}")
    return examples


def repeat_examples(examples: Sequence[Example], n: int) -> list[Example]:
    """n examples, each record repeated consecutively as `vcfs.repeated_vcf` writes them (the score row's VCF): the
    bridge and score rows see the same records."""
    copies = -(-n // len(examples))
    return [examples[i // copies] for i in range(n)]
