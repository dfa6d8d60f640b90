"""`vqsr-cnn freeze` writes a loadable GraphDef and an OpenVINO IR that scores like the engine."""

from __future__ import annotations

import numpy as np
import pytest

from vqsr_cnn import defines
from vqsr_cnn.cli import main
from vqsr_cnn.encode import encode_examples
from vqsr_cnn.readers.fifo import parse_data_line

KEYS = ["MQ", "DP", "SOR", "FS", "QD", "MQRankSum", "ReadPosRankSum"]


def real_rows(testdata, tensor_type: str) -> tuple[np.ndarray, np.ndarray]:
    """testdata/fifo's data lines, encoded 128/128 as the bridge does. They are in GATK's FIFO format but not
    captured from GATK: scripts/make_fifo_lines.py builds them from real records and reads with our own readers
    and line formatter (tests/test_score_parity.py checks they regenerate)."""
    name = "lines_1d.txt" if tensor_type == "reference" else "lines_2d.txt"
    lines = (testdata / "fifo" / name).read_text().splitlines(keepends=True)
    examples = [parse_data_line(line, tensor_type, i + 1).example for i, line in enumerate(lines)]
    return encode_examples(examples, tensor_type, KEYS, 128, 128)


def run_graph_def(path, input_names: tuple[str, str], output_name: str, tensors, annotations) -> np.ndarray:
    """Run the written frozen.pb in TensorFlow: import it as a graph and prune it to inputs -> softmax."""
    import tensorflow as tf

    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(path.read_bytes())
    wrapped = tf.compat.v1.wrap_function(lambda: tf.compat.v1.import_graph_def(graph_def, name=""), [])
    graph = wrapped.graph
    run = wrapped.prune([graph.get_tensor_by_name(n) for n in input_names], graph.get_tensor_by_name(output_name))
    return run(tf.constant(tensors), tf.constant(annotations)).numpy()


def test_freeze_exports_graph_and_ir(tmp_path, model_1d_paths):
    assert main(["freeze", "--architecture", model_1d_paths[0], "-O", str(tmp_path)]) == 0
    assert (tmp_path / "frozen.pb").stat().st_size > 1000
    import openvino as ov

    compiled = ov.Core().compile_model(str(tmp_path / "model.xml"), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    x = np.zeros((2, 128, 4), dtype=np.float32)
    x[:, :, 0] = 1
    out = compiled({"reference:0": x, "best_practices:0": np.ones((2, 7), dtype=np.float32)})
    probs = next(iter(out.values()))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    graph = run_graph_def(
        tmp_path / "frozen.pb", ("reference:0", "best_practices:0"), output_name(tmp_path), x, np.ones((2, 7), dtype=np.float32)
    )
    np.testing.assert_allclose(graph, probs, atol=1e-5, rtol=0)  # the GraphDef loads and agrees with the IR


def output_name(directory) -> str:
    """The softmax tensor of the written GraphDef: the one node no other node reads."""
    import tensorflow as tf

    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString((directory / "frozen.pb").read_bytes())
    consumed = {i.split(":")[0].lstrip("^") for node in graph_def.node for i in node.input}
    sinks = [node.name for node in graph_def.node if node.name not in consumed]
    assert len(sinks) == 1, sinks
    return sinks[0] + ":0"


@pytest.mark.slow
@pytest.mark.parametrize("tensor_type", ["reference", "read_tensor"])
def test_frozen_graph_and_ir_score_real_rows_like_the_engine(tmp_path, testdata, tensor_type):
    """The bundled (GATK) model of each tensor type, frozen to files, on the FIFO-format rows: as the engine."""
    assert main(["freeze", "--tensor-type", tensor_type, "-O", str(tmp_path)]) == 0
    import openvino as ov

    from vqsr_cnn.engine import Engine, EngineConfig
    from vqsr_cnn.models.bundled import default_model_paths
    from vqsr_cnn.models.gatk_format import load_model_pair

    tensors, annotations = real_rows(testdata, tensor_type)
    assert len(tensors) >= 10 and tensors.any() and annotations.any()
    args, keras_model = load_model_pair(*map(str, default_model_paths(tensor_type)), tensor_type)
    engine = Engine(keras_model, args, EngineConfig(precision="fp32"))
    expected = engine.predict_arrays(tensors, annotations)
    assert engine.frozen.output_name == output_name(tmp_path)
    del engine
    assert expected.shape == (len(tensors), len(defines.SNP_INDEL_LABELS))
    assert np.ptp(expected, axis=0).max() > 0.05  # the rows score differently: a real comparison

    input_names = (f"{tensor_type}:0", "best_practices:0")
    compiled = ov.Core().compile_model(str(tmp_path / "model.xml"), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    from_ir = next(iter(compiled({input_names[0]: tensors, input_names[1]: annotations}).values()))
    del compiled
    np.testing.assert_allclose(from_ir, expected, atol=1e-5, rtol=0)
    from_graph = run_graph_def(tmp_path / "frozen.pb", input_names, output_name(tmp_path), tensors, annotations)
    np.testing.assert_allclose(from_graph, expected, atol=1e-5, rtol=0)
    np.testing.assert_allclose(from_graph.sum(axis=1), 1.0, rtol=1e-5)


def test_freeze_reports_a_missing_model_as_one_line_error(tmp_path, capsys):
    assert main(["freeze", "--architecture", str(tmp_path / "no.json"), "-O", str(tmp_path)]) == 2
    assert "error:" in capsys.readouterr().err
