"""The INT8 cache runs only IR files this package wrote for these weights, from the user cache dir, and stays
whole when several runs quantise the same new model at once (quantisation itself is faked here: see
test_quantize.py for the real NNCF run)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("openvino")

from vqsr_cnn.engine.config import ENV_CACHE_DIR
from vqsr_cnn.engine.int8 import cache as int8_cache
from vqsr_cnn.engine.int8 import quantize
from vqsr_cnn.engine.int8.settings import QuantizeSettings

SETTINGS = QuantizeSettings(float_hint="f32")


def tiny_ir(offset: float = 1.0):
    """A real (small) OpenVINO model: relu(x + constant)."""
    import openvino as ov
    import openvino.opset13 as ops

    x = ops.parameter([2, 3], np.float32, name="x")
    constant = ops.constant(np.arange(6, dtype=np.float32).reshape(2, 3) + offset)
    return ov.Model([ops.relu(ops.add(x, constant))], [x], "tiny")


def run(model) -> list[float]:
    import openvino as ov

    compiled = ov.Core().compile_model(model, "CPU")
    return np.asarray(next(iter(compiled(np.zeros((2, 3), np.float32)).values()))).ravel().tolist()


@pytest.fixture()
def setup(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    weights = tmp_path / "model.hd5"
    weights.write_bytes(b"weights v1")
    calls: list[int] = []

    def fake_quantize(frozen, calibration, validation, settings):
        calls.append(1)
        return tiny_ir()

    monkeypatch.setattr(quantize, "quantize_model", fake_quantize)
    return weights, cache, calls, replace(SETTINGS, cache_dir=str(cache))


def test_second_run_loads_the_verified_entry(setup):
    weights, cache, calls, settings = setup
    first = quantize.int8_model(None, weights, lambda: (None, None), settings)
    again = quantize.int8_model(None, weights, lambda: (None, None), settings)
    assert calls == [1] and run(again) == run(first) == [1, 2, 3, 4, 5, 6]
    (entry,) = [p for p in cache.iterdir() if p.is_dir()]
    assert sorted(os.listdir(entry)) == ["manifest.json", "model.bin", "model.xml"]
    manifest = json.loads((entry / "manifest.json").read_text())
    assert manifest["weights_sha256"] == int8_cache.weights_digest(weights, 64)
    assert oct(cache.stat().st_mode & 0o777) == "0o700"


@pytest.mark.parametrize("damage", ["edited bin", "edited xml", "no manifest", "other weights' manifest"])
def test_damaged_or_foreign_entry_is_ignored_and_replaced(setup, caplog, damage):
    weights, cache, calls, settings = setup
    quantize.int8_model(None, weights, lambda: (None, None), settings)
    entry = int8_cache.cache_entry(weights, settings)
    if damage == "edited bin":
        data = bytearray((entry / "model.bin").read_bytes())
        data[0] ^= 0xFF
        (entry / "model.bin").write_bytes(bytes(data))
    elif damage == "edited xml":
        (entry / "model.xml").write_text((entry / "model.xml").read_text().replace("tiny", "evil"))
    elif damage == "no manifest":
        (entry / "manifest.json").unlink()
    else:
        manifest = json.loads((entry / "manifest.json").read_text())
        manifest["weights_sha256"] = "0" * 64
        (entry / "manifest.json").write_text(json.dumps(manifest))
    with caplog.at_level(logging.WARNING, logger="vqsr_cnn"):
        model = quantize.int8_model(None, weights, lambda: (None, None), settings)
    assert calls == [1, 1], "the damaged entry must not be used: quantise again"
    assert "ignoring INT8 cache entry" in caplog.text
    assert run(model) == [1, 2, 3, 4, 5, 6]
    assert int8_cache.load_cached(weights, settings) is not None, "replaced by a good entry"


def test_ir_files_beside_the_weights_are_never_read(setup):
    """A model download that ships '<weights>.int8-<sha>-<settings>.xml' (the old cache name) is not trusted."""
    import openvino as ov

    weights, cache, calls, settings = setup
    planted = weights.parent / f"{int8_cache.cache_entry(weights, settings).name}.xml"
    ov.save_model(tiny_ir(offset=100.0), str(planted), compress_to_fp16=False)
    model = quantize.int8_model(None, weights, lambda: (None, None), settings)
    assert calls == [1] and run(model) == [1, 2, 3, 4, 5, 6]


def test_cache_dir_writable_by_others_is_not_used(setup, caplog):
    weights, cache, calls, settings = setup
    cache.mkdir()
    cache.chmod(0o777)
    with caplog.at_level(logging.WARNING, logger="vqsr_cnn"):
        first = quantize.int8_model(None, weights, lambda: (None, None), settings)
        quantize.int8_model(None, weights, lambda: (None, None), settings)
    assert first is not None and calls == [1, 1]
    assert "writable by no one else" in caplog.text
    assert os.listdir(cache) == []


def test_new_weights_get_a_new_entry(setup):
    weights, cache, calls, settings = setup
    quantize.int8_model(None, weights, lambda: (None, None), settings)
    weights.write_bytes(b"weights v2")
    quantize.int8_model(None, weights, lambda: (None, None), settings)
    assert calls == [1, 1] and len([p for p in cache.iterdir() if p.is_dir()]) == 2


WORKER = textwrap.dedent("""
    import sys, time, numpy as np
    sys.path.insert(0, {tests!r})
    from dataclasses import replace
    from test_quantize_cache import SETTINGS, run, tiny_ir
    from vqsr_cnn.engine.int8 import quantize

    def slow_quantize(frozen, calibration, validation, settings):
        with open({calls!r}, "a") as fh:
            fh.write("1\\n")
        time.sleep(2.0)  # long enough for every other process to arrive meanwhile
        return tiny_ir()

    quantize.quantize_model = slow_quantize
    model = quantize.int8_model(None, {weights!r}, lambda: (None, None), replace(SETTINGS, cache_dir={cache!r}))
    print(run(model))
""")


@pytest.mark.slow
def test_eight_processes_on_a_new_model_quantise_once_and_each_gets_a_whole_model(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    weights = tmp_path / "model.hd5"
    weights.write_bytes(b"shared weights")
    calls = tmp_path / "calls.txt"
    script = WORKER.format(tests=str(Path(__file__).parent), calls=str(calls), weights=str(weights), cache=str(cache))
    procs = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    results = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-500:] for _, err in results]
    assert [out.strip() for out, _ in results] == ["[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]"] * 8
    assert calls.read_text().count("1") == 1, "one process quantised; the other seven waited and loaded its entry"
    entries = sorted(p.name for p in cache.iterdir() if p.is_dir())
    assert len(entries) == 1 and not entries[0].startswith("."), entries
    assert int8_cache.load_cached(weights, replace(SETTINGS, cache_dir=str(cache))) is not None


@pytest.mark.slow
def test_eight_score_int8_runs_at_once_on_a_new_model(tmp_path, testdata, model_1d_paths):
    """The real thing: eight `vqsr-cnn score --precision int8` processes started together on a model nobody has
    quantised yet. One calibrates (real NNCF), seven wait and load its entry; all eight score in INT8 and write
    the same bytes; the cache ends with one complete entry and no temporary files."""
    import gzip

    pytest.importorskip("nncf")
    src = testdata / "hg004_chr21"
    with gzip.open(src / "NA24143.vcf.gz", "rt") as fh:
        lines = fh.readlines()
    header = [line for line in lines if line.startswith("#")]
    vcf = tmp_path / "calls.vcf"
    vcf.write_text("".join(header + [line for line in lines if not line.startswith("#")][:120]))
    weights = tmp_path / "new_model.hd5"  # a copy: no cache entry exists for it anywhere
    weights.write_bytes(Path(model_1d_paths[1]).read_bytes())
    (tmp_path / "new_model.json").write_text(Path(model_1d_paths[0]).read_text())
    cache = tmp_path / "cache"
    env = {**os.environ, ENV_CACHE_DIR: str(cache), "OPENVINO_TF_DISABLE": ""}
    exe = Path(sys.executable).with_name("vqsr-cnn")
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "vqsr_cnn.cli"]
    procs = [
        subprocess.Popen(
            [
                *cli,
                "score",
                "-V",
                str(vcf),
                "-R",
                str(src / "hg38_chr21_22000000_23000000.fasta"),
                "-O",
                str(tmp_path / f"out{i}.vcf"),
                "--weights",
                str(weights),
                "--precision",
                "int8",
                "--backend",
                "openvino",
                "--threads",
                "1",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i in range(8)
    ]
    logs = [p.communicate(timeout=1800)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), [log[-800:] for log in logs]
    assert all("precision=int8" in log and "falling back" not in log for log in logs), [log[-800:] for log in logs]
    assert sum("INT8 model from cache" in log for log in logs) == 7, "one calibrated, seven loaded its entry"
    outputs = {(tmp_path / f"out{i}.vcf").read_bytes() for i in range(8)}
    assert len(outputs) == 1, "every run scored with the same INT8 model"
    entries = [p for p in cache.iterdir() if p.is_dir()]
    assert len(entries) == 1 and not entries[0].name.startswith("."), [p.name for p in cache.iterdir()]
    assert sorted(os.listdir(entries[0])) == ["manifest.json", "model.bin", "model.xml"]


def test_int8_cache_key_follows_the_weights_and_the_quantised_graph(tmp_path) -> None:
    settings = replace(SETTINGS, cache_dir=str(tmp_path / "cache"))
    weights = tmp_path / "m.hd5"
    weights.write_bytes(b"one")
    first = int8_cache.cache_entry(weights, settings)
    weights.write_bytes(b"two")
    second = int8_cache.cache_entry(weights, settings)
    assert first.parent == tmp_path / "cache", "only the user cache dir, never beside the weights"
    assert first.name != second.name and first.name.startswith("m.int8-")
    rows = int8_cache.cache_entry(weights, replace(settings, target="rows"))  # the exact-rows cut model is another graph
    bf16 = int8_cache.cache_entry(weights, replace(settings, float_hint="bf16"))
    minmax = int8_cache.cache_entry(weights, replace(settings, ranges="minmax"))  # other activation ranges
    assert len({second.name, rows.name, bf16.name, minmax.name}) == 4
