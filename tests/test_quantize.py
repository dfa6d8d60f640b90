"""A tiny real NNCF quantisation (seconds): accuracy-controlled INT8 model, cached and reloaded by hash."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("nncf")
pytest.importorskip("openvino")

from score_helpers import scores_by_hand

from vqsr_cnn.engine import quantize
from vqsr_cnn.engine.convert import openvino_model


def _tiny_model():
    from vqsr_cnn.models.keras_compat import keras

    k = keras()
    k.utils.set_random_seed(3)
    reference = k.Input(shape=(16, 4), name="reference")
    x = k.layers.Conv1D(8, 3, activation="relu")(reference)
    x = k.layers.Flatten()(x)
    annotations = k.Input(shape=(7,), name="best_practices")
    a = k.layers.Dense(4, activation="relu")(annotations)
    x = k.layers.Concatenate()([x, a])
    out = k.layers.Dense(4, activation="softmax")(x)
    return k.Model([reference, annotations], out)


def _data(n: int, seed: int):
    rng = np.random.default_rng(seed)
    tensors = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n, 16))]
    annotations = rng.normal(size=(n, 7)).astype(np.float32)
    types = ["SNP" if i % 2 else "INDEL" for i in range(n)]
    return tensors, annotations, types


def test_tiny_accuracy_controlled_quantisation_is_cached(tmp_path, monkeypatch) -> None:
    import openvino as ov

    from vqsr_cnn.engine.freeze import freeze

    model = _tiny_model()
    weights = tmp_path / "tiny.hd5"
    model.save(str(weights), save_format="h5")
    frozen = freeze(model)
    cal_t, cal_a, _ = _data(64, 1)
    val_t, val_a, val_types = _data(64, 2)
    settings = quantize.QuantizeSettings(max_score_delta=0.4, subset_size=64, cache_dir=str(tmp_path / "cache"))
    calls = []

    def data():
        calls.append(1)
        return (cal_t, cal_a), (val_t, val_a, val_types)

    q = quantize.int8_model(frozen, weights, data, settings)
    assert q is not None and calls == [1]
    assert quantize.quantized_layer_count(q) >= 1, "no INT8 layer in the model"
    # the promise: INT8 scores within the limit of FP32 scores on the validation tensors
    core = ov.Core()
    fp32 = core.compile_model(openvino_model(frozen), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    from vqsr_cnn.scores import scores_for_types

    fp32_probs = quantize._infer(fp32, val_t, val_a)
    reference = scores_for_types(fp32_probs, val_types)
    np.testing.assert_allclose(reference, scores_by_hand(fp32_probs, val_types), rtol=1e-5, atol=1e-5)
    compiled = core.compile_model(q, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    delta = quantize.score_delta(compiled, val_t, val_a, reference, val_types)
    assert np.percentile(delta, 99) <= 0.4 * 1.05
    cached = list((tmp_path / "cache").glob("tiny.int8-*/model.xml"))
    assert len(cached) == 1, "cached as one entry in the cache dir"
    assert not list(tmp_path.glob("*.xml")), "never beside the weights (a model download could plant files there)"
    again = quantize.int8_model(frozen, weights, data, settings)
    assert again is not None and calls == [1], "second call must load from the cache, not recalibrate"


def test_unreachable_accuracy_limit_falls_back_to_fp32(tmp_path, monkeypatch, caplog) -> None:
    """Real NNCF cannot meet an absurd limit: the result is None (run FP32), with a warning, and nothing cached."""
    import logging

    from vqsr_cnn.engine.freeze import freeze

    model = _tiny_model()
    weights = tmp_path / "tiny.hd5"
    model.save(str(weights), save_format="h5")
    cal_t, cal_a, _ = _data(32, 1)
    val_t, val_a, val_types = _data(32, 2)
    settings = quantize.QuantizeSettings(max_score_delta=1e-6, subset_size=32, cache_dir=str(tmp_path / "cache"))
    with caplog.at_level(logging.WARNING, logger="vqsr_cnn"):
        q = quantize.int8_model(freeze(model), weights, lambda: ((cal_t, cal_a), (val_t, val_a, val_types)), settings)
    assert q is None
    assert "falling back to FP32" in caplog.text
    assert not list(tmp_path.rglob("*.xml"))
