"""Fit a default GATK architecture with tf-keras on CPU: seeded, deterministic, early-stopped on the valid split."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .. import defines
from ..defines import TensorType
from ..errors import InputError
from ..models.architectures import build_default_1d_annotation_model, build_default_2d_annotation_model
from ..models.gatk_format import save_model_pair, semantics_for
from ..models.keras_compat import keras
from ..runtimes import import_tensorflow
from .data import Examples
from .metrics import evaluate, format_metrics

log = logging.getLogger("vqsr_cnn.train")


@dataclass
class FitConfig:
    tensor_type: TensorType
    annotation_set: str = defines.DEFAULT_ANNOTATION_SET
    model_id: str = "model"
    epochs: int = 30
    seed: int = 1
    batch_size: int = 32
    learning_rate: float = 1e-4
    patience: int = 6  # epochs without a better valid score before stopping
    lr_patience: int = 0  # halve the learning rate after this many epochs without improvement (0 = never)
    monitor: str = "mean-auc"  # 'mean-auc' / 'min-auc' of the SNP and INDEL AUCs (ties: valid loss), or 'loss'
    class_weight: str = "none"  # 'balanced': weight classes by n / (4 * count)
    time_budget: float = 0.0  # seconds; stop before an epoch that would overrun it (0 = none)
    checkpoint: str | None = None  # GATK-pair prefix rewritten whenever the valid score improves
    threads: int = 0
    bfloat16: bool = False  # train in mixed bfloat16 (~1.7x faster on AVX512-BF16 CPUs); saved model is float32


@dataclass
class EpochRecord:
    epoch: int
    train_loss: float
    valid_loss: float
    seconds: float
    metrics: dict[str, float]
    learning_rate: float


@dataclass
class FitResult:
    model: Any
    best: EpochRecord
    history: list[EpochRecord] = field(default_factory=list)
    stopped_because: str = ""

    @property
    def seconds_per_epoch(self) -> float:
        return float(np.mean([r.seconds for r in self.history])) if self.history else float("nan")


def configure_determinism(seed: int, threads: int = 0) -> None:
    """Same seed, same data, same CPU -> same weights (tf_keras seeds + TF op determinism)."""
    tf = import_tensorflow()

    if threads > 0:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:
            log.debug("TensorFlow already initialised; thread settings unchanged")
    keras().utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def build_model(config: FitConfig, annotations: list[str]) -> Any:
    if config.tensor_type == TensorType.REFERENCE:
        return build_default_1d_annotation_model(annotations=annotations, annotation_set=config.annotation_set, seed=config.seed)
    return build_default_2d_annotation_model(annotations=annotations, annotation_set=config.annotation_set, seed=config.seed)


# Layers that stay float32 under mixed precision: raw annotations (DP ~ 10-100k) would lose digits in bfloat16
# before their BatchNorm, and the softmax should see float32 logits.
FLOAT32_LAYERS = ("annotation_norm", "softmax_predictions")


def mixed_bfloat16_twin(model: Any) -> Any:
    """The same architecture with bfloat16 compute (float32 variables), sharing nothing but the starting weights."""
    config = model.get_config()
    for layer in config["layers"]:
        if layer["class_name"] != "InputLayer" and layer["config"]["name"] not in FLOAT32_LAYERS:
            layer["config"]["dtype"] = "mixed_bfloat16"
    twin = keras().Model.from_config(config)
    twin.set_weights(model.get_weights())
    return twin


def class_weights(labels: np.ndarray, mode: str) -> np.ndarray:
    """Per-class weights: ones, or 'balanced' (n / (classes * count))."""
    n_classes = len(defines.SNP_INDEL_LABELS)
    if mode == "none":
        return np.ones(n_classes, dtype=np.float32)
    if mode != "balanced":
        raise InputError(f"unknown class weighting {mode!r}: expected 'none' or 'balanced'")
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    return (len(labels) / (n_classes * np.maximum(counts, 1))).astype(np.float32)


def batch_indices(n: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """One epoch's batches: a fresh seeded permutation, cut into sorted index blocks."""
    order = rng.permutation(n)
    return [np.sort(order[i : i + batch_size]) for i in range(0, n, batch_size)]


def predict(model: Any, examples: Examples, batch_size: int = 32) -> np.ndarray:
    """Probabilities for every example, in inference mode (no dropout, BatchNorm moving statistics)."""
    out = []
    for start in range(0, len(examples), batch_size):
        stop = start + batch_size
        out.append(np.asarray(model([examples.tensors[start:stop], examples.annotations[start:stop]], training=False)))
    return np.concatenate(out).astype(np.float32)


def cross_entropy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    p = probabilities[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.clip(p, 1e-7, 1.0))))


MONITORS = ("mean-auc", "min-auc", "loss")


def _auc(record: EpochRecord, monitor: str) -> float:
    pair = (record.metrics["auc_snp"], record.metrics["auc_indel"])
    return min(pair) if monitor == "min-auc" else (pair[0] + pair[1]) / 2


def _better(record: EpochRecord, best: EpochRecord | None, monitor: str) -> bool:
    if best is None:
        return True
    if monitor == "loss":
        return record.valid_loss < best.valid_loss
    a, b = _auc(record, monitor), _auc(best, monitor)
    return a > b or (a == b and record.valid_loss < best.valid_loss)


def fit(
    train: Examples,
    valid: Examples,
    config: FitConfig,
    annotations: list[str],
    on_epoch: Callable[[EpochRecord, bool], None] | None = None,
) -> FitResult:
    """Train, evaluate on `valid` after every epoch, keep (and optionally checkpoint) the best epoch's weights."""
    if config.monitor not in MONITORS:
        raise InputError(f"unknown monitor {config.monitor!r}: expected one of {', '.join(MONITORS)}")
    if config.epochs < 1:
        raise InputError(f"epochs must be at least 1, got {config.epochs}")
    configure_determinism(config.seed, config.threads)
    k = keras()
    model = build_model(config, annotations)  # float32: evaluated, checkpointed and returned
    trainee = mixed_bfloat16_twin(model) if config.bfloat16 else model
    trainee.compile(
        optimizer=k.optimizers.Adam(learning_rate=config.learning_rate),
        loss="sparse_categorical_crossentropy",
        weighted_metrics=[],
    )
    weights = class_weights(train.labels, config.class_weight)
    rng = np.random.default_rng(config.seed)
    started = time.monotonic()
    best: EpochRecord | None = None
    best_weights: list[np.ndarray] = []
    history: list[EpochRecord] = []
    stale = 0
    stopped = f"reached {config.epochs} epochs"
    for epoch in range(1, config.epochs + 1):
        t0 = time.monotonic()
        losses = []
        for idx in batch_indices(len(train), config.batch_size, rng):
            y = train.labels[idx]
            loss = trainee.train_on_batch([train.tensors[idx], train.annotations[idx]], y, sample_weight=weights[y])
            losses.append(float(loss) * len(idx))
        seconds = time.monotonic() - t0
        if trainee is not model:
            model.set_weights(trainee.get_weights())
        probs = predict(model, valid)
        lr = float(k.backend.get_value(trainee.optimizer.learning_rate))
        record = EpochRecord(
            epoch, sum(losses) / len(train), cross_entropy(probs, valid.labels), seconds, evaluate(probs, valid.labels), lr
        )
        history.append(record)
        improved = _better(record, best, config.monitor)
        if improved:
            best, best_weights, stale = record, [w.copy() for w in model.get_weights()], 0
            if config.checkpoint:
                save_pair(model, config.checkpoint, config, annotations)
        else:
            stale += 1
        if on_epoch:
            on_epoch(record, improved)
        if config.patience and stale >= config.patience:
            stopped = f"no better valid score for {stale} epochs"
            break
        if config.lr_patience and stale and stale % config.lr_patience == 0:
            k.backend.set_value(trainee.optimizer.learning_rate, lr * 0.5)
        elapsed = time.monotonic() - started
        if config.time_budget and epoch < config.epochs and elapsed + seconds + 30 > config.time_budget:
            stopped = f"time budget {config.time_budget:.0f} s would be exceeded by another epoch"
            break
    model.set_weights(best_weights)
    assert best is not None, "epochs >= 1 (checked above), so one epoch was best"
    return FitResult(model, best, history, stopped)


def save_pair(model: Any, prefix: str | os.PathLike, config: FitConfig, annotations: list[str]) -> tuple[Path, Path]:
    """Write PREFIX.json + PREFIX.hd5 in GATK's format (atomically, via gatk_format.save_model_pair)."""
    semantics = semantics_for(model, config.tensor_type, config.annotation_set, annotations, config.model_id)
    return save_model_pair(model, prefix, semantics)


def describe(record: EpochRecord) -> str:
    return (
        f"epoch {record.epoch}: {record.seconds:.1f} s, train loss {record.train_loss:.4f}, "
        f"valid loss {record.valid_loss:.4f}, lr {record.learning_rate:.2e} | {format_metrics(record.metrics)}"
    )
