"""`vqsr-cnn bench`: side-by-side speed (and, with --accuracy, FP32 vs BF16/INT8 accuracy) on real data."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ..defines import TensorType
from ..errors import InputError
from ..models.allowlist import trust_requested
from . import add_tensor_type, add_trust_model_code


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "bench",
        help="benchmark baseline vs encoder vs engines vs end to end, against the machine's limit per precision",
        description="Times every row on the same real inputs (shared/data), interleaved, and prints variants/s, the "
        "ratio to GATK 4.2's own code (or its re-creation), model GFLOP/s, % of the measured limit of the precision "
        "that ran, and peak RSS; the machine (CPU, flags, OpenVINO capabilities) is recorded with every run.",
    )
    add_tensor_type(p, both=True, default="both", help="2D (read_tensor), 1D (reference) or both (default)")
    p.add_argument(
        "--variants", type=int, help="variants per row (default 200 for 2D, 2000 for 1D; at least 64 and one inference batch)"
    )
    p.add_argument("--repeats", type=int, default=5, help="interleaved timing rounds; the median is reported (default 5)")
    p.add_argument("--threads", type=int, default=2, help="inference threads / cores to use (default 2)")
    p.add_argument(
        "--batch-size", type=int, help="inference batch: rows gathered per engine call (default GATK's: 64 for 2D, 1024 for 1D)"
    )
    p.add_argument("--transfer-batch", type=int, default=256, help="data lines per bridge call (GATK default 256)")
    p.add_argument("--data", type=Path, help="shared/data directory (default: ../shared/data or $VQSR_CNN_SHARED_DATA)")
    p.add_argument("--cache", type=Path, help="where tarballs are extracted (default $TMPDIR/vqsr_cnn_bench)")
    p.add_argument("--architecture", help="model JSON (default: the bundled model of the tensor type)")
    p.add_argument("--weights", help="model HD5 (default: the bundled model of the tensor type)")
    p.add_argument(
        "--rows",
        nargs="+",
        default=(),
        metavar="TEXT",
        help="only rows whose name contains one of these, e.g. bridge, 'exact rows', INT8 (baseline, Intel-patch peer, "
        "the default OpenVINO FP32 engine and the limits always run)",
    )
    p.add_argument(
        "--tuning", action="store_true", help="add dense micro-batch rows per precision and the LATENCY hint vs THROUGHPUT"
    )
    p.add_argument("--no-int8", dest="int8", action="store_false", help="skip INT8 (no NNCF quantisation)")
    p.add_argument(
        "--accuracy",
        action="store_true",
        help="also score the labelled valid tensors in FP32 vs TF/BF16/INT8: |dscore|, threshold crossings, AUC",
    )
    p.add_argument("--accuracy-only", action="store_true", help="--accuracy without the timing rows")
    p.add_argument(
        "--max-score-delta",
        type=float,
        default=0.1,
        help="INT8 accuracy control: allowed p99 |dscore| vs FP32 on held-out train tensors (default 0.1)",
    )
    p.add_argument("--json", type=Path, metavar="PATH", help="write the full report as JSON here")
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    add_trust_model_code(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import logging

    from ..bench.data import default_cache_dir, default_data_dir
    from ..bench.options import BenchOptions
    from ..bench.run import run_bench
    from ..engine.config import user_cache_dir
    from ..harness import gatk42, legacy_stack

    if args.repeats < 1:
        raise InputError(f"--repeats must be at least 1, got {args.repeats}")
    if args.threads < 1:
        raise InputError(f"--threads must be at least 1, got {args.threads}")
    types = tuple(TensorType) if args.tensor_type == "both" else (args.tensor_type,)
    if (args.architecture or args.weights) and len(types) > 1:
        raise InputError("--architecture/--weights name one model: pass --tensor-type read_tensor or reference too")
    options = BenchOptions(
        tensor_types=types,
        variants=args.variants,
        repeats=args.repeats,
        threads=args.threads,
        batch_size=args.batch_size,
        transfer_batch=args.transfer_batch,
        data_dir=args.data or default_data_dir(os.environ),
        cache_dir=args.cache or default_cache_dir(os.environ),
        gatk42_python=gatk42.STACK.candidate(os.environ),
        legacy_python=legacy_stack.STACK.candidate(os.environ),
        architecture=args.architecture,
        weights=args.weights,
        rows=tuple(args.rows),
        tuning=args.tuning,
        int8=args.int8,
        accuracy=args.accuracy or args.accuracy_only,
        speed=not args.accuracy_only,
        max_score_delta=args.max_score_delta,
        trust_model_code=trust_requested(os.environ),
        int8_cache_dir=user_cache_dir(os.environ),
    )
    if not options.data_dir.is_dir():
        raise FileNotFoundError(f"bench data directory {options.data_dir} not found: pass --data PATH/TO/shared/data")
    log = logging.getLogger("vqsr_cnn")
    progress = (lambda msg: None) if args.quiet else (lambda msg: log.info("bench: %s", msg))

    def out(text: str) -> None:
        print(text + "\n", flush=True)

    report = run_bench(options, progress=progress, out=out)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=float) + "\n")
        print(f"wrote {args.json}", file=sys.stderr)
    return 0
