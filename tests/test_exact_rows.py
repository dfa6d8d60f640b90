"""Exact rows (2D): R detection, the row algebra, exactness vs dense on real tensors, fallback, the load-time proof."""

from __future__ import annotations

import importlib.util
import logging
import os

import numpy as np
import pytest

from vqsr_cnn.bench.flops import cut_flops, layer_macs
from vqsr_cnn.engine import Engine, EngineConfig
from vqsr_cnn.engine.exact_rows import cut as cut_module
from vqsr_cnn.engine.exact_rows.cut import cut_function
from vqsr_cnn.engine.exact_rows.plan import analyse, distinct_rows, layer_heights, rows_needed, window_rows
from vqsr_cnn.engine.exact_rows.proof import TOLERANCE, synthetic_tensors
from vqsr_cnn.models.gatk_format import load_model_pair

NAMES = ["MQ", "DP", "SOR", "FS", "QD", "MQRankSum", "ReadPosRankSum"]
needs_openvino = pytest.mark.skipif(importlib.util.find_spec("openvino") is None, reason="openvino is not installed")


def _keras():
    from vqsr_cnn.models.keras_compat import keras

    return keras()


def _tensor_with_tail(reads: int, height: int = 128, seed: int = 0) -> np.ndarray:
    t, _ = synthetic_tensors((height, 16, 15), [reads], 7, seed=seed)
    return t[0]


# ---------------------------------------------------------------- R from the tensor itself


def test_distinct_rows_edge_cases() -> None:
    none = _tensor_with_tail(0)
    full = np.random.default_rng(1).random((128, 16, 15), dtype=np.float32)  # 128 reads: no tail
    some = _tensor_with_tail(37)
    broken = some.copy()
    broken[90, 3, 0] += 0.5  # a tail row that differs: the uniform tail starts after it
    last_differs = some.copy()
    last_differs[127, 0, 14] = 1.0  # the last two rows differ: no uniform tail at all
    nan_tail = some.copy()
    nan_tail[100:, 0, 0] = np.nan  # NaN never equals itself: no uniform tail is assumed
    two_rows = _tensor_with_tail(126)
    r = distinct_rows(np.stack([none, full, some, broken, last_differs, nan_tail, two_rows]))
    assert r.tolist() == [0, 128, 37, 91, 128, 128, 126]
    assert rows_needed(r, 128).tolist() == [1, 128, 38, 92, 128, 128, 127]


def test_distinct_rows_is_chunk_independent() -> None:
    tensors = np.stack([_tensor_with_tail(r, seed=r) for r in (0, 5, 64, 127, 3)])
    assert distinct_rows(tensors, chunk=2).tolist() == distinct_rows(tensors).tolist() == [0, 5, 64, 128, 3]


def test_rows_left_unwritten_by_the_encoder_give_the_same_r_and_are_filled_on_demand(testdata) -> None:
    """The encoder writes only each variant's read rows and one reads-free row; R from those rows equals R on the
    whole tensor, and fill_tails restores the whole tensor bit for bit."""
    from vqsr_cnn.encode import encode_batch
    from vqsr_cnn.engine.exact_rows.plan import fill_tails

    examples = _real_2d_examples(testdata)
    whole = encode_batch(examples, "read_tensor", NAMES)
    part = encode_batch(examples, "read_tensor", NAMES, fill_tails=False)
    assert whole.written is None and part.written is not None and (part.written < 128).sum() > 10
    unwritten = np.arange(128)[None, :] >= part.written[:, None]
    part.tensors[unwritten] = np.nan  # what was never written must never be read
    np.testing.assert_array_equal(distinct_rows(part.tensors, part.written), distinct_rows(whole.tensors))
    fill_tails(part.tensors, part.written)
    np.testing.assert_array_equal(part.tensors, whole.tensors)
    # edge cases on the contract itself: no reads, every row a read, trailing read rows equal to the tail row
    t, _ = synthetic_tensors((128, 16, 15), [0, 128, 40, 126], 7, seed=3)
    t[2, 37:40] = t[2, 127]  # the last three read rows show only the reference: R is 37, not 40
    written = np.array([1, 128, 41, 127])
    left = t.copy()
    left[np.arange(128)[None, :] >= written[:, None]] = np.nan
    assert distinct_rows(left, written).tolist() == distinct_rows(t).tolist() == [0, 128, 37, 126]


# ---------------------------------------------------------------- the row algebra


def test_window_rows_hand_worked() -> None:
    # conv 25x1 on a tensor cut to 40 rows (true output 104 rows): cut to 40 rows
    assert window_rows(40, 1, 104) == 40
    # (3,1) pool stride 3 on 40 rows (true output 26): rows 0..13 hold the 13 distinct pooled rows + the tail
    assert window_rows(40, 3, 26) == 14
    # capped at the true height: a cut that reaches the end is the dense layer
    assert window_rows(127, 1, 104) == 104
    assert window_rows(1, 1, 104) == 1


def test_small_2d_plan_and_heights(model_2d_paths) -> None:
    _, model = load_model_pair(*model_2d_paths)
    plan = analyse(model)
    assert plan.applies, plan.reason
    kinds = {s.name: s.kind for s in plan.steps}
    assert kinds["conv2d_1"] == kinds["conv2d_3"] == "window" and kinds["conv2d_2"] == kinds["conv2d_4"] == "rows"
    by_type = {type(s.layer).__name__: s.kind for s in plan.steps}
    assert by_type["Flatten"] == "restore" and kinds["annotation_dense"] == "plain"
    h = layer_heights(plan, 40)
    assert (h["conv2d_1"], h["conv2d_2"], h["conv2d_3"], h["max_pooling2d"], h["max_pooling2d_1"]) == (40, 40, 40, 14, 6)
    # near the full height a window computes rows no true row reads (its input's tail copies appended, not cut off)
    assert layer_heights(plan, 128)["conv2d_3"] == 128 and layer_heights(plan, 80)["conv2d_3"] == 80
    dense = 2 * sum(layer_macs(layer) for layer in model.layers)
    assert cut_flops(plan, 40) < 0.45 * dense < dense < cut_flops(plan, 128)


def _exotic_exact_model():
    """Valid read-axis windows with strides, dilation, average pooling, a residual add and a channel concat."""
    k = _keras()
    L = k.layers
    k.utils.set_random_seed(4)
    reads = k.Input(shape=(40, 12, 15), name="read_tensor")
    x = L.Conv2D(8, (5, 3), activation="relu", padding="valid")(reads)  # 36 x 10
    y = L.Conv2D(8, (3, 1), dilation_rate=(2, 1), activation="tanh")(x)  # 32 x 10
    x = L.Add()([y, L.Conv2D(8, (5, 1), activation="relu")(x)])  # residual of two cut branches: 32 x 10
    x = L.Conv2D(6, (4, 1), strides=(2, 1))(x)  # 15 x 10
    x = L.BatchNormalization(axis=-1)(x)
    z = L.Conv2D(4, (1, 3), padding="same")(x)  # same padding along positions only: row-local
    x = L.Concatenate(axis=-1)([x, z])
    x = L.AveragePooling2D((2, 2))(x)  # 7 x 5
    x = L.MaxPooling2D((3, 1), strides=(2, 1))(x)  # 3 x 5
    x = L.Flatten()(x)
    annots = k.Input(shape=(7,), name="best_practices")
    x = L.Concatenate()([x, L.Dense(5, activation="relu")(annots)])
    out = L.Dense(4, activation="softmax")(x)
    return k.Model([reads, annots], out)


def test_cut_function_equals_dense_for_every_height_on_an_exotic_exact_model() -> None:
    model = _exotic_exact_model()
    plan = analyse(model)
    assert plan.applies, plan.reason
    rng = np.random.default_rng(2)
    for layer in model.layers:  # non-trivial BatchNorm statistics
        if type(layer).__name__ == "BatchNormalization":
            layer.set_weights([w + rng.normal(0, 0.3, w.shape).astype(np.float32) ** 2 for w in layer.get_weights()])
    depths = [0, 1, 2, 7, 13, 20, 30, 37, 38, 39, 40]
    tensors, annotations = synthetic_tensors((40, 12, 15), depths, 7, seed=9)
    dense = model([tensors, annotations], training=False).numpy()
    assert np.ptp(dense[:, 0]) > 1e-3  # the model distinguishes these tensors: the comparison is not vacuous
    cut = cut_function(plan)
    need = rows_needed(distinct_rows(tensors), 40)
    for rows in range(1, 41):
        ok = need <= rows
        if ok.any():
            probs = cut(tensors[ok][:, :rows], annotations[ok]).numpy()
            np.testing.assert_allclose(probs, dense[ok], rtol=0, atol=1e-6, err_msg=f"cut to {rows} rows")


def _same_padding_model():
    k = _keras()
    reads = k.Input(shape=(32, 8, 15), name="read_tensor")
    x = k.layers.Conv2D(4, (5, 1), padding="same", name="reads_same")(reads)
    x = k.layers.Flatten()(x)
    annots = k.Input(shape=(7,), name="best_practices")
    out = k.layers.Dense(4, activation="softmax")(k.layers.Concatenate()([x, annots]))
    return k.Model([reads, annots], out)


def test_not_exact_architectures_are_refused_with_the_reason() -> None:
    assert "reads_same (Conv2D) pads its read axis ('same')" in analyse(_same_padding_model()).reason
    k = _keras()
    reads = k.Input(shape=(32, 8, 15), name="read_tensor")
    x = k.layers.Reshape((32, 120))(reads)
    x = k.layers.Dense(6)(x)
    annots = k.Input(shape=(7,), name="best_practices")
    x = k.layers.Flatten()(x)
    out = k.layers.Dense(4, activation="softmax")(k.layers.Concatenate()([x, annots]))
    # Reshape restores the full height first: exact (nothing is cut)
    assert analyse(k.Model([reads, annots], out)).applies
    reads = k.Input(shape=(32, 8, 15), name="read_tensor")
    x = k.layers.Conv2D(4, (3, 1))(reads)
    x = k.layers.TimeDistributed(k.layers.Flatten())(x)
    x = k.layers.LSTM(3)(x)
    annots = k.Input(shape=(7,), name="best_practices")
    out = k.layers.Dense(4, activation="softmax")(k.layers.Concatenate()([x, annots]))
    reason = analyse(k.Model([reads, annots], out)).reason
    assert "(TimeDistributed) is not known to keep the read tail uniform" in reason


# ---------------------------------------------------------------- the engine


def _real_2d_examples(testdata) -> list:
    """Every real 2D example in testdata: GATK's FIFO lines and the GIAB slice (reads from the BAM)."""
    from vqsr_cnn.bench.data import load_examples
    from vqsr_cnn.readers.fifo import parse_data_line

    lines = (testdata / "fifo" / "lines_2d.txt").read_text().splitlines()
    giab = testdata / "giab_chr22"
    examples = load_examples(
        giab / "NA12878.jointcall.chr22_16584000-16587000.vcf.gz",
        giab / "chr22_GRCh38_Npadded_16570000-16610000.fa.gz",
        giab / "NA12878.chr22_16584000-16587000.bam",
        NAMES,
    )
    return [parse_data_line(line, "read_tensor").example for line in lines] + list(examples)


def _real_2d_tensors(testdata) -> tuple[np.ndarray, np.ndarray]:
    """Every real 2D tensor in testdata: GATK 4.2's own (golden) and ours from the FIFO lines and the GIAB slice."""
    from vqsr_cnn.encode import encode_examples

    golden = np.load(testdata / "golden" / "gatk42_tensors.npz")
    t, a = encode_examples(_real_2d_examples(testdata), "read_tensor", NAMES)
    tensors = np.concatenate([golden["read_tensor_2d"], t]).astype(np.float32)
    return tensors, np.concatenate([golden["annotations_2d"], a]).astype(np.float32)


@pytest.fixture(scope="module")
def bundled_2d():
    from vqsr_cnn.models.bundled import default_model_paths

    return load_model_pair(*map(str, default_model_paths("read_tensor")))


@pytest.fixture(scope="module")
def engines_2d(bundled_2d):
    args, model = bundled_2d
    return (
        Engine(model, args, EngineConfig(backend="openvino")),
        Engine(model, args, EngineConfig(backend="openvino", dense=True)),
    )


@needs_openvino
def test_window_restores_run_as_constant_edge_pads_bit_identical_to_the_pad_chains(bundled_2d, monkeypatch) -> None:
    """Each window's appended tail copies (a chain of one-row symmetric pads in TensorFlow) become one edge Pad of a
    constant size, with no Gather before a window left to reorder around, and the fused model gives the chains'
    scores at the heights where windows compute the fewest, the most, or rows past their true height."""
    import openvino as ov

    from vqsr_cnn.engine import convert
    from vqsr_cnn.engine.exact_rows.cut import freeze_cut

    _, model = bundled_2d
    plan = analyse(model)
    cut = freeze_cut(plan)
    fused = convert.openvino_model(cut)
    monkeypatch.setattr(convert, "fuse_edge_pads", lambda m: 0)
    chains = convert.openvino_model(cut)
    pads = [op for op in fused.get_ordered_ops() if op.get_type_name() == "Pad"]
    copies = sorted(k + s - 2 for (k, s) in (step.window for step in plan.steps if step.kind == "window"))
    assert sorted(int(p.input_value(2).get_node().get_data().sum()) for p in pads) == copies == [4, 4, 24, 24]
    assert {p.get_attributes()["pad_mode"] for p in pads} == {"edge"}
    assert sum(op.get_type_name() == "Pad" for op in chains.get_ordered_ops()) == sum(copies)
    gathers = [
        op
        for op in fused.get_ordered_ops()
        if op.get_type_name() == "Gather" and op.get_output_partial_shape(0).rank.get_length() == 4
    ]
    assert len(gathers) == 1  # the restore to the true height before Flatten
    core, outputs = ov.Core(), []
    for m in (fused, chains):
        m.reshape({cut.input_names[0]: [1, -1, *cut.tensor_shape[1:]], cut.input_names[1]: [1, cut.n_annotations]})
        compiled = core.compile_model(m, "CPU", {"INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": 1})
        request, heights = compiled.create_infer_request(), (1, 2, 3, 25, 26, 50, 80, 81, 103, 104, 105, 127, 128)
        tensors, annotations = synthetic_tensors(cut.tensor_shape, [h - 1 for h in heights], cut.n_annotations, seed=5)
        outputs.append([request.infer([tensors[i : i + 1, :h], annotations[i : i + 1]])[0].copy() for i, h in enumerate(heights)])
    # the same copies and products: bit-identical where both graphs get the same kernels (every CPU measured so far);
    # another CPU may pick other kernels for the other layout, so the gate is the proofs' tolerance
    np.testing.assert_allclose(np.concatenate(outputs[0]), np.concatenate(outputs[1]), rtol=0, atol=TOLERANCE["fp32"])


@needs_openvino
def test_exact_rows_equal_dense_on_every_real_testdata_tensor(engines_2d, testdata) -> None:
    aware, dense = engines_2d
    assert aware.exact is not None and dense.exact is None
    tensors, annotations = _real_2d_tensors(testdata)
    r = distinct_rows(tensors)
    assert (r < 100).sum() >= 10  # real tensors do have uniform tails to skip
    p_aware, p_dense = aware.predict_arrays(tensors, annotations), dense.predict_arrays(tensors, annotations)
    assert np.abs(p_aware - p_dense).max() <= TOLERANCE["fp32"]
    assert aware.exact.describe()["refused"] == {}
    # a row's score depends only on the row: alone, or in a batch at another position, bit for bit
    order = np.random.default_rng(0).permutation(len(r))
    np.testing.assert_array_equal(aware.predict_arrays(tensors[order], annotations[order]), p_aware[order])
    for i in (0, len(r) // 2, len(r) - 1):
        np.testing.assert_array_equal(aware.predict_arrays(tensors[i : i + 1], annotations[i : i + 1])[0], p_aware[i])


@needs_openvino
@pytest.mark.slow  # 266 real tensors through two engines: 7-17 s
def test_exact_rows_equal_dense_on_shared_na12878_tensors(engines_2d, shared_data, tmp_path_factory) -> None:
    """Every tensor of the NA12878 chr1 valid split (and train with VQSR_CNN_DEPTH_ALL=1)."""

    from vqsr_cnn.bench import data as bench_data

    root = bench_data.extract_tensors(shared_data, "read_tensor", bench_data.default_cache_dir(os.environ))
    splits = ("valid", "train") if os.environ.get("VQSR_CNN_DEPTH_ALL") == "1" else ("valid",)
    aware, dense = engines_2d
    worst = 0.0
    for split in splits:
        files = bench_data.tensor_files(root, split)
        for a in range(0, len(files), 256):
            lt = bench_data.load_tensors(files[a : a + 256], "read_tensor")
            delta = np.abs(aware.predict_arrays(lt.tensors, lt.annotations) - dense.predict_arrays(lt.tensors, lt.annotations))
            worst = max(worst, float(delta.max()))
    assert worst <= TOLERANCE["fp32"]


@needs_openvino
def test_engines_never_read_rows_the_encoder_left_unwritten(engines_2d, testdata) -> None:
    """Exact rows read only each variant's own rows; the dense engine (and a refused height) fills the rest first."""
    from vqsr_cnn.encode import encode_batch

    aware, dense = engines_2d
    examples = _real_2d_examples(testdata)
    whole = encode_batch(examples, "read_tensor", NAMES)
    expected = {id(e): e.predict_arrays(whole.tensors, whole.annotations) for e in engines_2d}
    for engine in (aware, dense):
        part = encode_batch(examples, "read_tensor", NAMES, fill_tails=False)
        part.tensors[np.arange(128)[None, :] >= part.written[:, None]] = np.nan
        got = engine.predict_arrays(part.tensors, part.annotations, part.written)
        np.testing.assert_array_equal(got, expected[id(engine)])


@needs_openvino
def test_edge_tensors_through_the_engine(engines_2d) -> None:
    aware, dense = engines_2d
    tensors, annotations = synthetic_tensors((128, 128, 15), [0, 128, 127, 126, 64, 7], 7, seed=5)
    broken = tensors[4].copy()
    broken[100, 10, 3] = 0.25  # non-uniform tail: R is detected as 101, never assumed to be 64
    tensors = np.concatenate([tensors, broken[None]])
    annotations = np.concatenate([annotations, annotations[4:5]])
    assert distinct_rows(tensors).tolist() == [0, 128, 128, 126, 64, 7, 101]
    rows = aware.exact.route(tensors)
    # R + 1 rows, never fewer; FP32 runs DFT products, so an even count gets one tail row more (never past 128)
    assert aware.exact.odd and rows.tolist() == [1, 128, 128, 127, 65, 9, 103]
    np.testing.assert_allclose(
        aware.predict_arrays(tensors, annotations), dense.predict_arrays(tensors, annotations), rtol=0, atol=TOLERANCE["fp32"]
    )


@needs_openvino
def test_each_variant_runs_alone_at_its_rows_bit_identically(engines_2d, testdata) -> None:
    """A variant's score is the same bits alone, in any batch and at any position; nothing is padded."""
    aware, _ = engines_2d
    tensors, annotations = _real_2d_tensors(testdata)
    order = np.random.default_rng(4).integers(0, len(tensors), 96)
    tensors, annotations = tensors[order], annotations[order]
    heights = aware.exact.route(tensors)
    assert len(set(heights.tolist())) >= 10  # many heights take part
    whole = aware.predict_arrays(tensors, annotations)
    alone = np.concatenate([aware.predict_arrays(tensors[i : i + 1], annotations[i : i + 1]) for i in range(12)])
    np.testing.assert_array_equal(whole[:12], alone)
    for gather in (5, 37):
        aware.exact.shapes.seen.clear()
        split = [aware.predict_arrays(tensors[a : a + gather], annotations[a : a + gather]) for a in range(0, 96, gather)]
        np.testing.assert_array_equal(np.concatenate(split), whole, err_msg=f"gather {gather}")
        assert aware.exact.shapes.seen == {(1, h, 128, 15) for h in heights.tolist()}  # alone, at exactly its rows
    assert sorted(aware.exact.proven) == [*range(1, 128, 2), 128]  # every height it runs was proven at load time


def test_odd_row_counts() -> None:
    """One tail row more for an even count below the full height; odd counts and the full height unchanged."""
    from vqsr_cnn.engine.exact_rows.runner import odd_rows

    assert odd_rows(np.array([1, 2, 37, 38, 126, 127, 128]), 128).tolist() == [1, 3, 37, 39, 127, 127, 128]
    assert odd_rows(np.array([126, 127]), 127).tolist() == [127, 127]


@needs_openvino
def test_inference_error_is_raised_not_hung(engines_2d) -> None:
    """A request that cannot run raises (the bridge turns it into a nack) and leaves no request out of the pool:
    more failures than streams, then the engine still scores."""
    aware, _ = engines_2d
    tensors, annotations = synthetic_tensors((128, 128, 15), [30] * 4, 7, seed=9)
    for _ in range(aware.exact.streams + 2):
        with pytest.raises(RuntimeError):
            aware.exact.predict(tensors[..., :14].copy(), annotations)  # 14 channels: the cut model takes 15
    np.testing.assert_array_equal(aware.predict_arrays(tensors, annotations), aware.predict_arrays(tensors, annotations))


@needs_openvino
def test_fallback_for_a_non_exact_architecture_logs_why(caplog) -> None:
    from vqsr_cnn.models.gatk_format import spec_from_model

    model = _same_padding_model()
    with caplog.at_level(logging.INFO, logger="vqsr_cnn"):
        engine = Engine(model, spec_from_model(model), EngineConfig(backend="openvino"))
    assert engine.exact is None
    lines = [r.getMessage() for r in caplog.records if "exact rows" in r.getMessage()]
    assert len(lines) == 1 and "the model runs dense: layer reads_same (Conv2D) pads its read axis" in lines[0]


@needs_openvino
@pytest.mark.slow  # builds two 2D engines: 7 s
def test_load_time_proof_refuses_a_wrong_cut(bundled_2d, monkeypatch, caplog) -> None:
    """A cut that repeats the wrong row (the first instead of the last) must be caught before it scores."""
    import tensorflow as tf

    def wrong_rows(x, have, want):
        return tf.gather(x, tf.zeros([want], tf.int32) + tf.minimum(tf.range(want), 0), axis=1)

    monkeypatch.setattr(cut_module, "_rows", wrong_rows)
    args, model = bundled_2d
    with caplog.at_level(logging.WARNING, logger="vqsr_cnn"):
        engine = Engine(model, args, EngineConfig(backend="openvino"))
    tensors, annotations = synthetic_tensors((128, 128, 15), [3, 5, 6], 7, seed=8)
    probs = engine.predict_arrays(tensors, annotations)
    runs = set(engine.exact.route(tensors).tolist())
    assert runs == {5, 7} and "refused" in caplog.text and runs <= set(engine.exact.describe()["refused"])  # R+1: 4, 6, 7
    monkeypatch.undo()
    dense = Engine(model, args, EngineConfig(backend="openvino", dense=True))
    np.testing.assert_allclose(probs, dense.predict_arrays(tensors, annotations), rtol=0, atol=TOLERANCE["fp32"])


def test_dense_switch() -> None:
    assert not EngineConfig.from_env({}).dense
    assert EngineConfig.from_env({"VQSR_CNN_DENSE": "1"}).dense
    assert EngineConfig.from_env({}, dense=True).dense


@needs_openvino
def test_tensorflow_backend_stays_dense(bundled_2d) -> None:
    args, model = bundled_2d
    assert Engine(model, args, EngineConfig(backend="tensorflow")).exact is None


@needs_openvino
@pytest.mark.slow
@pytest.mark.parametrize("precision", ["bf16", "int8"])
def test_exact_rows_at_reduced_precision_equal_dense_of_the_same_precision(bundled_2d, testdata, tmp_path, precision) -> None:
    """BF16 (where the CPU has it) and INT8 run exact rows too, each height proven against the dense model of the
    same precision; INT8's dense model is the same quantised graph at full height, so the two share every
    quantisation parameter."""
    from vqsr_cnn.engine.cpu import cpu_info
    from vqsr_cnn.engine.int8.settings import QuantizeSettings, split_calibration

    args, model = bundled_2d
    tensors, annotations = _real_2d_tensors(testdata)
    types = ["SNP" if i % 2 else "INDEL" for i in range(len(tensors))]
    config = EngineConfig(backend="openvino", precision=precision, cache_dir=str(tmp_path / "cache"))
    engine = Engine(
        model,
        args,
        config,
        calibration=lambda: split_calibration(tensors, annotations, types),
        quantize=QuantizeSettings(accuracy_control=False, subset_size=32),  # plain PTQ: seconds, enough to test the path
    )
    expected = {"bf16": "bf16" if cpu_info().bf16 else "fp32", "int8": "int8"}[precision]
    assert engine.exact is not None and engine.exact.precision == engine.backend.precision == expected
    runs = [*range(1, 128, 2), 128] if expected == "fp32" else list(range(1, 129))  # FP32: odd row counts
    assert sorted(engine.exact.proven) == runs and not engine.exact.refused
    if precision == "int8":  # every convolution quantised (plain PTQ) runs on integers: quantisers pass the row pads
        runtime = engine.exact.compiled.get_runtime_model().get_ordered_ops()
        convs = [op.get_rt_info() for op in runtime if op.get_rt_info()["layerType"].astype(str) == "Convolution"]
        assert len(convs) == 4 and {rt["runtimePrecision"].astype(str) for rt in convs} <= {"u8", "i8"}
    exact = engine.predict_arrays(tensors, annotations)
    np.testing.assert_allclose(exact, engine.backend.run(tensors, annotations), rtol=0, atol=TOLERANCE[expected])
    fp32 = Engine(model, args, EngineConfig(backend="openvino")).predict_arrays(tensors, annotations)
    if expected == "fp32":  # a CPU without native bf16: the request ran FP32 (and said so)
        np.testing.assert_array_equal(exact, fp32)
    else:
        assert 0 < np.abs(exact - fp32).max() < 0.2  # it really ran reduced precision, and stayed close to FP32
