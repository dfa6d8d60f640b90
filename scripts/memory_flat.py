"""Is `vqsr-cnn score`'s memory flat in VCF length?  Peak RSS on 1,000 vs 100,000 variants.

The VCFs are synthetic but made of real records: the HG004 chr21 calls (shared/data) repeated at
shifted positions along the 1 Mb contig, REF/ALT re-derived from the FASTA.  Each run is a separate
`vqsr-cnn score` process; its peak RSS is the child's ru_maxrss.  Target: the two differ by < 10%.

Usage: python scripts/memory_flat.py [--small 1000] [--large 100000] [--threads 2] [--data ../shared/data]
                                     [--work DIR] [--json PATH] [--limit-pct 10]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vqsr_cnn.bench.data import default_data_dir  # noqa: E402
from vqsr_cnn.bench.vcfs import shifted_vcf  # noqa: E402

VCF = "hg004_chr21_hc_calls/NA24143.vcf.gz"
FASTA = "hg004_chr21_hc_calls/hg38_chr21_22000000_23000000.fasta"

_MEASURE = ("import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(rc)")


def peak_rss_of(cmd: list[str]) -> tuple[float, float]:
    """(peak RSS MiB, seconds) of one command run in a fresh wrapper process."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()[-800:]}")
    return int(proc.stdout.strip().splitlines()[-1]) / 1024.0, seconds


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--small", type=int, default=1000)
    p.add_argument("--large", type=int, default=100_000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--work", type=Path, default=None, help="where the synthetic VCFs and outputs go (default: a temp dir)")
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--limit-pct", type=float, default=10.0)
    args = p.parse_args(argv)
    data = args.data or default_data_dir(os.environ)
    work = args.work or Path(tempfile.mkdtemp(prefix="vqsr_cnn_memory_"))
    work.mkdir(parents=True, exist_ok=True)
    exe = str(Path(sys.executable).with_name("vqsr-cnn"))
    cli = [exe] if os.path.exists(exe) else [sys.executable, "-m", "vqsr_cnn.cli"]
    results = {}
    for n in (args.small, args.large):
        vcf = work / f"shifted_{n}.vcf"
        written = shifted_vcf(data / VCF, data / FASTA, vcf, n)
        cmd = [*cli, "score", "-V", str(vcf), "-R", str(data / FASTA), "-O", str(work / f"scored_{n}.vcf.gz"),
               "--tensor-type", "reference", "--threads", str(args.threads), "--quiet"]
        rss, seconds = peak_rss_of(cmd)
        results[n] = {"variants": written, "peak_rss_mb": round(rss, 1), "seconds": round(seconds, 1)}
        print(f"{written:>8} variants: peak RSS {rss:8.1f} MiB, {seconds:7.1f} s", flush=True)
    small, large = results[args.small]["peak_rss_mb"], results[args.large]["peak_rss_mb"]
    change = 100.0 * (large - small) / small
    ok = abs(change) < args.limit_pct
    print(f"peak RSS change {args.small} -> {args.large} variants: {change:+.1f}% "
          f"({'PASS' if ok else 'FAIL'}: limit {args.limit_pct:g}%)")
    if args.json:
        args.json.write_text(json.dumps({"runs": results, "change_pct": change, "pass": ok}, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
