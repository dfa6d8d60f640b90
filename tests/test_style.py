"""The code base stays ruff-clean (the lint configuration lives in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import ROOT


def test_ruff_clean():
    ruff = shutil.which("ruff") or str(__import__("pathlib").Path(sys.executable).with_name("ruff"))
    if not __import__("os").path.exists(ruff):
        pytest.skip("ruff not installed")
    result = subprocess.run([ruff, "check", "--quiet", "vqsr_cnn", "tests", "scripts", "workflows"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_snakefmt_clean():
    """The Snakemake files are snakefmt-formatted (line length from [tool.snakefmt] in pyproject.toml)."""
    snakefmt = shutil.which("snakefmt") or str(__import__("pathlib").Path(sys.executable).with_name("snakefmt"))
    if not __import__("os").path.exists(snakefmt):
        pytest.skip("snakefmt not installed (pip install -e .[test])")
    result = subprocess.run([snakefmt, "--check", "workflows/"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
