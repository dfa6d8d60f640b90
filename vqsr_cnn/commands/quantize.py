"""`vqsr-cnn quantize`: make the INT8 model of a GATK model beforehand, calibrated on the records of a VCF you
choose, into the cache that scoring at INT8 reads (the GATK bridge with VQSR_CNN_PRECISION=int8 included)."""

from __future__ import annotations

import argparse
import os

from ..defines import TensorType
from . import add_tensor_type, add_trust_model_code


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "quantize",
        help="build and cache the INT8 model of a GATK model, calibrated on a VCF's records",
        description="Quantise a GATK CNN model to INT8 (accuracy-controlled: the most score-sensitive layers stay "
        "float until the 99th percentile of |INT8 score - FP32 score| is within 0.1 on held-out records) and store "
        "it in the INT8 cache ($VQSR_CNN_CACHE_DIR, else ~/.cache/vqsr_cnn). Scoring at --precision int8, and GATK "
        "with VQSR_CNN_PRECISION=int8, then load it instead of calibrating on their first records.",
    )
    p.add_argument("-V", "--variant", required=True, help="VCF whose first records calibrate the model")
    p.add_argument("-R", "--reference", required=True, help="indexed FASTA")
    p.add_argument("-I", "--input", dest="reads", help="indexed BAM/CRAM (2D models)")
    add_tensor_type(p, default=TensorType.REFERENCE, help="reference = 1D model, read_tensor = 2D model; default reference")
    p.add_argument("--architecture", help="GATK architecture JSON (default: the bundled model)")
    p.add_argument("--weights", help="Keras-2 .hd5 model (default: the JSON with .json -> .hd5)")
    p.add_argument("-L", "--intervals", action="append", default=[], help="only records overlapping these (repeatable)")
    p.add_argument("--records", type=int, default=600, help="records to use: half calibrate, half validate (default 600)")
    p.add_argument("--dense", action="store_true", help="2D: the INT8 model of the dense engine (--dense when scoring)")
    add_trust_model_code(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..engine import EngineConfig
    from ..errors import InputError
    from ..models.allowlist import trust_requested
    from ..pipeline import ScoreOptions, quantize_vcf

    if args.records < 2 * 20:
        raise InputError(f"--records must be at least 40 (half calibrate, half validate), got {args.records}")
    options = ScoreOptions(
        variant=args.variant,
        reference=args.reference,
        output=os.devnull,
        reads=args.reads,
        tensor_type=args.tensor_type,
        architecture=args.architecture,
        weights=args.weights,
        intervals=args.intervals,
        engine=EngineConfig.from_env(os.environ, backend="openvino", precision="int8", dense=args.dense),
        trust_model_code=trust_requested(os.environ),
    )
    entry, engine = quantize_vcf(options, args.records)
    print(f"INT8 model ({engine.executed_precision}) of {engine.spec.hd5_path}: {entry}")
    return 0
