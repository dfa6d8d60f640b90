"""The legacy openvino-tensorflow backend (Python 3.9 + TF 2.9.3 only) against stock TensorFlow, and the stock
TensorFlow backend in a process where OVTF ran.

Skipped unless `openvino_tensorflow` is importable (run by scripts/legacy_env.sh). The reference probabilities come
from a fresh interpreter that never imports OVTF: stock TensorFlow for certain. What precision must run comes from
the request and `cpu_info()` only: FP32 by default on every CPU, BF16 when asked on a CPU with native BF16, FP32 when
asked on one without; with OPENVINO_TF_DISABLE=1 stock TensorFlow (FP32) runs everything.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

if importlib.util.find_spec("openvino_tensorflow") is None:
    pytest.skip("openvino_tensorflow is not installed (legacy Python 3.9 environment only)", allow_module_level=True)

os.environ.setdefault("OPENVINO_TF_DISABLE_COST_ASSIGNMENT", "1")  # no 3-call OV-vs-TF timing per cluster

from vqsr_cnn.engine.backends import OpenVINOTensorFlowBackend, TensorFlowBackend, ovtf_runtime
from vqsr_cnn.engine.config import EngineConfig
from vqsr_cnn.engine.cpu import cpu_info
from vqsr_cnn.engine.freeze import freeze
from vqsr_cnn.engine.precision import decide
from vqsr_cnn.models.gatk_format import load_model_pair, split_inputs

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "testdata" / "models"
KINDS = ["seeded_1d", "seeded_2d"]
OVTF_DISABLED = os.environ.get("OPENVINO_TF_DISABLE") == "1"
# |Δp| against FP32 TensorFlow: OpenVINO FP32 measured 6e-8 here; BF16 1.4e-3 (its 8-bit mantissa), so a BF16 run
# is never within the FP32 bound and an FP32 run always is.
FP32_TOLERANCE, BF16_TOLERANCE = 1e-5, 5e-3


def expected_precision(requested: str) -> str:
    """What must run for `requested` on this CPU: only the request and cpu_info() decide."""
    if OVTF_DISABLED:
        return "fp32"
    return "bf16" if requested == "bf16" and cpu_info().bf16 else "fp32"


def shipped_precision() -> str:
    """What OVTF as installed runs: OpenVINO 2022.3's CPU default, BF16 where the CPU has it."""
    return "fp32" if OVTF_DISABLED else ("bf16" if cpu_info().bf16 else "fp32")


def assert_ran(probs: np.ndarray, reference: np.ndarray, precision: str) -> None:
    """The probabilities show `precision` ran: FP32 within 1e-5 of FP32 TensorFlow, BF16 further but close."""
    diff = float(np.abs(probs - reference).max())
    if OVTF_DISABLED:
        assert diff == 0, f"with OPENVINO_TF_DISABLE=1 the graph must run on stock TensorFlow (|Δp| {diff})"
    elif precision == "fp32":
        assert diff <= FP32_TOLERANCE, f"reported fp32, but |Δp| {diff} from FP32 TensorFlow"
    else:
        assert FP32_TOLERANCE < diff <= BF16_TOLERANCE, f"reported {precision}, |Δp| {diff} from FP32 TensorFlow"


@pytest.fixture(scope="module")
def ovtf():
    import openvino_tensorflow

    return openvino_tensorflow


@pytest.fixture(scope="module")
def shipped_xml(ovtf):
    """plugins.xml as installed, checked unchanged (and no backup of it left) once the module's tests are done."""
    xml = ovtf_runtime.plugins_xml(ovtf)
    before = hashlib.sha256(xml.read_bytes()).hexdigest()
    yield xml
    assert hashlib.sha256(xml.read_bytes()).hexdigest() == before, f"{xml} was left changed"
    assert not xml.with_name(xml.name + ovtf_runtime.BACKUP_SUFFIX).exists()


CHILD = """
import sys
import numpy as np
from vqsr_cnn.engine.backends import TensorFlowBackend
from vqsr_cnn.engine.freeze import freeze
from vqsr_cnn.models.gatk_format import load_model_pair

data, out = np.load(sys.argv[1]), {}
for kind in sys.argv[3:]:
    _, model = load_model_pair(f"{sys.argv[2]}/{kind}.json", f"{sys.argv[2]}/{kind}.hd5")
    out[kind] = TensorFlowBackend(freeze(model), micro_batch=1).run(data[kind + "_t"], data[kind + "_a"])
assert "openvino_tensorflow" not in sys.modules
np.savez(sys.argv[1] + ".out.npz", **out)
"""


@pytest.fixture(scope="module")
def batches(tmp_path_factory, shipped_xml):
    """{kind: (tensor, annotations, stock-TF probabilities)}: seeded rows, scored by a fresh interpreter that never
    imports openvino_tensorflow (and has OPENVINO_TF_DISABLE=1 should anything try)."""
    data = {}
    for kind in KINDS:
        _, model = load_model_pair(str(MODELS / f"{kind}.json"), str(MODELS / f"{kind}.hd5"))
        tensor_input, annotation_input = split_inputs(model)
        rng = np.random.default_rng(len(kind))
        data[kind + "_t"] = rng.random((8, *tensor_input.shape[1:]), dtype=np.float32)
        data[kind + "_a"] = rng.normal(size=(8, annotation_input.shape[-1])).astype(np.float32)
    path = tmp_path_factory.mktemp("stock_tf") / "batches.npz"
    np.savez(path, **data)
    env = {k: v for k, v in os.environ.items() if k != "VQSR_CNN_BACKEND"}
    env["OPENVINO_TF_DISABLE"] = "1"
    subprocess.run([sys.executable, "-c", CHILD, str(path), str(MODELS), *KINDS], check=True, env=env, cwd=ROOT)
    probs = np.load(str(path) + ".out.npz")
    return {kind: (data[kind + "_t"], data[kind + "_a"], probs[kind]) for kind in KINDS}


@pytest.fixture(scope="module", params=KINDS)
def case(request, batches):
    """(model, frozen model, tensor, annotations, stock-TF probabilities) per model."""
    _, model = load_model_pair(str(MODELS / f"{request.param}.json"), str(MODELS / f"{request.param}.hd5"))
    tensor, annotations, reference = batches[request.param]
    frozen = freeze(model)
    return model, frozen, tensor, annotations, reference


def _ovtf_backend(frozen, requested: str = "fp32", shipped: bool = False) -> OpenVINOTensorFlowBackend:
    config = EngineConfig(backend="openvino-tensorflow", precision=requested).resolved("read_tensor")
    return OpenVINOTensorFlowBackend(frozen, config, decide(requested, config.backend, cpu_info()), shipped=shipped)


def test_default_runs_fp32_and_matches_tensorflow(case):
    _, frozen, tensor, annotations, reference = case
    backend = _ovtf_backend(frozen)
    assert backend.precision == expected_precision("fp32") == "fp32"  # as the engine logs it, before any compile
    probs = backend.run(tensor, annotations)
    assert backend.precision == "fp32"  # and as compiled
    assert probs.shape == (8, 4)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-3)
    assert_ran(probs, reference, backend.precision)


def test_bf16_runs_where_asked_and_the_cpu_has_it_beside_fp32(case):
    """BF16 and FP32 backends in one process, built in turn: each compiles and keeps its own precision."""
    _, frozen, tensor, annotations, reference = case
    bf16 = _ovtf_backend(frozen, "bf16")
    assert bf16.precision == expected_precision("bf16")
    first = bf16.run(tensor, annotations)
    fp32 = _ovtf_backend(frozen, "fp32")
    assert_ran(fp32.run(tensor, annotations), reference, "fp32")
    assert (bf16.precision, fp32.precision) == (expected_precision("bf16"), "fp32")
    assert_ran(first, reference, bf16.precision)
    np.testing.assert_array_equal(bf16.run(tensor, annotations), first)  # compiled once, kept after fp32's compile


def test_shipped_runs_ovtf_as_installed(case):
    """The bench's Intel-patch row: OVTF with its plugins.xml as shipped, BF16 where the CPU has it."""
    _, frozen, tensor, annotations, reference = case
    backend = _ovtf_backend(frozen, shipped=True)
    probs = backend.run(tensor, annotations)
    assert backend.precision == shipped_precision()
    assert_ran(probs, reference, backend.precision)


def test_tensorflow_backend_is_stock_after_ovtf_ran(case):
    """A TensorFlow backend first called after OVTF compiled (OVTF imported and enabled) still runs TensorFlow's own
    kernels: bit for bit the fresh interpreter's probabilities, which OVTF's OpenVINO does not reproduce."""
    model, frozen, tensor, annotations, reference = case
    if OVTF_DISABLED:
        pytest.skip("OPENVINO_TF_DISABLE=1: OVTF accelerates nothing, so there is nothing to tell apart")
    ovtf = _ovtf_backend(frozen, "bf16")
    accelerated = ovtf.run(tensor, annotations)
    if np.array_equal(accelerated, reference):
        pytest.skip("OVTF's OpenVINO reproduced TensorFlow bit for bit on this CPU: nothing to tell apart")
    import openvino_tensorflow

    assert openvino_tensorflow.is_enabled()  # as importing it left it: every new TF graph would be rewritten
    fresh = freeze(model)  # a function TensorFlow has not instantiated yet
    np.testing.assert_array_equal(TensorFlowBackend(fresh, micro_batch=1).run(tensor, annotations), reference)


def test_unwritable_package_runs_the_shipped_default_and_says_so(case, monkeypatch, caplog, shipped_xml):
    _, frozen, tensor, annotations, reference = case
    if OVTF_DISABLED:
        pytest.skip("OPENVINO_TF_DISABLE=1: OVTF compiles nothing")

    def refuse(path: Path, text: str) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(ovtf_runtime, "_write_atomic", refuse)
    backend = _ovtf_backend(frozen)
    probs = backend.run(tensor, annotations)
    assert backend.precision == shipped_precision()
    assert_ran(probs, reference, backend.precision)
    said = f"precision fp32 requested, {backend.precision} runs: cannot set INFERENCE_PRECISION_HINT in {shipped_xml}"
    assert (said in caplog.text) == (backend.precision != "fp32"), caplog.text


def test_plugins_xml_left_by_a_killed_run_is_restored(ovtf, shipped_xml):
    shipped = shipped_xml.read_bytes()
    backup = shipped_xml.with_name(shipped_xml.name + ovtf_runtime.BACKUP_SUFFIX)
    backup.write_bytes(shipped)  # what a run killed between its write and its restore leaves
    shipped_xml.write_text(ovtf_runtime.with_cpu_hint(shipped.decode(), "f16"))
    try:
        ovtf_runtime.planned_precision(ovtf, None)
        assert shipped_xml.read_bytes() == shipped and not backup.exists()
    finally:
        if backup.exists():
            backup.replace(shipped_xml)


@pytest.mark.skipif(OVTF_DISABLED, reason="OPENVINO_TF_DISABLE=1: nothing is placed on OpenVINO")
def test_whole_frozen_graph_is_one_openvino_cluster(case, ovtf, capfd):
    _, frozen, tensor, annotations, _ = case
    backend = _ovtf_backend(frozen)
    capfd.readouterr()
    ovtf.start_logging_placement()
    try:
        backend.run(tensor, annotations)  # its first run rewrites and compiles the graph
    finally:
        ovtf.stop_logging_placement()
    out = "".join(capfd.readouterr())
    assert re.search(r"Number of ngraph clusters :1\b", out), out[-2000:]
    assert "Op_deassigned: None" in out
    placed = re.findall(r"OP_placement:\s+(\S+)\s+\S+ \((\w+)\)", out)
    compute = [(where, op) for where, op in placed if op not in ("Const", "Placeholder", "Identity", "NoOp", "_Arg", "_Retval")]
    assert compute and all(where.startswith("nGraph") for where, _ in compute), compute


def test_one_session_per_worker_thread(case):
    _, frozen, tensor, annotations, _ = case
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
    for probs in results.values():  # each thread's session compiled at the same precision
        np.testing.assert_array_equal(probs, expected)
    assert backend.shapes.seen == {(backend.micro_batch, *frozen.tensor_shape)}  # one compute shape, any thread


def test_backend_selection_follows_intel_switch():
    assert EngineConfig.from_env({"OPENVINO_TF_DISABLE": "1"}).backend == "tensorflow"
    expected = "openvino" if importlib.util.find_spec("openvino") is not None else "openvino-tensorflow"
    assert EngineConfig.from_env({}).resolved("reference").backend == expected
    assert EngineConfig.from_env({}, backend="openvino-tensorflow").backend == "openvino-tensorflow"
