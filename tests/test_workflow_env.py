"""The conda environment of the workflow installs vqsr-cnn from this checkout, never a name from an index (PyPI's
"vqsr-cnn" is another package), and the distribution name is one PyPI does not already use for something else."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT

ENV_FILE = ROOT / "workflows" / "envs" / "vqsr_cnn.yaml"


def pip_section() -> list[str]:
    import yaml

    deps = yaml.safe_load(ENV_FILE.read_text())["dependencies"]
    (pip,) = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    return pip


def test_env_file_names_no_index_package():
    assert pip_section() == ["${VQSR_CNN_CHECKOUT}"]
    common = (ROOT / "workflows" / "rules" / "common.smk").read_text()
    assert 'os.environ.setdefault("VQSR_CNN_CHECKOUT", str(REPO_ROOT))' in common


def test_distribution_name():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "vqsr-cnn-openvino" and project["scripts"] == {"vqsr-cnn": "vqsr_cnn.cli:main"}


@pytest.mark.slow
def test_conda_pip_section_resolves_to_this_checkout(tmp_path):
    # conda writes the pip section to a requirements file and runs `pip install -r` on it; pip expands
    # ${VQSR_CNN_CHECKOUT}, which the workflow sets to the repository root.
    req = tmp_path / "condaenv.requirements.txt"
    req.write_text("\n".join(pip_section()) + "\n")
    env = {**os.environ, "VQSR_CNN_CHECKOUT": str(ROOT), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--no-build-isolation", "--no-index", "-r", str(req)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Would install vqsr-cnn-openvino-" in proc.stdout.replace("vqsr_cnn_openvino", "vqsr-cnn-openvino")
