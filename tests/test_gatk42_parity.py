"""Score parity with GATK 4.2's own code (issue 12): the Java side drives GATK 4.2.6.1's real `vqsr_cnn`
(Python 3.6, Keras 2.2.4, TF 1.15, scripts/gatk42_env.sh) and ours over the same real data lines and the
same model files, each as `python -u -i` over the ack/data FIFOs exactly as CNNScoreVariants.java does.
Every score must agree within 0.01 (GATK's integration-test epsilon); the count differing in the 3rd
decimal is printed.

Data: 1D all 1,762 records of testdata/hg004_chr21; 2D the GIAB NA12878 slice (joint-call sites and
truth-set sites) and chr22_normal, with reads from their BAMs selected by GATK's read filters. The
joint call's INFO/DP is summed over 3,202 samples and saturates every score, so DP is set per sample to
the reads over the site in the BAM (shared/data/README.md); records without DP keep what they have.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from real_fifo_lines import lines_1d, lines_2d

from vqsr_cnn import defines
from vqsr_cnn.harness.gatk42 import gatk42_python, score_with_gatk42
from vqsr_cnn.harness.java_side import run_session
from vqsr_cnn.models.bundled import default_model_paths

GATK42 = gatk42_python()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(GATK42 is None, reason="GATK 4.2 environment absent: run scripts/gatk42_env.sh"),
]
KEYS = defines.ANNOTATIONS_SETS["best_practices"]
EPSILON = 0.01  # GATK's CNNScoreVariants integration tests compare scores with this epsilon


def _scores(text: str, lines: list[str]) -> np.ndarray:
    rows = text.splitlines()
    assert len(rows) == len(lines)
    for row, line in zip(rows, lines):
        assert row.rsplit("\t", 1)[0] == "\t".join(line.split("\t")[:4])
    return np.array([float(row.rsplit("\t", 1)[1]) for row in rows])


def compare(tensor_type: str, lines: list[str], tmp_path: Path, capsys) -> None:
    json_path, hd5 = (str(p) for p in default_model_paths(tensor_type))
    gatk_text, gatk_seconds = score_with_gatk42(GATK42, json_path, hd5, tensor_type, lines, KEYS, workdir=tmp_path / "gatk42")
    ours_text = run_session(tmp_path / "ours", json_path, hd5, tensor_type, lines, ",".join(KEYS), timeout=900)
    gatk, ours = _scores(gatk_text, lines), _scores(ours_text, lines)
    delta = np.abs(gatk - ours)
    differ = int((np.round(gatk, 3) != np.round(ours, 3)).sum())
    with capsys.disabled():
        print(
            f"\n  {tensor_type}: {len(lines)} data lines, GATK 4.2.6.1's own code vs ours (bundled model): "
            f"{differ} differ in the 3rd decimal, max |delta| {delta.max():.3f}; "
            f"score range {gatk.min():.3f}..{gatk.max():.3f}, {len(np.unique(gatk))} distinct GATK scores "
            f"(GATK session {gatk_seconds:.1f} s)"
        )
    assert len(np.unique(gatk)) > len(lines) // 4, "scores are saturated: the comparison would prove nothing"
    bad = np.flatnonzero(delta > EPSILON)
    assert bad.size == 0, [(lines[i].split("\t")[:4], gatk[i], ours[i]) for i in bad[:10]]


def test_1d_scores_match_gatk42_on_all_hg004_records(tmp_path, capsys):
    lines = lines_1d()
    assert len(lines) == 1762
    compare("reference", lines, tmp_path, capsys)


def test_2d_scores_match_gatk42_on_giab_and_chr22_normal(tmp_path, capsys):
    lines = lines_2d()
    assert len(lines) == 28 and all(line.count("\t") > 8 for line in lines)
    compare("read_tensor", lines, tmp_path, capsys)
