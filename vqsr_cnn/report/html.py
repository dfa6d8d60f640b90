"""Self-contained HTML for diff and summary reports: inline CSS, inline SVG charts, a few lines of inline JS.

Nothing is fetched from the network, so the page opens the same on an air-gapped cluster and in CI artefacts.
Charts are drawn server-side as SVG (they render without JS); the JS only links table rows to chart points.

(Over 300 lines: about 60 of them are the inline CSS and JS the self-contained page needs; the charts live in
:mod:`.svg`.)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

from .svg import bars_svg, esc, scatter_svg

CSS = """
:root { --fg:#1d2733; --muted:#5b6b7c; --line:#d5dde6; --ok:#1b7f3b; --bad:#b42318; --accent:#2563eb; --hi:#f59e0b; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0;
       background: #f6f8fa; }
main { max-width: 1180px; margin: 0 auto; padding: 20px 24px 40px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 26px 0 8px; }
.sub { color: var(--muted); margin: 0 0 14px; word-break: break-all; }
.verdict { display: inline-block; padding: 3px 12px; border-radius: 14px; font-size: 14px; font-weight: 600;
           color: #fff; vertical-align: middle; margin-left: 8px; }
.verdict.pass { background: var(--ok); } .verdict.fail { background: var(--bad); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; margin: 14px 0; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card b { display: block; font-size: 20px; } .card span { color: var(--muted); font-size: 12px; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px; }
.panel h3 { font-size: 14px; margin: 0 0 6px; } .panel p { color: var(--muted); font-size: 12px; margin: 4px 0 0; }
svg { width: 100%; height: auto; display: block; }
svg text { font-size: 11px; fill: var(--muted); }
svg .pt { fill: var(--accent); fill-opacity: .45; } svg .pt.d { fill: var(--bad); fill-opacity: .9; }
svg .pt.hi { fill: var(--hi); fill-opacity: 1; stroke: #000; stroke-width: 1.5; }
svg .bar { fill: var(--accent); } svg .bar.z { fill: var(--ok); }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
table.narrow { width: auto; min-width: 520px; }
th { background: #eef2f6; font-weight: 600; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.chg td { background: #fff4e5; } tr.sel td { background: #fde68a; }
code, .rec { font: 12px/1.35 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.rec { white-space: pre-wrap; word-break: break-all; display: block; color: #334; font-size: 11px; }
.rec mark { background: #fde68a; color: #000; }
.bad { color: var(--bad); font-weight: 600; } .ok { color: var(--ok); font-weight: 600; }
footer { color: var(--muted); font-size: 12px; margin-top: 24px; }
.scroll { overflow-x: auto; }
@media (max-width: 860px) { .charts { grid-template-columns: 1fr; } }
"""

# Display labels of metrics.DELTA_BIN_LABELS, short enough not to collide under the bars.
SHORT_BIN_LABELS = ("0", "≤ 0.001", "≤ 0.01", "≤ 0.1", "≤ 1", "≤ 10", "> 10")

JS = """
(function () {
  var pts = {};
  document.querySelectorAll('svg .pt[data-site]').forEach(function (c) { pts[c.getAttribute('data-site')] = c; });
  document.querySelectorAll('tr[data-site]').forEach(function (row) {
    var c = pts[row.getAttribute('data-site')];
    if (!c) { return; }
    row.addEventListener('mouseenter', function () { c.classList.add('hi'); row.classList.add('sel'); });
    row.addEventListener('mouseleave', function () { c.classList.remove('hi'); row.classList.remove('sel'); });
  });
  document.body.setAttribute('data-js', 'ok');  // lets scripts/screenshot_report.sh check the script ran
})();
"""


def fmt(value: object, digits: int = 4) -> str:
    """Numbers for humans: ints with separators, floats to `digits` significant digits, None as 'n/a'."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "n/a"
        return f"{value:.{digits}g}" if value != 0 else "0"
    return esc(value)


def mark_key(record: str, key: str) -> str:
    """Escaped VCF line with `key=value` highlighted."""
    out = esc(record)
    return re.sub(rf"(?<![A-Za-z0-9_]){re.escape(key)}=[^;\t]*", lambda m: f"<mark>{m.group(0)}</mark>", out)


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    row_attrs: Sequence[str] | None = None,
    numeric: Sequence[int] = (),
    cls: str = "",
) -> str:
    """Cells are already-escaped HTML; `numeric` column indexes are right-aligned."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        attrs = row_attrs[i] if row_attrs else ""
        cells = "".join(f'<td class="n">{c}</td>' if j in numeric else f"<td>{c}</td>" for j, c in enumerate(row))
        body.append(f"<tr{attrs}>{cells}</tr>")
    klass = f' class="{cls}"' if cls else ""
    return f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>{body}</main>"
        f"<script>{JS}</script></body></html>\n"
    )


def file_name(path: str | None) -> str:
    return (path or "").rsplit("/", 1)[-1]


def share(part: int | None, whole: int | None) -> str:
    """'3 of 1,752 (0.17%)'; 'n/a' without a whole."""
    if not whole or part is None:
        return "n/a"
    return f"{part:,} of {whole:,} ({100.0 * part / whole:.2f}%)"


def gatk_filter_label(g: dict) -> str:
    return f"FILTER changes at SNP {g['snp_tranche']:g} / INDEL {g['indel_tranche']:g}"


def fell_back_notes(r: dict) -> list[str]:
    """One sentence per side whose scoring ran another precision than it asked for."""
    notes = []
    for side, label in (("a", r["a"]["label"]), ("b", r["b"]["label"])):
        p = (r.get("precision") or {}).get(side) or {}
        if p.get("fell_back"):
            notes.append(
                f"{label}: {p['requested']} was requested but {p['ran']} ran (its scoring log says why): these numbers "
                f"are not a measurement of {p['requested']}."
            )
    return notes


def _gatk_filter_section(g: dict, la: str, lb: str) -> str:
    how = (
        "each file's own truth-sensitivity cut-offs from the resource VCFs, as FilterVariantTranches run on it would set"
        if g["mode"] == "resources"
        else f"no resources: cut-off = the quantile of {esc(la)}'s scores (same cut-off for both files), not "
        "FilterVariantTranches' own cut-off"
    )
    rows = [
        (
            esc(name),
            f"{fmt(t['tranche'])}%",
            f"{fmt(t['cutoff_a'])} / {fmt(t['cutoff_b'])}",
            fmt(t["compared"]),
            fmt(t["a_pass_b_fail"]),
            fmt(t["a_fail_b_pass"]),
            f'<span class="{"bad" if t["changes"] else "ok"}">{fmt(t["changes"])}</span>',
        )
        for name, t in g["by_type"].items()
    ]
    return (
        f"<h2>{esc(gatk_filter_label(g))} (FilterVariantTranches' defaults)</h2>"
        f"<p class=sub>Records that are PASS in one file and filtered in the other at GATK's default tranches: "
        f"<b>{share(g['changes'], g['compared'])}</b> of the matched SNPs and indels (FilterVariantTranches filters "
        f"no other type). Cut-offs: {how}.</p>"
        + table(
            (
                "type",
                "tranche",
                "cut-off (A / B)",
                "compared",
                f"PASS in {la}, filtered in {lb}",
                f"filtered in {la}, PASS in {lb}",
                "changes",
            ),
            rows,
            numeric=(3, 4, 5, 6),
            cls="narrow",
        )
    )


def render_diff_html(r: dict, scatter: Sequence[Sequence]) -> str:
    """The diff report page from the report dict (the same one written to report.json)."""
    a, b, s = r["a"], r["b"], r["scores"]
    la, lb = a["label"], b["label"]
    ok = r["limits"]["passed"]
    verdict = '<span class="verdict pass">within limits</span>' if ok else '<span class="verdict fail">limits exceeded</span>'
    g = r.get("gatk_default_filter_changes")
    cards = [
        (fmt(r["matched"]), "matched records"),
        (fmt(s["differ"]), "scores differ at all (3-decimal text)"),
        (fmt(s["differ_3rd_significant_digit"]), "differ in 3rd significant digit"),
        (fmt(s["max_abs_delta"]), "max |delta|"),
        (fmt(r["call_changes"]["records"]), "records changing a call"),
        (fmt(s["pearson_r"], 6), "Pearson r"),
    ]
    if g:
        pct = "n/a" if g["share"] is None else f"{100.0 * g['share']:.2f}%"
        cards.insert(5, (f"{fmt(g['changes'])} ({pct})", gatk_filter_label(g)))
    parts = [
        f"<h1>{esc(r['key'])} diff: {esc(la)} vs {esc(lb)} {verdict}</h1>",
        f'<p class="sub">A = {esc(a["path"])}<br>B = {esc(b["path"])}</p>',
    ]
    for note in fell_back_notes(r):
        parts.append(f'<p class="bad">{esc(note)}</p>')
    parts.append(
        '<div class="cards">' + "".join(f"<div class=card><b>{v}</b><span>{esc(t)}</span></div>" for v, t in cards) + "</div>"
    )
    for v in r["limits"]["violations"]:
        parts.append(f'<p class="bad">{esc(v)}</p>')

    hist = r["abs_delta_histogram"]
    drawn = r["scatter_points"]
    sample_note = (
        "all pairs drawn"
        if drawn["drawn"] >= (drawn["of"] or 0)
        else f"{drawn['drawn']:,} of {drawn['of']:,} pairs drawn: every differing pair (up to half), the rest evenly spaced"
    )
    parts.append(
        '<div class="charts"><div class="panel"><h3>Score A vs score B</h3>'
        + scatter_svg(scatter, f"{la} {r['key']}", f"{lb} {r['key']}")
        + f"<p>Red: the pair differs; dashed: y = x. {esc(sample_note)}.</p></div>"
        + '<div class="panel"><h3>|delta| = |B &minus; A| histogram</h3>'
        + bars_svg(
            SHORT_BIN_LABELS, hist["counts"], x_label="|delta| bins (previous bound, shown bound]; 0.001 = one 3-decimal step"
        )
        + "<p>Green: identical scores.</p></div></div>"
    )

    metric_rows = [
        ("records in A", fmt(a["records"])),
        ("records in B", fmt(b["records"])),
        ("scored records in A / B", f"{fmt(a['scored'])} / {fmt(b['scored'])}"),
        ("SNP / INDEL / OTHER in A", " / ".join(fmt(a["types"][t]) for t in ("SNP", "INDEL", "OTHER"))),
        ("matched (contig, pos, REF, ALT)", fmt(r["matched"])),
        ("only in A", fmt(r["only_in_a"])),
        ("only in B", fmt(r["only_in_b"])),
        ("matched pairs with both scores", fmt(s["compared"])),
        ("matched, score missing in A / B", f"{fmt(s['missing_in_a'])} / {fmt(s['missing_in_b'])}"),
        ("scores that differ at all", fmt(s["differ"])),
        ("scores that differ in the 3rd significant digit", fmt(s["differ_3rd_significant_digit"])),
        ("max |delta|", fmt(s["max_abs_delta"])),
        ("mean |delta|", fmt(s["mean_abs_delta"])),
        ("Pearson r", fmt(s["pearson_r"], 8)),
        ("records changing a call (any cut-off)", fmt(r["call_changes"]["records"])),
    ]
    parts.append("<h2>Metrics</h2>" + table(("metric", "value"), metric_rows, numeric=(1,), cls="narrow"))

    by_type = r.get("scores_by_type") or {}
    if by_type:
        type_rows = [
            (
                esc(name),
                fmt(v["compared"]),
                fmt(v["differ"]),
                fmt(v["differ_3rd_significant_digit"]),
                fmt(v["max_abs_delta"]),
                fmt(v["mean_abs_delta"]),
                fmt(v["pearson_r"], 6),
            )
            for name, v in by_type.items()
        ]
        parts.append(
            "<h2>|delta| by variant type</h2>"
            + table(
                ("type", "compared", "differ", "differ 3rd sig. digit", "max |delta|", "mean |delta|", "Pearson r"),
                type_rows,
                numeric=(1, 2, 3, 4, 5, 6),
                cls="narrow",
            )
        )
    if g:
        parts.append(_gatk_filter_section(g, la, lb))
    flt = r.get("filters")
    if flt:
        parts.append(
            "<h2>FILTER column as written in the two files</h2>"
            + table(
                ("metric", "value"),
                [
                    ("matched pairs", fmt(flt["compared"])),
                    (f"PASS in {la} / {lb}", f"{fmt(flt['pass_a'])} / {fmt(flt['pass_b'])}"),
                    (f"PASS in {la}, filtered in {lb}", fmt(flt["a_pass_b_filtered"])),
                    (f"filtered in {la}, PASS in {lb}", fmt(flt["a_filtered_b_pass"])),
                    ("FILTER column differs", fmt(flt["different_filter"])),
                ],
                numeric=(1,),
                cls="narrow",
            )
        )

    th_rows, th_attrs = [], []
    resource_mode = r.get("tranche_mode") == "resources"
    for t in r["thresholds"]:
        if t["kind"] == "resource_tranche":
            name = f"truth sensitivity {t['value']:g}%"
            cut = f"{fmt(t['cutoff'])} / {fmt(t['cutoff_b'])}"
            known = f"{fmt(t['resource_a'])} / {fmt(t['resource_b'])}"
        else:
            name = f"tranche {t['value']:.1f}% of A's scores" if t["kind"] == "tranche" else f"threshold {t['value']:g}"
            cut, known = fmt(t["cutoff"]), ""
        th_rows.append(
            (
                esc(t["type"]),
                esc(name),
                cut,
                known,
                fmt(t["a_records"]),
                fmt(t["compared"]),
                fmt(t["a_pass_b_fail"]),
                fmt(t["a_fail_b_pass"]),
                f'<span class="{"bad" if t["changes"] else "ok"}">{fmt(t["changes"])}</span>',
            )
        )
        th_attrs.append(' class="chg"' if t["changes"] else "")
    how = (
        "Truth-sensitivity tranches as GATK FilterVariantTranches computes them from the resource VCFs: the "
        "scores of the records that a resource record overlaps with a shared ALT, sorted descending, taken at "
        "index floor(t/100 &times; (n &minus; 1)); a record passes when score &gt; cut-off. Each side uses its "
        "own cut-off (A / B)."
        if resource_mode
        else "No --resource given: tranche cut-off = A's score at rank floor(n &times; (100 &minus; t) / 100) of A's n "
        "scores of that type, ascending (a quantile, not FilterVariantTranches' cut-off); a record passes when "
        "score &ge; cut-off."
    )
    parts.append(
        f"<h2>Call changes at filtering cut-offs</h2><p class=sub>{how}</p>"
        + table(
            (
                "type",
                "cut-off",
                "score (A / B)",
                "in resources (A / B)",
                "records in A",
                "compared",
                f"pass in {la}, fail in {lb}",
                f"fail in {la}, pass in {lb}",
                "changes",
            ),
            th_rows,
            th_attrs,
            numeric=(2, 3, 4, 5, 6, 7, 8),
        )
    )

    top_rows, top_attrs = [], []
    for t in r["top_differences"]:
        site = f"{t['contig']}:{t['pos']} {t['ref']}>{t['alt']}"
        top_rows.append(
            (
                f"<code>{esc(site)}</code>",
                esc(t["type"]),
                fmt(t["score_a"]),
                fmt(t["score_b"]),
                fmt(t["delta"]),
                fmt(t["changes_call"]),
                f'<span class="rec">A: {mark_key(t["record_a"], r["key"])}\nB: {mark_key(t["record_b"], r["key"])}</span>',
            )
        )
        top_attrs.append(f' data-site="{esc(site)}"' + (' class="chg"' if t["changes_call"] else ""))
    parts.append(
        f"<h2>Largest differences ({len(top_rows)})</h2>"
        + (
            table(("site", "type", la, lb, "delta", "changes a call", "records"), top_rows, top_attrs, numeric=(2, 3, 4))
            if top_rows
            else "<p>No score differs.</p>"
        )
    )

    for side, key in ((la, "only_in_a"), (lb, "only_in_b")):
        if r[key]:
            ex = ", ".join(f"<code>{esc(x)}</code>" for x in r[f"{key}_examples"])
            parts.append(f"<h2>Only in {esc(side)} ({fmt(r[key])})</h2><p>{ex}{' &hellip;' if r[key] > 10 else ''}</p>")
    prov = r.get("provenance") or {}
    prov_rows = []
    for side, key in ((la, "scoring_a"), (lb, "scoring_b")):
        s_ = prov.get(key)
        if s_:
            model = s_.get("model", {})
            engines = ", ".join(f"{k} {v}" for k, v in s_.get("software", {}).get("engines", {}).items())
            prov_rows.append(
                (
                    esc(side),
                    esc(f"{s_.get('backend')} {s_.get('precision')}"),
                    esc(s_.get("tensor_type")),
                    f"<code>{esc(file_name(model.get('weights')))}</code> "
                    f"<code>{esc((model.get('weights_sha256') or '')[:12])}</code>",
                    esc(engines),
                    esc(s_.get("time")),
                )
            )
    if prov_rows:
        parts.append(
            "<h2>Provenance</h2>"
            + table(("side", "backend, precision", "tensor type", "weights (sha256)", "engines", "scored at"), prov_rows)
        )
    parts.append(
        f"<footer>{esc(r['tool'])} {esc(r['version'])} (report schema {esc(r.get('schema_version'))}); "
        f"VCF reader: {esc(r['reader']['name'])}. Metric definitions: docs/workflow.md.</footer>"
    )
    return page(f"{r['key']} diff {la} vs {lb}", "".join(parts))
