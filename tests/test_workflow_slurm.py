"""The workflow through a real SLURM cluster: a single-node cluster on localhost (scripts/slurm_cluster.sh:
munged, slurmctld, slurmd), snakemake-executor-plugin-slurm with workflows/profiles/slurm, the scoring jobs
submitted with sbatch and seen COMPLETED by squeue, the outputs equal to a local run's, the cluster stopped.

Needs root and Debian's slurm-wlm + munge (`scripts/slurm_cluster.sh install`; .ci/run does it). Elsewhere the
test is skipped with the reason; under VQSR_CNN_CI=1 (set by .ci/run) that skip is a failure (conftest.py).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, chr22_sheet

SCRIPT = ROOT / "scripts" / "slurm_cluster.sh"
PROFILE = ROOT / "workflows" / "profiles" / "slurm"


def _missing() -> str:
    if os.geteuid() != 0:
        return "not root: starting slurmctld/slurmd and writing /etc/slurm/slurm.conf needs root"
    for exe in ("/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged"):
        if not Path(exe).exists():
            return f"{exe} missing: run `scripts/slurm_cluster.sh install` (apt-get install slurm-wlm munge)"
    if shutil.which("sbatch") is None or shutil.which("squeue") is None:
        return "sbatch/squeue not on PATH (slurm-wlm client tools)"
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        return "snakemake-executor-plugin-slurm not installed (pip install -e .[test])"
    return ""


REASON = _missing()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(REASON), reason=REASON or "n/a")]


@pytest.fixture(scope="module")
def cluster():
    proc = subprocess.run(["bash", str(SCRIPT), "start"], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    yield
    proc = subprocess.run(["bash", str(SCRIPT), "stop"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def vcf_lines(path: Path) -> list[str]:
    import pysam

    with pysam.VariantFile(str(path)) as vf:
        return [str(r) for r in vf]


def test_workflow_runs_on_slurm(cluster, chr22_local_run, tmp_path):
    before = set(_jobs())
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(ROOT / "workflows" / "Snakefile"),
        "--directory",
        str(tmp_path),
        "--workflow-profile",
        str(PROFILE),
        "--config",
        f"samples={chr22_sheet(tmp_path)}",
        # this cluster: one 2-CPU node, no accounting daemon (so squeue, not sacct, reports job states)
        "--default-resources",
        "slurm_account=vqsrtest",
        "slurm_partition=debug",
        "runtime=30",
        "--set-threads",
        "score=1",
        "--slurm-status-command",
        "squeue",
        "--slurm-init-seconds-before-status-checks",
        "5",
        "--latency-wait",
        "10",
        "--retries",
        "0",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]

    # every scoring job the local run planned on this CPU (tensorflow, openvino, openvino-bf16 where the CPU has
    # native bf16, openvino-int8) went through sbatch and completed; diff and summary are localrules (not submitted)
    planned = json.loads((chr22_local_run / "results/summary/summary.json").read_text())["backends"]
    assert planned[:2] == ["tensorflow", "openvino"] and "openvino-int8" in planned
    jobs = {jid: (comment, state) for jid, (comment, state) in _jobs().items() if jid not in before}
    comments = sorted(c for c, _ in jobs.values())
    assert comments == sorted(f"rule_score_wildcards_chr22_normal_{b}" for b in planned), jobs
    assert {s for _, s in jobs.values()} == {"COMPLETED"}, jobs
    assert "Job 0 has been submitted with SLURM jobid" in log or "SLURM jobid" in log

    # same results as the local run: scored VCF records (bit-identical within one backend) and diff numbers
    for backend in planned:
        rel = f"results/chr22_normal/{backend}/chr22_normal.{backend}.vcf.gz"
        assert vcf_lines(tmp_path / rel) == vcf_lines(chr22_local_run / rel), backend
    for rel in ("openvino_vs_tensorflow", *(f"{b}_vs_openvino" for b in planned[2:])):
        slurm_r, local_r = (
            json.loads((w / f"results/chr22_normal/diff/{rel}/report.json").read_text()) for w in (tmp_path, chr22_local_run)
        )
        for key in ("matched", "scores", "thresholds", "call_changes", "gatk_default_filter_changes", "precision"):
            assert slurm_r[key] == local_r[key], (rel, key)


def _jobs() -> dict[str, tuple[str, str]]:
    """{job id: (comment, state)} of the jobs slurmctld still holds (finished ones for MinJobAge, 300 s)."""
    out = subprocess.run(["squeue", "-t", "all", "-h", "-o", "%i|%k|%T"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    rows = [line.split("|") for line in out.stdout.splitlines() if line.strip()]
    return {r[0]: (r[1], r[2]) for r in rows}
