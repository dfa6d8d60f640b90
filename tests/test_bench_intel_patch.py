"""The bench's Intel-patch peer row (issue 12): GATK 4.2.6.1's encoder with the model frozen to a graph and run
on openvino-tensorflow at a padded fixed batch, in the legacy environment (scripts/legacy_env.sh), driven over
the ack/data FIFOs. The row must run, with openvino_tensorflow really on, and its scores must agree with ours on
real data lines within the tolerance of the precision it reports running (EPSILON). No timing here: benches
are not unit tests."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from gatk_facts import ANNOTATION_KEYS
from real_fifo_lines import lines_1d, lines_2d
from stacks import legacy_stack

from vqsr_cnn.bench import baseline_rows as baselines
from vqsr_cnn.bench.options import DEFAULT_BATCH, BenchOptions
from vqsr_cnn.defines import TensorType
from vqsr_cnn.engine import Engine, EngineConfig
from vqsr_cnn.engine.cpu import cpu_info
from vqsr_cnn.harness import legacy_stack as intel_env
from vqsr_cnn.harness.java_side import run_session
from vqsr_cnn.models.bundled import default_model_paths
from vqsr_cnn.models.gatk_format import load_model_pair

KEYS = list(ANNOTATION_KEYS)
# Its scores against our FP32 ones, by the precision its bundled OpenVINO runs (bf16 by default on CPUs that have
# it). bf16 keeps 8 bits of mantissa: measured on a Xeon with AMX and avx512_bf16, max |delta| 0.040 over the
# 1,762 1D lines and 0.030 over the 28 2D lines. fp32: GATK's integration-test epsilon (not measured here: this
# CPU runs bf16).
EPSILON = {"fp32": 0.01, "bf16": 0.05}
LEGACY, LEGACY_WHY = legacy_stack()


def test_without_the_legacy_env_there_is_no_intel_row_and_the_checks_say_why(tmp_path):
    options = BenchOptions(legacy_python=str(tmp_path / "absent" / "python"))  # resolved by `vqsr-cnn bench`
    tb = SimpleNamespace(checks={}, progress=lambda msg: None, options=options)
    assert baselines.intel_patch_rows(tb) == []
    assert "environment absent" in tb.checks["intel_patch"] and "legacy_env.sh" in tb.checks["intel_patch"]


def test_the_legacy_env_gets_none_of_our_settings(monkeypatch):
    monkeypatch.setenv("OPENVINO_TF_DISABLE", "1")  # would silently turn the row into stock TensorFlow
    monkeypatch.setenv("VQSR_CNN_BACKEND", "tensorflow")
    env = intel_env.legacy_env()
    assert env["OPENVINO_TF_DISABLE"] is None and env["VQSR_CNN_BACKEND"] is None


class _TypeBench:
    """The parts of bench.type_bench.TypeBench the row uses, on the bundled model and the given data lines
    (the real TypeBench needs ../shared/data)."""

    def __init__(self, tensor_type: TensorType, lines: list[str]) -> None:
        json_path, hd5 = default_model_paths(tensor_type)
        self.json_path, self.hd5_path = str(json_path), str(hd5)
        self.spec, keras = load_model_pair(self.json_path, self.hd5_path, tensor_type)
        self.tt, self.names, self.lines, self.n = tensor_type, KEYS, lines, len(lines)
        self.window, self.read_limit = self.spec.window_size, self.spec.read_limit
        self.batch = DEFAULT_BATCH[tensor_type]
        self.options = SimpleNamespace(transfer_batch=256, legacy_python=LEGACY or "")
        self.checks: dict = {}
        self.progress = lambda msg: None
        self._engine = Engine(keras, self.spec, EngineConfig(backend="openvino"))

    def engine(self, backend: str, precision: str) -> Engine:
        assert (backend, precision) == ("openvino", "fp32")
        return self._engine


@pytest.mark.slow
@pytest.mark.skipif(LEGACY is None, reason=LEGACY_WHY)
@pytest.mark.parametrize("tensor_type", [TensorType.READ_TENSOR, TensorType.REFERENCE])
def test_intel_patch_row_runs_and_agrees_with_our_scores(tensor_type, tmp_path: Path, capsys):
    lines = lines_2d() if tensor_type is TensorType.READ_TENSOR else lines_1d()
    tb = _TypeBench(tensor_type, lines)
    rows = baselines.intel_patch_rows(tb)
    try:
        assert [(r.name, r.kind) for r in rows] == [(baselines.INTEL_LABEL, "peer")], tb.checks
        assert "openvino_tensorflow enabled on CPU" in tb.checks["intel_patch"]
        assert "GATK 4.2.6.1 encoder" in tb.checks["intel_patch"]
        rows[0].run()  # what the bench times: every line over the FIFOs, scores counted
        theirs = np.array([float(s) for s in tb.intel_session.score(lines, 256)])
    finally:
        baselines.close_sessions(tb)
    assert tb.intel_session is None
    json_path, hd5 = default_model_paths(tensor_type)
    ours_text = run_session(tmp_path / "ours", str(json_path), str(hd5), tensor_type, lines, ",".join(KEYS), timeout=900)
    ours = np.array([float(row.rsplit("\t", 1)[1]) for row in ours_text.splitlines()])
    assert len(ours) == len(theirs) == len(lines)
    delta = np.abs(theirs - ours)
    differ = int((np.round(theirs, 3) != np.round(ours, 3)).sum())
    with capsys.disabled():
        print(
            f"\n  {tensor_type}: {len(lines)} data lines, Intel-patch path vs ours (bundled model): {differ} differ "
            f"in the 3rd decimal, max |delta| {delta.max():.3f}, {len(np.unique(theirs))} distinct scores; "
            f"{tb.checks['intel_patch']}"
        )
    assert len(np.unique(theirs)) > len(lines) // 4, "scores are saturated: the comparison would prove nothing"
    precision = tb.checks["intel_patch"].rsplit(", ", 1)[1]
    expected = "bf16" if cpu_info().bf16 else "fp32"  # OVTF's bundled OpenVINO, as shipped, picks bf16 where it can
    assert precision == expected, tb.checks["intel_patch"]
    assert tb.checks["intel_patch_vs_bridge_max_abs_dscore"] <= EPSILON[precision]
    bad = np.flatnonzero(delta > EPSILON[precision])
    assert bad.size == 0, [(lines[i].split("\t")[:4], theirs[i], ours[i]) for i in bad[:10]]
