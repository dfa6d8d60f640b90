"""The legacy openvino-tensorflow backend (Python 3.9 + TF 2.9.3 only) against stock TensorFlow.

Skipped unless `openvino_tensorflow` is importable (run by scripts/legacy_env.sh).  Importing it turns
OVTF on for every TensorFlow graph in the process, so the stock-TF reference is computed with OVTF
switched off before that reference's first call.
"""

from __future__ import annotations

import importlib.util
import os
import re
import threading
from pathlib import Path

import numpy as np
import pytest

if importlib.util.find_spec("openvino_tensorflow") is None:
    pytest.skip("openvino_tensorflow is not installed (legacy Python 3.9 environment only)", allow_module_level=True)

os.environ.setdefault("OPENVINO_TF_DISABLE_COST_ASSIGNMENT", "1")  # no 3-call OV-vs-TF timing per cluster

from vqsr_cnn.engine.backends import OpenVINOTensorFlowBackend, TensorFlowBackend
from vqsr_cnn.engine.config import EngineConfig
from vqsr_cnn.engine.freeze import freeze
from vqsr_cnn.models.gatk_format import load_model_pair

MODELS = Path(__file__).resolve().parents[1] / "testdata" / "models"
OVTF_DISABLED = os.environ.get("OPENVINO_TF_DISABLE") == "1"
# BF16 inference (OpenVINO 2022.3's default on CPUs with avx512_bf16) moved probabilities by up to 4.5e-4 here.
TOLERANCE = 2e-3


@pytest.fixture(scope="module")
def ovtf():
    import openvino_tensorflow

    yield openvino_tensorflow
    openvino_tensorflow.disable()  # later test modules get stock TensorFlow back


def _ovtf_backend(frozen) -> OpenVINOTensorFlowBackend:
    return OpenVINOTensorFlowBackend(frozen, EngineConfig(backend="openvino-tensorflow").resolved("read_tensor"))


def _batch(frozen, rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    tensor = rng.random((rows, *frozen.tensor_shape), dtype=np.float32)
    annotations = rng.normal(size=(rows, frozen.n_annotations)).astype(np.float32)
    return tensor, annotations


@pytest.fixture(scope="module", params=["seeded_1d", "seeded_2d"])
def case(request, ovtf):
    """(frozen model, batch, stock-TF probabilities) per model; the reference is computed with OVTF off."""
    _, model = load_model_pair(str(MODELS / f"{request.param}.json"), str(MODELS / f"{request.param}.hd5"))
    frozen = freeze(model)
    tensor, annotations = _batch(frozen, 8, seed=len(request.param))
    ovtf.disable()
    try:
        reference = TensorFlowBackend(frozen, micro_batch=1).run(tensor, annotations)
    finally:
        ovtf.enable()
    return frozen, tensor, annotations, reference


def test_ovtf_scores_match_tensorflow(case):
    frozen, tensor, annotations, reference = case
    backend = _ovtf_backend(frozen)
    probs = backend.run(tensor, annotations)
    assert probs.shape == (8, 4)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-3)
    diff = float(np.abs(probs - reference).max())
    assert diff <= TOLERANCE, f"openvino-tensorflow differs from TensorFlow by {diff}"
    if backend.precision == "bf16" and not OVTF_DISABLED:
        assert diff > 0, "bf16 OpenVINO cannot reproduce FP32 TensorFlow exactly: the graph did not run on OpenVINO"
    if OVTF_DISABLED:
        assert diff == 0, "with OPENVINO_TF_DISABLE=1 the graph must run on stock TensorFlow"


def test_ovtf_reports_the_runtime_precision(case):
    backend = _ovtf_backend(case[0])
    assert backend.precision in ("bf16", "fp32", "fp16"), backend.precision
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    if re.search(r"\b(avx512_bf16|amx_bf16)\b", flags):
        assert backend.precision in ("bf16", "fp32")  # bf16 unless plugins.xml forces f32


@pytest.mark.skipif(OVTF_DISABLED, reason="OPENVINO_TF_DISABLE=1: nothing is placed on OpenVINO")
def test_whole_frozen_graph_is_one_openvino_cluster(case, ovtf, capfd):
    frozen, tensor, annotations, _ = case
    backend = _ovtf_backend(frozen)
    capfd.readouterr()
    ovtf.start_logging_placement()
    try:
        backend.run(tensor, annotations)
    finally:
        ovtf.stop_logging_placement()
    out = "".join(capfd.readouterr())
    assert re.search(r"Number of ngraph clusters :1\b", out), out[-2000:]
    assert "Op_deassigned: None" in out
    placed = re.findall(r"OP_placement:\s+(\S+)\s+\S+ \((\w+)\)", out)
    compute = [(where, op) for where, op in placed if op not in ("Const", "Placeholder", "Identity", "NoOp", "_Arg", "_Retval")]
    assert compute and all(where.startswith("nGraph") for where, _ in compute), compute


def test_one_session_per_worker_thread(case):
    frozen, tensor, annotations, _ = case
    backend = _ovtf_backend(frozen)
    expected = backend.run(tensor, annotations)
    results: dict[int, np.ndarray] = {}
    sessions: dict[int, object] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            results[i] = backend.run(tensor, annotations)
            sessions[i] = backend._session()
        except BaseException as exc:  # surface worker failures in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sessions[0] is not sessions[1] and backend._session() not in sessions.values()
    for probs in results.values():
        np.testing.assert_allclose(probs, expected, atol=1e-6)
    assert backend.compiles == 1  # one compute shape, whichever thread ran it


def test_backend_selection_follows_intel_switch():
    assert EngineConfig.from_env({"OPENVINO_TF_DISABLE": "1"}).backend == "tensorflow"
    expected = "openvino" if importlib.util.find_spec("openvino") is not None else "openvino-tensorflow"
    assert EngineConfig.from_env({}).resolved("reference").backend == expected
    assert EngineConfig.from_env({}, backend="openvino-tensorflow").backend == "openvino-tensorflow"
