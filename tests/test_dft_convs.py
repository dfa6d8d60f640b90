"""FP32 convolutions along a fixed-length axis as DFT products: the same correlation, fewer multiply-adds."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from vqsr_cnn.engine.dft_convs import MIN_GAIN, dft_gain, dft_matrices

HAS_OPENVINO = importlib.util.find_spec("openvino") is not None


def _correlate(x: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """Valid stride-1 correlation along axis 1 of x (B, N, C) with taps (C_out, C, K): (B, N - K + 1, C_out)."""
    k = taps.shape[2]
    windows = np.lib.stride_tricks.sliding_window_view(x, k, axis=1)  # (B, N_out, C, K)
    return np.einsum("bmck,ock->bmo", windows, taps)


@pytest.mark.parametrize("n, k", [(13, 4), (12, 5), (117, 12), (128, 25)])  # odd and even N (the Nyquist bin)
def test_three_products_equal_the_correlation_in_float64(n, k):
    rng = np.random.default_rng(n)
    taps, x = rng.standard_normal((3, 5, k)), rng.standard_normal((2, n, 5))
    forward, mix, inverse = dft_matrices(taps, n)
    bins = n // 2 + 1
    spectrum = np.einsum("gn,bnc->bgc", forward, x)  # rows: Re of each bin, then Im
    per_bin = np.concatenate([spectrum[:, :bins], spectrum[:, bins:]], axis=2)  # (B, F, 2C)
    mixed = np.einsum("bfc,fcd->bfd", per_bin, mix)
    mixed = np.concatenate([mixed[..., :3], mixed[..., 3:]], axis=1)  # (B, 2F, C_out)
    got = np.einsum("mg,bgd->bmd", inverse, mixed)
    np.testing.assert_allclose(got, _correlate(x, taps), rtol=0, atol=1e-10)


def test_gain_counts_pick_the_long_wide_convolutions_of_the_bundled_models():
    assert dft_gain(117, 12, 256, 256) >= MIN_GAIN  # conv1d_2
    assert dft_gain(106, 12, 256, 128) >= MIN_GAIN  # conv1d_3
    assert dft_gain(128, 25, 64, 48) >= MIN_GAIN  # conv2d_2
    assert dft_gain(128, 12, 4, 256) < 1  # conv1d_1: four input channels, nothing to save
    assert dft_gain(104, 25, 32, 24) < MIN_GAIN  # conv2d_4: fewer multiply-adds, but slower for its transposes


def _conv_model(c: int, co: int, k: int, n: int, taps: np.ndarray):
    """Convolution (1, K) over (B, C, H, N) with H dynamic (as in the exact-rows cut model), bias and ReLU after it."""
    import openvino as ov

    ops = ov.opset13
    x = ops.parameter([-1, c, -1, n], np.float32, name="x")
    conv = ops.convolution(x, ops.constant(taps[:, :, None, :].astype(np.float32)), [1, 1], [0, 0], [0, 0], [1, 1])
    bias = ops.constant(np.linspace(-0.5, 0.5, co, dtype=np.float32).reshape(1, co, 1, 1))
    return ov.Model([ops.relu(ops.add(conv, bias))], [x])


@pytest.mark.skipif(not HAS_OPENVINO, reason="openvino is not installed")
def test_rewritten_model_runs_the_products_and_matches_the_direct_convolution_in_fp32():
    import openvino as ov

    from vqsr_cnn.engine.dft_convs import dft_convs

    rng = np.random.default_rng(5)
    c, co, k, n = 64, 48, 25, 128
    taps = (rng.standard_normal((co, c, k)) / np.sqrt(c * k)).astype(np.float32)
    x = np.maximum(rng.standard_normal((2, c, 9, n)), 0).astype(np.float32)
    direct, rewritten = _conv_model(c, co, k, n, taps), _conv_model(c, co, k, n, taps)
    assert dft_convs(rewritten) == 1
    assert [op.get_type_name() for op in rewritten.get_ordered_ops()].count("Convolution") == 0
    assert [op.get_type_name() for op in rewritten.get_ordered_ops()].count("MatMul") == 3
    core = ov.Core()
    outputs = [
        core.compile_model(m, "CPU", {"INFERENCE_PRECISION_HINT": "f32"}).create_infer_request().infer([x])[0]
        for m in (direct, rewritten)
    ]
    assert outputs[1].shape == (2, co, 9, n - k + 1)
    # the bias and ReLU act on the last product (where the plugin fuses them), then one transpose to channels-first
    node = rewritten.get_results()[0].input(0).get_source_output().get_node()
    chain = []
    for _ in range(4):
        chain.append(node.get_type_name())
        node = node.input(0).get_source_output().get_node()
    assert chain == ["Transpose", "Relu", "Add", "MatMul"]
    bias = np.linspace(-0.5, 0.5, co)
    exact = (
        np.maximum(_correlate(x.transpose(0, 2, 3, 1).reshape(-1, n, c).astype(np.float64), taps.astype(np.float64)) + bias, 0)
        .reshape(2, 9, n - k + 1, co)
        .transpose(0, 3, 1, 2)
    )
    scale = np.abs(exact).max()
    errors = [np.abs(out - exact).max() / scale for out in outputs]
    # As accurate as the direct convolution (here 5.2e-7 vs 1.1e-6), with a floor for CPUs whose direct sums err less
    assert errors[1] < 1e-5 and errors[1] < max(4 * errors[0], 2e-6), errors


@pytest.mark.skipif(not HAS_OPENVINO, reason="openvino is not installed")
def test_an_add_that_is_not_a_channel_bias_stays_after_the_transpose():
    """An Add varying along positions (not per channel) cannot move onto the products' channels-last output."""
    import openvino as ov

    from vqsr_cnn.engine.dft_convs import dft_convs

    ops = ov.opset13
    rng = np.random.default_rng(7)
    c, co, k, n = 64, 48, 25, 128
    taps = (rng.standard_normal((co, c, k)) / np.sqrt(c * k)).astype(np.float32)
    ramp = np.linspace(-1, 1, n - k + 1, dtype=np.float32).reshape(1, 1, 1, -1)
    models = []
    for _ in range(2):
        x = ops.parameter([-1, c, -1, n], np.float32, name="x")
        conv = ops.convolution(x, ops.constant(taps[:, :, None, :]), [1, 1], [0, 0], [0, 0], [1, 1])
        models.append(ov.Model([ops.relu(ops.add(conv, ops.constant(ramp)))], [x]))
    assert dft_convs(models[1]) == 1
    types = [op.get_type_name() for op in models[1].get_ordered_ops()]
    assert types.index("Transpose", types.index("MatMul")) < types.index("Add") < types.index("Relu")
    data = np.maximum(rng.standard_normal((1, c, 5, n)), 0).astype(np.float32)
    direct, products = (
        ov.Core().compile_model(m, "CPU", {"INFERENCE_PRECISION_HINT": "f32"}).create_infer_request().infer([data])[0]
        for m in models
    )
    np.testing.assert_allclose(products, direct, rtol=0, atol=1e-5 * np.abs(direct).max())


@pytest.mark.skipif(not HAS_OPENVINO, reason="openvino is not installed")
def test_short_or_narrow_convolutions_are_left_alone():
    from vqsr_cnn.engine.dft_convs import dft_convs

    rng = np.random.default_rng(6)
    narrow = _conv_model(4, 256, 12, 128, rng.standard_normal((256, 4, 12)))
    assert dft_convs(narrow) == 0
    assert [op.get_type_name() for op in narrow.get_ordered_ops()].count("Convolution") == 1
    # 512 -> 512 channels over 128 positions: 8x fewer multiply-adds, but 272 MB of per-bin matrices
    wide = _conv_model(512, 512, 25, 128, np.zeros((512, 512, 25), dtype=np.float32))
    assert dft_gain(128, 25, 512, 512) >= MIN_GAIN and dft_convs(wide) == 0


def _layer_types(compiled) -> list[str]:
    return [op.get_rt_info()["layerType"].astype(str) for op in compiled.get_runtime_model().get_ordered_ops()]


@pytest.mark.slow  # four engines, two of them 2D with 128 heights proven: ~20 s
@pytest.mark.skipif(not HAS_OPENVINO, reason="openvino is not installed")
@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_engine_rewrites_exactly_where_fp32_runs(model_1d_paths, model_2d_paths, precision):
    """1D: conv1d_2 and conv1d_3 become products at FP32, conv1d_1 stays; 2D: conv2d_2, in the dense model and the
    exact-rows cut model alike. BF16 (where the CPU runs it) keeps every convolution."""
    from vqsr_cnn.engine import Engine, EngineConfig
    from vqsr_cnn.models.gatk_format import load_model_pair

    for paths, convolutions in ((model_1d_paths, 3), (model_2d_paths, 4)):
        spec, keras = load_model_pair(*paths)
        engine = Engine(keras, spec, EngineConfig(backend="openvino", precision=precision))
        compiled = [engine.backend.compiled] + ([engine.exact.compiled] if engine.exact is not None else [])
        kept = convolutions - (2 if convolutions == 3 else 1) if engine.backend.precision == "fp32" else convolutions
        for model in compiled:
            assert _layer_types(model).count("Convolution") == kept
        del engine
