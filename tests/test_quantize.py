"""INT8: a tiny real NNCF quantisation (accuracy-controlled, cached, reloaded by hash), every way it can fail
becoming one reason and FP32, and the engine building INT8 itself (exact rows included) on every path."""

from __future__ import annotations

import numpy as np
import pytest
from score_helpers import scores_by_hand

from vqsr_cnn.engine.convert import openvino_model
from vqsr_cnn.engine.int8 import quantize
from vqsr_cnn.engine.int8.quantize import Int8Unavailable
from vqsr_cnn.engine.int8.settings import QuantizeSettings

pytestmark = pytest.mark.slow  # NNCF quantisation throughout


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
    settings = QuantizeSettings(max_score_delta=0.4, subset_size=64, cache_dir=str(tmp_path / "cache"))
    calls = []

    def data():
        calls.append(1)
        return (cal_t, cal_a), (val_t, val_a, val_types)

    q = quantize.int8_model(frozen, weights, data, settings)
    assert calls == [1]
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
    again = quantize.int8_model(frozen, weights, None, settings)
    assert quantize.quantized_layer_count(again) == quantize.quantized_layer_count(q)
    assert calls == [1], "second call must load from the cache, not recalibrate"


def test_activation_ranges_reach_nncf_and_set_the_int8_ranges(monkeypatch) -> None:
    """`QuantizeSettings.ranges` (histogram by default) is the estimator NNCF calibrates with, and it changes the
    activation ranges of the INT8 model."""
    import nncf
    from nncf.quantization.range_estimator import RangeEstimatorParametersSet

    from vqsr_cnn.engine.freeze import freeze

    assert QuantizeSettings().ranges == "histogram"
    seen = []
    real = nncf.quantize_with_accuracy_control

    def spy(*args, **kwargs):
        seen.append(kwargs.get("advanced_quantization_parameters"))
        return real(*args, **kwargs)

    monkeypatch.setattr(nncf, "quantize_with_accuracy_control", spy)
    frozen = freeze(_tiny_model())
    cal_t, cal_a, _ = _data(64, 1)
    val_t, val_a, val_types = _data(64, 2)
    limits = {}
    for ranges in ("histogram", "minmax"):
        settings = QuantizeSettings(max_score_delta=0.4, subset_size=64, ranges=ranges)
        model = quantize.quantize_model(frozen, (cal_t, cal_a), (val_t, val_a, val_types), settings)
        limits[ranges] = [
            float(np.max(op.input_value(2).get_node().get_data()))
            for op in model.get_ops()
            if op.get_type_name() == "FakeQuantize" and op.input_value(0).get_node().get_type_name() != "Constant"
        ]
    assert seen[0].activations_range_estimator_params == RangeEstimatorParametersSet.HISTOGRAM and seen[1] is None
    assert limits["histogram"] and len(limits["histogram"]) == len(limits["minmax"])
    assert limits["histogram"] != limits["minmax"], "the estimator must change the activation ranges"


def test_unreachable_accuracy_limit_is_a_reason_and_nothing_is_cached(tmp_path) -> None:
    """Real NNCF cannot meet an absurd limit: Int8Unavailable says so (the engine then runs FP32), nothing cached."""
    from vqsr_cnn.engine.freeze import freeze

    model = _tiny_model()
    weights = tmp_path / "tiny.hd5"
    model.save(str(weights), save_format="h5")
    cal_t, cal_a, _ = _data(32, 1)
    val_t, val_a, val_types = _data(32, 2)
    settings = QuantizeSettings(max_score_delta=1e-6, subset_size=32, cache_dir=str(tmp_path / "cache"))
    with pytest.raises(Int8Unavailable, match="INT8 quantisation failed"):
        quantize.int8_model(freeze(model), weights, lambda: ((cal_t, cal_a), (val_t, val_a, val_types)), settings)
    assert not list(tmp_path.rglob("*.xml"))


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (RuntimeError("NNCF exploded"), "INT8 quantisation failed (RuntimeError: NNCF exploded)"),
        (
            quantize.QuantizationError("INT8 p99 |dscore| 0.900 exceeds 0.1 after accuracy control"),
            "INT8 quantisation failed (QuantizationError: INT8 p99 |dscore| 0.900 exceeds 0.1",
        ),
    ],
)
def test_a_failing_quantisation_becomes_one_reason_and_nothing_is_cached(tmp_path, monkeypatch, error, message) -> None:
    weights = tmp_path / "model.hd5"
    weights.write_bytes(b"not really weights")
    calls = []

    def data():
        calls.append(1)
        return (np.zeros((2, 4), np.float32), np.zeros((2, 7), np.float32)), (None, None, [])

    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(quantize, "quantize_model", broken)
    with pytest.raises(Int8Unavailable) as caught:
        quantize.int8_model(None, weights, data, QuantizeSettings(cache_dir=str(tmp_path / "cache")))
    assert message in str(caught.value) and calls == [1]
    assert not list(tmp_path.rglob("*.xml")), "a failed quantisation must not be cached"


def test_nothing_cached_and_no_data_is_a_reason(tmp_path) -> None:
    weights = tmp_path / "model.hd5"
    weights.write_bytes(b"w")
    with pytest.raises(Int8Unavailable, match="no cached INT8 model for these weights and no data"):
        quantize.int8_model(None, weights, None, QuantizeSettings(cache_dir=str(tmp_path / "cache")))


# ---------------------------------------------------------------- the engine builds INT8 itself


def _tiny_engine(tmp_path, **kwargs):
    from vqsr_cnn.engine import Engine, EngineConfig
    from vqsr_cnn.models.gatk_format import spec_from_model

    model = _tiny_model()
    weights = tmp_path / "tiny.hd5"
    model.save(str(weights), save_format="h5")
    spec = spec_from_model(model, hd5_path=str(weights))
    config = EngineConfig(backend="openvino", precision="int8", cache_dir=str(tmp_path / "cache"))
    return model, spec, Engine(model, spec, config, **kwargs)


def test_int8_without_data_waits_for_the_first_variants_and_too_few_means_fp32_said_once(tmp_path, caplog) -> None:
    import logging

    from vqsr_cnn.engine import Engine, EngineConfig

    with caplog.at_level(logging.INFO, logger="vqsr_cnn"):
        model, spec, engine = _tiny_engine(tmp_path)
        assert engine.needs_calibration  # nothing cached, no data: built by the first calibrate()
        with pytest.raises(RuntimeError, match="call calibrate"):
            engine.predict_arrays(*_data(2, 3)[:2])
        tensors, annotations, types = _data(5, 3)
        engine.calibrate(tensors, annotations, types)  # 5 < 20 variants: FP32, and the user is told why
    assert not engine.needs_calibration and engine.executed_precision == "fp32"
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and r.name == "vqsr_cnn"]
    assert warnings == [
        "vqsr_cnn: precision int8 requested, fp32 runs: only 5 variants to calibrate INT8 on (need 20); make the INT8 "
        "model beforehand with `vqsr-cnn quantize`"
    ]
    fp32 = Engine(model, spec, EngineConfig(backend="openvino", precision="fp32"))
    np.testing.assert_array_equal(engine.predict_arrays(tensors, annotations), fp32.predict_arrays(tensors, annotations))


def test_int8_engine_calibrates_on_its_first_variants_then_loads_from_the_cache(tmp_path) -> None:
    from vqsr_cnn.engine import Engine

    settings = QuantizeSettings(max_score_delta=0.4, subset_size=32)
    model, spec, engine = _tiny_engine(tmp_path, quantize=settings)
    tensors, annotations, types = _data(64, 4)
    engine.calibrate(tensors, annotations, types)
    assert engine.executed_precision.startswith("int8"), engine.precision
    int8 = engine.predict_arrays(tensors, annotations)
    again = Engine(model, spec, engine.config, quantize=settings)  # a later run: from the cache, no data needed
    assert not again.needs_calibration
    np.testing.assert_array_equal(again.predict_arrays(tensors, annotations), int8)


@pytest.mark.slow
def test_quantize_command_makes_the_model_that_scoring_at_int8_then_loads(tmp_path, testdata, monkeypatch, caplog) -> None:
    import logging

    from vqsr_cnn.cli import main

    monkeypatch.setenv("VQSR_CNN_CACHE_DIR", str(tmp_path / "cache"))
    d = testdata / "hg004_chr21"
    inputs = ["-V", str(d / "NA24143.vcf.gz"), "-R", str(d / "hg38_chr21_22000000_23000000.fasta"), "--tensor-type", "reference"]
    assert main(["quantize", *inputs, "--records", "200"]) == 0
    entries = [p for p in (tmp_path / "cache").glob("cnn_1d.int8-*") if p.is_dir()]
    assert len(entries) == 1 and (entries[0] / "manifest.json").is_file()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="vqsr_cnn"):
        assert main(["score", *inputs, "-O", str(tmp_path / "out.vcf"), "--precision", "int8", "-L", "chr21:1-3000000"]) == 0
    assert "INT8 model from cache" in caplog.text and "INT8 quantisation:" not in caplog.text
    assert "precision=int8" in caplog.text
