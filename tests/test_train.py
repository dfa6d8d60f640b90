"""`vqsr-cnn train`: data loading, metrics, determinism, a GATK-format round trip, and clean failures on bad data.

Fixture: testdata/train_small (4 real NA12878 examples per class and split, 1D and 2D; see testdata/README_train.md).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
from score_helpers import scores_by_hand

from vqsr_cnn import defines
from vqsr_cnn.cli import main
from vqsr_cnn.train.data import load_split
from vqsr_cnn.train.metrics import evaluate, roc_auc

LABELS = defines.SNP_INDEL_LABELS
ANNOTATIONS = defines.ANNOTATIONS_SETS["best_practices"]


@pytest.fixture(scope="module")
def small(testdata) -> Path:
    return testdata / "train_small"


def _train(data: Path, tensor_type: str, prefix: Path, *extra: str) -> int:
    return main(
        [
            "train",
            "--tensor-type",
            tensor_type,
            "--data",
            str(data),
            "--out-prefix",
            str(prefix),
            "--epochs",
            "1",
            "--batch-size",
            "8",
            "--seed",
            "3",
            "--quiet",
            *extra,
        ]
    )


# --- metrics ---------------------------------------------------------------------------------------------------


def test_roc_auc_matches_pairwise_definition():
    rng = np.random.default_rng(0)
    scores = np.round(rng.normal(size=60), 1)  # rounding makes ties
    positive = rng.random(60) < 0.4
    pos, neg = scores[positive], scores[~positive]
    pairwise = ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (pos.size * neg.size)
    assert roc_auc(scores, positive) == pytest.approx(pairwise)
    assert roc_auc(np.array([1.0, 2.0, 3.0]), np.array([False, True, True])) == 1.0
    assert roc_auc(np.array([3.0, 2.0, 1.0]), np.array([False, True, True])) == 0.0
    assert np.isnan(roc_auc(np.array([1.0, 2.0]), np.array([True, True])))


def test_evaluate_uses_gatk_log_odds_per_variant_type():
    p = np.array(
        [
            [0.1, 0.1, 0.7, 0.1],  # SNP, called SNP
            [0.6, 0.1, 0.2, 0.1],  # NOT_SNP, called NOT_SNP
            [0.1, 0.2, 0.1, 0.6],  # INDEL
            [0.1, 0.5, 0.1, 0.3],
        ],  # NOT_INDEL
        dtype=np.float32,
    )
    labels = np.array([LABELS["SNP"], LABELS["NOT_SNP"], LABELS["INDEL"], LABELS["NOT_INDEL"]])
    m = evaluate(p, labels)
    assert m["auc_snp"] == 1.0 and m["auc_indel"] == 1.0
    assert m["accuracy"] == 1.0 and all(m[f"accuracy_{k}"] == 1.0 for k in LABELS)
    assert all(m[f"pair_accuracy_{k}"] == 1.0 for k in LABELS)
    m = evaluate(p[[1, 0, 2, 3]], labels)  # swap the SNP-type predictions: SNP AUC flips, INDEL unchanged
    assert m["auc_snp"] == 0.0 and m["auc_indel"] == 1.0
    assert m["accuracy_SNP"] == 0.0 and m["accuracy_NOT_SNP"] == 0.0 and m["accuracy_INDEL"] == 1.0
    p[2] = [0.1, 0.1, 0.6, 0.2]  # an INDEL called SNP: wrong 4-way, right within the INDEL score pair
    m = evaluate(p, labels)
    assert m["accuracy_INDEL"] == 0.0 and m["pair_accuracy_INDEL"] == 1.0


# --- data ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tensor_type, shape, dataset", [("reference", (128, 4), "best_practices"), ("read_tensor", (128, 128, 15), "gatk")]
)
def test_load_split_reads_both_layouts(small, tensor_type, shape, dataset):
    ex = load_split(small / tensor_type, "valid", tensor_type)
    assert ex.tensors.shape == (16, *shape) and ex.tensors.dtype == np.float32
    assert ex.annotations.shape == (16, 7)
    assert ex.class_counts() == {k: 4 for k in LABELS}
    for path, label, values in zip(ex.paths, ex.labels, ex.annotations):
        assert LABELS[path.parent.name] == label
        with h5py.File(path, "r") as h5:  # the annotation dataset is found under its layout's name
            np.testing.assert_array_equal(values, h5[dataset][()].astype(np.float32))


# --- training round trip ----------------------------------------------------------------------------------------


def _data_line_1d(path: Path, reference: np.ndarray, annotations: np.ndarray) -> str:
    from vqsr_cnn.readers.fifo import format_data_line
    from vqsr_cnn.records import Example, Variant

    bases = "".join("ACGT"[i] for i in reference.argmax(axis=1))
    vtype = "SNP" if path.parent.name.endswith("SNP") else "INDEL"
    pos = int(path.stem.rsplit("_", 1)[-1])
    values = {k: repr(float(v)) for k, v in zip(ANNOTATIONS, annotations)}
    return format_data_line(Example(Variant("1", pos, bases[63], ("N",), vtype), bases, values))


@pytest.mark.slow
def test_train_1d_round_trip_through_the_gatk_api(small, tmp_path, monkeypatch):
    import vqsr_cnn
    from vqsr_cnn.gatk import score_lines
    from vqsr_cnn.models.gatk_format import load_keras_model
    from vqsr_cnn.scores import scores_for_types

    prefix = tmp_path / "out" / "tiny_1d"
    assert _train(small / "reference", "reference", prefix) == 0
    semantics = json.loads(prefix.with_suffix(".json").read_text())
    assert semantics["id"] == "tiny_1d" and semantics["architecture"] == "tiny_1d.hd5"
    assert semantics["input_tensor_map_name"] == "reference" and semantics["input_annotations"] == ANNOTATIONS
    assert sorted(p.name for p in prefix.parent.iterdir()) == ["tiny_1d.hd5", "tiny_1d.json"]  # no temp leftovers

    args, model = vqsr_cnn.start_session_get_args_and_model(
        0, 0, str(prefix.with_suffix(".json")), weights_hd5=str(prefix.with_suffix(".hd5"))
    )
    assert args.tensor_name == "reference"
    valid = load_split(small / "reference", "valid", "reference")
    lines = [_data_line_1d(p, t, a) for p, t, a in zip(valid.paths, valid.tensors, valid.annotations)]
    echoes, scores = score_lines(model, lines, "reference", "best_practices", 128, 128)
    assert len(echoes) == len(lines) and np.isfinite(scores).all()
    # The data lines re-encode to the training arrays, so the bridge must score what the trained Keras model scores.
    keras_model = load_keras_model(prefix.with_suffix(".hd5"))
    probs = keras_model.predict([valid.tensors, valid.annotations], verbose=0)
    types = ["SNP" if p.parent.name.endswith("SNP") else "INDEL" for p in valid.paths]
    np.testing.assert_allclose(scores, scores_for_types(probs, types), atol=2e-3, rtol=1e-3)
    np.testing.assert_allclose(scores, scores_by_hand(probs, types), atol=2e-3, rtol=1e-3)  # GATK's formula by hand
    assert np.ptp(scores) > 0  # not a constant output


@pytest.mark.slow
def test_training_is_deterministic_for_a_seed(small):
    from vqsr_cnn.train.fit import FitConfig, fit

    train = load_split(small / "reference", "train", "reference")
    valid = load_split(small / "reference", "valid", "reference")
    runs = [fit(train, valid, FitConfig("reference", epochs=2, seed=5, batch_size=8), list(ANNOTATIONS)) for _ in range(2)]
    other = fit(train, valid, FitConfig("reference", epochs=1, seed=6, batch_size=8), list(ANNOTATIONS))
    first, second = (r.model.get_weights() for r in runs)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert runs[0].best.metrics == runs[1].best.metrics
    assert not all(np.array_equal(a, b) for a, b in zip(first, other.model.get_weights()))


@pytest.mark.slow
def test_best_epoch_is_checkpointed_and_shipped(small, tmp_path, capsys):
    from vqsr_cnn.models.gatk_format import load_keras_model

    out, ckpt = tmp_path / "final", tmp_path / "ckpt" / "best"
    assert (
        main(
            [
                "train",
                "--tensor-type",
                "reference",
                "--data",
                str(small / "reference"),
                "--out-prefix",
                str(out),
                "--epochs",
                "3",
                "--batch-size",
                "4",
                "--patience",
                "0",
                "--checkpoint",
                str(ckpt),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    epochs = [line for line in printed.splitlines() if line.startswith("epoch ")]
    assert len(epochs) == 3 and "best epoch" in printed and "SNP=" in printed
    best = int(printed.split("best epoch ")[1].split()[0])
    assert epochs[best - 1].endswith("*")  # the kept epoch is one that improved the valid score
    a, b = load_keras_model(out.with_suffix(".hd5")), load_keras_model(ckpt.with_suffix(".hd5"))
    assert all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))


def test_monitor_choices():
    from vqsr_cnn.train.fit import EpochRecord, _better

    def rec(snp: float, indel: float, loss: float) -> EpochRecord:
        return EpochRecord(1, 0.0, loss, 0.0, {"auc_snp": snp, "auc_indel": indel}, 1e-4)

    old, new = rec(0.975, 0.980, 0.6), rec(0.974, 0.986, 0.5)
    assert _better(new, old, "mean-auc") and not _better(new, old, "min-auc") and _better(new, old, "loss")
    assert _better(rec(0.975, 0.980, 0.5), old, "min-auc")  # equal AUCs: the lower valid loss wins


@pytest.mark.slow
def test_bfloat16_training_saves_a_float32_gatk_model(small, tmp_path):
    from vqsr_cnn.models.gatk_format import load_model_pair

    prefix = tmp_path / "bf16_1d"
    assert _train(small / "reference", "reference", prefix, "--bfloat16") == 0
    with h5py.File(prefix.with_suffix(".hd5"), "r") as h5:
        config = json.loads(h5.attrs["model_config"])
    dtypes = {str(layer["config"].get("dtype")) for layer in config["config"]["layers"]}
    assert dtypes == {"float32"}  # GATK's Keras loads it as a plain float32 model
    args, model = load_model_pair(str(prefix.with_suffix(".json")), str(prefix.with_suffix(".hd5")))
    assert args.tensor_type == "reference" and model.outputs[0].dtype == "float32"


TWO_D_LINE = (
    "chr1\t{pos}\tA\t[{alt}]\t{ref}\tMQ=60.0;DP=31;SOR=0.7;FS=1.2;QD=15.5;MQRankSum=0.1;ReadPosRankSum=-0.3;\t{vtype}\t"
    + "{reads}"
)


def _read_field(seq: str, start: int, reverse: bool, cigar: str | None = None) -> str:
    quals = ",".join(["30"] * len(seq))
    return (
        "\t".join([seq, quals, cigar or f"{len(seq)}M", str(reverse).lower(), str(not reverse).lower(), "true", "60", str(start)])
        + "\t"
    )


@pytest.mark.slow
def test_train_2d_round_trip_through_the_gatk_api(small, tmp_path, monkeypatch):
    import vqsr_cnn
    from vqsr_cnn.encode import encode_examples
    from vqsr_cnn.gatk import score_lines
    from vqsr_cnn.models.gatk_format import load_keras_model
    from vqsr_cnn.readers.fifo import parse_data_line
    from vqsr_cnn.scores import scores_for_types

    prefix = tmp_path / "tiny_2d"
    assert _train(small / "read_tensor", "read_tensor", prefix) == 0
    args, model = vqsr_cnn.start_session_get_args_and_model(
        0, 0, str(prefix.with_suffix(".json")), weights_hd5=str(prefix.with_suffix(".hd5"))
    )
    assert args.tensor_name == "read_tensor"
    rng = np.random.default_rng(1)
    ref = "".join(rng.choice(list("ACGT"), 128))
    lines = []
    for k, (alt, vtype) in enumerate([("C", "SNP"), ("AT", "INDEL"), ("G", "SNP")]):
        pos = 1000 + k
        reads = "".join(_read_field(ref[10 + i : 110 + i], pos - 64 + 10 + i, i % 2 == 1) for i in range(0, 12 + 4 * k, 2))
        lines.append(TWO_D_LINE.format(pos=pos, alt=alt, ref=ref, vtype=vtype, reads=reads) + "\n")
    echoes, scores = score_lines(model, lines, "read_tensor", "best_practices", 128, 128)
    assert echoes == [f"chr1\t{1000 + k}\tA\t[{a}]" for k, a in enumerate(["C", "AT", "G"])]
    examples = [parse_data_line(line, "read_tensor").example for line in lines]
    tensors, annotations = encode_examples(examples, "read_tensor", ANNOTATIONS)
    probs = load_keras_model(prefix.with_suffix(".hd5")).predict([tensors, annotations], verbose=0)
    expected = scores_for_types(probs, [e.variant.variant_type for e in examples])
    np.testing.assert_allclose(scores, expected, atol=2e-3, rtol=1e-3)
    by_hand = scores_by_hand(probs, [e.variant.variant_type for e in examples])  # GATK's formula, not scores.py
    np.testing.assert_allclose(scores, by_hand, atol=2e-3, rtol=1e-3)


def test_inference_never_imports_training_code():
    import subprocess
    import sys

    code = (
        "import sys, vqsr_cnn, vqsr_cnn.gatk, vqsr_cnn.cli; vqsr_cnn.cli.build_parser(); "
        "print(sorted(m for m in sys.modules if m.startswith('vqsr_cnn.train')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --- bad input ----------------------------------------------------------------------------------------------------


def _copy(small: Path, tmp_path: Path, tensor_type: str = "reference") -> Path:
    data = tmp_path / "data"
    shutil.copytree(small / tensor_type, data)
    return data


def _fails(data: Path, tmp_path: Path, capsys, *needles: str, tensor_type: str = "reference") -> None:
    prefix = tmp_path / "out" / "model"
    assert _train(data, tensor_type, prefix) == 2
    err = capsys.readouterr().err
    assert err.startswith("vqsr-cnn train: error: "), err
    for needle in needles:
        assert needle in err, err
    assert not prefix.parent.exists() or not any(prefix.parent.iterdir())  # nothing half-written


def test_missing_data_directory(tmp_path, capsys):
    _fails(tmp_path / "nope", tmp_path, capsys, str(tmp_path / "nope"), "does not exist")


def test_empty_data_directory(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    _fails(tmp_path / "empty", tmp_path, capsys, "no 'train' folder", str(tmp_path / "empty"))


def test_class_folder_without_examples(small, tmp_path, capsys):
    data = _copy(small, tmp_path)
    folder = data / "valid" / "NOT_INDEL"
    for f in folder.iterdir():
        f.unlink()
    _fails(data, tmp_path, capsys, str(folder), "no .hd5 examples")


def test_example_with_wrong_shape(small, tmp_path, capsys):
    data = _copy(small, tmp_path)
    bad = sorted((data / "train" / "SNP").iterdir())[1]
    with h5py.File(bad, "r+") as h5:
        del h5["reference"]
        h5["reference"] = np.zeros((127, 4))
    _fails(data, tmp_path, capsys, str(bad), "(127, 4)", "(128, 4)")


def test_example_missing_annotations(small, tmp_path, capsys):
    data = _copy(small, tmp_path)
    bad = sorted((data / "valid" / "INDEL").iterdir())[0]
    with h5py.File(bad, "r+") as h5:
        del h5["best_practices"]
    _fails(data, tmp_path, capsys, str(bad), "no annotation dataset")


def test_2d_examples_given_as_1d(small, tmp_path, capsys):
    _fails(small / "read_tensor", tmp_path, capsys, "no 'reference' dataset", "2D example")


def test_unreadable_example(small, tmp_path, capsys):
    data = _copy(small, tmp_path)
    bad = sorted((data / "train" / "NOT_SNP").iterdir())[0]
    bad.write_bytes(b"not hdf5")
    _fails(data, tmp_path, capsys, str(bad), "cannot read as HDF5")
