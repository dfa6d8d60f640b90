"""The GATK bridge driven exactly as CNNScoreVariants.java drives it (docs/design.md §2), for 1D and 2D, on both
backends, with a final partial batch, and a failing batch that must come back as a nack, not a hang."""

from __future__ import annotations

import importlib.util
import os

import pytest
from java_side import JavaSide

# The accelerated backend: openvino here, openvino-tensorflow in the legacy Python 3.9 environment.
ACCEL = os.environ.get("VQSR_CNN_BACKEND", "openvino")
HAS_ACCEL = importlib.util.find_spec(ACCEL.replace("-", "_")) is not None
ACCEL_ENV = {"VQSR_CNN_BACKEND": ACCEL, "OPENVINO_TF_DISABLE": None}

ANNOTATIONS = "MQ,DP,SOR,FS,QD,MQRankSum,ReadPosRankSum"


def _lines(testdata, kind: str) -> list[str]:
    lines = (testdata / "fifo" / f"lines_{kind}.txt").read_text().splitlines(keepends=True)
    assert lines, f"testdata/fifo/lines_{kind}.txt is empty"
    return lines


def _run_session(tmp_path, env, json_path, hd5_path, tensor_type, batches, inference_batch):
    java = JavaSide(tmp_path, {"TF_CPP_MIN_LOG_LEVEL": None, **env})  # as a user's shell: no TF log level set
    temp = tmp_path / "scores.txt"
    acks = []
    try:
        java.start()
        assert java.command(f"tempFile = open('{temp}', 'w+')") == "ack"
        assert java.command("import vqsr_cnn") == "ack"
        ack = java.command(
            f"args, model = vqsr_cnn.start_session_get_args_and_model(1, 1, '{json_path}', weights_hd5='{hd5_path}')"
        )
        assert ack == "ack", java.output()
        for batch in batches:
            cmd = (
                f"vqsr_cnn.score_and_write_batch(model, tempFile, {len(batch)}, {inference_batch}, '{tensor_type}', "
                f"'{ANNOTATIONS}', 128, 128, '')"
            )
            acks.append(java.score_batch(batch, cmd))
            if acks[-1] != "ack":
                # Java would abort here; python -i still runs the queued sendAck, so drain that ack first.
                assert java.read_ack() == "ack"
                break
        java.command("tempFile.flush()")
        text = temp.read_text()
        if acks and acks[-1] == "ack":
            java.finish()
        return acks, text, java.output()
    finally:
        java.kill()


def _expected_prefixes(lines):
    return ["\t".join(line.split("\t")[:4]) for line in lines]


def _scores_alone(lines, tensor_type, json_path, hd5_path) -> list[float]:
    """Each line parsed, encoded and scored on its own in this process (stock TensorFlow): score i of line i."""
    from vqsr_cnn.encode import encode_examples
    from vqsr_cnn.engine import Engine, EngineConfig
    from vqsr_cnn.models.gatk_format import load_model_pair
    from vqsr_cnn.readers.fifo import parse_data_line
    from vqsr_cnn.scores import scores_for_types

    args, model = load_model_pair(json_path, hd5_path)
    engine = Engine(model, args, EngineConfig(backend="tensorflow"))
    out = []
    for i, line in enumerate(lines):
        example = parse_data_line(line, tensor_type, i + 1).example
        tensors, annotations = encode_examples([example], tensor_type, ANNOTATIONS.split(","), 128, 128)
        out.append(float(scores_for_types(engine.predict_arrays(tensors, annotations), [example.variant.variant_type])[0]))
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend_env",
    [
        pytest.param(ACCEL_ENV, id=ACCEL, marks=pytest.mark.skipif(not HAS_ACCEL, reason=f"{ACCEL} not installed")),
        pytest.param({"OPENVINO_TF_DISABLE": "1"}, id="tensorflow"),
    ],
)
@pytest.mark.parametrize("kind", ["1d", "2d"])
def test_gatk_session_scores_every_line_in_order(tmp_path, testdata, kind, backend_env):
    lines = _lines(testdata, kind)
    json_path, hd5_path = (str(testdata / "models" / f"cnn_{kind}.{ext}") for ext in ("json", "hd5"))
    tensor_type = "reference" if kind == "1d" else "read_tensor"
    size = max(2, len(lines) // 2 - 1)
    batches = [lines[i : i + size] for i in range(0, len(lines), size)]  # the last batch is partial
    acks, text, log = _run_session(tmp_path, backend_env, json_path, hd5_path, tensor_type, batches, 8)
    assert acks == ["ack"] * len(batches), log
    out = text.splitlines()
    assert len(out) == len(lines)
    expected = _scores_alone(lines, tensor_type, json_path, hd5_path)
    assert len({round(x, 2) for x in expected}) > 3, "the real lines must give distinct scores"
    for i, (got, prefix) in enumerate(zip(out, _expected_prefixes(lines))):
        fields = got.split("\t")
        assert "\t".join(fields[:4]) == prefix
        assert len(fields) == 5 and fields[4] == f"{float(fields[4]):.3f}"
        assert abs(float(fields[4]) - expected[i]) <= 1e-3 + 5e-4, f"line {i + 1}: {got} vs {expected[i]:.4f} alone"
    backend = "tensorflow" if backend_env.get("OPENVINO_TF_DISABLE") == "1" else ACCEL
    assert f"backend={backend}" in log
    for noise in ("cudart_stub", "cuInit", "absl::InitializeLog"):  # quiet by default: only our own lines
        assert noise not in log, log


@pytest.mark.slow
@pytest.mark.skipif(not HAS_ACCEL, reason=f"{ACCEL} not installed")
def test_temp_file_is_byte_identical_for_any_transfer_and_inference_batch(tmp_path, testdata):
    """GATK's batch sizes only decide how many lines are gathered: 100/64 and 256/256 give the same bytes."""
    lines = _lines(testdata, "1d") * 13  # 260 real lines: several transfer batches, a partial last one
    json_path, hd5_path = (str(testdata / "models" / f"cnn_1d.{ext}") for ext in ("json", "hd5"))
    texts = []
    for transfer, inference in ((100, 64), (256, 256)):
        work = tmp_path / f"t{transfer}"
        work.mkdir()
        batches = [lines[i : i + transfer] for i in range(0, len(lines), transfer)]
        acks, text, log = _run_session(work, ACCEL_ENV, json_path, hd5_path, "reference", batches, inference)
        assert acks == ["ack"] * len(batches), log
        texts.append(text)
    assert len(texts[0].splitlines()) == len(lines)
    assert texts[0] == texts[1]


@pytest.mark.slow
def test_failing_batch_reaches_java_as_nack_and_writes_nothing(tmp_path, testdata, model_2d_paths):
    lines = _lines(testdata, "2d")
    bad = lines[0].split("\t")
    bad[7] = bad[7][:3] + "Q" + bad[7][4:]  # an unknown base in the first read
    batches = [lines[:2], ["\t".join(bad)] + lines[1:3]]
    acks, text, _ = _run_session(tmp_path, {}, *model_2d_paths, "read_tensor", batches, 8)
    assert acks[0] == "ack" and acks[1].startswith("nkm:")
    assert "unknown symbol(s) 'Q'" in acks[1] and bad[0] + ":" + bad[1] in acks[1]
    assert len(text.splitlines()) == 2  # only the good batch was written


@pytest.mark.slow
def test_bad_model_path_is_a_nack_with_the_reason(tmp_path, testdata):
    java = JavaSide(tmp_path, {})
    try:
        java.start()
        assert java.command("import vqsr_cnn") == "ack"
        ack = java.command(
            f"args, model = vqsr_cnn.start_session_get_args_and_model(0, 0, '{tmp_path}/none.json', "
            f"weights_hd5='{tmp_path}/none.hd5')"
        )
        assert ack.startswith("nkm:") and "does not exist" in ack
    finally:
        java.kill()


@pytest.mark.slow
@pytest.mark.parametrize("tensor_type", ["reference", "read_tensor"])
def test_bad_line_corpus_each_batch_is_a_nack_naming_the_variant_and_writes_nothing(
    tmp_path, testdata, tensor_type, model_1d_paths, model_2d_paths
):
    """Every case of tests/bad_lines.py in one real session: a 12-line batch with one broken line is a nack naming
    the variant (or line) and writes nothing; the session then scores a good batch normally."""
    from bad_lines import BAD_INDEX, CASES, bad_batch, good_batch

    cases = [c for c, (tt, _, _) in CASES.items() if tt == tensor_type]
    batches = [bad_batch(testdata, c)[0] for c in cases] + [good_batch(testdata, tensor_type)]
    json_path, hd5_path = model_1d_paths if tensor_type == "reference" else model_2d_paths
    java = JavaSide(tmp_path, {"VQSR_CNN_BATCH_SIZE": "8"})
    temp = tmp_path / "scores.txt"
    try:
        java.start()
        assert java.command(f"tempFile = open('{temp}', 'w+')") == "ack"
        assert java.command("import vqsr_cnn") == "ack"
        assert (
            java.command(
                f"args, model = vqsr_cnn.start_session_get_args_and_model(1, 1, '{json_path}', weights_hd5='{hd5_path}')"
            )
            == "ack"
        ), java.output()
        acks = []
        for batch in batches:
            cmd = (
                f"vqsr_cnn.score_and_write_batch(model, tempFile, {len(batch)}, 8, '{tensor_type}', "
                f"'{ANNOTATIONS}', 128, 128, '')"
            )
            acks.append(java.score_batch(batch, cmd))
            if acks[-1] != "ack":
                assert java.read_ack() == "ack"  # the queued sendAck after the failed command
        assert java.command("tempFile.flush()") == "ack"
        for case, ack in zip(cases, acks):
            _, _, locus = bad_batch(testdata, case)
            assert ack.startswith("nkm:"), f"{case}: scored instead of refused"
            assert CASES[case][2] in ack, f"{case}: {ack}"
            assert locus in ack or f"data line {BAD_INDEX + 1} (" in ack, f"{case}: {ack}"
        assert acks[-1] == "ack", java.output()
        written = temp.read_text().splitlines()
        assert [line.rsplit("\t", 1)[0] for line in written] == _expected_prefixes(batches[-1])
        java.finish()
    finally:
        java.kill()


@pytest.mark.slow
@pytest.mark.skipif(ACCEL != "openvino" or not HAS_ACCEL, reason="INT8 runs on the openvino backend")
def test_int8_through_gatk_calibrates_on_the_first_lines_then_loads_from_the_cache(tmp_path, testdata):
    """VQSR_CNN_PRECISION=int8 through GATK's protocol really runs INT8 (it once ran FP32 silently): the first session
    calibrates on its first transfer batch and caches the model, a later session loads it and writes the same bytes."""
    from real_fifo_lines import lines_1d

    lines = lines_1d()[:300]  # real HG004 records: a full transfer batch of 256 to calibrate on, and a partial one
    batches = [lines[:256], lines[256:]]
    json_path, hd5_path = (str(testdata / "models" / f"cnn_1d.{ext}") for ext in ("json", "hd5"))
    cache = {"VQSR_CNN_CACHE_DIR": str(tmp_path / "cache")}
    runs = {}
    for name, env in (("fp32", {}), ("int8", {"VQSR_CNN_PRECISION": "int8"}), ("int8 again", {"VQSR_CNN_PRECISION": "int8"})):
        work = tmp_path / name.replace(" ", "_")
        work.mkdir()
        acks, text, log = _run_session(work, {**ACCEL_ENV, **cache, **env}, json_path, hd5_path, "reference", batches, 64)
        assert acks == ["ack", "ack"], log
        runs[name] = (text, log)
    assert "precision=fp32" in runs["fp32"][1]
    int8_text, int8_log = runs["int8"]
    assert "INT8 quantisation:" in int8_log and "precision=int8" in int8_log, int8_log
    assert "INT8 model from cache" in runs["int8 again"][1] and "INT8 quantisation:" not in runs["int8 again"][1]
    assert runs["int8 again"][0] == int8_text  # the cached model scores exactly as the model it was saved from
    fp32 = [float(line.rsplit("\t", 1)[1]) for line in runs["fp32"][0].splitlines()]
    int8 = [float(line.rsplit("\t", 1)[1]) for line in int8_text.splitlines()]
    assert len(int8) == len(fp32) == 300
    delta = sorted(abs(a - b) for a, b in zip(int8, fp32))
    assert delta[-1] > 0, "INT8 wrote the FP32 scores: it did not run INT8"
    assert delta[int(0.99 * len(delta))] <= 0.1 + 0.001  # the accuracy budget, at the 3 decimals GATK keeps
