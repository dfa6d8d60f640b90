"""`vqsr-cnn score` 2D, depth-aware vs --dense: peak RSS of each process and `vqsr-cnn diff` of the CNN_2D scores.

Input: the GIAB chr22 slice (shared/data/na12878_chr22_reads_giab): the 72 NA12878 sites of the 1000 Genomes
joint call with the 30x BAM. Their INFO/DP is summed over 3,202 samples and saturates every score, so DP is
set per sample (the reads over the site in the BAM) to get scores that differ; the records are repeated in
place to --records so the run is long enough to reach its steady memory. Each `score` is a separate process
(peak RSS = the child's ru_maxrss). Not a timing: run it under `nice`, outside the bench lock.

Usage: python scripts/depth_vs_dense.py [--records 1024] [--work DIR] [--json PATH]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.memory_flat import cli_command, peak_rss_of  # noqa: E402
from vqsr_cnn.bench.data import default_data_dir  # noqa: E402

GIAB = "na12878_chr22_reads_giab"
VCF = f"{GIAB}/NA12878.1000GP_NYGC30x_jointcall.nonref.chr22_16570000-16610000.vcf.gz"
BAM = f"{GIAB}/NA12878.chr22.bam"
FASTA = f"{GIAB}/chr22_GRCh38_Npadded_16570000-16610000.fa.gz"


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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, default=1024)
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--work", type=Path, default=None)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    data = args.data or default_data_dir(os.environ)
    work = args.work or Path(tempfile.mkdtemp(prefix="vqsr_cnn_depth_"))
    work.mkdir(parents=True, exist_ok=True)
    vcf = work / "giab_dp_per_sample.vcf"
    n = per_sample_dp_vcf(data / VCF, data / BAM, vcf, args.records)
    cli = cli_command()
    result: dict[str, Any] = {"records": n, "input": str(data / VCF)}
    outputs = {}
    for name, extra in (("dense", ["--dense"]), ("depth_aware", [])):
        outputs[name] = work / f"{name}.vcf.gz"
        cmd = [
            *cli,
            "score",
            "-V",
            str(vcf),
            "-R",
            str(data / FASTA),
            "-I",
            str(data / BAM),
            "--tensor-type",
            "read_tensor",
            "-O",
            str(outputs[name]),
            "--threads",
            "2",
            "--quiet",
            *extra,
        ]
        rss, seconds = peak_rss_of(cmd, work / f"{name}.log", work / f"rss_{name}.tsv", 5.0)
        result[name] = {"peak_rss_mib": round(rss, 1), "seconds": round(seconds, 1)}
        print(f"{name}: peak RSS {rss:.1f} MiB ({seconds:.0f} s, {n} records)", flush=True)
    result["rss_ratio"] = result["depth_aware"]["peak_rss_mib"] / result["dense"]["peak_rss_mib"]
    report = work / "diff"
    diff = subprocess.run(
        [
            *cli,
            "diff",
            str(outputs["dense"]),
            str(outputs["depth_aware"]),
            "--key",
            "CNN_2D",
            "-o",
            str(report),
            "--label-a",
            "dense",
            "--label-b",
            "depth-aware",
        ],
        capture_output=True,
        text=True,
    )
    metrics = json.loads((report / "report.json").read_text())
    result["diff"] = {
        "scores": metrics["scores"],
        "call_changes": metrics["call_changes"],
        "distinct_scores": len(
            {r.split("CNN_2D=")[1].split(";")[0].split("\t")[0] for r in gzip.open(outputs["dense"], "rt") if "CNN_2D=" in r}
        ),
    }
    result["diff_exit"] = diff.returncode
    s = metrics["scores"]
    print(
        f"peak RSS depth-aware / dense = {result['rss_ratio']:.2f}; diff: {s['compared']} compared, {s['differ']} "
        f"differ, {s['differ_3rd_significant_digit']} in the 3rd significant digit, max |delta| "
        f"{s['max_abs_delta']}, {metrics['call_changes']['records']} call changes "
        f"({result['diff']['distinct_scores']} distinct scores); report {report / 'report.json'}"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
