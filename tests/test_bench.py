"""The bench's refusals, FLOP counting and the INT8 fallback (no timing here: benches are not unit tests)."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from vqsr_cnn.bench.flops import layer_macs, model_flops
from vqsr_cnn.bench.options import MIN_VARIANTS, check_model_matches_data, check_variant_count
from vqsr_cnn.cli import main
from vqsr_cnn.engine import int8_cache, quantize


def test_refuses_too_few_variants() -> None:
    with pytest.raises(ValueError, match=f"at least {MIN_VARIANTS} variants"):
        check_variant_count(10, 8)
    with pytest.raises(ValueError, match="one full batch of 256"):
        check_variant_count(100, 256)
    check_variant_count(256, 256)


def test_cli_refuses_too_few_variants_before_loading_anything(tmp_path, capsys) -> None:
    code = main(["bench", "--tensor-type", "reference", "--variants", "5", "--data", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "vqsr-cnn bench: error: bench needs at least" in err and "--variants" in err


def test_refuses_model_whose_input_shape_does_not_match_data() -> None:
    tensors = np.zeros((2, 128, 128, 15), np.float32)
    annotations = np.zeros((2, 7), np.float32)
    with pytest.raises(ValueError, match=r"takes tensors of shape \(128, 4\) but the bench data .* are \(128, 128, 15\)"):
        check_model_matches_data((128, 4), 7, tensors, annotations, "m.hd5", "data")
    with pytest.raises(ValueError, match="takes 8 annotations"):
        check_model_matches_data((128, 128, 15), 8, tensors, annotations, "m.hd5", "data")
    check_model_matches_data((128, 128, 15), 7, tensors, annotations, "m.hd5", "data")


def _keras():
    from vqsr_cnn.models.keras_compat import keras

    return keras()


def test_flops_of_a_tiny_model_match_a_hand_count() -> None:
    k = _keras()
    seq = k.Input(shape=(10, 3))
    x = k.layers.Conv1D(4, 3, activation="relu")(seq)  # out 8 x 4: 8*4*(3*3) = 288 MACs
    x = k.layers.Flatten()(x)
    img = k.Input(shape=(6, 5, 2))
    y = k.layers.Conv2D(3, (2, 2))(img)  # out 5 x 4 x 3: 60 * (2*2*2) = 480 MACs
    y = k.layers.MaxPooling2D((1, 2))(y)  # no MACs
    y = k.layers.Flatten()(y)  # 5*2*3 = 30
    z = k.layers.Concatenate()([x, y])  # 32 + 30 = 62
    out = k.layers.Dense(2, activation="softmax")(z)  # 62*2 = 124 MACs
    model = k.Model([seq, img], out)
    assert sorted(layer_macs(layer) for layer in model.layers if layer_macs(layer)) == [124, 288, 480]
    assert model_flops(model) == 2 * (288 + 480 + 124)


def test_flops_of_gatk_small_2d_architecture() -> None:
    from vqsr_cnn.models.architectures import build_default_2d_annotation_model

    model = build_default_2d_annotation_model()
    # conv2d_1..4 (valid padding, two (3,1) max pools), annotation dense, fc_1 over 15,360 + 64, softmax
    macs = (
        104 * 128 * 64 * 25 * 15
        + 104 * 104 * 48 * 25 * 64
        + 80 * 104 * 32 * 25 * 48
        + 26 * 80 * 24 * 25 * 32
        + 7 * 64
        + (8 * 80 * 24 + 64) * 24
        + 24 * 4
    )
    assert model_flops(model) == 2 * macs == 3_019_903_040


def test_int8_falls_back_to_fp32_with_a_warning(tmp_path, monkeypatch, caplog) -> None:
    weights = tmp_path / "model.hd5"
    weights.write_bytes(b"not really weights")
    calls = []

    def data():
        calls.append(1)
        return (np.zeros((2, 4), np.float32), np.zeros((2, 7), np.float32)), (None, None, [])

    def broken(*args, **kwargs):
        raise RuntimeError("NNCF exploded")

    monkeypatch.setattr(quantize, "quantize_model", broken)
    with caplog.at_level(logging.WARNING, logger="vqsr_cnn"):
        model = quantize.int8_model(
            frozen=None, weights_path=weights, data=data, settings=quantize.QuantizeSettings(cache_dir=str(tmp_path / "cache"))
        )
    assert model is None and calls == [1]
    assert "INT8 quantisation failed (RuntimeError: NNCF exploded); falling back to FP32" in caplog.text
    assert quantize.engine_precision("int8", model) == "fp32"
    assert quantize.engine_precision("int8", object()) == "int8"
    assert not list(tmp_path.rglob("*.xml")), "a failed quantisation must not be cached"


def test_quantization_error_is_logged_and_int8_model_returns_none_for_fp32(tmp_path, monkeypatch, caplog) -> None:
    """A raising quantize_model (mocked: no real accuracy check runs here) becomes a warning and no INT8 model."""
    weights = tmp_path / "model.hd5"
    weights.write_bytes(b"w")

    def too_far(*args, **kwargs):
        raise quantize.QuantizationError("INT8 p99 |dscore| 0.900 exceeds 0.1 after accuracy control")

    monkeypatch.setattr(quantize, "quantize_model", too_far)
    with caplog.at_level(logging.WARNING, logger="vqsr_cnn"):
        assert (
            quantize.int8_model(None, weights, lambda: (None, None), quantize.QuantizeSettings(cache_dir=str(tmp_path / "cache")))
            is None
        )
    assert "exceeds 0.1" in caplog.text and "falling back to FP32" in caplog.text
    assert quantize.engine_precision("int8", None) == "fp32"
    assert not list(tmp_path.rglob("*.xml")), "nothing is cached when quantisation raised"


def test_int8_cache_key_follows_the_weights(tmp_path) -> None:
    settings = quantize.QuantizeSettings(cache_dir=str(tmp_path / "cache"))
    weights = tmp_path / "m.hd5"
    weights.write_bytes(b"one")
    first = int8_cache.cache_entry(weights, settings)
    weights.write_bytes(b"two")
    second = int8_cache.cache_entry(weights, settings)
    assert first.parent == tmp_path / "cache", "only the user cache dir, never beside the weights"
    assert first.name != second.name and first.name.startswith("m.int8-")


def test_engine_asked_for_int8_without_a_quantised_model_runs_and_says_fp32(caplog) -> None:
    from vqsr_cnn.engine import Engine, EngineConfig
    from vqsr_cnn.models.gatk_format import spec_from_model

    k = _keras()
    k.utils.set_random_seed(5)
    ref = k.Input(shape=(16, 4), name="reference")
    ann = k.Input(shape=(7,), name="best_practices")
    x = k.layers.Concatenate()([k.layers.Flatten()(k.layers.Conv1D(4, 3)(ref)), ann])
    model = k.Model([ref, ann], k.layers.Dense(4, activation="softmax")(x))
    rng = np.random.default_rng(0)
    tensors, annotations = rng.random((5, 16, 4), dtype=np.float32), rng.random((5, 7), dtype=np.float32)
    with caplog.at_level(logging.WARNING, logger="vqsr_cnn"):
        engine = Engine(model, spec_from_model(model), EngineConfig(backend="openvino", precision="int8"))
    assert engine.backend.precision == "fp32"
    assert "running fp32" in caplog.text
    fp32 = Engine(model, spec_from_model(model), EngineConfig(backend="openvino", precision="fp32"))
    np.testing.assert_allclose(
        engine.predict_arrays(tensors, annotations), fp32.predict_arrays(tensors, annotations), rtol=1e-6, atol=1e-7
    )


def test_overlapped_keeps_order_bounds_the_queue_and_reraises() -> None:
    import threading

    from vqsr_cnn.engine.overlap import overlapped

    produced, lock = [], threading.Lock()

    def produce(i: int) -> int:
        with lock:
            produced.append(i)
        return i * i

    seen_ahead, consumed = [], []
    for x in overlapped(range(20), produce, depth=2):
        with lock:
            seen_ahead.append(len(produced))
        consumed.append(x + 1)
    assert consumed == [i * i + 1 for i in range(20)]
    # when item k is consumed, at most k + 1 (in hand) + 2 (queued) + 1 (being put) have been produced
    assert all(ahead <= k + 4 for k, ahead in enumerate(seen_ahead))

    def bad(i: int) -> int:
        if i == 3:
            raise ValueError("data line 4: broken")
        return i

    with pytest.raises(ValueError, match="data line 4"):
        list(overlapped(range(10), bad))
