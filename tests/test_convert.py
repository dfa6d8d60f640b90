"""Frozen graph -> OpenVINO model without the conversion tool's telemetry, and the same model as convert_model."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

from vqsr_cnn.engine import Engine, EngineConfig
from vqsr_cnn.engine.convert import openvino_model
from vqsr_cnn.engine.exact_rows.proof import synthetic_tensors
from vqsr_cnn.engine.freeze import freeze
from vqsr_cnn.models.gatk_format import load_model_pair

pytestmark = pytest.mark.skipif(importlib.util.find_spec("openvino") is None, reason="openvino is not installed")


def test_read_graph_equals_convert_model_bit_for_bit(model_2d_paths, monkeypatch) -> None:
    import openvino as ov

    monkeypatch.setenv("CI", "true")  # the conversion tool's telemetry declines in CI jobs: no event from this test

    _, keras = load_model_pair(*model_2d_paths)
    frozen = freeze(keras)
    ours = openvino_model(frozen, batch=8)
    tool = ov.convert_model(
        frozen.graph_def,
        input=[(frozen.input_names[0], [8, *frozen.tensor_shape]), (frozen.input_names[1], [8, frozen.n_annotations])],
    )
    assert [i.get_any_name() for i in ours.inputs] == [i.get_any_name() for i in tool.inputs]
    core = ov.Core()
    tensors, annotations = synthetic_tensors(frozen.tensor_shape, [0, 3, 17, 40, 64, 100, 126, 128], 7, seed=1)
    outputs = [
        core.compile_model(m, "CPU", {"INFERENCE_PRECISION_HINT": "f32"}).create_infer_request().infer([tensors, annotations])[0]
        for m in (ours, tool)
    ]
    assert np.ptp(outputs[0][:, 0]) > 1e-3  # the inputs are told apart: the comparison is not vacuous
    np.testing.assert_array_equal(outputs[0], outputs[1])


@pytest.mark.slow  # a 2D engine, dense and exact rows: 8 s
def test_engines_never_call_the_conversion_tool(model_2d_paths, monkeypatch) -> None:
    """convert_model starts OpenVINO's tool telemetry (forked processes posting to Google Analytics)."""
    import openvino as ov

    def refuse(*_, **__):
        raise AssertionError("ov.convert_model was called")

    monkeypatch.setattr(ov, "convert_model", refuse)
    spec, keras = load_model_pair(*model_2d_paths)
    engine = Engine(keras, spec, EngineConfig(backend="openvino"))
    assert engine.exact is not None  # the dense model and the exact-rows cut model were both built
    tensors, annotations = synthetic_tensors((128, 128, 15), [5, 128], 7, seed=2)
    assert engine.predict_arrays(tensors, annotations).shape == (2, 4)


def _fresh_python(code: str, drop: tuple[str, ...], **extra: str) -> str:
    """The last line `code` prints in a new interpreter, without the variables in `drop` and with `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in drop} | extra
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout.strip().splitlines()[-1]


@pytest.mark.slow  # NNCF in two fresh interpreters
def test_int8_path_imports_nncf_with_its_telemetry_off() -> None:
    """In a fresh interpreter (NNCF turns its telemetry off by itself under pytest, so not in this one)."""
    check = "; from nncf.telemetry import wrapper; print(isinstance(wrapper.telemetry, wrapper.NNCFTelemetry))"
    drop = ("NNCF_CI", "NNCF_DEV")
    assert _fresh_python("import nncf" + check, drop) == "True"  # the control: a plain import sends telemetry
    assert _fresh_python("from vqsr_cnn.runtimes import import_nncf; import_nncf()" + check, drop) == "False"


@pytest.mark.slow  # two fresh interpreters
def test_openvino_is_imported_without_its_usage_event(tmp_path) -> None:
    """In a fresh interpreter with no consent file (HOME is empty), where a plain import would post an event."""
    check = "; import openvino_telemetry as t, os; print(t.Telemetry().consent, os.environ.get('CI'))"
    drop, home = ("CI", "TF_BUILD", "JENKINS_URL"), str(tmp_path)
    assert _fresh_python("import openvino" + check, drop, HOME=home) == "True None"  # the control: it would send
    ours = "from vqsr_cnn.runtimes import import_openvino; import_openvino()"
    assert _fresh_python(ours + check, drop, HOME=home) == "False None"  # and CI is restored


def test_conv1d_layers_stay_4d_so_bias_and_relu_fuse_bit_identically(testdata, monkeypatch) -> None:
    """TensorFlow's Conv1D round trip (Squeeze, bias, ReLU, Unsqueeze, Transpose) between two convolutions is
    rewired onto the 4-D output: the bias and ReLU fuse into the convolution, and FP32 scores stay the same."""
    import openvino as ov

    from vqsr_cnn.encode import encode_batch
    from vqsr_cnn.engine import convert
    from vqsr_cnn.models.bundled import default_model_paths
    from vqsr_cnn.models.spec import TensorType
    from vqsr_cnn.readers.fifo import parse_data_line

    spec, keras = load_model_pair(*map(str, default_model_paths("reference")))
    frozen = freeze(keras)
    kept = openvino_model(frozen, batch=16)
    monkeypatch.setattr(convert, "keep_conv1d_4d", lambda model: 0)
    plain = openvino_model(frozen, batch=16)
    squeezes = [[op.get_type_name() for op in m.get_ordered_ops()].count("Squeeze") for m in (kept, plain)]
    assert squeezes == [1, 3]  # the last convolution feeds Flatten: its 3-D form stays
    lines = (testdata / "fifo" / "lines_1d.txt").read_text().splitlines()[:16]  # real HG004 records
    examples = [parse_data_line(line, TensorType.REFERENCE, i + 1).example for i, line in enumerate(lines)]
    encoded = encode_batch(examples, TensorType.REFERENCE, spec.annotations, spec.window_size)
    tensors, annotations = encoded.tensors, encoded.annotations
    core, outputs, fused = ov.Core(), [], []
    for m in (kept, plain):
        compiled = core.compile_model(m, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        outputs.append(compiled.create_infer_request().infer([tensors, annotations])[0])
        layers = [op.get_rt_info() for op in compiled.get_runtime_model().get_ordered_ops()]
        kinds = [(i["layerType"].astype(str), i["originalLayersNames"].astype(str)) for i in layers]
        fused.append(sum("Relu" in names for kind, names in kinds if kind == "Convolution"))
    assert fused == [2, 0]
    assert np.ptp(outputs[0][:, 0]) > 1e-3
    # bias added after the products either way: bit-identical on the CPUs measured; a fused kernel elsewhere may
    # start its sum from the bias, so the gate is the FP32 tolerance of two graphs (exact rows' proofs use the same)
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=0, atol=1e-5)


def test_one_row_symmetric_pad_chains_become_one_edge_pad_but_shared_pads_stay() -> None:
    """Three one-row symmetric end pads in a row (the first also read elsewhere) and one on another axis: the shared
    pad stays a pad of its own (one edge row), the two only the chain reads fuse into one edge pad of 2 rows, the
    other axis keeps its own; values equal the unfused graph."""
    import openvino as ov

    from vqsr_cnn.engine.edge_pads import fuse_edge_pads

    ops = ov.opset13

    def one_row(x, axis):
        end = np.zeros(4, np.int64)
        end[axis] = 1
        return ops.pad(x, ops.constant(np.zeros(4, np.int64)), ops.constant(end), "symmetric")

    def graph():
        x = ops.parameter([1, -1, 3, 2], np.float32, name="x")
        shared = one_row(x, 1)
        chain = one_row(one_row(shared, 1), 1)
        other = one_row(chain, 2)  # a different axis: never part of the chain
        return ov.Model([ops.result(shared), ops.result(other)], [x])

    fused, plain = graph(), graph()
    assert fuse_edge_pads(fused) == 3
    pads = [op for op in fused.get_ordered_ops() if op.get_type_name() == "Pad"]
    modes = sorted((op.get_attributes()["pad_mode"], op.input_value(2).get_node().get_data().tolist()) for op in pads)
    assert modes == [("edge", [0, 0, 1, 0]), ("edge", [0, 1, 0, 0]), ("edge", [0, 2, 0, 0])]
    x = np.random.default_rng(0).random((1, 5, 3, 2), dtype=np.float32)
    core = ov.Core()
    got, want = (core.compile_model(m, "CPU").create_infer_request().infer([x]) for m in (fused, plain))
    for a, b in zip(got.values(), want.values()):
        np.testing.assert_array_equal(a, b)
    other = got.to_tuple()[1]  # (1, 8, 4, 2): rows 5-7 repeat row 4, column 3 repeats column 2
    np.testing.assert_array_equal(other[0, 5:8, :3], np.repeat(x[0, 4:5], 3, axis=0))
    np.testing.assert_array_equal(other[0, :, 3], other[0, :, 2])
