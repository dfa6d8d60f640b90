"""The public surface GATK and its users rely on: names, signatures, constants, tensor_dir dumps."""

from __future__ import annotations

import inspect
import subprocess
import sys

import h5py

import vqsr_cnn
from vqsr_cnn.readers.fifo import format_data_line, parse_data_line


def test_gatk_entry_points_keep_their_signatures():
    start = inspect.signature(vqsr_cnn.start_session_get_args_and_model)
    assert list(start.parameters)[:5] == ["intra_ops", "inter_ops", "semantics_json", "weights_hd5", "tensor_type"]
    score = inspect.signature(vqsr_cnn.score_and_write_batch)
    assert list(score.parameters) == [
        "model",
        "file_out",
        "batch_size",
        "python_batch_size",
        "tensor_type",
        "annotation_set",
        "window_size",
        "read_limit",
        "tensor_dir",
    ]
    assert score.parameters["tensor_dir"].default == ""


def test_gatk_constants_and_tensor_map_helpers_are_module_level():
    assert vqsr_cnn.TENSOR_MAPS_1D == ["reference"] and vqsr_cnn.TENSOR_MAPS_2D == ["read_tensor"]
    assert vqsr_cnn.SNP_INDEL_LABELS == {"NOT_SNP": 0, "NOT_INDEL": 1, "SNP": 2, "INDEL": 3}
    assert vqsr_cnn.ANNOTATIONS_SETS["best_practices"][0] == "MQ"
    assert len(vqsr_cnn.get_read_tensor_channel_map()) == 15
    assert vqsr_cnn.tensor_shape_from_tensor_type("read_tensor", 128, 128) == (128, 128, 15)
    assert vqsr_cnn.tensor_shape_from_tensor_type("reference", 128, 128) == (128, 4)


def test_import_is_light_and_does_not_load_tensorflow():
    code = "import sys, vqsr_cnn; print('tensorflow' in sys.modules, 'openvino' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False False"


def test_tensor_dir_receives_one_hdf5_per_tensor(tmp_path, testdata, model_1d_paths):
    args, engine = vqsr_cnn.start_session_get_args_and_model(0, 0, *model_1d_paths)
    lines = (testdata / "fifo" / "lines_1d.txt").read_text().splitlines(keepends=True)[:3]
    from vqsr_cnn.gatk import score_lines

    echoes, scores = score_lines(engine, lines, "reference", "best_practices", 128, 128, str(tmp_path))
    assert len(echoes) == len(scores) == 3
    files = sorted(tmp_path.glob("inference_tensor_*.hd5"))
    assert len(files) == 3
    first = parse_data_line(lines[0], "reference").example.variant
    with h5py.File(tmp_path / f"inference_tensor_{first.contig}{first.pos}{first.variant_type}.hd5") as hf:
        assert hf["reference"].shape == (128, 4) and hf["best_practices"].shape == (7,)
    assert format_data_line(parse_data_line(lines[0], "reference").example) == lines[0]
