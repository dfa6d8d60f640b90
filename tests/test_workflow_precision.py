"""Which backends the workflow runs on which CPU: BF16 only where OpenVINO has native bf16 (skipped with a visible
note elsewhere), INT8 everywhere; decided when the DAG is built, from the engine's `cpu_info()` and precision
decision. Other CPUs are faked by replacing `cpu_info()` in the Snakemake process (the scoring jobs still run on
this machine, so a faked run only scores FP32)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SNAKEFILE, chr22_sheet, run_workflow

from vqsr_cnn.engine.cpu import CpuInfo
from vqsr_cnn.engine.precision import decide
from vqsr_cnn.report import precisions
from vqsr_cnn.report.summary import diff_rows

sys.path.insert(0, str(ROOT / "workflows" / "scripts"))
from precision_plan import plan_backends

AVX2 = CpuInfo("AMD EPYC 7B13 (faked)", ("avx2",), ("FP32", "INT8", "BIN", "EXPORT_IMPORT"), "openvino")
AMX = CpuInfo(
    "Intel Xeon (faked)",
    ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8"),
    ("BF16", "WINOGRAD", "FP32", "FP16", "INT8", "BIN", "EXPORT_IMPORT"),
    "openvino",
)


def default_backends() -> dict[str, dict]:
    config = yaml.safe_load((ROOT / "workflows" / "config" / "config.yaml").read_text())
    return {b["name"]: b for b in config["backends"]}


def plan(backends: dict, cpu: CpuInfo, reference: str = "tensorflow"):
    return plan_backends(backends, reference, cpu=lambda: cpu, decide=decide)


def test_default_backends_on_amx_and_avx2():
    run, skipped = plan(default_backends(), AMX)
    assert (run, skipped) == (["tensorflow", "openvino", "openvino-bf16", "openvino-int8"], [])
    run, skipped = plan(default_backends(), AVX2)
    assert run == ["tensorflow", "openvino", "openvino-int8"]  # INT8 runs on AVX2 (VNNI not needed)
    (skip,) = skipped
    assert (skip.backend, skip.precision) == ("openvino-bf16", "bf16")
    assert skip.note.startswith("bf16 on openvino does not run here: this CPU has no native bf16")
    assert "AMD EPYC 7B13 (faked)" in skip.note and "FP32,INT8" in skip.note


def test_other_requests_that_would_not_run_as_asked_are_skipped():
    backends = {
        "tensorflow": {"backend": "tensorflow"},
        "tf-bf16": {"backend": "tensorflow", "precision": "bf16"},
        "ovtf-int8": {"backend": "openvino-tensorflow", "precision": "int8"},
        "openvino-bf16": {"backend": "openvino", "precision": "bf16"},
        "after-bf16": {"backend": "openvino", "precision": "int8", "against": "openvino-bf16"},
    }
    run, skipped = plan(backends, AMX)
    notes = {k.backend: k.note for k in skipped}
    assert run == ["tensorflow", "openvino-bf16", "after-bf16"]
    assert "the tensorflow backend runs fp32 only" in notes["tf-bf16"]
    assert "int8 runs on the openvino backend only" in notes["ovtf-int8"]
    # on AVX2 the BF16 backend is skipped, and so is the one diffed against it
    run, skipped = plan(backends, AVX2)
    notes = {k.backend: k.note for k in skipped}
    assert run == ["tensorflow"] and notes["after-bf16"].startswith("it is diffed against 'openvino-bf16', which is skipped")
    # a reference backend that cannot run as asked stops the run: nothing could be diffed
    with pytest.raises(ValueError, match="reference_backend: 'openvino-bf16' cannot run as configured here"):
        plan(backends, AVX2, reference="openvino-bf16")


def test_cpu_is_asked_only_for_reduced_precisions():
    asked = []

    def cpu() -> CpuInfo:
        asked.append(1)
        return AVX2

    assert plan_backends({"tensorflow": {"backend": "tensorflow"}}, "tensorflow", cpu=cpu, decide=decide) == (["tensorflow"], [])
    assert asked == []


def test_summary_rows_take_the_filter_changes_at_gatk_defaults(tmp_path):
    """The summary's FILTER columns are the diff's gatk_default_filter_changes, not its configured call changes."""
    report = {
        "a": {"records": 10},
        "b": {"records": 10},
        "matched": 10,
        "only_in_a": 0,
        "only_in_b": 0,
        "scores": {
            "differ": 4,
            "differ_3rd_significant_digit": 2,
            "max_abs_delta": 0.5,
            "mean_abs_delta": 0.1,
            "pearson_r": 0.99,
        },
        "gatk_default_filter_changes": {
            "snp_tranche": 99.95,
            "indel_tranche": 99.4,
            "mode": "resources",
            "compared": 8,
            "changes": 1,
            "share": 0.125,
        },
        "call_changes": {"records": 3},
        "limits": {"passed": True},
    }
    (tmp_path / "report.json").write_text(json.dumps(report))
    job = {"sample": "s", "backend": "openvino-int8", "against": "openvino", "precision": "int8"}
    ran = {("s", "openvino-int8"): {"ran": "int8 (float layers bf16)"}}
    (row,) = diff_rows([{**job, "diff_json": str(tmp_path / "report.json"), "diff_html": "x.html"}], ran)
    assert (row["filter_changes"], row["filter_compared"], row["filter_change_share"], row["call_changes"]) == (1, 8, 0.125, 3)
    assert (row["precision"], row["precision_ran"], row["against"]) == ("int8", "int8 (float layers bf16)", "openvino")


def test_target_rows_count_only_what_ran_as_asked():
    diffs = [
        {
            "sample": s,
            "backend": b,
            "against": "openvino",
            "precision": b.split("-")[1],
            "filter_changes": c,
            "filter_compared": 1000,
            "filter_change_share": c / 1000,
        }
        for s, b, c in (("s1", "openvino-bf16", 5), ("s1", "openvino-int8", 2), ("s2", "openvino-int8", 0))
    ] + [
        {
            "sample": "s1",
            "backend": "tf",
            "against": "openvino",
            "precision": "fp32",
            "filter_changes": 9,
            "filter_compared": 10,
            "filter_change_share": 0.9,
        }
    ]
    jobs = {
        ("s1", "openvino"): {"ran": "fp32", "fell_back": False},
        ("s2", "openvino"): {"ran": "fp32", "fell_back": False},
        ("s1", "openvino-bf16"): {"ran": "bf16", "fell_back": False},
        ("s1", "openvino-int8"): {"ran": "int8 (float layers bf16)", "fell_back": False},
        ("s2", "openvino-int8"): {"ran": "fp32", "fell_back": True},  # fell back: 0 changes mean nothing
    }
    rows = precisions.target_rows(diffs, jobs)
    assert [(r["sample"], r["backend"], r["measured"], r["holds"]) for r in rows] == [
        ("s1", "openvino-bf16", True, True),  # 0.5% is within the target
        ("s1", "openvino-int8", True, True),
        ("s2", "openvino-int8", False, False),
    ]
    assert precisions.verdict(rows) == "holds"
    assert (
        precisions.verdict(precisions.target_rows([{**diffs[0], "filter_changes": 6, "filter_change_share": 0.006}], jobs))
        == "missed"
    )
    assert precisions.verdict(rows[2:]) == "not measured"


def snakemake_on(cpu: CpuInfo, workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """Snakemake with `cpu_info()` replaced by `cpu` in its own process (DAG building); jobs run unchanged."""
    code = (
        "import sys\n"
        "import vqsr_cnn.engine.cpu as cpu\n"
        f"fake = cpu.CpuInfo({cpu.model!r}, {cpu.flags!r}, {cpu.capabilities!r}, {cpu.capabilities_source!r})\n"
        "cpu.cpu_info = lambda: fake\n"
        "from snakemake.cli import main\n"
        f"sys.argv = ['snakemake', '-s', {str(SNAKEFILE)!r}, '--directory', {str(workdir)!r}, *{list(args)!r}]\n"
        "main()\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900, cwd=workdir)


@pytest.mark.slow
def test_default_run_on_an_avx2_cpu_plans_no_bf16(tmp_path):
    proc = snakemake_on(AVX2, tmp_path, "--cores", "2", "--dry-run")
    assert proc.returncode == 0, proc.stderr[-3000:]
    jobs = proc.stdout + proc.stderr
    # 2 samples x (tensorflow, openvino, openvino-int8); diffs: openvino vs tensorflow, openvino-int8 vs openvino
    assert "score          6" in jobs and "diff           4" in jobs
    assert "openvino-int8_vs_openvino/report.json" in jobs and "openvino-bf16" not in jobs


@pytest.mark.slow
def test_skipped_bf16_is_noted_in_the_summary(tmp_path):
    """A real (small) run planned on a faked AVX2 CPU: the BF16 backend is not scored, the summary says why."""
    config = tmp_path / "config.yaml"
    config.write_text(  # one scoring job: stock TensorFlow (the quickest to start)
        f"samples: {chr22_sheet(tmp_path)}\nreference_backend: tensorflow\nbackends:\n"
        "  - {name: tensorflow, backend: tensorflow, env: {OPENVINO_TF_DISABLE: '1'}}\n"
        "  - {name: openvino-bf16, backend: openvino, precision: bf16, against: tensorflow}\n"
    )
    proc = snakemake_on(AVX2, tmp_path, "--cores", "2", "--configfile", str(config))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not (tmp_path / "results/chr22_normal/openvino-bf16").exists()
    summary = json.loads((tmp_path / "results/summary/summary.json").read_text())
    assert summary["backends"] == ["tensorflow"] and summary["cpu"].startswith("AMD EPYC 7B13 (faked) [AVX2: avx2]")
    (skip,) = summary["skipped"]
    assert skip["backend"] == "openvino-bf16" and "this CPU has no native bf16" in skip["note"]
    assert summary["reduced_precision"] == {**summary["reduced_precision"], "rows": [], "verdict": "not measured"}
    html = (tmp_path / "results/summary/summary.html").read_text()
    assert "<b>openvino-bf16</b> (bf16) not run: bf16 on openvino does not run here: this CPU has no native bf16" in html
    assert "no BF16 / INT8 scoring ran as asked" in html


@pytest.mark.slow
def test_bad_against_fails_before_any_job(tmp_path):
    proc = run_workflow(
        tmp_path,
        "--cores",
        "1",
        "--config",
        f"samples={chr22_sheet(tmp_path)}",
        "backends=[{name: tensorflow, backend: tensorflow}, {name: ov, backend: openvino, against: gpu}]",
        timeout=300,
    )
    assert proc.returncode != 0
    assert "config field backends (ov): against 'gpu' is not one of the other backends (tensorflow)" in proc.stderr
    assert not (tmp_path / "results").exists()
