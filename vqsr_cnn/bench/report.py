"""The bench's report: per-row rates, ratios to the baseline and the Intel-patch peer, model GFLOP/s and % of the
limit of the precision that ran (`limits.py`), and the printed tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .limits import Limit, resolve_limits, row_gflops
from .timing import Row


def summarise(rows: Sequence[Row], flops: float) -> tuple[list[dict[str, Any]], dict[str, Limit]]:
    """Per row: variants/s, ratios, model GFLOP/s and % of its precision's limit; and the limits themselves.

    Limit probes are reported in variants/s of this model too (their best round's FLOP/s over its dense FLOPs per
    variant)."""
    limits = resolve_limits(rows)
    baseline = next((r.variants / r.median for r in rows if r.kind == "baseline" and r.times), float("nan"))
    peer = next((r.variants / r.median for r in rows if r.kind == "peer" and r.times), None)  # the Intel patch
    out = []
    for r in rows:
        entry: dict[str, Any] = {
            "name": r.name,
            "kind": r.kind,
            "precision": r.precision,
            "note": r.note,
            "times_s": [round(t, 4) for t in r.times],
            "peak_rss_mb": round(r.peak_rss_mb, 1),
            "rss_growth_mb": round(r.rss_growth_mb, 1),
        }
        if r.error:
            entry["error"] = r.error
        gflops = row_gflops(r)
        if r.times:
            vps = (gflops or 0.0) * 1e9 / flops if r.kind == "limit" else r.variants / r.median
            entry["variants_per_s"] = vps
            entry["ratio_to_baseline"] = vps / baseline
            if peer is not None and r.kind != "limit":
                entry["ratio_to_intel_patch"] = vps / peer
        if gflops is not None:
            entry["gflops"] = gflops
            if r.kind != "limit":
                entry["flops_per_variant"] = r.flops_per_variant
        limit = limits.get(r.precision)
        if gflops is not None and r.kind in ("engine", "end-to-end") and limit is not None:
            entry["pct_of_limit"] = 100.0 * gflops / limit.gflops
            entry["limit_used"] = r.precision
        out.append(entry)
    return out, limits


def limits_json(limits: dict[str, Limit]) -> dict[str, Any]:
    return {
        p: {"gflops": x.gflops, "set_by": x.source, "raised_by_row": x.raised_by, "probes": x.probes} for p, x in limits.items()
    }


def _limit_lines(limits: dict[str, Limit], flops: float, gap: str, width: int) -> list[str]:
    """One line per precision: its limit in variants/s of the dense model and in model GFLOP/s, and what set it."""
    lines = []
    for x in limits.values():
        name = f"limit: {x.precision.upper()} " + (
            "(raised: no probe reached a row)" if x.raised_by else f"(best of {len(x.probes)} probes)"
        )
        lines.append(f"{name:<{width}} {x.gflops * 1e9 / flops:9.1f} {'':>7}{gap} {x.gflops:7.0f} {'':>7}  {x.source}")
    return lines


def format_table(label: str, results: list[dict[str, Any]], header: str, limits: dict[str, Limit], flops: float) -> str:
    """One line per timed row (limit probes folded into one line per precision); an `x Intel` column (ratio to
    the Intel-patch peer row) when that row was timed."""
    intel = any("ratio_to_intel_patch" in e for e in results)
    gap = " " * 8 if intel else ""
    width = max([48] + [len(e["name"]) for e in results if e["kind"] != "limit"])
    lines = [
        f"{label}: {header}",
        f"{'row':<{width}} {'var/s':>9} {'x base':>7}{' x Intel' if intel else ''} {'GF/s':>7} {'% limit':>7} "
        f"{'peak RSS':>9} {'+RSS':>7}  spread",
    ]
    for e in results:
        if e["kind"] == "limit" and "error" not in e:
            continue
        if "variants_per_s" not in e:
            lines.append(f"{e['name']:<{width}} {'-':>9} {'':>7}{gap} {'':>7} {'':>7} {'':>9}  {e.get('error', 'no timing')}")
            continue
        gflops = f"{e['gflops']:7.0f}" if "gflops" in e else f"{'':>7}"
        pct = f"{e['pct_of_limit']:6.0f}%" if "pct_of_limit" in e else f"{'':>7}"
        to_intel = (f" {e['ratio_to_intel_patch']:7.2f}" if "ratio_to_intel_patch" in e else gap) if intel else ""
        times = e["times_s"]
        lines.append(
            f"{e['name']:<{width}} {e['variants_per_s']:9.1f} {e['ratio_to_baseline']:7.2f}{to_intel} {gflops} {pct} "
            f"{e['peak_rss_mb']:7.0f}MB {e['rss_growth_mb']:5.0f}MB  {min(times):.2f}-{max(times):.2f}s"
        )
    lines.extend(_limit_lines(limits, flops, gap, width))
    return "\n".join(lines)


def format_accuracy(label: str, acc: dict[str, Any]) -> str:
    lines = [
        f"{label} accuracy vs OpenVINO FP32 on {acc['tensors']} labelled valid tensors ({acc['labels']})",
        f"{'precision':<16} {'max|d|':>8} {'p99|d|':>8} {'crossed any':>12} {'worst thr':>10} {'AUC fp32':>9} {'dAUC':>8}",
    ]
    for key in ("tensorflow_fp32", "bf16", "int8"):
        r = acc.get(key, {})
        if "skipped" in r:
            lines.append(f"{key:<16} skipped: {r['skipped']}")
            continue
        lines.append(
            f"{key:<16} {r['max_abs_delta']:8.4f} {r['p99_abs_delta']:8.4f} "
            f"{r['crossed_any']:5d} ({100 * r['crossed_any_share']:4.1f}%) {100 * r['max_share_one_threshold']:9.2f}% "
            f"{r['auc_fp32']:9.4f} {r['auc_change']:+8.4f}"
        )
    return "\n".join(lines)
