"""vqsr_cnn: a fast, drop-in replacement for the Python module behind GATK's CNNScoreVariants.

GATK does `import vqsr_cnn` and calls :func:`start_session_get_args_and_model` and
:func:`score_and_write_batch`; the GATK constants and tensor-map helpers are re-exported as before.
Heavy imports (TensorFlow, OpenVINO) happen only when a model is loaded.
"""

from __future__ import annotations

from typing import Any

from .defines import *  # noqa: F403 - GATK users import the constants from the package
from .scores import predictions_to_indel_scores, predictions_to_snp_indel_scores, predictions_to_snp_scores
from .tensor_maps import (
    get_read_tensor_channel_map,
    get_tensor_channel_map_1d_dna,
    get_tensor_channel_map_from_args,
    get_tensor_channel_map_from_tensor_type,
    get_tensor_channel_map_reference_reads,
    tensor_shape_from_args,
    tensor_shape_from_tensor_type,
    total_input_channels_from_args,
)

__version__ = "0.1.0"

_LAZY = {
    "start_session_get_args_and_model": "gatk",
    "score_and_write_batch": "gatk",
    "build_default_1d_annotation_model": "models.architectures",
    "build_default_2d_annotation_model": "models.architectures",
}


def __getattr__(name: str) -> Any:
    """Load the bridge and model builders on first use, keeping `import vqsr_cnn` fast."""
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'vqsr_cnn' has no attribute {name!r}")
