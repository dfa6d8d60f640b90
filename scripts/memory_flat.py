"""`vqsr-cnn score`'s memory, each run a separate process (peak RSS = the child's ru_maxrss, from wait4).

Default: is it flat in VCF length?  Peak RSS on 1,000 vs 100,000 variants.  The VCFs are synthetic but made of
real records: the HG004 chr21 calls (shared/data) repeated at shifted positions along the 1 Mb contig, REF/ALT
re-derived from the FASTA.  Target: the two differ by < 10%.  While a run goes, its RSS is sampled every
--sample-seconds into WORK/rss_N.tsv (seconds, VmRSS, VmHWM in MiB) and its progress meter goes to
WORK/score_N.log, so a long run shows its memory curve and the records reached.

--exact-vs-dense: 2D, exact rows vs --dense, peak RSS of each and `vqsr-cnn diff` of the CNN_2D scores, on the
GIAB chr22 slice (the 72 NA12878 sites of the 1000 Genomes joint call with the 30x BAM; their INFO/DP, summed
over 3,202 samples, saturates every score, so DP is set per sample: the reads over the site), repeated in place
to --records.

Not a timing: run it under `nice`, outside the bench lock.

Usage: python scripts/memory_flat.py [--small 1000] [--large 100000] [--threads 2] [--data ../shared/data]
                                     [--work DIR] [--json PATH] [--limit-pct 10] [--sample-seconds 30]
       python scripts/memory_flat.py --exact-vs-dense [--records 1024] [--data ...] [--work DIR] [--json PATH]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vqsr_cnn.bench.data import default_data_dir  # noqa: E402
from vqsr_cnn.bench.vcfs import shifted_vcf  # noqa: E402

VCF = "hg004_chr21_hc_calls/NA24143.vcf.gz"
FASTA = "hg004_chr21_hc_calls/hg38_chr21_22000000_23000000.fasta"
GIAB = "na12878_chr22_reads_giab"
GIAB_VCF = f"{GIAB}/NA12878.1000GP_NYGC30x_jointcall.nonref.chr22_16570000-16610000.vcf.gz"
GIAB_BAM = f"{GIAB}/NA12878.chr22.bam"
GIAB_FASTA = f"{GIAB}/chr22_GRCh38_Npadded_16570000-16610000.fa.gz"


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


def per_sample_dp_vcf(vcf: Path, bam: Path, out: Path, records: int) -> int:
    """The VCF with INFO/DP = reads over the site, its records repeated in place up to `records`."""
    import pysam

    header, body = [], []
    with gzip.open(vcf, "rt") as fh, pysam.AlignmentFile(str(bam)) as reads:
        for line in fh:
            if line.startswith("#"):
                header.append(line)
                continue
            f = line.rstrip("\n").split("\t")
            depth = reads.count(f[0], int(f[1]) - 1, int(f[1]))
            f[7] = ";".join(f"DP={depth}" if kv.startswith("DP=") else kv for kv in f[7].split(";"))
            body.append(f)
    with open(out, "w") as fh:
        fh.writelines(header)
        for f in body:
            for _ in range(-(-records // len(body))):
                fh.write("\t".join(f) + "\n")
    return len(body) * -(-records // len(body))


def score_command(cli: list[str], vcf: Path, fasta: Path, out: Path, tensor_type: str, threads: int, *extra: str) -> list[str]:
    return [
        *cli,
        "score",
        "-V",
        str(vcf),
        "-R",
        str(fasta),
        "-O",
        str(out),
        "--tensor-type",
        tensor_type,
        "--threads",
        str(threads),
        *extra,
    ]


def length(args: argparse.Namespace, data: Path, work: Path) -> int:
    """Peak RSS of 1D `score` at --small vs --large variants: flat within --limit-pct."""
    cli = cli_command()
    results = {}
    for n in (args.small, args.large):
        vcf = work / f"shifted_{n}.vcf"
        written = shifted_vcf(data / VCF, data / FASTA, vcf, n)
        cmd = score_command(cli, vcf, data / FASTA, work / f"scored_{n}.vcf.gz", "reference", args.threads)
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


def exact_vs_dense(args: argparse.Namespace, data: Path, work: Path) -> int:
    """2D `score` with exact rows vs --dense: peak RSS of each, and `vqsr-cnn diff` of their CNN_2D scores."""
    vcf = work / "giab_dp_per_sample.vcf"
    n = per_sample_dp_vcf(data / GIAB_VCF, data / GIAB_BAM, vcf, args.records)
    cli = cli_command()
    result: dict[str, Any] = {"records": n, "input": str(data / GIAB_VCF)}
    outputs = {}
    for name, extra in (("dense", ["--dense"]), ("exact_rows", [])):
        outputs[name] = work / f"{name}.vcf.gz"
        cmd = score_command(
            cli, vcf, data / GIAB_FASTA, outputs[name], "read_tensor", args.threads, "-I", str(data / GIAB_BAM), "--quiet", *extra
        )
        rss, seconds = peak_rss_of(cmd, work / f"{name}.log", work / f"rss_{name}.tsv", 5.0)
        result[name] = {"peak_rss_mib": round(rss, 1), "seconds": round(seconds, 1)}
        print(f"{name}: peak RSS {rss:.1f} MiB ({seconds:.0f} s, {n} records)", flush=True)
    result["rss_ratio"] = result["exact_rows"]["peak_rss_mib"] / result["dense"]["peak_rss_mib"]
    report = work / "diff"
    diff = [*cli, "diff", str(outputs["dense"]), str(outputs["exact_rows"]), "--key", "CNN_2D", "-o", str(report)]
    result["diff_exit"] = subprocess.run([*diff, "--label-a", "dense", "--label-b", "exact rows"], capture_output=True).returncode
    metrics = json.loads((report / "report.json").read_text())
    with gzip.open(outputs["dense"], "rt") as fh:
        distinct = len({r.split("CNN_2D=")[1].split(";")[0].split("\t")[0] for r in fh if "CNN_2D=" in r})
    result["diff"] = {"scores": metrics["scores"], "call_changes": metrics["call_changes"], "distinct_scores": distinct}
    s = metrics["scores"]
    print(
        f"peak RSS exact rows / dense = {result['rss_ratio']:.2f}; diff: {s['compared']} compared, {s['differ']} "
        f"differ, {s['differ_3rd_significant_digit']} in the 3rd significant digit, max |delta| "
        f"{s['max_abs_delta']}, {metrics['call_changes']['records']} call changes ({distinct} distinct scores); "
        f"report {report / 'report.json'}"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=str))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--exact-vs-dense", action="store_true", help="2D exact rows vs --dense instead of VCF length")
    p.add_argument("--small", type=int, default=1000)
    p.add_argument("--large", type=int, default=100_000)
    p.add_argument("--records", type=int, default=1024, help="--exact-vs-dense: GIAB records, repeated in place")
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
    return (exact_vs_dense if args.exact_vs_dense else length)(args, data, work)


if __name__ == "__main__":
    sys.exit(main())
