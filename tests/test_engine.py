"""Engine: frozen graph equals Keras, backends agree, padding is invisible, each shape compiles once."""

from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np
import pytest

from vqsr_cnn.engine import Engine, bucket_sizes, select_backend
from vqsr_cnn.engine.batching import pad_rows, plan
from vqsr_cnn.models.gatk_format import load_model_pair

BATCH = 16
# The accelerated backend under test: openvino here, openvino-tensorflow in the legacy Python 3.9 environment.
ACCEL = os.environ.get("VQSR_CNN_BACKEND", "openvino")
ACCEL_MODULE = {"openvino": "openvino", "openvino-tensorflow": "openvino_tensorflow"}.get(ACCEL, ACCEL)
HAS_ACCEL = importlib.util.find_spec(ACCEL_MODULE) is not None
# OpenVINO FP32 tracks TF to 1e-4; the legacy integration runs its bundled OpenVINO in BF16 (measured |dp| <= 2.2e-3).
ACCEL_TOLERANCE = 1e-4 if ACCEL == "openvino" else 5e-3
needs_accel = pytest.mark.skipif(not HAS_ACCEL, reason=f"{ACCEL_MODULE} is not installed")
LEGACY_TF = not importlib.util.find_spec("tf_keras")  # TF 2.9's kernels differ in the last bit across batch shapes


@pytest.fixture(scope="module")
def model_2d(model_2d_paths):
    return load_model_pair(*model_2d_paths)


@pytest.fixture(scope="module")
def batch_2d():
    rng = np.random.default_rng(3)
    tensors = rng.random((37, 128, 128, 15), dtype=np.float32)
    annotations = (rng.normal(size=(37, 7)) * [5, 30, 1, 5, 5, 1, 1]).astype(np.float32)
    return tensors, annotations


@pytest.fixture(scope="module")
def engines(model_2d):
    args, model = model_2d
    names = ("tensorflow", ACCEL) if HAS_ACCEL else ("tensorflow",)
    return {name: Engine(model, args, backend=name, batch_size=BATCH) for name in names}


def test_buckets_and_plan_cover_every_row_once():
    assert bucket_sizes(256) == (32, 64, 128, 256)
    assert bucket_sizes(4) == (1, 2, 4)
    chunks = list(plan(37, bucket_sizes(16)))
    assert chunks == [(0, 16, 16), (16, 32, 16), (32, 37, 8)]
    padded = pad_rows(np.ones((3, 2), dtype=np.float32), 8)
    assert padded.shape == (8, 2) and padded[3:].sum() == 0


def test_frozen_graph_matches_unfrozen_keras(engines, model_2d, batch_2d):
    tensors, annotations = batch_2d
    keras_probs = model_2d[1]([tensors[:8], annotations[:8]], training=False).numpy()
    frozen = engines["tensorflow"].predict_arrays(tensors[:8], annotations[:8])
    # Once openvino_tensorflow is imported it rewrites every TF graph in the process (BF16 on this CPU).
    legacy_rewrite = "openvino_tensorflow" in sys.modules
    np.testing.assert_allclose(frozen, keras_probs, atol=ACCEL_TOLERANCE if legacy_rewrite else 1e-5)


@needs_accel
def test_openvino_fp32_matches_tensorflow(engines, batch_2d):
    tf_probs = engines["tensorflow"].predict_arrays(*batch_2d)
    ov_probs = engines[ACCEL].predict_arrays(*batch_2d)
    if ACCEL == "openvino":
        assert engines[ACCEL].backend.precision == "fp32"
    np.testing.assert_allclose(ov_probs, tf_probs, atol=ACCEL_TOLERANCE)


@pytest.mark.parametrize("backend", ["tensorflow", pytest.param(ACCEL, marks=needs_accel)])
def test_padded_final_batch_scores_like_rows_alone_and_compiles_once_per_shape(engines, batch_2d, backend):
    engine = engines[backend]
    tensors, annotations = batch_2d
    together = engine.predict_arrays(tensors, annotations)  # 16 + 16 + 5 rows padded to 8
    for n in (1, 3, 5, 9, 16, 2, 7, 37, 11):
        alone = engine.predict_arrays(tensors[:n], annotations[:n])
        if LEGACY_TF:
            np.testing.assert_allclose(alone, together[:n], rtol=0, atol=1e-6)
        else:
            np.testing.assert_array_equal(alone, together[:n])  # bit-identical: padding rows never leak
    assert engine.compiles <= len(bucket_sizes(BATCH))  # 2, 4, 8, 16 at most, whatever the lengths


def test_keras_style_predict_accepts_list_and_dict(engines, batch_2d):
    tensors, annotations = batch_2d
    engine = engines["tensorflow"]
    a = engine.predict([tensors[:4], annotations[:4]])
    b = engine.predict({"read_tensor": tensors[:4], "best_practices": annotations[:4]})
    np.testing.assert_array_equal(a, b)


def test_backend_selection_follows_intel_switch_then_env(monkeypatch):
    monkeypatch.delenv("OPENVINO_TF_DISABLE", raising=False)
    monkeypatch.setenv("VQSR_CNN_BACKEND", "openvino")
    monkeypatch.setenv("OPENVINO_TF_DISABLE", "1")
    assert select_backend() == "tensorflow"
    monkeypatch.delenv("OPENVINO_TF_DISABLE")
    assert select_backend() == "openvino"
    assert select_backend("tensorflow") == "tensorflow"
    monkeypatch.delenv("VQSR_CNN_BACKEND")
    expected_default = "openvino" if importlib.util.find_spec("openvino") else (
        "openvino-tensorflow" if importlib.util.find_spec("openvino_tensorflow") else "tensorflow")
    assert select_backend() == expected_default
    with pytest.raises(ValueError, match="unknown backend"):
        select_backend("cuda")


@needs_accel
def test_1d_engine_matches_keras(model_1d_paths):
    args, model = load_model_pair(*model_1d_paths)
    rng = np.random.default_rng(5)
    ref = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(10, 128))]
    ann = rng.normal(size=(10, 7)).astype(np.float32)
    engine = Engine(model, args, backend=ACCEL, batch_size=8)
    np.testing.assert_allclose(engine.predict_arrays(ref, ann), model([ref, ann], training=False).numpy(),
                               atol=ACCEL_TOLERANCE)
