"""What an INT8 model is made with: the settings that are also its cache key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# (calibration (tensors, annotations), validation (tensors, annotations, variant types))
Calibration = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, Sequence[str]]]
MIN_CALIBRATION = 20  # fewer variants than this cannot calibrate and validate an INT8 model


@dataclass(frozen=True)
class QuantizeSettings:
    max_score_delta: float = 0.1  # allowed p99 |dscore| (log-odds units) on the validation tensors
    subset_size: int = 300  # calibration examples
    accuracy_control: bool = True  # False: plain PTQ (for comparison only; not offered to users)
    chunk: int = 8  # examples per validation item (NNCF ranks layers per item)
    # Dense layers hold < 0.1% of the FLOPs but, quantised, caused ~90% of the score drift (2D: p99 1.35 -> 0.14
    # with them in FP32): keep them FP32 from the start so accuracy control spends its budget on the convolutions.
    quantize_dense: bool = False
    # How activation ranges are estimated from the calibration tensors: "histogram" (ranges that minimise the
    # quantisation error over a histogram of each activation) or "minmax" (NNCF's default). Measured on an AVX2 EPYC
    # (docs/performance.md): with histogram ranges accuracy control keeps 3 of the 2D model's 4 convolutions INT8
    # (minmax: 2), dense INT8 1.37x faster, max |dscore| on labelled tensors 0.149 vs 0.163; 1D: 3 of 3 (minmax:
    # 2), 1.29x faster, p99 0.029 vs 0.021.
    ranges: str = "histogram"
    float_hint: str = "f32"  # OpenVINO precision of the float layers at run time (Precision.float_hint)
    target: str = "dense"  # the graph quantised: dense (the frozen model) or rows (the exact-rows cut model)
    cache_dir: str = ""  # where results are cached (EngineConfig.cache_dir); '' = no cache; not part of the key

    @property
    def tag(self) -> str:
        mode = "ac" if self.accuracy_control else "ptq"
        return (
            f"{mode}{self.max_score_delta:g}-n{self.subset_size}{'-all' if self.quantize_dense else '-conv'}"
            f"{'-hist' if self.ranges == 'histogram' else ''}-{self.float_hint}{'-rows' if self.target == 'rows' else ''}"
        )


def split_calibration(tensors: np.ndarray, annotations: np.ndarray, types: Sequence[str]) -> Calibration:
    """The first half calibrates, the second half validates (accuracy control): disjoint, in input order."""
    half = len(tensors) // 2
    return (tensors[:half], annotations[:half]), (tensors[half:], annotations[half:], list(types)[half:])
