"""Engine: frozen graph equals Keras, backends agree within tolerance, and a row's score depends only on that row.

Bit-identity is asserted only within one backend at its one fixed compute shape (what the hardware promises);
between backends (different kernels) only a tolerance.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

from vqsr_cnn.encode import encode_examples
from vqsr_cnn.engine import Engine, EngineConfig
from vqsr_cnn.engine.batching import micro_batches
from vqsr_cnn.engine.config import DEFAULT_MICRO_BATCH
from vqsr_cnn.engine.int8.settings import QuantizeSettings, split_calibration
from vqsr_cnn.models.gatk_format import load_model_pair
from vqsr_cnn.readers.fifo import parse_data_line

# The accelerated backend under test: openvino here, openvino-tensorflow in the legacy Python 3.9 environment.
ACCEL = os.environ.get("VQSR_CNN_BACKEND", "openvino")
ACCEL_MODULE = {"openvino": "openvino", "openvino-tensorflow": "openvino_tensorflow"}.get(ACCEL, ACCEL)
HAS_ACCEL = importlib.util.find_spec(ACCEL_MODULE) is not None
# Between backends at FP32: 1e-5 in probability. The legacy integration runs BF16 on CPUs that have it.
FP32_TOLERANCE, BF16_TOLERANCE = 1e-5, 5e-3
ANNOTATIONS = ["MQ", "DP", "SOR", "FS", "QD", "MQRankSum", "ReadPosRankSum"]


def _real_rows(testdata, kind: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n rows encoded from GATK's real data lines (testdata/fifo), repeated in a shuffled order."""
    tensor_type = "reference" if kind == "1d" else "read_tensor"
    lines = (testdata / "fifo" / f"lines_{kind}.txt").read_text().splitlines(keepends=True)
    examples = [parse_data_line(line, tensor_type, i + 1).example for i, line in enumerate(lines)]
    tensors, annotations = encode_examples(examples, tensor_type, ANNOTATIONS, 128, 128)
    order = np.random.default_rng(seed).integers(0, len(examples), size=n)
    return tensors[order].astype(np.float32), annotations[order].astype(np.float32)


@pytest.fixture(scope="module")
def models(testdata):
    return {
        kind: load_model_pair(str(testdata / "models" / f"cnn_{kind}.json"), str(testdata / "models" / f"cnn_{kind}.hd5"))
        for kind in ("1d", "2d")
    }


@pytest.fixture(scope="module")
def engines(models, testdata, tmp_path_factory):
    """One engine per (kind, backend) for the whole module: compiled models are large, keep few alive."""
    cache: dict[tuple[str, str], Engine] = {}

    def get(kind: str, backend: str) -> Engine:
        """kind 1d, 2d (2D at its default: exact rows on OpenVINO), 2d-dense (every read row, micro-batch 16) or
        1d-int8 (INT8 at its own default shape, calibrated here on real rows with plain PTQ: seconds)."""
        if (kind, backend) not in cache:
            args, model = models[kind[:2]]
            precision = "int8" if kind.endswith("int8") else "fp32"
            config = EngineConfig(
                backend=backend, precision=precision, dense=kind.endswith("dense"), cache_dir=str(tmp_path_factory.mktemp("int8"))
            )
            tensors, annotations = _real_rows(testdata, kind[:2], 64, seed=7)
            engine = Engine(
                model,
                args,
                config,
                calibration=lambda: split_calibration(tensors, annotations, ["SNP", "INDEL"] * 32),
                quantize=QuantizeSettings(accuracy_control=False, subset_size=32),
            )
            assert engine.precision.runs == precision, engine.precision
            cache[(kind, backend)] = engine
        return cache[(kind, backend)]

    yield get
    cache.clear()


def _predict(engine: Engine, tensors: np.ndarray, annotations: np.ndarray, gather: int) -> np.ndarray:
    """Score rows `gather` at a time, as a caller with that batch size would."""
    return np.concatenate(
        [engine.predict_arrays(tensors[i : i + gather], annotations[i : i + gather]) for i in range(0, len(tensors), gather)]
    )


def test_micro_batches_cover_every_row_once_zero_padded():
    tensors = np.arange(37 * 2, dtype=np.float32).reshape(37, 2) + 1
    chunks = list(micro_batches(tensors, tensors[:, :1], 16))
    assert [(start, rows) for start, rows, _, _ in chunks] == [(0, 16), (16, 16), (32, 5)]
    assert all(t.shape == (16, 2) and a.shape == (16, 1) for _, _, t, a in chunks)
    last = chunks[-1][2]
    np.testing.assert_array_equal(last[:5], tensors[32:])
    assert not last[5:].any()  # zeros, never uninitialised memory


# Gather sizes a caller may use (GATK's --inference-batch-size, ours) and how many rows each scores; the
# reference is each of the first ALONE rows scored on its own (gather 1). Kept small for 2D (3 GFLOP a row).
GATHERS = {
    "1d": [(3, 96), (37, 1024), (64, 1024), (256, 1024), (1024, 1024)],
    "2d": [(3, 16), (37, 64), (64, 64)],
    "2d-dense": [(3, 40), (37, 40), (64, 40)],  # 40 rows: every one of the 16 positions of the dense shape, and more
    "1d-int8": [(3, 96), (37, 256), (64, 256), (256, 256)],
}
ALONE = {"1d": 96, "2d": 16, "2d-dense": 40, "1d-int8": 96}


CASES = [(kind, "tensorflow") for kind in ("1d", "2d")] + [
    pytest.param(kind, ACCEL, marks=pytest.mark.skipif(not HAS_ACCEL, reason=f"{ACCEL_MODULE} missing"))
    for kind in ("1d", "2d", "2d-dense", "1d-int8")
    if kind != "1d-int8" or ACCEL == "openvino"
]


@pytest.mark.slow  # 1D 39-47 s each (1,024 rows x 5 gathers), 2D 5-28 s
@pytest.mark.parametrize(("kind", "backend"), CASES)
def test_row_scores_do_not_depend_on_batch_size_or_position(engines, testdata, kind, backend):
    engine = engines(kind, backend)
    runs = engine.exact.shapes if engine.exact is not None else engine.backend.shapes
    runs.seen.clear()  # count only what this test's predictions run (not the exact-rows load-time proofs)
    tensors, annotations = _real_rows(testdata, kind[:2], max(n for _, n in GATHERS[kind]), seed=1)
    key = [t.tobytes() + a.tobytes() for t, a in zip(tensors, annotations)]
    first = np.array([key.index(k) for k in key])  # each row's first occurrence
    alone = _predict(engine, tensors[: ALONE[kind]], annotations[: ALONE[kind]], gather=1)
    assert np.unique(np.round(alone, 4), axis=0).shape[0] > 3, "real rows must give distinct scores"
    for gather, n in GATHERS[kind]:
        got = _predict(engine, tensors[:n], annotations[:n], gather)
        np.testing.assert_array_equal(got[: len(alone)], alone[:n], err_msg=f"gather {gather}: differs from rows alone")
        # the same row at any later position, in any batch, scores exactly like its first occurrence
        np.testing.assert_array_equal(got, got[first[:n]], err_msg=f"gather {gather}: repeated rows differ")
    shuffled = np.random.default_rng(2).permutation(len(alone))
    np.testing.assert_array_equal(_predict(engine, tensors[shuffled], annotations[shuffled], gather=7), alone[shuffled])
    tensor_shape = engine.frozen.tensor_shape
    if engine.exact is not None:  # each variant alone (batch 1) at exactly its R + 1 rows, nothing rounded up
        heights = set(engine.exact.route(tensors).tolist())
        assert len(heights) > 3
        assert engine.exact.shapes.seen == {(1, h, *tensor_shape[1:]) for h in heights}
    else:  # every batch, whatever its size, reached the runtime at the one micro-batch shape
        assert engine.backend.shapes.seen == {(engine.micro_batch, *tensor_shape)}
    tensor_type = "reference" if kind.startswith("1d") else "read_tensor"
    assert engine.micro_batch == engine.config.resolved(tensor_type).micro_batch  # the default for this CPU and precision
    if not kind.endswith("int8"):
        assert engine.micro_batch == DEFAULT_MICRO_BATCH[backend][tensor_type]


@pytest.mark.slow  # builds each model on both backends (2D: exact rows, 128 heights proven): up to 15 s
@pytest.mark.skipif(not HAS_ACCEL, reason=f"{ACCEL_MODULE} is not installed")
@pytest.mark.parametrize("kind", ["1d", "2d"])
def test_accelerated_backend_matches_tensorflow(engines, testdata, kind):
    tensors, annotations = _real_rows(testdata, kind, 40, seed=3)
    reference = _predict(engines(kind, "tensorflow"), tensors, annotations, gather=40)
    accel = engines(kind, ACCEL)
    got = _predict(accel, tensors, annotations, gather=40)
    if ACCEL == "openvino":
        assert accel.backend.precision == "fp32"
    np.testing.assert_allclose(
        got, reference, rtol=0, atol=FP32_TOLERANCE if accel.backend.precision == "fp32" else BF16_TOLERANCE
    )


@pytest.mark.parametrize("kind", ["1d", "2d"])
def test_frozen_graph_matches_unfrozen_keras(engines, models, testdata, kind):
    tensors, annotations = _real_rows(testdata, kind, 8, seed=4)
    keras_probs = models[kind][1]([tensors, annotations], training=False).numpy()  # op by op: nothing for OVTF to take
    np.testing.assert_allclose(
        _predict(engines(kind, "tensorflow"), tensors, annotations, 8), keras_probs, rtol=0, atol=FP32_TOLERANCE
    )


def test_keras_style_predict_accepts_list_and_dict(engines, testdata):
    tensors, annotations = _real_rows(testdata, "2d", 4, seed=5)
    engine = engines("2d", "tensorflow")
    a = engine.predict([tensors, annotations], batch_size=3)
    b = engine.predict({"read_tensor": tensors, "best_practices": annotations})
    np.testing.assert_array_equal(a, b)


def test_config_follows_intel_switch_then_flags_then_env():
    env = {"VQSR_CNN_BACKEND": "openvino", "OPENVINO_TF_DISABLE": "1"}
    assert EngineConfig.from_env(env).backend == "tensorflow"
    assert EngineConfig.from_env(env, backend="openvino").backend == "tensorflow"  # the switch always wins
    assert EngineConfig.from_env({"VQSR_CNN_BACKEND": "openvino"}).backend == "openvino"
    assert EngineConfig.from_env({"VQSR_CNN_BACKEND": "openvino"}, backend="tensorflow").backend == "tensorflow"
    expected_default = (
        "openvino"
        if importlib.util.find_spec("openvino")
        else ("openvino-tensorflow" if importlib.util.find_spec("openvino_tensorflow") else "tensorflow")
    )
    assert EngineConfig.from_env({}).resolved("reference").backend == expected_default
    config = EngineConfig.from_env({"VQSR_CNN_PRECISION": "BF16", "VQSR_CNN_MICRO_BATCH": "24", "VQSR_CNN_OV_HINT": "latency"})
    assert (config.precision, config.micro_batch, config.ov_hint) == ("bf16", 24, "LATENCY")
    assert EngineConfig(backend="openvino").resolved("read_tensor").micro_batch == DEFAULT_MICRO_BATCH["openvino"]["read_tensor"]
    assert EngineConfig(backend="tensorflow").resolved("reference").micro_batch == 1
    with pytest.raises(ValueError, match="unknown backend 'cuda'"):
        EngineConfig.from_env({}, backend="cuda")
    with pytest.raises(ValueError, match="unknown precision 'fp8'"):
        EngineConfig.from_env({"VQSR_CNN_PRECISION": "fp8"})
    with pytest.raises(ValueError, match="VQSR_CNN_MICRO_BATCH"):
        EngineConfig.from_env({"VQSR_CNN_MICRO_BATCH": "many"})


@pytest.mark.skipif(importlib.util.find_spec("openvino") is None, reason="openvino is not installed")
def test_bf16_request_reports_the_precision_that_really_runs(models, caplog):
    from vqsr_cnn.engine.cpu import cpu_info

    args, model = models["1d"]
    engine = Engine(model, args, EngineConfig(backend="openvino", precision="bf16"))
    if cpu_info().bf16:
        assert engine.backend.precision == engine.executed_precision == "bf16"
        assert "runs" not in caplog.text
    else:
        assert engine.backend.precision == engine.executed_precision == "fp32"
        assert "precision bf16 requested, fp32 runs: this CPU has no native bf16" in caplog.text
