#!/usr/bin/env python
"""Minimal standalone-scoring benchmark: variants/min of `vqsr-cnn score` for 1D and 2D on the real data.

Times the streaming part of vqsr_cnn.pipeline.score_vcf (read VCF/FASTA/BAM, encode, infer, write) on an
engine built once; model loading and compilation are reported separately.  Each case runs --repeat
times and the median is shown.  Uses ../shared/data when present, else the slices in testdata/.

    .venv/bin/python scripts/bench_score.py [--backend openvino] [--precision fp32] [--repeat 3] [--json out.json]

(The full benchmark suite is `vqsr-cnn bench`; this only covers standalone scoring.)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from vqsr_cnn.pipeline import ScoreOptions, load_engine, score_vcf  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
TESTDATA = ROOT / "testdata"


def cases() -> list[dict]:
    hg004 = SHARED / "hg004_chr21_hc_calls" if SHARED.is_dir() else TESTDATA / "hg004_chr21"
    out = [{"name": "1D hg004_chr21 (1,762 HC calls)", "tensor_type": "reference",
            "variant": hg004 / "NA24143.vcf.gz", "reference": hg004 / "hg38_chr21_22000000_23000000.fasta"}]
    normal = TESTDATA / "chr22_normal"
    out.append({"name": "2D chr22_normal (5 calls, 1 deep site)", "tensor_type": "read_tensor",
                "variant": normal / "test_haplotcaller.noCNN.vcf", "reference": normal / "genome.fasta",
                "reads": normal / "test.paired_end.sorted.bam"})
    if SHARED.is_dir():
        giab = SHARED / "na12878_chr22_reads_giab"
        out.append({"name": "2D NA12878 chr22 30x (72 sites)", "tensor_type": "read_tensor",
                    "variant": giab / "NA12878.1000GP_NYGC30x_jointcall.nonref.chr22_16570000-16610000.vcf.gz",
                    "reference": giab / "chr22_GRCh38_Npadded_16570000-16610000.fa.gz", "reads": giab / "NA12878.chr22.bam"})
    else:
        giab = TESTDATA / "giab_chr22"
        out.append({"name": "2D NA12878 chr22 slice", "tensor_type": "read_tensor",
                    "variant": giab / "NA12878_GIAB.chr22_16584000-16587000.vcf.gz",
                    "reference": giab / "chr22_GRCh38_Npadded_16570000-16610000.fa.gz",
                    "reads": giab / "NA12878.chr22_16584000-16587000.bam"})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["openvino", "tensorflow", "openvino-tensorflow"])
    parser.add_argument("--precision", choices=["fp32", "bf16", "int8"])
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--batch-1d", type=int, default=1024)
    parser.add_argument("--batch-2d", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    results = []
    engines: dict[str, tuple] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases():
            kind = case["tensor_type"]
            base = ScoreOptions(variant=str(case["variant"]), reference=str(case["reference"]),
                                output=os.path.join(tmp, "out.vcf.gz"), reads=str(case["reads"]) if "reads" in case else None,
                                tensor_type=kind, backend=args.backend, precision=args.precision, threads=args.threads,
                                batch_size=args.batch_1d if kind == "reference" else args.batch_2d, quiet=True)
            if kind not in engines:
                started = time.monotonic()
                engines[kind] = (*load_engine(base), time.monotonic() - started)
            model_args, engine, load_seconds = engines[kind]
            score_vcf(base, engine, model_args)  # warm-up: compiles the bucket shapes this input needs
            runs = [score_vcf(base, engine, model_args) for _ in range(args.repeat)]
            seconds = statistics.median(r.seconds for r in runs)
            n = runs[0].scored
            row = {"case": case["name"], "variants": n, "seconds": round(seconds, 3),
                   "variants_per_minute": round(60.0 * n / seconds, 1), "model_load_seconds": round(load_seconds, 2),
                   "backend": runs[0].backend, "precision": runs[0].precision, "batch": engine.buckets[-1]}
            results.append(row)
            print(f"{row['case']:<40} {n:>6} variants  {seconds:7.2f} s  {row['variants_per_minute']:>10.1f} variants/min  "
                  f"({row['backend']} {row['precision']}, batch {row['batch']}, model load {load_seconds:.1f} s)")
    if args.json:
        args.json.write_text(json.dumps({"cpu_count": os.cpu_count(), "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
