"""The models shipped inside the package (GATK format), used when no model is given."""

from __future__ import annotations

from pathlib import Path

from .. import defines

BUNDLED_DIR = Path(__file__).with_name("bundled")
_NAMES = {"reference": "cnn_1d", "read_tensor": "cnn_2d"}


def default_model_paths(tensor_type: str) -> tuple[Path, Path]:
    """(architecture JSON, weights HD5) of the bundled model for 'reference' or 'read_tensor'."""
    if tensor_type not in _NAMES:
        raise ValueError(f"Unknown tensor type {tensor_type!r}: expected 'reference' or 'read_tensor'")
    stem = BUNDLED_DIR / _NAMES[tensor_type]
    return stem.with_suffix(".json"), stem.with_suffix(defines.TENSOR_SUFFIX)
