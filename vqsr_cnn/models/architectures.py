"""Builders for GATK's two default CNN architectures (docs/design.md §3).

Input names follow GATK: the tensor input is named after its tensor type ('reference' or
'read_tensor') and the annotation input after its annotation set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import defines
from .keras_compat import keras

N_LABELS = len(defines.SNP_INDEL_LABELS)


def _keras(seed: int | None) -> Any:
    k = keras()
    if seed is not None:
        k.utils.set_random_seed(seed)
    return k


def _annotation_branch(k: Any, annotations: Sequence[str], annotation_set: str) -> tuple[Any, Any]:
    """(annotation input, its BatchNorm-normalised values): both architectures start their MLP here."""
    annots = k.Input(shape=(len(annotations),), name=annotation_set)
    return annots, k.layers.BatchNormalization(name="annotation_norm")(annots)


def build_default_1d_annotation_model(
    window_size: int = defines.DEFAULT_WINDOW_SIZE,
    annotations: Sequence[str] = tuple(defines.ANNOTATIONS_SETS["best_practices"]),
    annotation_set: str = "best_practices",
    seed: int | None = None,
) -> Any:
    """Reference (window, 4) + annotations -> softmax over NOT_SNP, NOT_INDEL, SNP, INDEL."""
    k = _keras(seed)
    L = k.layers
    reference = k.Input(shape=(window_size, len(defines.DNA_SYMBOLS)), name="reference")
    x = L.Conv1D(256, 12, activation="relu", name="conv1d_1")(reference)
    x = L.Conv1D(256, 12, activation="relu", name="conv1d_2")(x)
    x = L.Dropout(0.1)(x)
    x = L.Conv1D(128, 12, activation="relu", name="conv1d_3")(x)
    x = L.Dropout(0.1)(x)
    x = L.Flatten()(x)
    annots, normed = _annotation_branch(k, annotations, annotation_set)
    a = L.Dense(40, activation="relu", name="annotation_dense")(normed)
    x = L.Concatenate()([x, a])
    x = L.Dense(40, activation="relu", name="fc_1")(x)
    x = L.Dropout(0.2)(x)
    x = L.Concatenate()([x, normed])
    out = L.Dense(N_LABELS, activation="softmax", name="softmax_predictions")(x)
    return k.Model(inputs=[reference, annots], outputs=out, name="cnn_1d_reference")


def build_default_2d_annotation_model(
    window_size: int = defines.DEFAULT_WINDOW_SIZE,
    read_limit: int = defines.DEFAULT_READ_LIMIT,
    annotations: Sequence[str] = tuple(defines.ANNOTATIONS_SETS["best_practices"]),
    annotation_set: str = "best_practices",
    seed: int | None = None,
) -> Any:
    """GATK's small_2d: read tensor (reads, window, 15) + annotations -> 4-way softmax."""
    k = _keras(seed)
    L = k.layers
    reads = k.Input(shape=(read_limit, window_size, 15), name="read_tensor")
    x = L.Conv2D(64, (25, 1), activation="relu", name="conv2d_1")(reads)
    x = L.SpatialDropout2D(0.1)(x)
    x = L.Conv2D(48, (1, 25), activation="relu", name="conv2d_2")(x)
    x = L.SpatialDropout2D(0.1)(x)
    x = L.Conv2D(32, (25, 1), activation="relu", name="conv2d_3")(x)
    x = L.MaxPooling2D((3, 1))(x)
    x = L.SpatialDropout2D(0.1)(x)
    x = L.Conv2D(24, (1, 25), activation="relu", name="conv2d_4")(x)
    x = L.MaxPooling2D((3, 1))(x)
    x = L.Flatten()(x)
    annots, normed = _annotation_branch(k, annotations, annotation_set)
    a = L.Dense(64, activation="relu", name="annotation_dense")(normed)
    x = L.Concatenate()([x, a])
    x = L.Dense(24, activation="relu", name="fc_1")(x)
    x = L.Dropout(0.3)(x)
    out = L.Dense(N_LABELS, activation="softmax", name="softmax_predictions")(x)
    return k.Model(inputs=[reads, annots], outputs=out, name="small_2d")
