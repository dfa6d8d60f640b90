"""Is `vqsr-cnn score`'s memory flat in VCF length?  Peak RSS on 1,000 vs 100,000 variants.

The VCFs are synthetic but made of real records: the HG004 chr21 calls (shared/data) repeated at
shifted positions along the 1 Mb contig, REF/ALT re-derived from the FASTA.  Each run is a separate
`vqsr-cnn score` process; its peak RSS is the child's ru_maxrss (from wait4).  Target: the two differ by < 10%.
While a run goes, its RSS is sampled every --sample-seconds into WORK/rss_N.tsv (seconds, VmRSS, VmHWM in MiB)
and its progress meter goes to WORK/score_N.log, so a long run shows its memory curve and the records reached.

Usage: python scripts/memory_flat.py [--small 1000] [--large 100000] [--threads 2] [--data ../shared/data]
                                     [--work DIR] [--json PATH] [--limit-pct 10] [--sample-seconds 30]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vqsr_cnn.bench.data import default_data_dir  # noqa: E402
from vqsr_cnn.bench.vcfs import shifted_vcf  # noqa: E402

VCF = "hg004_chr21_hc_calls/NA24143.vcf.gz"
FASTA = "hg004_chr21_hc_calls/hg38_chr21_22000000_23000000.fasta"


def _status_mib(pid: int) -> tuple[float, float] | None:
    """(VmRSS, VmHWM) in MiB of a live process, None once it has gone."""
    try:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
        return int(fields["VmRSS"].split()[0]) / 1024.0, int(fields["VmHWM"].split()[0]) / 1024.0
    except (OSError, KeyError, ValueError):
        return None


def cli_command() -> list[str]:
    """This environment's `vqsr-cnn` (its console script beside the interpreter, else `python -m`)."""
    exe = str(Path(sys.executable).with_name("vqsr-cnn"))
    return [exe] if os.path.exists(exe) else [sys.executable, "-m", "vqsr_cnn.cli"]


def peak_rss_of(cmd: list[str], log: Path, curve: Path, every: float) -> tuple[float, float]:
    """(peak RSS MiB, seconds) of one command, its stderr in LOG and its RSS sampled into CURVE."""
    start = time.perf_counter()
    with open(log, "w") as err, open(curve, "w") as samples:
        samples.write("seconds\trss_mib\thwm_mib\n")
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(every):
                now = _status_mib(proc.pid)
                if now is not None:
                    samples.write(f"{time.perf_counter() - start:.0f}\t{now[0]:.1f}\t{now[1]:.1f}\n")
                    samples.flush()

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        stop.set()
        sampler.join()
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {log.read_text().strip()[-800:]}")
    return usage.ru_maxrss / 1024.0, seconds


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--small", type=int, default=1000)
    p.add_argument("--large", type=int, default=100_000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--work", type=Path, default=None, help="where the synthetic VCFs and outputs go (default: a temp dir)")
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--limit-pct", type=float, default=10.0)
    p.add_argument("--sample-seconds", type=float, default=30.0, help="RSS sampling interval of each run")
    args = p.parse_args(argv)
    data = args.data or default_data_dir(os.environ)
    work = args.work or Path(tempfile.mkdtemp(prefix="vqsr_cnn_memory_"))
    work.mkdir(parents=True, exist_ok=True)
    cli = cli_command()
    results = {}
    for n in (args.small, args.large):
        vcf = work / f"shifted_{n}.vcf"
        written = shifted_vcf(data / VCF, data / FASTA, vcf, n)
        cmd = [
            *cli,
            "score",
            "-V",
            str(vcf),
            "-R",
            str(data / FASTA),
            "-O",
            str(work / f"scored_{n}.vcf.gz"),
            "--tensor-type",
            "reference",
            "--threads",
            str(args.threads),
        ]
        print(f"{written:>8} variants: scoring (progress in {work / f'score_{n}.log'})", flush=True)
        rss, seconds = peak_rss_of(cmd, work / f"score_{n}.log", work / f"rss_{n}.tsv", args.sample_seconds)
        results[n] = {"variants": written, "peak_rss_mb": round(rss, 1), "seconds": round(seconds, 1)}
        print(f"{written:>8} variants: peak RSS {rss:8.1f} MiB, {seconds:7.1f} s", flush=True)
    small, large = results[args.small]["peak_rss_mb"], results[args.large]["peak_rss_mb"]
    change = 100.0 * (large - small) / small
    ok = abs(change) < args.limit_pct
    print(
        f"peak RSS change {args.small} -> {args.large} variants: {change:+.1f}% "
        f"({'PASS' if ok else 'FAIL'}: limit {args.limit_pct:g}%)"
    )
    if args.json:
        args.json.write_text(json.dumps({"runs": results, "change_pct": change, "pass": ok}, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
