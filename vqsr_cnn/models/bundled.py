"""The models shipped inside the package (GATK format), used when no model is given."""

from __future__ import annotations

from pathlib import Path

from .. import defines
from ..defines import TensorType

BUNDLED_DIR = Path(__file__).with_name("bundled")
_NAMES = {TensorType.REFERENCE: "cnn_1d", TensorType.READ_TENSOR: "cnn_2d"}


def default_model_paths(tensor_type: TensorType) -> tuple[Path, Path]:
    """(architecture JSON, weights HD5) of the bundled model for 'reference' or 'read_tensor'."""
    stem = BUNDLED_DIR / _NAMES[tensor_type]
    return stem.with_suffix(".json"), stem.with_suffix(defines.TENSOR_SUFFIX)
