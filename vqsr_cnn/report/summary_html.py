"""The summary page of a workflow run (self-contained HTML, as the diff pages): the accuracy table of every diff,
the reduced-precision target, the notes on skipped backends and requests that fell back, and the throughput."""

from __future__ import annotations

import os
from pathlib import Path

from . import precisions
from .html import fmt, page, share, table
from .svg import bars_svg, esc

# The throughput table (throughput.tsv and the page), one row per backend and sample
THROUGHPUT_COLUMNS = (
    "backend",
    "engine",
    "precision",
    "precision_ran",
    "sample",
    "jobs",
    "variants",
    "wall_seconds",
    "startup_seconds",
    "setup_seconds",
    "scoring_seconds",
    "cpu_seconds",
    "max_rss_mb",
    "variants_per_min",
    "steady_variants_per_min",
)


def _link(target: str | None, base: Path, text: str) -> str:
    if not target:
        return ""
    rel = os.path.relpath(Path(target).resolve(), base.resolve())
    return f'<a href="{esc(rel)}">{esc(text)}</a>'


def _precision_cell(requested: str, ran: str | None) -> str:
    """'bf16', or 'bf16 requested, fp32 ran' in red when the job ran another precision."""
    if not ran or precisions.base_precision(ran) == requested and "," not in ran:
        return esc(ran or requested)
    return f'<span class="bad">{esc(requested)} requested, {esc(ran)} ran</span>'


def _filter_cell(d: dict) -> str:
    return share(d["filter_changes"], d["filter_compared"])


def _notes(s: dict) -> list[str]:
    """Skipped backends and requests that fell back: said where the numbers are, never hidden."""
    notes = [f"<b>{esc(k['backend'])}</b> ({esc(k['precision'])}) not run: {esc(k['note'])}." for k in s.get("skipped", [])]
    notes += [
        f"<b>{esc(f['backend'])}</b> on {esc(f['sample'])}: {esc(f['requested'])} requested, {esc(f['ran'])} ran"
        + (f" ({esc(f['reason'])})" if f.get("reason") else "")
        + f": its rows are not a measurement of {esc(f['requested'])}."
        for f in s.get("fell_back", [])
    ]
    return notes


TARGET_BADGE = {
    "holds": '<span class="verdict pass">reduced-precision target holds</span>',
    "missed": '<span class="verdict fail">reduced-precision target missed</span>',
    "not measured": "",
}


def _accuracy_table(s: dict, base: Path) -> str:
    rows, attrs = [], []
    for d in s["diffs"]:
        rows.append(
            (
                esc(d["sample"]),
                esc(d["backend"]),
                esc(d.get("against") or s["reference_backend"]),
                _precision_cell(d["precision"], d.get("precision_ran")),
                fmt(d["matched"]),
                fmt(d["differ"]),
                fmt(d["differ_3rd_significant_digit"]),
                fmt(d["max_abs_delta"]),
                fmt(d["pearson_r"], 6),
                _filter_cell(d),
                fmt(d["call_changes"]),
                '<span class="ok">yes</span>' if d["limits_passed"] else '<span class="bad">no</span>',
                _link(d["report_html"], base, "report"),
            )
        )
        attrs.append("" if d["limits_passed"] else ' class="chg"')
    if not rows:
        return "<p>Only one backend ran: nothing to diff.</p>"
    return (
        table(
            (
                "sample",
                "backend",
                "against",
                "precision",
                "matched",
                "differ at 3rd decimal",
                "differ 3rd sig. digit",
                "max |delta|",
                "Pearson r",
                "FILTER changes at SNP 99.95 / INDEL 99.4",
                "call changes (configured cut-offs)",
                "within limits",
                "details",
            ),
            rows,
            attrs,
            numeric=(4, 5, 6, 7, 8, 9, 10),
        )
        + "<p class=sub><i>differ at 3rd decimal</i>: records whose score, written with 3 decimals as in the VCF, "
        "differs. <i>FILTER changes</i>: SNPs and indels PASS in one file and filtered in the other at "
        "FilterVariantTranches' default tranches (SNP 99.95, INDEL 99.4), with their share of the matched SNPs "
        "and indels; truth-sensitivity cut-offs from the sample's resource VCFs, else quantiles of the compared "
        "backend's scores (see each report).</p>"
    )


def _target_section(s: dict) -> str:
    rp = s["reduced_precision"]
    limit = f"{100 * rp['target_filter_change_share']:g}%"
    rows = [
        (
            esc(r["sample"]),
            esc(r["backend"]),
            _precision_cell(r["precision"], r["ran"]),
            esc(f"{r['against']} ({r['against_ran'] or 'n/a'})"),
            share(r["filter_changes"], r["filter_compared"]),
            ('<span class="ok">yes</span>' if r["holds"] else '<span class="bad">no</span>')
            if r["measured"]
            else '<span class="bad">not measured</span>',
        )
        for r in rp["rows"]
    ]
    verdict = {
        "holds": f'<span class="ok">holds</span> for every measured diff (≤ {limit})',
        "missed": f'<span class="bad">missed</span>: a diff changes the FILTER of more than {limit}',
        "not measured": '<span class="bad">not measured</span>: no BF16 / INT8 scoring ran as asked',
    }[rp["verdict"]]
    return (
        "<h2>Reduced precision (BF16, INT8) vs OpenVINO FP32</h2>"
        "<p class=sub>BF16 and INT8 are opt-in for scoring (FP32 is the default); the workflow runs them to show "
        f"what they do. Target: at most {limit} of the SNPs and indels change FILTER at GATK's default tranches "
        f"(SNP 99.95, INDEL 99.4) against OpenVINO FP32. This run: {verdict}.</p>"
        + (
            table(("sample", "backend", "precision", "against (ran)", "FILTER changes", f"≤ {limit}"), rows, numeric=(4,))
            if rows
            else "<p>No BF16 / INT8 backend ran.</p>"
        )
    )


def _throughput_section(s: dict) -> str:
    speed = s["throughput"]
    panels = []
    for sample in s["samples"]:
        mine = [t for t in speed if t["sample"] == sample]
        key = s["keys"].get(sample, "")
        panels.append(
            f'<div class="panel"><h3>{esc(sample)} ({esc(key)}): steady scoring rate</h3>'
            + bars_svg(
                [t["backend"] for t in mine],
                [round(t["steady_variants_per_min"] or 0) for t in mine],
                x_label="backend",
                zero_first=False,
                log=False,
                y_label="variants / minute",
            )
            + "<p>Variants / streaming seconds (read, encode, infer, write), from <code>vqsr-cnn score "
            "--metrics-json</code>; engine set-up is not in it.</p></div>"
            f'<div class="panel"><h3>{esc(sample)}: start-up seconds per job</h3>'
            + bars_svg(
                [t["backend"] for t in mine],
                [round((t["startup_seconds"] or 0) / max(t["jobs"], 1), 1) for t in mine],
                x_label="backend",
                zero_first=False,
                log=False,
                y_label="seconds",
            )
            + "<p>Wall (Snakemake benchmark) minus streaming: interpreter start and imports, and the engine set-up "
            "(<i>setup_seconds</i>: model load, freeze, compile, exact-rows height proofs, INT8 calibration).</p></div>"
        )
    return (
        "<h2>Throughput</h2><p class=sub>Compare backends on <i>steady_variants_per_min</i>. Concurrent jobs share "
        "the CPU: run with --resources score_slots=1 for clean numbers.</p>"
        f'<div class="charts">{"".join(panels)}</div><div class="scroll">'
        + table(
            THROUGHPUT_COLUMNS,
            [[fmt(t[c]) if not isinstance(t[c], str) else esc(t[c]) for c in THROUGHPUT_COLUMNS] for t in speed],
            numeric=tuple(range(5, len(THROUGHPUT_COLUMNS))),
        )
        + "</div>"
    )


def render_summary_html(s: dict, base: Path) -> str:
    verdict = (
        '<span class="verdict pass">all diffs within limits</span>'
        if s["all_limits_passed"]
        else '<span class="verdict fail">limits exceeded</span>'
    )
    cpu = f" CPU: {esc(s['cpu'])}." if s.get("cpu") else ""
    parts = [
        f"<h1>vqsr-cnn workflow summary {verdict}{TARGET_BADGE[s['reduced_precision']['verdict']]}</h1>",
        f'<p class="sub">{esc(s["key"])} scores of {len(s["samples"])} sample(s) with backends '
        f"{esc(', '.join(s['backends']))}; each diffed against its <i>against</i> backend (default "
        f"{esc(s['reference_backend'])}); scatter: {esc(s['scatter'])}.{cpu}</p>",
    ]
    parts += [f'<p class="bad">{note}</p>' for note in _notes(s)]
    parts.append("<h2>Accuracy: each backend vs the backend it is compared with</h2>" + _accuracy_table(s, base))
    parts.append(_target_section(s))
    parts.append(_throughput_section(s))
    parts.append("<footer>vqsr-cnn workflow summary; metric definitions: docs/workflow.md.</footer>")
    return page("vqsr-cnn workflow summary", "".join(parts))
