"""GATK-format model files: JSON validation, HD5-only fallback, clear errors for wrong files."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from vqsr_cnn.models.gatk_format import ModelFileError, load_model_pair


def test_json_and_hd5_pair_loads_with_gatk_args(model_2d_paths):
    spec, model = load_model_pair(*model_2d_paths)
    assert (spec.tensor_type, spec.window_size, spec.read_limit) == ("read_tensor", 128, 128)
    assert list(spec.annotations) == ["MQ", "DP", "SOR", "FS", "QD", "MQRankSum", "ReadPosRankSum"]
    gatk_args = spec.to_namespace()  # what GATK's start_session_get_args_and_model returned
    assert (gatk_args.tensor_name, gatk_args.annotations) == ("read_tensor", list(spec.annotations))


def assert_same_weights(model, expected) -> None:
    got, want = model.get_weights(), expected.get_weights()
    assert len(got) == len(want) > 0
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_json_names_its_hd5_when_no_weights_given(model_1d_paths, model_2d_paths):
    args, model = load_model_pair(model_1d_paths[0], None)
    assert args.tensor_type == "reference"
    _, explicit = load_model_pair(*model_1d_paths)
    assert_same_weights(model, explicit)  # the weights of the .hd5 the JSON names, not a fresh initialisation
    _, other = load_model_pair(*model_2d_paths)
    assert len(other.get_weights()) != len(explicit.get_weights()) or any(
        a.shape != b.shape or not np.array_equal(a, b) for a, b in zip(other.get_weights(), explicit.get_weights())
    )


def test_missing_json_falls_back_to_hd5_alone(tmp_path, model_2d_paths):
    args, model = load_model_pair(str(tmp_path / "absent.json"), model_2d_paths[1], "read_tensor")
    assert args.tensor_type == "read_tensor" and args.annotation_set == "best_practices" and args.read_limit == 128
    _, explicit = load_model_pair(*model_2d_paths)
    assert_same_weights(model, explicit)


def _edited_json(tmp_path, source, **changes):
    semantics = json.loads(open(source).read())
    semantics.update(changes)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(semantics))
    return str(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"input_tensor_map": {"A": 0}}, "disagrees with the read_tensor channel map"),
        ({"output_labels": {"SNP": 0}}, "output_labels"),
        ({"channels_last": False}, "channels_first"),
        ({"input_tensor_map_name": "pileup"}, "unknown input_tensor_map_name"),
        ({"window_size": 64}, "does not match read_tensor"),
        ({"input_annotations": ["MQ"]}, "takes 7 annotations"),
    ],
)
def test_json_disagreeing_with_code_is_a_clear_error(tmp_path, model_2d_paths, change, message):
    path = _edited_json(tmp_path, model_2d_paths[0], **change)
    with pytest.raises(ModelFileError, match=message):
        load_model_pair(path, model_2d_paths[1])


def test_wrong_or_missing_weight_files(tmp_path, model_2d_paths):
    with pytest.raises(ModelFileError, match="does not exist"):
        load_model_pair(model_2d_paths[0], str(tmp_path / "nope.hd5"))
    text = tmp_path / "bad.hd5"
    text.write_text("not a model")
    with pytest.raises(ModelFileError, match="not an HDF5 file"):
        load_model_pair(model_2d_paths[0], str(text))
    savedmodel = tmp_path / "dir.hd5"
    savedmodel.mkdir()
    with pytest.raises(ModelFileError, match="SavedModel"):
        load_model_pair(model_2d_paths[0], str(savedmodel))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load_model_pair(str(broken), model_2d_paths[1])


def test_1d_weights_under_a_2d_json_are_refused(tmp_path, model_2d_paths, model_1d_paths):
    copy = tmp_path / "m.hd5"
    shutil.copy(model_1d_paths[1], copy)
    with pytest.raises(ModelFileError, match="does not match"):
        load_model_pair(model_2d_paths[0], str(copy))
