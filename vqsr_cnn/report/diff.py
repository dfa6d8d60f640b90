"""Build the diff report of two scored VCFs (the library behind `vqsr-cnn diff`)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..errors import InputError
from . import metrics, precisions, provenance, tranches
from .vcf_scores import DEFAULT_READER, INDEL, SNP, TYPE_NAMES, ScoreTable, read_scores, record_lines

# FilterVariantTranches' own defaults (--snp-tranche 99.95, --indel-tranche 99.4): the FILTER a GATK user gets.
GATK_DEFAULT_SNP_TRANCHE = 99.95
GATK_DEFAULT_INDEL_TRANCHE = 99.4


@dataclass
class DiffOptions:
    key: str = "CNN_2D"
    reader: str = DEFAULT_READER
    snp_tranches: Sequence[float] | None = None  # None: GATK's 99.9,99.95 with resources, else 99.9,99.0
    indel_tranches: Sequence[float] | None = None  # None: GATK's 99.0,99.4 with resources, else 99.5,99.0
    thresholds: Sequence[float] = ()
    resources: Sequence[str] = ()  # known-site VCFs: truth-sensitivity tranches as FilterVariantTranches
    provenance_a: dict | None = None  # `vqsr-cnn score --metrics-json` of each side
    provenance_b: dict | None = None
    requested_precision_a: str | None = None  # what each side's scoring asked for; ran = its provenance
    requested_precision_b: str | None = None
    label_a: str = "A"
    label_b: str = "B"
    max_call_changes: int | None = None
    max_abs_delta: float | None = None
    max_unmatched: int | None = None
    top: int = 10
    scatter_limit: int = 4000


@dataclass
class DiffResult:
    report: dict
    scatter: list = field(default_factory=list)  # [score A, score B, "contig:pos REF>ALT"] per drawn pair

    @property
    def passed(self) -> bool:
        return bool(self.report["limits"]["passed"])


def check_same_contigs(a: ScoreTable, b: ScoreTable) -> None:
    """Two scorings of one call set share their contigs: header ##contig lines when both have them,
    else the contigs their records use."""
    use_header = bool(a.header_contigs) and bool(b.header_contigs)
    ca = set(a.header_contigs) if use_header else set(a.contigs)
    cb = set(b.header_contigs) if use_header else set(b.contigs)
    if ca != cb:

        def few(names: set) -> str:
            s = sorted(names)
            return ", ".join(s[:5]) + (f" (+{len(s) - 5} more)" if len(s) > 5 else "") if s else "none"

        where = "header ##contig lines" if use_header else "records"
        raise InputError(
            f"{a.path} and {b.path} have different contig sets in their {where} (only in A: "
            f"{few(ca - cb)}; only in B: {few(cb - ca)}): diff two scorings of the same call set"
        )


def _type_counts(t: ScoreTable) -> dict:
    counts = np.bincount(t.vtype.astype(np.int64), minlength=len(TYPE_NAMES)) if len(t) else [0, 0, 0]
    return {name: int(c) for name, c in zip(TYPE_NAMES, counts)}


def _file_summary(t: ScoreTable, label: str) -> dict:
    return {
        "path": t.path,
        "label": label,
        "records": len(t),
        "scored": int(np.isfinite(t.score).sum()),
        "types": _type_counts(t),
        "read_seconds": round(t.seconds, 3),
    }


def _site(t: ScoreTable, i: int) -> str:
    return f"{t.contigs[t.contig[i]]}:{int(t.pos[i])} {t.ref[i]}>{t.alt[i]}"


def _clean(value: Any) -> Any:
    """NaN/inf -> None so the JSON is standard."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def filter_agreement(a: ScoreTable, b: ScoreTable, match: metrics.Match) -> dict | None:
    """PASS / filtered on both sides of the matched pairs; None unless both files carry FILTER values."""
    if not ((a.filter != ".").any() and (b.filter != ".").any()):
        return None
    fa, fb = a.filter[match.a_idx], b.filter[match.b_idx]
    pa, pb = fa == "PASS", fb == "PASS"
    return {
        "compared": int(fa.size),
        "pass_a": int(pa.sum()),
        "pass_b": int(pb.sum()),
        "a_pass_b_filtered": int((pa & ~pb).sum()),
        "a_filtered_b_pass": int((~pa & pb).sum()),
        "different_filter": int((fa != fb).sum()),
    }


def _sites(resources: Sequence[str], a: ScoreTable, b: ScoreTable) -> dict:
    return tranches.load_resources(resources, list(dict.fromkeys(a.contigs + b.contigs)))


def gatk_default_filter_changes(
    a: ScoreTable, b: ScoreTable, match: metrics.Match, sa: np.ndarray, sb: np.ndarray, sites: dict | None
) -> dict:
    """The records whose FILTER (PASS or filtered) differs between A and B at FilterVariantTranches' defaults,
    SNP 99.95 and INDEL 99.4, computed like the tranche table: truth-sensitivity cut-offs of each file from
    the resources when there are any, else quantiles of A's scores. FilterVariantTranches filters SNPs and
    indels only, so the share is over the matched SNPs and indels with both scores."""
    snp, indel = (GATK_DEFAULT_SNP_TRANCHE,), (GATK_DEFAULT_INDEL_TRANCHE,)
    if sites is not None:
        rows, changed = tranches.resource_tranche_rows(a, b, match.a_idx, match.b_idx, sa, sb, snp, indel, sites)
    else:
        rows, changed = metrics.call_change_table(a, match, sa, sb, snp, indel)
    types = a.vtype[match.a_idx]
    filterable = np.isfinite(sa) & np.isfinite(sb) & np.isin(types, (SNP, INDEL))
    compared, changes = int(filterable.sum()), int((changed & filterable).sum())
    return {
        "snp_tranche": GATK_DEFAULT_SNP_TRANCHE,
        "indel_tranche": GATK_DEFAULT_INDEL_TRANCHE,
        "mode": "resources" if sites is not None else "score_quantile",
        "compared": compared,
        "changes": changes,
        "share": changes / compared if compared else None,
        "by_type": {
            row["type"]: {
                "tranche": row["value"],
                "cutoff_a": row["cutoff"],
                "cutoff_b": row.get("cutoff_b", row["cutoff"]),
                "compared": row["compared"],
                "a_pass_b_fail": row["a_pass_b_fail"],
                "a_fail_b_pass": row["a_fail_b_pass"],
                "changes": row["changes"],
            }
            for row in rows
        },
    }


def precision_sides(opts: DiffOptions) -> dict:
    """Per side: the precision asked for and the one its metrics JSON says ran; `fell_back` names the sides
    where they differ, so a report never presents an FP32 run as the precision that was asked for."""
    sides = {}
    for side, asked, prov in (
        ("a", opts.requested_precision_a, opts.provenance_a),
        ("b", opts.requested_precision_b, opts.provenance_b),
    ):
        ran = (prov or {}).get("precision")
        fell_back = bool(asked and ran and precisions.base_precision(ran) != asked)
        sides[side] = {"requested": asked, "ran": ran, "fell_back": fell_back}
    return sides


def _provenance(opts: DiffOptions) -> dict:
    return {
        "schema_version": provenance.SCHEMA_VERSION,
        "time": provenance.utc_now(),
        "software": provenance.software(),
        "resources": [{"path": str(p), "sha256": provenance.sha256(p)} for p in opts.resources],
        "scoring_a": opts.provenance_a,
        "scoring_b": opts.provenance_b,
    }


def diff_tables(a: ScoreTable, b: ScoreTable, opts: DiffOptions) -> DiffResult:
    check_same_contigs(a, b)
    match = metrics.match_records(a, b)
    sa, sb = a.score[match.a_idx], b.score[match.b_idx]
    agreement = metrics.score_agreement(sa, sb)
    types = a.vtype[match.a_idx]
    agreement_by_type = {
        name: metrics.score_agreement(sa[types == i], sb[types == i]) for i, name in enumerate(TYPE_NAMES) if (types == i).any()
    }
    delta = metrics.score_delta(sa, sb)
    abs_delta = np.abs(delta)
    sites = _sites(opts.resources, a, b) if opts.resources else None
    if sites is not None:
        rows, changed = metrics.call_change_table(a, match, sa, sb, (), (), opts.thresholds)
        snp = opts.snp_tranches if opts.snp_tranches is not None else tranches.GATK_SNP_TRANCHES
        indel = opts.indel_tranches if opts.indel_tranches is not None else tranches.GATK_INDEL_TRANCHES
        tranche_rows, tranche_changed = tranches.resource_tranche_rows(a, b, match.a_idx, match.b_idx, sa, sb, snp, indel, sites)
        rows, changed = tranche_rows + rows, changed | tranche_changed
    else:
        snp = opts.snp_tranches if opts.snp_tranches is not None else metrics.DEFAULT_SNP_TRANCHES
        indel = opts.indel_tranches if opts.indel_tranches is not None else metrics.DEFAULT_INDEL_TRANCHES
        rows, changed = metrics.call_change_table(a, match, sa, sb, snp, indel, opts.thresholds)
    by_type = {name: int((changed & (types == i)).sum()) for i, name in enumerate(TYPE_NAMES)}

    top = metrics.top_differences(abs_delta, opts.top)
    lines_a = record_lines(a.path, match.a_idx[top])
    lines_b = record_lines(b.path, match.b_idx[top])
    top_rows = []
    for j in top.tolist():
        ia, ib = int(match.a_idx[j]), int(match.b_idx[j])
        top_rows.append(
            {
                "contig": a.contigs[a.contig[ia]],
                "pos": int(a.pos[ia]),
                "ref": str(a.ref[ia]),
                "alt": str(a.alt[ia]),
                "type": TYPE_NAMES[a.vtype[ia]],
                "score_a": float(sa[j]),
                "score_b": float(sb[j]),
                "delta": float(delta[j]),
                "changes_call": bool(changed[j]),
                "record_a": lines_a.get(ia, ""),
                "record_b": lines_b.get(ib, ""),
            }
        )

    violations = []
    if opts.max_call_changes is not None and int(changed.sum()) > opts.max_call_changes:
        violations.append(f"{int(changed.sum())} records change a call, more than --max-call-changes {opts.max_call_changes}")
    max_abs = agreement["max_abs_delta"]
    if opts.max_abs_delta is not None and max_abs is not None and max_abs > opts.max_abs_delta + 1e-9:
        violations.append(f"max |delta| {max_abs:g} exceeds --max-abs-delta {opts.max_abs_delta:g}")
    unmatched = int(match.only_a.size + match.only_b.size)
    if opts.max_unmatched is not None and unmatched > opts.max_unmatched:
        violations.append(f"{unmatched} records are only in one file, more than --max-unmatched {opts.max_unmatched}")

    report = {
        "tool": "vqsr-cnn diff",
        "version": __version__,
        "schema_version": provenance.SCHEMA_VERSION,
        "key": opts.key,
        "reader": {"name": a.reader if a.reader == b.reader else f"{a.reader} / {b.reader}"},
        "provenance": _provenance(opts),
        "a": _file_summary(a, opts.label_a),
        "b": _file_summary(b, opts.label_b),
        "matched": int(match.a_idx.size),
        "only_in_a": int(match.only_a.size),
        "only_in_b": int(match.only_b.size),
        "only_in_a_examples": [_site(a, int(i)) for i in match.only_a[:10]],
        "only_in_b_examples": [_site(b, int(i)) for i in match.only_b[:10]],
        "scores": agreement,
        "scores_by_type": agreement_by_type,
        "filters": filter_agreement(a, b, match),
        "abs_delta_histogram": metrics.delta_histogram(abs_delta),
        "tranche_mode": "resources" if opts.resources else "score_quantile",
        "thresholds": rows,
        "gatk_default_filter_changes": gatk_default_filter_changes(a, b, match, sa, sb, sites),
        "precision": precision_sides(opts),
        "call_changes": {"records": int(changed.sum()), "by_type": by_type},
        "top_differences": top_rows,
        "limits": {
            "max_call_changes": opts.max_call_changes,
            "max_abs_delta": opts.max_abs_delta,
            "max_unmatched": opts.max_unmatched,
            "violations": violations,
            "passed": not violations,
        },
    }
    drawn = metrics.scatter_sample(abs_delta, opts.scatter_limit)
    scatter = [[float(sa[j]), float(sb[j]), _site(a, int(match.a_idx[j]))] for j in drawn.tolist()]
    report["scatter_points"] = {"drawn": len(scatter), "of": agreement["compared"]}
    return DiffResult(_clean(report), scatter)


def run_diff(path_a: str | Path, path_b: str | Path, opts: DiffOptions) -> DiffResult:
    a = read_scores(path_a, opts.key, opts.reader)
    b = read_scores(path_b, opts.key, opts.reader)
    return diff_tables(a, b, opts)


def write_report(result: DiffResult, outdir: str | Path) -> tuple[Path, Path]:
    """report.json and the self-contained report.html in `outdir` (created)."""
    from .html import render_diff_html

    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out / "report.json", out / "report.html"
    json_path.write_text(json.dumps(result.report, indent=2) + "\n")
    html_path.write_text(render_diff_html(result.report, result.scatter))
    return json_path, html_path
