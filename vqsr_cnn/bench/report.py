"""The bench's report: per-row rates, ratios to the baseline and % of the GEMM limit, the printed tables, and
the machine the run was on."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from typing import Any

from .timing import Row


def summarise(rows: Sequence[Row], flops: float) -> list[dict[str, Any]]:
    """Variants/s, ratio to baseline and % of the matching limit for every row."""
    limits: dict[str, float] = {}  # the best GEMM of each precision is the limit
    for r in rows:
        if r.kind == "limit" and r.times:
            limits[r.precision] = max(limits.get(r.precision, 0.0), r.flops / r.median / flops)
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
        if r.times:
            vps = (r.flops / r.median / flops) if r.kind == "limit" else r.variants / r.median
            entry["variants_per_s"] = vps
            entry["ratio_to_baseline"] = vps / baseline
            if peer is not None and r.kind != "limit":
                entry["ratio_to_intel_patch"] = vps / peer
            if r.kind == "limit":
                entry["gflops"] = r.flops / r.median / 1e9
            elif r.kind in ("engine", "end-to-end"):
                limit = limits.get("bf16" if r.precision == "bf16" else "fp32")
                entry["pct_of_limit"] = 100.0 * vps / limit if limit else None
                entry["limit_used"] = "bf16" if r.precision == "bf16" else "fp32"
        out.append(entry)
    return out


def format_table(label: str, results: list[dict[str, Any]], header: str) -> str:
    """One line per row; an `x Intel` column (ratio to the Intel-patch peer row) when that row was timed."""
    intel = any("ratio_to_intel_patch" in e for e in results)
    lines = [
        f"{label}: {header}",
        f"{'row':<62} {'var/s':>9} {'x base':>7}{' x Intel' if intel else ''} {'% limit':>8} {'peak RSS':>9} {'+RSS':>7}  spread",
    ]
    for e in results:
        if "variants_per_s" not in e:
            lines.append(
                f"{e['name']:<62} {'-':>9} {'':>7}{' ' * 8 if intel else ''} {'':>8} {'':>9}  {e.get('error', 'no timing')}"
            )
            continue
        pct = e.get("pct_of_limit")
        pct_text = f"{pct:7.0f}%" if pct is not None else f"{'':>8}"
        if e["kind"] == "limit":
            pct_text = f"{e['gflops']:5.0f} GF"
        times = e["times_s"]
        spread = f"{min(times):.2f}-{max(times):.2f}s" if times else ""
        to_intel = (f" {e['ratio_to_intel_patch']:7.2f}" if "ratio_to_intel_patch" in e else " " * 8) if intel else ""
        lines.append(
            f"{e['name']:<62} {e['variants_per_s']:9.1f} {e['ratio_to_baseline']:7.2f}{to_intel} {pct_text:>8} "
            f"{e['peak_rss_mb']:7.0f}MB {e['rss_growth_mb']:5.0f}MB  {spread}"
        )
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


def loadavg() -> list[float] | None:
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def machine_info(threads: int) -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cpus_visible": os.cpu_count(),
        "threads": threads,
        "python": platform.python_version(),
        "loadavg_start": loadavg(),
    }
