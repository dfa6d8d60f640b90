"""Cross-sample summary of a workflow run: diff metrics per (sample, backend), the reduced-precision accuracy
target (:mod:`.precisions`), and a throughput table built from Snakemake benchmark files and the scoring jobs'
metrics JSONs (start-up apart from the steady scoring rate).

The HTML page is :mod:`.summary_html`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError
from . import precisions
from .summary_html import THROUGHPUT_COLUMNS, render_summary_html


def count_records(vcf: str) -> int:
    from .vcf_scores import _open_pysam

    with _open_pysam(vcf) as vf:
        return sum(1 for _ in vf)


def read_benchmark(path: str) -> dict:
    """One Snakemake benchmark TSV (columns s, h:m:s, max_rss, ..., cpu_time): the first row's numbers."""
    with open(path, newline="") as handle:
        row = next(csv.DictReader(handle, delimiter="\t"), None)
    if row is None:
        raise InputError(f"{path}: empty benchmark file")

    def num(key: str) -> float:
        try:
            return float(row.get(key, "nan"))
        except ValueError:  # '-' when Snakemake could not measure it
            return float("nan")

    return {"seconds": num("s"), "cpu_seconds": num("cpu_time"), "max_rss_mb": num("max_rss")}


def metrics_seconds(path: str) -> tuple[float, float]:
    """(engine set-up, streaming) seconds of one `vqsr-cnn score --metrics-json` file: set-up is the model load,
    freeze, compile, exact-rows height proofs and INT8 calibration; streaming (read, encode, infer, write) starts
    after them, so it runs at the steady rate."""
    from .provenance import read_provenance

    data = read_provenance(path) or {}
    return float(data.get("setup_seconds", float("nan"))), float(data.get("scoring_seconds", float("nan")))


def _rate(variants: int, seconds: float) -> float | None:
    """Variants per minute to 6 significant digits (a fixed 2 decimals would lose precision on slow, tiny runs)."""
    return float(f"{variants / seconds * 60:.6g}") if seconds > 0 else None


def throughput_rows(layout: Iterable[dict], ran: dict[tuple[str, str], dict] | None = None) -> list[dict]:
    """Per (sample, backend) row plus one 'ALL' row per backend: variants / wall seconds of its scoring jobs, and
    start-up (wall - streaming: interpreter, imports, engine set-up) apart from the steady rate (variants /
    streaming seconds). `ran`: {(sample, backend): precisions.job_precision} for the precision that really ran."""
    rows: list[dict[str, Any]] = []
    totals: dict[str, Any] = {}
    for job in layout:
        marks = [read_benchmark(p) for p in job["benchmarks"]]
        metrics = [metrics_seconds(p) for p in job.get("metrics", [])]
        variants = count_records(job["scored_vcf"])
        seconds = sum(m["seconds"] for m in marks)
        setup = sum(m[0] for m in metrics) if metrics else float("nan")
        scoring = sum(m[1] for m in metrics) if metrics else float("nan")
        cpu = sum(m["cpu_seconds"] for m in marks)
        rss = max((m["max_rss_mb"] for m in marks), default=float("nan"))
        row = {
            "sample": job["sample"],
            "backend": job["backend"],
            "engine": job["engine"],
            "precision": job["precision"],
            "precision_ran": ((ran or {}).get((job["sample"], job["backend"])) or {}).get("ran"),
            "jobs": len(marks),
            "variants": variants,
            "wall_seconds": round(seconds, 3),
            "startup_seconds": round(max(seconds - scoring, 0.0), 3),
            "setup_seconds": round(setup, 3),
            "scoring_seconds": round(scoring, 3),
            "cpu_seconds": round(cpu, 3),
            "max_rss_mb": round(rss, 1),
            "variants_per_min": _rate(variants, seconds),
            "steady_variants_per_min": _rate(variants, scoring),
        }
        rows.append(row)
        t = totals.setdefault(
            job["backend"],
            {
                **row,
                "sample": "ALL",
                "precision_ran": None,
                "jobs": 0,
                "variants": 0,
                "wall_seconds": 0.0,
                "startup_seconds": 0.0,
                "setup_seconds": 0.0,
                "scoring_seconds": 0.0,
                "cpu_seconds": 0.0,
                "max_rss_mb": 0.0,
            },
        )
        t["jobs"] += row["jobs"]
        t["variants"] += variants
        ran_all = [x for x in (t["precision_ran"] or "").split("; ") if x]
        if row["precision_ran"] and row["precision_ran"] not in ran_all:
            t["precision_ran"] = "; ".join([*ran_all, row["precision_ran"]])
        for column in ("wall_seconds", "startup_seconds", "setup_seconds", "scoring_seconds", "cpu_seconds"):
            t[column] = round(t[column] + row[column], 3)
        t["max_rss_mb"] = max(t["max_rss_mb"], row["max_rss_mb"])
    for t in totals.values():
        t["variants_per_min"] = _rate(t["variants"], t["wall_seconds"])
        t["steady_variants_per_min"] = _rate(t["variants"], t["scoring_seconds"])
    return rows + list(totals.values())


DIFF_COLUMNS = (
    "sample",
    "backend",
    "against",
    "precision",
    "precision_ran",
    "records_a",
    "records_b",
    "matched",
    "only_in_a",
    "only_in_b",
    "differ",
    "differ_3rd_significant_digit",
    "max_abs_delta",
    "mean_abs_delta",
    "pearson_r",
    "filter_changes",
    "filter_compared",
    "filter_change_share",
    "call_changes",
    "limits_passed",
)


def diff_rows(layout: Iterable[dict], ran: dict[tuple[str, str], dict] | None = None) -> list[dict]:
    """One row per diff. `differ` counts the records whose score text (3 decimals, as written) differs; the
    FILTER changes are at FilterVariantTranches' defaults (SNP 99.95, INDEL 99.4), over the SNPs and indels."""
    rows = []
    for job in layout:
        if not job.get("diff_json"):
            continue
        r = json.loads(Path(job["diff_json"]).read_text())
        s = r["scores"]
        g = r.get("gatk_default_filter_changes") or {}
        rows.append(
            {
                "sample": job["sample"],
                "backend": job["backend"],
                "against": job.get("against"),
                "precision": job["precision"],
                "precision_ran": ((ran or {}).get((job["sample"], job["backend"])) or {}).get("ran"),
                "records_a": r["a"]["records"],
                "records_b": r["b"]["records"],
                "matched": r["matched"],
                "only_in_a": r["only_in_a"],
                "only_in_b": r["only_in_b"],
                "differ": s["differ"],
                "differ_3rd_significant_digit": s["differ_3rd_significant_digit"],
                "max_abs_delta": s["max_abs_delta"],
                "mean_abs_delta": s["mean_abs_delta"],
                "pearson_r": s["pearson_r"],
                "filter_changes": g.get("changes"),
                "filter_compared": g.get("compared"),
                "filter_change_share": g.get("share"),
                "filter_tranches": f"SNP {g['snp_tranche']:g} / INDEL {g['indel_tranche']:g}" if g else None,
                "filter_mode": g.get("mode"),
                "call_changes": r["call_changes"]["records"],
                "limits_passed": r["limits"]["passed"],
                "report_html": job["diff_html"],
            }
        )
    return rows


def _write_tsv(path: str, rows: list[dict], columns: Iterable[str]) -> None:
    columns = list(columns)
    with open(path, "w", newline="") as handle:
        w = csv.writer(handle, delimiter="\t", lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            w.writerow(["NA" if row.get(c) is None else row.get(c) for c in columns])


def write_summary(
    layout: list[dict],
    reference: str,
    scatter: str,
    out_json: str,
    out_html: str,
    out_tsv: str,
    out_throughput: str,
    skipped: Sequence[dict] = (),
    cpu: str = "",
) -> dict:
    """`skipped`: the backends the DAG left out on this CPU, with the reason; `cpu`: the CPU it was planned on."""
    ran = {(j["sample"], j["backend"]): precisions.job_precision(j) for j in layout}
    diffs = diff_rows(layout, ran)
    speed = throughput_rows(layout, ran)
    keys = sorted({j["key"] for j in layout})
    target = precisions.target_rows(diffs, ran)
    summary = {
        "key": ",".join(keys),
        "keys": {j["sample"]: j["key"] for j in layout},
        "reference_backend": reference,
        "scatter": scatter,
        "samples": sorted({j["sample"] for j in layout}),
        "backends": list(dict.fromkeys(j["backend"] for j in layout)),
        "diffs": diffs,
        "throughput": speed,
        "all_limits_passed": all(d["limits_passed"] for d in diffs),
        "differ_3rd_significant_digit": sum(d["differ_3rd_significant_digit"] for d in diffs),
        "compared_pairs": sum(d["matched"] for d in diffs),
        "cpu": cpu,
        "skipped": [dict(k) for k in skipped],
        "fell_back": [{"sample": sample, "backend": backend, **p} for (sample, backend), p in ran.items() if p["fell_back"]],
        "reduced_precision": {
            "target_filter_change_share": precisions.TARGET_FILTER_SHARE,
            "tranches": "SNP 99.95 / INDEL 99.4",
            "rows": target,
            "verdict": precisions.verdict(target),
        },
    }
    Path(out_json).write_text(json.dumps(summary, indent=2) + "\n")
    _write_tsv(out_tsv, diffs, DIFF_COLUMNS)
    _write_tsv(out_throughput, speed, THROUGHPUT_COLUMNS)
    Path(out_html).write_text(render_summary_html(summary, Path(out_html).parent))
    return summary
