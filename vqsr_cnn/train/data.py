"""Load labelled training examples: one .hd5 file per example, DIR/<split>/<LABEL>/<name>.hd5.

The layout is the one of GATK's research tensors: the label is the parent folder name (SNP, NOT_SNP,
INDEL, NOT_INDEL) and the split (train / valid) the grandparent.  Each file holds the tensor dataset
('reference' or 'read_tensor') and a 7-annotation dataset named after its annotation set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import defines, tensor_maps
from ..defines import TensorType
from ..errors import InputError

LABELS = defines.SNP_INDEL_LABELS


class TrainingDataError(InputError):
    """The training data directory or one of its example files is unusable; the message names it."""


@dataclass(frozen=True)
class Examples:
    tensors: np.ndarray  # float32 (n, *tensor_shape)
    annotations: np.ndarray  # float32 (n, n_annotations)
    labels: np.ndarray  # int64 (n,) class index as defines.SNP_INDEL_LABELS
    paths: list[Path]

    def __len__(self) -> int:
        return len(self.paths)

    def class_counts(self) -> dict[str, int]:
        counts = np.bincount(self.labels, minlength=len(LABELS))
        return {name: int(counts[index]) for name, index in LABELS.items()}


def annotation_dataset_names(annotation_set: str) -> list[str]:
    """Dataset names that hold this annotation set: its own name first, then aliases with the same keys."""
    wanted = defines.ANNOTATIONS_SETS.get(annotation_set)
    aliases = [name for name, keys in defines.ANNOTATIONS_SETS.items() if keys == wanted and name != annotation_set]
    return [annotation_set, *aliases]


def find_examples(data_dir: str | os.PathLike, split: str) -> dict[str, list[Path]]:
    """Example files per label for one split; every label folder must exist and hold at least one .hd5."""
    root = Path(data_dir)
    if not root.exists():
        raise TrainingDataError(f"training data directory {root} does not exist")
    if not root.is_dir():
        raise TrainingDataError(f"training data path {root} is not a directory (expected DIR/train|valid/LABEL/*.hd5)")
    split_dir = root / split
    if not split_dir.is_dir():
        raise TrainingDataError(
            f"{root} has no '{split}' folder: expected {root}/{split}/<LABEL>/*.hd5 with LABEL in {', '.join(LABELS)}"
        )
    found: dict[str, list[Path]] = {}
    for label in LABELS:
        folder = split_dir / label
        if not folder.is_dir():
            raise TrainingDataError(f"class folder {folder} is missing: every split needs {', '.join(LABELS)}")
        files = sorted(p for p in folder.iterdir() if p.suffix == defines.TENSOR_SUFFIX and p.is_file())
        if not files:
            raise TrainingDataError(f"class folder {folder} has no {defines.TENSOR_SUFFIX} examples")
        found[label] = files
    return found


def _read_example(
    path: Path, tensor_type: TensorType, shape: tuple[int, ...], annotation_names: list[str], n_annotations: int
) -> tuple[np.ndarray, np.ndarray]:
    import h5py

    try:
        with h5py.File(path, "r") as h5:
            if tensor_type not in h5:
                raise TrainingDataError(
                    f"{path}: no '{tensor_type}' dataset (has {', '.join(h5.keys()) or 'none'}); "
                    f"is this a {'2D' if tensor_type == TensorType.REFERENCE else '1D'} example?"
                )
            tensor = h5[tensor_type]
            if tuple(tensor.shape) != shape:
                raise TrainingDataError(f"{path}: '{tensor_type}' has shape {tuple(tensor.shape)}, expected {shape}")
            name = next((n for n in annotation_names if n in h5), None)
            if name is None:
                raise TrainingDataError(f"{path}: no annotation dataset (looked for {', '.join(annotation_names)})")
            annotations = h5[name]
            if tuple(annotations.shape) != (n_annotations,):
                raise TrainingDataError(f"{path}: '{name}' has shape {tuple(annotations.shape)}, expected ({n_annotations},)")
            t = tensor[()].astype(np.float32)
            a = annotations[()].astype(np.float32)
    except OSError as exc:
        raise TrainingDataError(f"{path}: cannot read as HDF5 ({exc})") from None
    if not np.isfinite(t).all():
        raise TrainingDataError(f"{path}: '{tensor_type}' holds NaN or infinite values")
    # Missing annotations are 0 at inference (encode/annotations.py); do the same here.
    return t, np.nan_to_num(a, nan=0.0, posinf=0.0, neginf=0.0)


def load_split(
    data_dir: str | os.PathLike,
    split: str,
    tensor_type: TensorType,
    annotation_set: str = defines.DEFAULT_ANNOTATION_SET,
    window_size: int = defines.DEFAULT_WINDOW_SIZE,
    read_limit: int = defines.DEFAULT_READ_LIMIT,
) -> Examples:
    """Read every example of one split into preallocated float32 arrays (files in sorted, stable order)."""
    if annotation_set not in defines.ANNOTATIONS_SETS:
        known = ", ".join(defines.ANNOTATIONS_SETS)
        raise TrainingDataError(f"unknown annotation set {annotation_set!r}: expected one of {known}")
    shape = tensor_maps.tensor_shape_from_tensor_type(tensor_type, window_size, read_limit)
    n_annotations = len(defines.ANNOTATIONS_SETS[annotation_set])
    names = annotation_dataset_names(annotation_set)
    per_label = find_examples(data_dir, split)
    paths = [p for label in LABELS for p in per_label[label]]
    labels = np.array([LABELS[label] for label in LABELS for _ in per_label[label]], dtype=np.int64)
    tensors = np.empty((len(paths), *shape), dtype=np.float32)
    annotations = np.empty((len(paths), n_annotations), dtype=np.float32)
    for i, path in enumerate(paths):
        tensors[i], annotations[i] = _read_example(path, tensor_type, shape, names, n_annotations)
    return Examples(tensors, annotations, labels, paths)
