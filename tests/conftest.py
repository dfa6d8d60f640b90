"""Shared fixtures: paths to test data and a few small engines (kept few: compiled models are large)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = ROOT / "testdata"
SHARED = ROOT.parent / "shared" / "data"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")


@pytest.fixture(scope="session")
def testdata() -> Path:
    return TESTDATA


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED


@pytest.fixture(scope="session")
def model_2d_paths() -> tuple[str, str]:
    return str(TESTDATA / "models" / "seeded_2d.json"), str(TESTDATA / "models" / "seeded_2d.hd5")


@pytest.fixture(scope="session")
def model_1d_paths() -> tuple[str, str]:
    return str(TESTDATA / "models" / "seeded_1d.json"), str(TESTDATA / "models" / "seeded_1d.hd5")


CHR22 = TESTDATA / "chr22_normal"


def chr22_sheet(folder: Path) -> Path:
    """A sample sheet with the one chr22_normal sample (2D, 5 HaplotypeCaller SNPs): the small workflow input."""
    sheet = folder / "chr22_samples.tsv"
    sheet.write_text(
        "sample\tvcf\tbam\treference\n"
        f"chr22_normal\t{CHR22 / 'test_haplotcaller.noCNN.vcf'}\t{CHR22 / 'test.paired_end.sorted.bam'}\t"
        f"{CHR22 / 'genome.fasta'}\n"
    )
    return sheet


@pytest.fixture(scope="session")
def chr22_local_run(tmp_path_factory) -> Path:
    """The workflow (default backends: tensorflow with OPENVINO_TF_DISABLE=1 vs openvino FP32) on chr22_normal,
    run once locally with 2 cores; tests/test_workflow.py and tests/test_workflow_slurm.py compare against it."""
    import subprocess
    import sys

    work = tmp_path_factory.mktemp("wf_chr22")
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(ROOT / "workflows" / "Snakefile"),
        "--directory",
        str(work),
        "--cores",
        "2",
        "--config",
        f"samples={chr22_sheet(work)}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work
