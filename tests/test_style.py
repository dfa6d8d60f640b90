"""The code base stays lint-clean, formatted and type-checked (configuration in pyproject.toml)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

PYTHON_TREES = ("vqsr_cnn", "tests", "scripts", "workflows")


def _run(tool: str, *args: str) -> subprocess.CompletedProcess:
    """Run a tool installed with the test extras (pip install -e .[test]) from the repository root."""
    exe = shutil.which(tool) or str(Path(sys.executable).with_name(tool))
    if not os.path.exists(exe):
        pytest.skip(f"{tool} not installed (pip install -e .[test])")
    return subprocess.run([exe, *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_clean():
    result = _run("ruff", "check", "--quiet", *PYTHON_TREES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_formatted():
    result = _run("ruff", "format", "--check", "--quiet", *PYTHON_TREES)
    assert result.returncode == 0, "run `ruff format`:\n" + result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_clean():
    """The package and its scripts type-check (a script broken by a changed signature fails here, not in a
    measurement); native libraries (TensorFlow, OpenVINO, pysam) are Any at their boundary."""
    result = _run("mypy", "--explicit-package-bases", "vqsr_cnn", "scripts")
    assert result.returncode == 0, result.stdout + result.stderr


def test_snakefmt_clean():
    """The Snakemake files are snakefmt-formatted (line length from [tool.snakefmt] in pyproject.toml)."""
    result = _run("snakefmt", "--check", "workflows/")
    assert result.returncode == 0, result.stdout + result.stderr
