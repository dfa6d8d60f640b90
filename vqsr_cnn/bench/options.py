"""What a bench run is asked to do (`BenchOptions`), its defaults, and the refusals checked before slow work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import defines
from ..defines import TensorType
from ..errors import InputError
from ..models.bundled import default_model_paths

MIN_VARIANTS = 64  # below this, per-call overheads and timer noise dominate: refuse
DEFAULT_VARIANTS = {"read_tensor": 200, "reference": 2000}  # not multiples of the batch: the last batch is short
DEFAULT_BATCH = defines.DEFAULT_INFERENCE_BATCH  # GATK's inference batch: rows gathered per engine call, as `score`
TRANSFER_BATCH = 256  # CNNScoreVariants' default transfer batch: lines per score_and_write_batch call
LABEL = {"read_tensor": "2D", "reference": "1D"}
MAX_REAL_TENSORS = 512  # real tensors loaded for the engine rows (repeated beyond that)


@dataclass
class BenchOptions:
    """Everything a run needs, the machine's places included: `vqsr-cnn bench` resolves those from the environment
    and the checkout (its edge); nothing below it reads either."""

    tensor_types: Sequence[TensorType] = (TensorType.READ_TENSOR, TensorType.REFERENCE)
    variants: int | None = None
    repeats: int = 5
    threads: int = 2
    batch_size: int | None = None
    transfer_batch: int = TRANSFER_BATCH
    data_dir: Path = Path("../shared/data")  # the real inputs (read-only)
    cache_dir: Path = Path("/tmp/vqsr_cnn_bench")  # where they are extracted, once
    gatk42_python: str = ""  # GATK 4.2's interpreter to try ('' = none: the baseline is the re-creation)
    legacy_python: str = ""  # the legacy env's interpreter to try ('' = none: no Intel-patch row)
    architecture: str | None = None
    weights: str | None = None
    rows: Sequence[str] = ()  # keep only rows whose name contains one of these (baseline and limits always run)
    tuning: bool = False
    int8: bool = True
    accuracy: bool = False
    speed: bool = True
    max_score_delta: float = 0.1
    calibration_size: int = 300
    trust_model_code: bool = False
    int8_cache_dir: str = ""  # '' = quantise without caching

    def wanted(self, name: str) -> bool:
        """Whether a row of this name was asked for (`--rows`; every row when none was named)."""
        return not self.rows or any(key in name for key in self.rows)


def check_variant_count(n: int, batch: int) -> None:
    """Refuse runs too small to time: fewer than MIN_VARIANTS or than one full batch."""
    need = max(MIN_VARIANTS, batch)
    if n < need:
        raise InputError(
            f"bench needs at least {need} variants (at least {MIN_VARIANTS} and one full batch of {batch}) "
            f"for meaningful timings, got {n}: pass --variants {need} or more"
        )


def check_model_matches_data(
    model_shape: Sequence[int], n_annotations: int, tensors: np.ndarray, annotations: np.ndarray, model_path: str, data_path: str
) -> None:
    """Refuse a model whose inputs do not match the bench data (it would fail or time nonsense)."""
    data_shape = tuple(int(d) for d in tensors.shape[1:])
    if tuple(model_shape) != data_shape:
        raise InputError(
            f"model {model_path} takes tensors of shape {tuple(model_shape)} but the bench data in {data_path} "
            f"are {data_shape}: pass a model of the matching tensor type/window/read limit "
            f"(--tensor-type, --architecture/--weights)"
        )
    if n_annotations != annotations.shape[1]:
        raise InputError(
            f"model {model_path} takes {n_annotations} annotations but the bench data have "
            f"{annotations.shape[1]}: pass a model using the best_practices annotation set"
        )


def model_paths(tensor_type: TensorType, options: BenchOptions) -> tuple[str, str]:
    """(architecture JSON, weights HD5): the user's pair (either one names the other), else the bundled model."""
    if options.architecture or options.weights:
        arch = options.architecture or str(options.weights).replace(defines.TENSOR_SUFFIX, ".json")
        weights = options.weights or str(options.architecture).replace(".json", defines.TENSOR_SUFFIX)
        return arch, weights
    json_path, hd5 = default_model_paths(tensor_type)
    return str(json_path), str(hd5)
