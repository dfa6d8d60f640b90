"""Cross-sample summary of a workflow run: diff metrics per (sample, backend) and a throughput table built
from Snakemake benchmark files (variants per minute of wall time per backend).

(Just over 300 lines: the tables, their TSVs and their HTML page are one report; the shared HTML pieces are in
:mod:`.html` and :mod:`.svg`.)
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import InputError
from .html import fmt, page, table
from .svg import bars_svg, esc


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


def scoring_seconds(path: str) -> float:
    """The streaming seconds of one `vqsr-cnn score --metrics-json` file (start-up is wall - scoring)."""
    from .provenance import read_provenance

    return float((read_provenance(path) or {}).get("scoring_seconds", float("nan")))


def _rate(variants: int, seconds: float) -> float | None:
    """Variants per minute to 6 significant digits (a fixed 2 decimals would lose precision on slow, tiny runs)."""
    return float(f"{variants / seconds * 60:.6g}") if seconds > 0 else None


def throughput_rows(layout: Iterable[dict]) -> list[dict]:
    """Per (sample, backend) row plus one 'ALL' row per backend: variants / wall seconds of its scoring jobs, and
    the same with start-up (interpreter, model load, compile) and scoring (read, encode, infer, write) apart."""
    rows: list[dict[str, Any]] = []
    totals: dict[str, Any] = {}
    for job in layout:
        marks = [read_benchmark(p) for p in job["benchmarks"]]
        metrics = [scoring_seconds(p) for p in job.get("metrics", [])]
        variants = count_records(job["scored_vcf"])
        seconds = sum(m["seconds"] for m in marks)
        scoring = sum(metrics) if metrics else float("nan")
        cpu = sum(m["cpu_seconds"] for m in marks)
        rss = max((m["max_rss_mb"] for m in marks), default=float("nan"))
        row = {
            "sample": job["sample"],
            "backend": job["backend"],
            "engine": job["engine"],
            "precision": job["precision"],
            "jobs": len(marks),
            "variants": variants,
            "wall_seconds": round(seconds, 3),
            "startup_seconds": round(max(seconds - scoring, 0.0), 3),
            "scoring_seconds": round(scoring, 3),
            "cpu_seconds": round(cpu, 3),
            "max_rss_mb": round(rss, 1),
            "variants_per_min": _rate(variants, seconds),
            "scoring_variants_per_min": _rate(variants, scoring),
        }
        rows.append(row)
        t = totals.setdefault(
            job["backend"],
            {
                **row,
                "sample": "ALL",
                "jobs": 0,
                "variants": 0,
                "wall_seconds": 0.0,
                "startup_seconds": 0.0,
                "scoring_seconds": 0.0,
                "cpu_seconds": 0.0,
                "max_rss_mb": 0.0,
            },
        )
        t["jobs"] += row["jobs"]
        t["variants"] += variants
        for column in ("wall_seconds", "startup_seconds", "scoring_seconds", "cpu_seconds"):
            t[column] = round(t[column] + row[column], 3)
        t["max_rss_mb"] = max(t["max_rss_mb"], row["max_rss_mb"])
    for t in totals.values():
        t["variants_per_min"] = _rate(t["variants"], t["wall_seconds"])
        t["scoring_variants_per_min"] = _rate(t["variants"], t["scoring_seconds"])
    return rows + list(totals.values())


DIFF_COLUMNS = (
    "sample",
    "backend",
    "precision",
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
    "call_changes",
    "limits_passed",
)


def diff_rows(layout: Iterable[dict]) -> list[dict]:
    rows = []
    for job in layout:
        if not job.get("diff_json"):
            continue
        r = json.loads(Path(job["diff_json"]).read_text())
        s = r["scores"]
        rows.append(
            {
                "sample": job["sample"],
                "backend": job["backend"],
                "precision": job["precision"],
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


THROUGHPUT_COLUMNS = (
    "backend",
    "engine",
    "precision",
    "sample",
    "jobs",
    "variants",
    "wall_seconds",
    "startup_seconds",
    "scoring_seconds",
    "cpu_seconds",
    "max_rss_mb",
    "variants_per_min",
    "scoring_variants_per_min",
)


def write_summary(
    layout: list[dict], reference: str, scatter: str, out_json: str, out_html: str, out_tsv: str, out_throughput: str
) -> dict:
    diffs = diff_rows(layout)
    speed = throughput_rows(layout)
    keys = sorted({j["key"] for j in layout})
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
    }
    Path(out_json).write_text(json.dumps(summary, indent=2) + "\n")
    _write_tsv(out_tsv, diffs, DIFF_COLUMNS)
    _write_tsv(out_throughput, speed, THROUGHPUT_COLUMNS)
    Path(out_html).write_text(render_summary_html(summary, Path(out_html).parent))
    return summary


def _link(target: str | None, base: Path, text: str) -> str:
    if not target:
        return ""
    rel = os.path.relpath(Path(target).resolve(), base.resolve())
    return f'<a href="{esc(rel)}">{esc(text)}</a>'


def render_summary_html(s: dict, base: Path) -> str:
    verdict = (
        '<span class="verdict pass">all diffs within limits</span>'
        if s["all_limits_passed"]
        else '<span class="verdict fail">limits exceeded</span>'
    )
    parts = [
        f"<h1>vqsr-cnn workflow summary {verdict}</h1>",
        f'<p class="sub">{esc(s["key"])} scores of {len(s["samples"])} sample(s) with backends '
        f"{esc(', '.join(s['backends']))}; every backend diffed against {esc(s['reference_backend'])}; "
        f"scatter: {esc(s['scatter'])}.</p>",
    ]
    rows, attrs = [], []
    for d in s["diffs"]:
        rows.append(
            (
                esc(d["sample"]),
                esc(d["backend"]),
                fmt(d["matched"]),
                fmt(d["only_in_a"]),
                fmt(d["only_in_b"]),
                fmt(d["differ"]),
                fmt(d["differ_3rd_significant_digit"]),
                fmt(d["max_abs_delta"]),
                fmt(d["pearson_r"], 6),
                fmt(d["call_changes"]),
                '<span class="ok">yes</span>' if d["limits_passed"] else '<span class="bad">no</span>',
                _link(d["report_html"], base, "report"),
            )
        )
        attrs.append("" if d["limits_passed"] else ' class="chg"')
    parts.append(
        "<h2>Accuracy: each backend vs "
        + esc(s["reference_backend"])
        + "</h2>"
        + (
            table(
                (
                    "sample",
                    "backend",
                    "matched",
                    "only in ref",
                    "only in backend",
                    "differ",
                    "differ 3rd sig. digit",
                    "max |delta|",
                    "Pearson r",
                    "call changes",
                    "within limits",
                    "details",
                ),
                rows,
                attrs,
                numeric=(2, 3, 4, 5, 6, 7, 8, 9),
            )
            if rows
            else "<p>Only one backend configured: nothing to diff.</p>"
        )
    )
    speed = s["throughput"]
    totals = [t for t in speed if t["sample"] == "ALL"]
    parts.append(
        '<h2>Throughput</h2><div class="charts"><div class="panel"><h3>Scoring rate, start-up excluded '
        "(all samples)</h3>"
        + bars_svg(
            [t["backend"] for t in totals],
            [round(t["scoring_variants_per_min"] or 0) for t in totals],
            x_label="backend",
            zero_first=False,
            log=False,
            y_label="variants / minute",
        )
        + "<p>Variants / scoring seconds (read, encode, infer, write) from <code>vqsr-cnn score "
        "--metrics-json</code>, summed over shards: the steady-state rate.</p></div>"
        '<div class="panel"><h3>Start-up seconds per job (all samples)</h3>'
        + bars_svg(
            [t["backend"] for t in totals],
            [round((t["startup_seconds"] or 0) / max(t["jobs"], 1), 1) for t in totals],
            x_label="backend",
            zero_first=False,
            log=False,
            y_label="seconds",
        )
        + "<p>Wall seconds (Snakemake benchmark) minus scoring seconds: interpreter start, model load and "
        "compile, paid once per job (and per shard). Concurrent jobs share the CPU: run with "
        "--resources score_slots=1 for clean numbers.</p></div></div>"
    )
    parts.append(
        table(
            THROUGHPUT_COLUMNS,
            [[fmt(t[c]) if not isinstance(t[c], str) else esc(t[c]) for c in THROUGHPUT_COLUMNS] for t in speed],
            numeric=tuple(range(4, len(THROUGHPUT_COLUMNS))),
        )
    )
    parts.append("<footer>vqsr-cnn workflow summary; metric definitions: docs/workflow.md.</footer>")
    return page("vqsr-cnn workflow summary", "".join(parts))
