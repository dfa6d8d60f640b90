"""The bench's baseline: GATK 4.2's real code over the FIFO protocol when its environment exists, else the
re-creation, labelled as a fallback (no timing here: benches are not unit tests)."""

from __future__ import annotations

import os
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import TESTDATA
from gatk_facts import ANNOTATION_KEYS, PARITY_EPSILON
from stacks import gatk42_stack

from vqsr_cnn.bench import baseline_rows as baselines
from vqsr_cnn.bench.options import BenchOptions
from vqsr_cnn.harness import gatk42
from vqsr_cnn.harness.java_side import run_session

KEYS = list(ANNOTATION_KEYS)
GATK42, GATK42_WHY = gatk42_stack()


def test_without_the_gatk42_env_the_baseline_is_the_labelled_recreation(tmp_path):
    options = BenchOptions(gatk42_python=str(tmp_path / "absent" / "python"))  # resolved by `vqsr-cnn bench`
    tb = SimpleNamespace(checks={}, n=64, progress=lambda msg: None, options=options)
    rows = baselines.baseline_rows(tb, [(0, 64)])
    assert [(r.name, r.kind) for r in rows] == [(baselines.FALLBACK_LABEL, "baseline")]
    assert "FALLBACK" in rows[0].name and "environment absent" in tb.checks["gatk42"]


def test_subprocess_env_lets_nothing_of_ours_leak_into_gatks_python(monkeypatch):
    monkeypatch.setenv("TF2_BEHAVIOR", "1")  # set by importing TensorFlow 2: it would turn TF 1.15 eager
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    env = gatk42.subprocess_env()
    assert env["TF2_BEHAVIOR"] is None and env["PYTHONPATH"] is None and "PATH" not in env
    assert all(v is None for k, v in env.items() if k in os.environ and k != "TF_CPP_MIN_LOG_LEVEL")


@pytest.mark.slow
@pytest.mark.skipif(GATK42 is None, reason=GATK42_WHY)
def test_gatk42_session_scores_like_a_whole_gatk_run(tmp_path):
    """The bench's long-lived session (model loaded once, rounds re-scored) gives GATK's own scores."""
    lines = (TESTDATA / "fifo" / "lines_1d.txt").read_text().splitlines(keepends=True)
    json_path, hd5 = str(TESTDATA / "models" / "cnn_1d.json"), str(TESTDATA / "models" / "cnn_1d.hd5")
    session = gatk42.Gatk42Session(GATK42, json_path, hd5, "reference", KEYS, inference_batch=8)
    try:
        first, second = session.score(lines, transfer_batch=7), session.score(lines, transfer_batch=7)
    finally:
        session.close()
    assert first == second and len(first) == len(lines)
    whole, _ = gatk42.score_with_gatk42(GATK42, json_path, hd5, "reference", lines, KEYS, workdir=tmp_path / "g")
    assert [row.rsplit("\t", 1)[1] for row in whole.splitlines()] == first
    ours = run_session(tmp_path / "ours", json_path, hd5, "reference", lines, ",".join(KEYS))
    ours_scores = np.array([float(row.rsplit("\t", 1)[1]) for row in ours.splitlines()])
    assert np.abs(np.array([float(s) for s in first]) - ours_scores).max() <= PARITY_EPSILON
