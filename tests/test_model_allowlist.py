"""Model files are untrusted: a `.hd5` whose config holds code (a Lambda layer, custom objects) is refused before
Keras deserialises it, on every path that loads models (score, freeze, the GATK bridge); GATK-built models load."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import h5py
import pytest

from vqsr_cnn import defines
from vqsr_cnn.cli import main
from vqsr_cnn.models.allowlist import TRUST_ENV, UnsafeModelError, check_model_config
from vqsr_cnn.models.gatk_format import load_keras_model, load_model_pair, save_model_pair, semantics_for


def _config(path: Path | str) -> dict:
    with h5py.File(path, "r") as f:
        return json.loads(f.attrs["model_config"])


def _evil_function(marker: Path):
    """A function whose marshalled bytecode Keras stores in the file: it writes `marker` whenever it runs."""
    namespace: dict = {}
    exec(f"def evil(x):\n    import pathlib\n    pathlib.Path({str(marker)!r}).write_text('ran')\n    return x\n", namespace)
    return namespace["evil"]


def _evil_1d_pair(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A working GATK-format 1D pair (JSON + HD5) with one Lambda layer that writes a marker file."""
    from vqsr_cnn.models.keras_compat import keras

    k = keras()
    marker = tmp_path / "MARKER"
    reference = k.Input(shape=(128, 4), name="reference")
    x = k.layers.Lambda(_evil_function(marker), name="evil_lambda")(reference)
    x = k.layers.Flatten()(k.layers.Conv1D(4, 12, activation="relu")(x))
    annotations = k.Input(shape=(7,), name="best_practices")
    x = k.layers.Concatenate()([x, k.layers.Dense(4, activation="relu")(annotations)])
    model = k.Model([reference, annotations], k.layers.Dense(4, activation="softmax")(x))
    semantics = semantics_for(model, "reference", "best_practices", defines.ANNOTATIONS_SETS["best_practices"], "evil")
    hd5, js = save_model_pair(model, tmp_path / "evil", semantics)
    marker.unlink()  # building the model ran the Lambda once; from here on it must never run again
    return js, hd5, marker


# ---- the check itself (fast) ----


@pytest.mark.parametrize("name", ["cnn_1d", "cnn_2d", "seeded_1d", "seeded_2d"])
def test_models_we_ship_pass(testdata, name):
    check_model_config(_config(testdata / "models" / f"{name}.hd5"), name)


def _as_keras_224(config: dict) -> dict:
    """What Keras 2.2.4 (GATK's) writes for the same model: class Model, VarianceScaling initializers without a
    module, no tf-keras-only keys."""
    old = copy.deepcopy(config)
    old["class_name"] = "Model"
    old["config"].pop("trainable", None)
    for layer in old["config"]["layers"]:
        cfg = layer["config"]
        for key in ("ragged", "optional", "groups"):
            cfg.pop(key, None)
        for key, value in cfg.items():
            if key.endswith("_initializer"):
                cfg[key] = (
                    {
                        "class_name": "VarianceScaling",
                        "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "normal", "seed": None},
                    }
                    if value["class_name"].startswith("Glorot")
                    else {"class_name": value["class_name"], "config": {}}
                )
    return old


def test_keras_224_configs_of_gatk_architectures_pass(testdata):
    for name in ("cnn_1d", "cnn_2d"):
        check_model_config(_as_keras_224(_config(testdata / "models" / f"{name}.hd5")), name)


def test_every_layer_gatk_builders_use_passes_and_loads(tmp_path):
    """GATK's builders also emit BatchNorm + Activation blocks, AlphaDropout, SpatialDropout1D, MaxPooling1D and
    residual Adds: a model with all of them loads."""
    from vqsr_cnn.models.keras_compat import keras

    k = keras()
    L = k.layers
    reference = k.Input(shape=(32, 4), name="reference")
    x = L.Conv1D(8, 3, activation="linear", padding="same", kernel_initializer="glorot_normal")(reference)
    x = L.Activation("relu")(L.BatchNormalization(axis=-1)(x))
    y = L.Conv1D(8, 3, padding="same")(x)
    x = L.Add()([x, y])
    x = L.MaxPooling1D(2)(L.SpatialDropout1D(0.1)(x))
    x = L.AlphaDropout(0.1)(L.Flatten()(x))
    annotations = k.Input(shape=(7,), name="best_practices")
    a = L.Dense(8, activation="selu")(L.BatchNormalization()(annotations))
    x = L.Dropout(0.2)(L.Concatenate(axis=1)([x, a]))
    model = k.Model([reference, annotations], L.Dense(4, activation="softmax")(x))
    model.save(str(tmp_path / "all.hd5"), save_format="h5")
    check_model_config(_config(tmp_path / "all.hd5"), "all")
    assert len(load_keras_model(tmp_path / "all.hd5").layers) == len(model.layers)


def _mutations():
    def layer(config: dict, cls: str) -> dict:
        return next(entry for entry in config["config"]["layers"] if entry["class_name"] == cls)

    def set_layer_class(c):
        layer(c, "Flatten")["class_name"] = "MyCustomLayer"

    def add_function(c):
        layer(c, "Dense")["config"]["function"] = ["4wEAAAAAAAAA", None, None]

    def add_module(c):
        layer(c, "Dense")["module"] = "evil_package.layers"

    def custom_initializer(c):
        layer(c, "Dense")["config"]["kernel_initializer"] = {"class_name": "EvilInit", "config": {}}

    def registered_initializer(c):
        layer(c, "Dense")["config"]["kernel_initializer"]["registered_name"] = "evil>Init"

    def foreign_module(c):
        layer(c, "Dense")["config"]["kernel_initializer"]["module"] = "evil.initializers"

    def custom_activation(c):
        layer(c, "Dense")["config"]["activation"] = "evil_activation"

    def dict_in_plain_field(c):
        layer(c, "Dense")["config"]["units"] = {"class_name": "Lambda", "config": {}}

    def call_kwargs(c):
        layer(c, "Flatten")["inbound_nodes"][0][0][3] = {"fn": "evil"}

    def sequential(c):
        c["class_name"] = "Sequential"

    return {
        "unknown layer class": (set_layer_class, "class 'MyCustomLayer' is not an allowed layer class"),
        "function field": (add_function, "unexpected config key(s) function"),
        "module field": (add_module, "unexpected field(s) module"),
        "custom initializer": (custom_initializer, "names class 'EvilInit'"),
        "registered custom object": (registered_initializer, "registered custom object 'evil>Init'"),
        "foreign module": (foreign_module, "names module 'evil.initializers'"),
        "custom activation": (custom_activation, "activation is 'evil_activation'"),
        "object in a plain field": (dict_in_plain_field, "units holds a dict"),
        "call kwargs": (call_kwargs, "malformed inbound_nodes"),
        "Sequential": (sequential, "model class 'Sequential'"),
    }


@pytest.mark.parametrize("case", list(_mutations()))
def test_anything_else_is_refused_in_one_line_naming_the_layer(testdata, case):
    mutate, message = _mutations()[case]
    config = _config(testdata / "models" / "cnn_1d.hd5")
    mutate(config)
    with pytest.raises(UnsafeModelError, match="refusing to load model m.hd5: ") as info:
        check_model_config(config, "m.hd5")
    assert message in str(info.value) and "\n" not in str(info.value)
    assert "--trust-model-code" in str(info.value)


# ---- a real malicious model on every loading path: the marker never appears ----


def test_lambda_model_is_refused_before_it_runs(tmp_path, monkeypatch):
    monkeypatch.delenv(TRUST_ENV, raising=False)
    js, hd5, marker = _evil_1d_pair(tmp_path)
    with pytest.raises(UnsafeModelError) as info:
        load_model_pair(str(js), str(hd5))
    assert f"refusing to load model {hd5}: layer 'evil_lambda' (#1) of class 'Lambda'" in str(info.value)
    with pytest.raises(UnsafeModelError):
        load_model_pair(str(tmp_path / "absent.json"), str(hd5), "reference")  # the HD5-only path too
    assert not marker.exists()


def test_score_and_freeze_refuse_the_lambda_model_with_exit_2(tmp_path, testdata, capsys, monkeypatch):
    monkeypatch.delenv(TRUST_ENV, raising=False)
    js, hd5, marker = _evil_1d_pair(tmp_path)
    d = testdata / "chr22_normal"
    out = tmp_path / "out"
    out.mkdir()
    code = main(
        [
            "score",
            "--quiet",
            "-V",
            str(d / "test_haplotcaller.noCNN.vcf"),
            "-R",
            str(d / "genome.fasta"),
            "-O",
            str(out / "o.vcf.gz"),
            "--architecture",
            str(js),
            "--weights",
            str(hd5),
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith(f"vqsr-cnn score: error: refusing to load model {hd5}: layer 'evil_lambda'")
    assert "class 'Lambda'" in err[0]
    assert os.listdir(out) == []
    code = main(
        ["freeze", "--architecture", str(js), "--weights", str(hd5), "--tensor-type", "reference", "-O", str(tmp_path / "frozen")]
    )
    assert code == 2 and "class 'Lambda'" in capsys.readouterr().err
    assert not marker.exists()


@pytest.mark.slow
def test_trust_model_code_restores_the_old_behaviour_with_a_warning(tmp_path, testdata, capsys, monkeypatch, caplog):
    """The positive control: the test model really is malicious (the opt-in runs it, and scores)."""
    monkeypatch.delenv(TRUST_ENV, raising=False)
    js, hd5, marker = _evil_1d_pair(tmp_path)
    d = testdata / "chr22_normal"
    out = tmp_path / "o.vcf"
    code = main(
        [
            "score",
            "--quiet",
            "-V",
            str(d / "test_haplotcaller.noCNN.vcf"),
            "-R",
            str(d / "genome.fasta"),
            "-O",
            str(out),
            "--architecture",
            str(js),
            "--weights",
            str(hd5),
            "--trust-model-code",
            "--backend",
            "tensorflow",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert marker.exists() and out.exists()
    assert f"{TRUST_ENV}=1: loading {hd5} without the layer allow-list" in caplog.text


@pytest.mark.slow
def test_bridge_nacks_the_lambda_model_and_never_runs_it(tmp_path, monkeypatch):
    from java_side import JavaSide

    monkeypatch.delenv(TRUST_ENV, raising=False)
    js, hd5, marker = _evil_1d_pair(tmp_path)
    java = JavaSide(tmp_path, {TRUST_ENV: None})
    try:
        java.start()
        assert java.command("import vqsr_cnn") == "ack"
        ack = java.command(f"args, model = vqsr_cnn.start_session_get_args_and_model(1, 1, '{js}', weights_hd5='{hd5}')")
        assert ack.startswith("nkm:"), java.output()
        assert "layer 'evil_lambda' (#1) of class 'Lambda'" in ack and str(hd5) in ack
    finally:
        java.kill()
    assert not marker.exists()


@pytest.mark.parametrize("name", ["gatk_1d_bn_alpha", "gatk_2d_residual"])
def test_configs_written_by_real_keras_224_pass(testdata, name):
    config = json.loads((testdata / "keras224_configs" / f"{name}.json").read_text())
    assert config["class_name"] == "Model"
    check_model_config(config, name)


def test_lambda_written_by_real_keras_224_is_refused(testdata):
    config = json.loads((testdata / "keras224_configs" / "lambda.json").read_text())
    with pytest.raises(UnsafeModelError, match="layer 'lambda_1' \\(#1\\) of class 'Lambda'"):
        check_model_config(config, "lambda.json")
