"""Score parity with GATK 4.2's own code (issue 12): the Java side drives GATK 4.2.6.1's real `vqsr_cnn`
(Python 3.6, Keras 2.2.4, TF 1.15, scripts/gatk42_env.sh) and ours over the same real data lines and the
same model files, each as `python -u -i` over the ack/data FIFOs exactly as CNNScoreVariants.java does, with
the annotation keys CNNScoreVariants.java itself sends (tests/gatk_facts.py). Both sides print scores with 3
decimals: every score must agree within one printed step (measured: 1 of 1,762 1D scores a step apart, the 2D
scores equal; GATK's own integration tests allow 0.01, which would hide a real drift), and few may be a step
apart (a shift of every score by less than a step would show there).

Data: 1D all 1,762 records of testdata/hg004_chr21; 2D the GIAB NA12878 slice (joint-call sites and
truth-set sites) and chr22_normal, with reads from their BAMs selected by GATK's read filters. The
joint call's INFO/DP is summed over 3,202 samples and saturates every score, so DP is set per sample to
the reads over the site in the BAM (shared/data/README.md); records without DP keep what they have.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gatk_facts import ANNOTATION_KEYS, MAX_STEP_FRACTION, PARITY_EPSILON
from real_fifo_lines import lines_1d, lines_2d
from stacks import gatk42_stack

from vqsr_cnn import defines
from vqsr_cnn.harness.gatk42 import score_with_gatk42
from vqsr_cnn.harness.java_side import run_session
from vqsr_cnn.models.bundled import default_model_paths
from vqsr_cnn.models.gatk_format import read_semantics, spec_from_semantics

GATK42, GATK42_WHY = gatk42_stack()
needs_gatk42 = pytest.mark.skipif(GATK42 is None, reason=GATK42_WHY)
KEYS = list(ANNOTATION_KEYS)


def test_our_default_annotation_keys_are_gatks_in_gatks_order():
    """Standalone scoring and our models take the keys from defines and the model JSON, not from GATK's Java:
    a reordered copy would feed each value to the wrong input there."""
    assert tuple(defines.ANNOTATIONS_SETS["best_practices"]) == ANNOTATION_KEYS
    for tensor_type in ("reference", "read_tensor"):
        json_path, _ = default_model_paths(tensor_type)
        assert spec_from_semantics(read_semantics(json_path)).annotations == ANNOTATION_KEYS, tensor_type


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
            f"{differ} differ in the 3rd decimal, max |delta| {delta.max():.5f}; "
            f"score range {gatk.min():.3f}..{gatk.max():.3f}, {len(np.unique(gatk))} distinct GATK scores "
            f"(GATK session {gatk_seconds:.1f} s)"
        )
    assert len(np.unique(gatk)) > len(lines) // 4, "scores are saturated: the comparison would prove nothing"
    bad = np.flatnonzero(delta > PARITY_EPSILON)
    assert bad.size == 0, [(lines[i].split("\t")[:4], gatk[i], ours[i]) for i in bad[:10]]
    assert differ <= max(5, MAX_STEP_FRACTION * len(lines)), f"{differ} of {len(lines)} scores a step apart: a shift"


@pytest.mark.slow
@needs_gatk42
def test_1d_scores_match_gatk42_on_all_hg004_records(tmp_path, capsys):
    lines = lines_1d()
    assert len(lines) == 1762
    compare("reference", lines, tmp_path, capsys)


@pytest.mark.slow
@needs_gatk42
def test_2d_scores_match_gatk42_on_giab_and_chr22_normal(tmp_path, capsys):
    lines = lines_2d()
    assert len(lines) == 28 and all(line.count("\t") > 8 for line in lines)
    compare("read_tensor", lines, tmp_path, capsys)
