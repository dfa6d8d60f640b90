"""Model files GATK can load (issue 12): every .hd5 we write is in Keras 2.2.4's format, with its weights
unchanged; GATK 4.2's real code loads them and predicts what we predict; a model written by GATK's real
stack loads in our package; a file nobody can read is one clear error naming the file and the layer.

Tests marked `needs_gatk42` run GATK 4.2.6.1's own code (scripts/gatk42_env.sh) and skip, saying so, without it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from conftest import ROOT, TESTDATA
from stacks import gatk42_stack

from vqsr_cnn import defines
from vqsr_cnn.harness.gatk42 import subprocess_env
from vqsr_cnn.models.architectures import build_default_1d_annotation_model
from vqsr_cnn.models.gatk_format import ModelFileError, load_keras_model, load_model_pair, save_model_pair, semantics_for
from vqsr_cnn.models.keras224 import NEWER_KEYS, convert_hdf5

GATK42, GATK42_WHY = gatk42_stack()
needs_gatk42 = pytest.mark.skipif(GATK42 is None, reason=GATK42_WHY)
BUNDLED = ROOT / "vqsr_cnn" / "models" / "bundled"
SHIPPED = sorted(BUNDLED.glob("*.hd5")) + sorted((TESTDATA / "models").glob("*.hd5"))
# sha256 (first 16 hex) of every weight dataset of the shipped files as tf-keras wrote them, before the
# Keras-2.2.4 rewrite (commit dbf316a): the rewrite must leave them untouched.
WEIGHTS_BEFORE_REWRITE = {
    "cnn_1d": "d549961b609a70a0",
    "cnn_2d": "eef634157e299ed0",
    "seeded_1d": "9df9503c3a6c6b83",
    "seeded_2d": "0efc74637b71ab9e",
}


def weights_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with h5py.File(path, "r") as f:
        items: list[tuple[str, np.ndarray]] = []
        f["model_weights"].visititems(lambda n, o: items.append((n, o[()])) if isinstance(o, h5py.Dataset) else None)
        for name, array in sorted(items, key=lambda item: item[0]):
            for part in (name, str(array.dtype), str(array.shape)):
                digest.update(part.encode())
            digest.update(array.tobytes())
    return digest.hexdigest()[:16]


def _keys(obj: object) -> set[str]:
    if isinstance(obj, dict):
        return set(obj) | {k for v in obj.values() for k in _keys(v)}
    if isinstance(obj, list):
        return {k for v in obj for k in _keys(v)}
    return set()


def assert_keras224_format(path: Path) -> None:
    with h5py.File(path, "r") as f:
        for key in ("model_config", "keras_version", "backend"):
            assert isinstance(f.attrs[key], bytes), f"{path}: {key} must be fixed-length bytes"
        assert f.attrs["keras_version"] == b"2.2.4"
        config = json.loads(f.attrs["model_config"])
        weights = f["model_weights"]
        assert weights.attrs["layer_names"].dtype.kind == "S"
        for name in weights.attrs["layer_names"]:
            names = weights[name.decode()].attrs["weight_names"]
            assert names.dtype.kind == "S" or len(names) == 0
    assert config["class_name"] == "Model"
    assert not _keys(config) & NEWER_KEYS, _keys(config) & NEWER_KEYS
    for layer in config["config"]["layers"]:
        for key, value in layer["config"].items():
            if key.endswith("_initializer"):
                assert value["class_name"] not in ("GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform")
            if layer["class_name"] == "BatchNormalization" and key == "axis":
                assert isinstance(value, int)


def _inputs(model, n: int = 6, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.random((n, *(int(d) for d in t.shape[1:])), dtype=np.float32) for t in model.inputs]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shipped_models_are_keras224_files_with_their_weights_unchanged(path):
    assert_keras224_format(path)
    assert weights_digest(path) == WEIGHTS_BEFORE_REWRITE[path.stem]


def test_rewrite_keeps_predictions_bit_identical_and_is_idempotent(tmp_path):
    """A tf-keras file as `model.save` writes it today vs the rewritten one: same weights, same bits out."""
    model = build_default_1d_annotation_model(seed=3)
    plain = tmp_path / "plain.hd5"
    model.save(str(plain), save_format="h5", include_optimizer=False)
    rewritten = tmp_path / "rewritten.hd5"
    shutil.copy(plain, rewritten)
    convert_hdf5(rewritten)
    assert_keras224_format(rewritten)
    before, after = load_keras_model(plain), load_keras_model(rewritten)
    x = _inputs(before)
    np.testing.assert_array_equal(before.predict(x, verbose=0), after.predict(x, verbose=0))
    assert weights_digest(plain) == weights_digest(rewritten)
    config = h5py.File(rewritten, "r").attrs["model_config"]
    convert_hdf5(rewritten)
    assert h5py.File(rewritten, "r").attrs["model_config"] == config


def test_save_model_pair_writes_keras224(tmp_path):
    """`vqsr-cnn train` and the fixture scripts save through save_model_pair."""
    model = build_default_1d_annotation_model(seed=5)
    names = defines.ANNOTATIONS_SETS["best_practices"]
    hd5, js = save_model_pair(model, tmp_path / "m", semantics_for(model, "reference", "best_practices", names, "m"))
    assert_keras224_format(hd5)
    _, loaded = load_model_pair(str(js))
    x = _inputs(model)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


def _unknown_layer_file(tmp_path: Path) -> Path:
    bad = tmp_path / "unknown_layer.hd5"
    shutil.copy(TESTDATA / "models" / "seeded_1d.hd5", bad)
    with h5py.File(bad, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        layer = next(lay for lay in config["config"]["layers"] if lay["name"] == "conv1d_2")
        layer["class_name"] = "FancyConv1D"
        f.attrs["model_config"] = np.bytes_(json.dumps(config).encode())
    return bad


@pytest.mark.parametrize("trusted", [False, True], ids=["allow-list", "trusted"])
def test_unreadable_model_is_one_clear_error_naming_file_and_layer(tmp_path, monkeypatch, trusted):
    """By default the allow-list refuses the unknown class; trusted, Keras fails on it: both name file and layer."""
    from vqsr_cnn.models.allowlist import UnsafeModelError

    bad = _unknown_layer_file(tmp_path)
    with pytest.raises(ModelFileError if trusted else UnsafeModelError) as info:
        load_keras_model(bad, trust_code=trusted)
    message = str(info.value)
    assert "\n" not in message and str(bad) in message, message
    expected = "layer 'conv1d_2' (FancyConv1D)" if trusted else "layer 'conv1d_2' (#2) of class 'FancyConv1D'"
    assert expected in message, message


def _gatk42(request: dict, tmp_path: Path) -> dict:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request))
    env = {k: v for k, v in {**__import__("os").environ, **subprocess_env()}.items() if v is not None}
    out = subprocess.run(
        [GATK42, str(ROOT / "tests" / "gatk42_probe.py"), str(path)],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        cwd=tmp_path,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    assert out.returncode == 0 and lines, f"GATK 4.2 probe failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return json.loads(lines[-1][len("RESULT ") :])


@needs_gatk42
@pytest.mark.slow
def test_gatk42_real_code_loads_our_models_and_predicts_what_we_predict(tmp_path, capsys):
    """GATK 4.2.6.1's start_session_get_args_and_model (Keras 2.2.4, TF 1.15) on every shipped pair."""
    jobs, ours = [], {}
    distinct = {weights_digest(p): p for p in reversed(SHIPPED)}  # testdata/models/cnn_* are copies of bundled
    pairs = [(p.with_suffix(".json"), p) for p in SHIPPED if p in distinct.values()]
    assert len(pairs) == 4
    for i, (js, hd5) in enumerate(pairs):
        _, model = load_model_pair(str(js), str(hd5))
        tensor, annotations = _inputs(model, n=4, seed=i)
        np.savez(tmp_path / f"in{i}.npz", tensor=tensor, annotations=annotations)
        ours[i] = model.predict([tensor, annotations], verbose=0)
        jobs.append(
            {"json": str(js), "hd5": str(hd5), "inputs": str(tmp_path / f"in{i}.npz"), "out": str(tmp_path / f"gatk{i}.npy")}
        )
    result = _gatk42({"predict": jobs}, tmp_path)
    assert result["keras"] == "2.2.4"
    for i, (_, hd5) in enumerate(pairs):
        gatk = np.load(tmp_path / f"gatk{i}.npy")
        np.testing.assert_allclose(gatk, ours[i], atol=1e-5, err_msg=str(hd5))
        with capsys.disabled():
            print(
                f"\n  GATK 4.2 (Keras 2.2.4) loads {hd5.relative_to(ROOT)}: max |p - ours| = {np.abs(gatk - ours[i]).max():.2e}"
            )


@needs_gatk42
@pytest.mark.slow
def test_model_written_by_gatk42_stack_loads_in_our_package(tmp_path):
    """GATK's own builders + Keras 2.2.4 `model.save` (class Model, GATK's custom metrics in training_config)."""
    from vqsr_cnn.encode import encode_examples  # noqa: F401 - the package imports cleanly beside Keras 2.2.4 files

    shapes = {"reference": (128, 4), "read_tensor": (128, 128, 15)}
    jobs = []
    for tensor_type, shape in shapes.items():
        rng = np.random.default_rng(len(shape))
        np.savez(
            tmp_path / f"{tensor_type}.npz",
            tensor=rng.random((3, *shape), dtype=np.float32),
            annotations=rng.random((3, 7), dtype=np.float32),
        )
        jobs.append(
            {
                "tensor_name": tensor_type,
                "out": str(tmp_path / f"gatk_{tensor_type}.hd5"),
                "inputs": str(tmp_path / f"{tensor_type}.npz"),
                "predictions": str(tmp_path / f"{tensor_type}.npy"),
            }
        )
    _gatk42({"write": jobs}, tmp_path)
    for job in jobs:
        with h5py.File(job["out"], "r") as f:
            assert json.loads(f.attrs["model_config"])["class_name"] == "Model"
            assert f.attrs["keras_version"] in ("2.2.4", b"2.2.4")
        args, model = load_model_pair(str(tmp_path / "absent.json"), job["out"], job["tensor_name"])
        assert args.tensor_type == job["tensor_name"]
        data = np.load(job["inputs"])
        ours = model.predict([data["tensor"], data["annotations"]], verbose=0)
        np.testing.assert_allclose(ours, np.load(job["predictions"]), atol=1e-5)


@needs_gatk42
@pytest.mark.slow
def test_file_unreadable_by_both_fails_in_keras224_too(tmp_path):
    bad = _unknown_layer_file(tmp_path)
    result = _gatk42({"load": [str(bad)]}, tmp_path)
    assert "FancyConv1D" in result["load"][0]
    with pytest.raises(ValueError, match="layer 'conv1d_2'"):  # allow-list refusal or loader error
        load_keras_model(bad)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
