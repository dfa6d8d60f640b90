"""`vqsr-cnn train`: fit GATK's default 1D or 2D architecture on labelled .hd5 examples; write a GATK-format pair."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from .. import defines
from ..errors import InputError
from . import add_tensor_type

log = logging.getLogger("vqsr_cnn.train")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a GATK-architecture CNN on labelled .hd5 examples",
        description="Train GATK's default 1D (reference) or 2D (read_tensor) architecture on examples laid out as "
        "DIR/train|valid/SNP|NOT_SNP|INDEL|NOT_INDEL/*.hd5, early-stopped on the valid split, and write "
        "OUT_PREFIX.json + OUT_PREFIX.hd5 in GATK's format.",
    )
    add_tensor_type(p, required=True)
    p.add_argument("--data", required=True, help="directory holding train/ and valid/ example folders")
    p.add_argument("--out-prefix", required=True, help="write OUT_PREFIX.json and OUT_PREFIX.hd5 (atomically)")
    p.add_argument("--epochs", type=int, default=30, help="maximum epochs (default 30)")
    p.add_argument("--seed", type=int, default=1, help="random seed for weights, dropout and shuffling (default 1)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--learning-rate", type=float, default=1e-4, help="Adam learning rate (default 1e-4)")
    p.add_argument("--patience", type=int, default=6, help="stop after this many epochs without a better valid score")
    p.add_argument(
        "--lr-patience",
        type=int,
        default=0,
        help="halve the learning rate after this many epochs without improvement (0 = never)",
    )
    p.add_argument(
        "--monitor",
        choices=("mean-auc", "min-auc", "loss"),
        default="mean-auc",
        help="valid score that picks the kept epoch: mean or min of the SNP and INDEL score AUCs (ties: "
        "valid loss), or the valid loss (default mean-auc)",
    )
    p.add_argument("--class-weight", choices=("none", "balanced"), default="none")
    p.add_argument(
        "--annotation-set",
        default=defines.DEFAULT_ANNOTATION_SET,
        help="annotation set the model takes (its input name); default best_practices",
    )
    p.add_argument("--model-id", help="'id' written to the JSON (default: the name of OUT_PREFIX)")
    p.add_argument("--checkpoint", help="also rewrite this GATK-pair prefix whenever the valid score improves")
    p.add_argument(
        "--time-budget", type=float, default=0.0, help="minutes; do not start an epoch that would overrun it (default: no limit)"
    )
    p.add_argument("--threads", type=int, default=0, help="TensorFlow intra-op threads (0 = runtime default)")
    p.add_argument(
        "--bfloat16",
        action="store_true",
        help="train with mixed bfloat16 compute (faster on AVX512-BF16 CPUs); the saved model is float32",
    )
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..train.data import load_split
    from ..train.fit import FitConfig, describe, fit, save_pair
    from ..train.metrics import format_metrics

    out_prefix = Path(args.out_prefix)
    if out_prefix.name in ("", ".", "..") or out_prefix.is_dir():
        raise InputError(f"--out-prefix {args.out_prefix} must be a file prefix such as models/cnn_1d, not a directory")
    if args.checkpoint and Path(args.checkpoint) == out_prefix:
        raise InputError("--checkpoint must differ from --out-prefix (the final model is written there only at the end)")
    if args.epochs < 1 or args.batch_size < 1:
        raise InputError("--epochs and --batch-size must be at least 1")
    annotations = list(defines.ANNOTATIONS_SETS.get(args.annotation_set, []))
    if not annotations:
        raise InputError(
            f"--annotation-set {args.annotation_set!r} is not a known non-empty annotation set "
            f"({', '.join(k for k, v in defines.ANNOTATIONS_SETS.items() if v)})"
        )

    t0 = time.monotonic()
    train = load_split(args.data, "train", args.tensor_type, args.annotation_set)
    valid = load_split(args.data, "valid", args.tensor_type, args.annotation_set)
    print(
        f"loaded {len(train)} train {train.class_counts()} and {len(valid)} valid {valid.class_counts()} "
        f"{args.tensor_type} examples from {args.data} in {time.monotonic() - t0:.1f} s",
        flush=True,
    )

    config = FitConfig(
        tensor_type=args.tensor_type,
        annotation_set=args.annotation_set,
        model_id=args.model_id or out_prefix.name,
        epochs=args.epochs,
        seed=args.seed,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        patience=args.patience,
        lr_patience=args.lr_patience,
        monitor=args.monitor,
        class_weight=args.class_weight,
        time_budget=args.time_budget * 60.0,
        checkpoint=args.checkpoint,
        threads=args.threads,
        bfloat16=args.bfloat16,
    )

    def report(record, improved: bool) -> None:
        print(describe(record) + (" *" if improved else ""), flush=True)

    result = fit(train, valid, config, annotations, on_epoch=report)
    hd5, js = save_pair(result.model, out_prefix, config, annotations)
    print(
        f"stopped: {result.stopped_because}; {len(result.history)} epochs, {result.seconds_per_epoch:.1f} s/epoch (training only)"
    )
    print(f"best epoch {result.best.epoch} (valid loss {result.best.valid_loss:.4f}): {format_metrics(result.best.metrics)}")
    print(f"wrote {js} and {hd5}")
    return 0
