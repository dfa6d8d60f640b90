"""`vqsr-cnn freeze` writes a loadable GraphDef and an OpenVINO IR that scores like the engine."""

from __future__ import annotations

import numpy as np

from vqsr_cnn.cli import main


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


def test_freeze_reports_a_missing_model_as_one_line_error(tmp_path, capsys):
    assert main(["freeze", "--architecture", str(tmp_path / "no.json"), "-O", str(tmp_path)]) == 2
    assert "error:" in capsys.readouterr().err
