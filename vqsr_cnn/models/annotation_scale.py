"""What annotation values a model was trained on, read from its annotation BatchNorm layer.

GATK's models normalise annotations with BatchNorm, so a value far outside the training range (classically a
cohort VCF whose DP is summed over thousands of samples) saturates the network and every site gets the same
score. The engine uses this to warn once instead of silently writing meaningless scores.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from .gatk_format import split_inputs

log = logging.getLogger("vqsr_cnn")

# |value - mean| / sd beyond which the model's scores stop meaning anything (measured: DP at ~11,000 sd pins
# every score to the floor; the training data spans a few sd).
SATURATION_SD = 50.0


def annotation_scale(model: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """(mean, sd) applied by the BatchNormalization fed directly by the annotation input, if there is one."""
    _, annotation_input = split_inputs(model)
    wanted = annotation_input.name.split(":")[0]
    for layer in model.layers:
        if type(layer).__name__ != "BatchNormalization":
            continue
        try:
            source = layer.input.name.split(":")[0]
        except (AttributeError, ValueError):
            continue
        if source == wanted:
            mean = np.asarray(layer.moving_mean.numpy(), dtype=np.float64)
            var = np.asarray(layer.moving_variance.numpy(), dtype=np.float64)
            return mean, np.sqrt(var + layer.epsilon)
    return None


class AnnotationRangeCheck:
    """Warn once per annotation that lies beyond SATURATION_SD of the training distribution."""

    def __init__(self, model: Any, names: Sequence[str]) -> None:
        self.scale = annotation_scale(model)
        self.names = list(names)
        self.warned: set[str] = set()

    def __call__(self, annotations: np.ndarray) -> None:
        if self.scale is None or annotations.size == 0 or len(self.names) != annotations.shape[1]:
            return
        mean, sd = self.scale
        z = np.abs(annotations - mean) / sd
        worst = z.max(axis=0)
        for i in np.flatnonzero(worst > SATURATION_SD):
            name = self.names[i]
            if name in self.warned:
                continue
            self.warned.add(name)
            row = int(z[:, i].argmax())
            log.warning(
                "annotation %s=%g is %.0f standard deviations from what the model was trained on (mean %.3g, sd %.3g): "
                "such values saturate the CNN and its scores become meaningless. Cohort VCFs sum DP over samples; "
                "score per-sample values (e.g. INFO/DP divided by the number of samples).",
                name,
                annotations[row, i],
                worst[i],
                mean[i],
                sd[i],
            )
