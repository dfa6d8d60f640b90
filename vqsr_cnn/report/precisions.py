"""What each scoring job of a workflow run asked for and really ran, and the reduced-precision accuracy target.

BF16 and INT8 are opt-in for scoring; the workflow runs them to show their effect, each diffed against OpenVINO
FP32. A diff only measures a precision when both of its sides ran what they asked for: a BF16 request that ran
FP32 (a CPU without native bf16, a cluster node other than the host that planned the DAG) or an INT8 request that
fell back (too few records to calibrate on) is reported as such, never as a BF16 / INT8 result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from .provenance import read_provenance

# Reduced precision vs FP32: at most this share of the SNPs and indels may change FILTER at FilterVariantTranches'
# default tranches (SNP 99.95, INDEL 99.4). The project's accuracy target for BF16 and INT8.
TARGET_FILTER_SHARE = 0.005
REDUCED = ("bf16", "int8")

# The engine's one stderr line when it runs another precision than asked (vqsr_cnn/engine/runner.py)
_FELL_BACK = re.compile(r"precision (\S+) requested, (\S+) runs: (.*)$")


def base_precision(ran: str | None) -> str | None:
    """'int8 (float layers bf16)' -> 'int8'."""
    return ran.split()[0] if ran else None


def ran_precisions(metrics: Sequence[str]) -> list[str]:
    """The distinct precisions the job's metrics JSONs (one per shard) say ran, in shard order."""
    seen: dict[str, None] = {}
    for path in metrics:
        prov = read_provenance(path) or {}
        if prov.get("precision"):
            seen[str(prov["precision"])] = None
    return list(seen)


def fallback_reason(logs: Iterable[str]) -> str:
    """The engine's reason for running another precision, from the first scoring log that gives one."""
    for path in logs:
        p = Path(path)
        if not p.is_file():
            continue
        for line in p.read_text(errors="replace").splitlines():
            m = _FELL_BACK.search(line)
            if m:
                return m.group(3).strip()
    return ""


def job_precision(job: dict) -> dict:
    """{requested, ran, fell_back, reason} of one (sample, backend) job of the summary layout."""
    requested = job["precision"]
    ran = ran_precisions(job.get("metrics", []))
    fell_back = bool(ran) and any(base_precision(r) != requested for r in ran)
    return {
        "requested": requested,
        "ran": ", ".join(ran) if ran else None,
        "fell_back": fell_back,
        "reason": fallback_reason(job.get("logs", [])) if fell_back else "",
    }


def target_rows(diffs: Sequence[dict], jobs: dict[tuple[str, str], dict]) -> list[dict]:
    """One row per diff of a reduced-precision backend: its FILTER changes at GATK's default tranches and whether
    that is within TARGET_FILTER_SHARE; `measured` is False when either side did not run what it asked for."""
    rows = []
    for d in diffs:
        if d["precision"] not in REDUCED:
            continue
        own, ref = jobs[(d["sample"], d["backend"])], jobs.get((d["sample"], d["against"]), {})
        measured = not own.get("fell_back") and not ref.get("fell_back") and d["filter_change_share"] is not None
        rows.append(
            {
                "sample": d["sample"],
                "backend": d["backend"],
                "precision": d["precision"],
                "ran": own.get("ran"),
                "against": d["against"],
                "against_ran": ref.get("ran"),
                "filter_changes": d["filter_changes"],
                "filter_compared": d["filter_compared"],
                "filter_change_share": d["filter_change_share"],
                "measured": measured,
                "holds": measured and d["filter_change_share"] <= TARGET_FILTER_SHARE,
            }
        )
    return rows


def verdict(rows: Sequence[dict]) -> str:
    """'holds' when every measured row is within the target, 'missed' when one is not, 'not measured' without any."""
    measured = [r for r in rows if r["measured"]]
    if not measured:
        return "not measured"
    return "holds" if all(r["holds"] for r in measured) else "missed"
