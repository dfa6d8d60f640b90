"""`vqsr-cnn score`: CNNScoreVariants without GATK — VCF + FASTA (+ BAM/CRAM) to a CNN-annotated VCF."""

from __future__ import annotations

import argparse
import os
import time

from ..defines import TensorType
from ..errors import InputError
from ..models.allowlist import trust_requested
from . import add_tensor_type, add_trust_model_code


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "score",
        help="annotate a VCF with CNN_1D / CNN_2D scores (standalone CNNScoreVariants)",
        description="Score every record of a VCF with a GATK CNN model, as GATK's CNNScoreVariants does, and write "
        "the VCF with the CNN_1D (reference) or CNN_2D (read_tensor) INFO key. GATK-style long names "
        "(--variant, --reference, --input, --output, --intervals) work too.",
    )
    p.add_argument("-V", "--variant", required=True, help="VCF to score (.vcf, .vcf.gz)")
    p.add_argument("-R", "--reference", required=True, help="indexed FASTA (.fai; bgzip also needs .gzi)")
    p.add_argument("-I", "--input", dest="reads", help="indexed BAM/CRAM with the reads (2D models)")
    p.add_argument("-O", "--output", required=True, help="output VCF; .gz gives BGZF + tabix index")
    add_tensor_type(
        p, default=TensorType.REFERENCE, help="reference = 1D model (CNN_1D), read_tensor = 2D model (CNN_2D); default reference"
    )
    p.add_argument("--architecture", help="GATK architecture JSON (default: the bundled model)")
    p.add_argument("--weights", help="Keras-2 .hd5 model (default: the JSON with .json -> .hd5)")
    p.add_argument(
        "-L",
        "--intervals",
        action="append",
        default=[],
        help="only records overlapping chr, chr:start-end, a .bed or an interval list (repeatable)",
    )
    p.add_argument(
        "--inference-batch-size",
        type=int,
        dest="batch_size",
        help="records gathered per engine call (default 1024 for 1D, 64 for 2D); the engine always computes "
        "in its own fixed micro-batch, so scores do not depend on it",
    )
    p.add_argument(
        "--backend",
        choices=["openvino", "tensorflow", "openvino-tensorflow"],
        help="inference backend (default: openvino; OPENVINO_TF_DISABLE=1 selects tensorflow)",
    )
    p.add_argument("--precision", choices=["fp32", "bf16", "int8"], help="inference precision (default fp32)")
    p.add_argument(
        "--dense", action="store_true", help="2D: compute every read row (the depth-aware engine off; also VQSR_CNN_DENSE=1)"
    )
    p.add_argument("--threads", type=int, default=0, help="inference threads (0 = let the runtime decide)")
    p.add_argument(
        "--filter-symbolic-and-sv",
        action="store_true",
        help="drop symbolic and structural-variant records from the output, as GATK's flag does",
    )
    p.add_argument(
        "--info-annotation-keys",
        nargs="+",
        metavar="KEY",
        help="INFO keys fed to the model, in order (default: the model's: MQ DP SOR FS QD MQRankSum ReadPosRankSum)",
    )
    p.add_argument("--window-size", type=int, help="reference window (default: the model's, 128)")
    p.add_argument("--read-limit", type=int, help="reads per 2D tensor (default: the model's, 128)")
    p.add_argument(
        "--read-filter",
        choices=["gatk", "strict"],
        default="gatk",
        help="gatk (default): exactly the reads GATK 4.2's CNNScoreVariants uses (well-formed, not from "
        "HaplotypeCaller's artificial-haplotype read groups; duplicates, secondary, QC-fail kept); "
        "strict: also drop unmapped, secondary, duplicate and QC-fail reads (scores then differ "
        "from GATK's)",
    )
    p.add_argument(
        "--metrics-json",
        metavar="FILE",
        help="also write start-up / scoring seconds, counts, model files (sha256), backend and versions",
    )
    p.add_argument("--quiet", action="store_true", help="no progress meter or info logging")
    add_trust_model_code(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..engine import EngineConfig
    from ..pipeline import ScoreOptions, score_vcf

    for name in ("batch_size", "window_size", "read_limit"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise InputError(f"--{name.replace('_', '-')} must be positive, got {value}")
    if args.threads < 0:
        raise InputError(f"--threads must be 0 or more, got {args.threads}")
    started = time.monotonic()
    keys = [k for item in args.info_annotation_keys or [] for k in item.split(",") if k]
    summary = score_vcf(
        ScoreOptions(
            variant=args.variant,
            reference=args.reference,
            output=args.output,
            reads=args.reads,
            tensor_type=args.tensor_type,
            architecture=args.architecture,
            weights=args.weights,
            intervals=args.intervals,
            batch_size=args.batch_size,
            engine=EngineConfig.from_env(
                os.environ, backend=args.backend, precision=args.precision, intra_threads=args.threads, dense=args.dense
            ),
            filter_symbolic_and_sv=args.filter_symbolic_and_sv,
            annotation_keys=keys or None,
            window_size=args.window_size,
            read_limit=args.read_limit,
            read_filter=args.read_filter,
            quiet=args.quiet,
            trust_model_code=trust_requested(os.environ),
        )
    )
    if args.metrics_json:
        from ..report.provenance import scoring_provenance, write_json_atomic

        write_json_atomic(args.metrics_json, scoring_provenance(summary, time.monotonic() - started))
    return 0
