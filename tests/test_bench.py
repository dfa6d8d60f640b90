"""The bench's refusals, FLOP counting and micro-batch sweep ratios (no timing here: benches are not unit tests)."""

from __future__ import annotations

import numpy as np
import pytest

from vqsr_cnn.bench.flops import layer_macs, model_flops
from vqsr_cnn.bench.options import MIN_VARIANTS, check_model_matches_data, check_variant_count
from vqsr_cnn.cli import main


def test_refuses_too_few_variants() -> None:
    with pytest.raises(ValueError, match=f"at least {MIN_VARIANTS} variants"):
        check_variant_count(10, 8)
    with pytest.raises(ValueError, match="one full batch of 256"):
        check_variant_count(100, 256)
    check_variant_count(256, 256)


def test_cli_refuses_too_few_variants_before_loading_anything(tmp_path, capsys) -> None:
    code = main(["bench", "--tensor-type", "reference", "--variants", "5", "--data", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "vqsr-cnn bench: error: bench needs at least" in err and "--variants" in err


def test_refuses_model_whose_input_shape_does_not_match_data() -> None:
    tensors = np.zeros((2, 128, 128, 15), np.float32)
    annotations = np.zeros((2, 7), np.float32)
    with pytest.raises(ValueError, match=r"takes tensors of shape \(128, 4\) but the bench data .* are \(128, 128, 15\)"):
        check_model_matches_data((128, 4), 7, tensors, annotations, "m.hd5", "data")
    with pytest.raises(ValueError, match="takes 8 annotations"):
        check_model_matches_data((128, 128, 15), 8, tensors, annotations, "m.hd5", "data")
    check_model_matches_data((128, 128, 15), 7, tensors, annotations, "m.hd5", "data")


def _keras():
    from vqsr_cnn.models.keras_compat import keras

    return keras()


def test_flops_of_a_tiny_model_match_a_hand_count() -> None:
    k = _keras()
    seq = k.Input(shape=(10, 3))
    x = k.layers.Conv1D(4, 3, activation="relu")(seq)  # out 8 x 4: 8*4*(3*3) = 288 MACs
    x = k.layers.Flatten()(x)
    img = k.Input(shape=(6, 5, 2))
    y = k.layers.Conv2D(3, (2, 2))(img)  # out 5 x 4 x 3: 60 * (2*2*2) = 480 MACs
    y = k.layers.MaxPooling2D((1, 2))(y)  # no MACs
    y = k.layers.Flatten()(y)  # 5*2*3 = 30
    z = k.layers.Concatenate()([x, y])  # 32 + 30 = 62
    out = k.layers.Dense(2, activation="softmax")(z)  # 62*2 = 124 MACs
    model = k.Model([seq, img], out)
    assert sorted(layer_macs(layer) for layer in model.layers if layer_macs(layer)) == [124, 288, 480]
    assert model_flops(model) == 2 * (288 + 480 + 124)


def test_flops_of_gatk_small_2d_architecture() -> None:
    from vqsr_cnn.models.architectures import build_default_2d_annotation_model

    model = build_default_2d_annotation_model()
    # conv2d_1..4 (valid padding, two (3,1) max pools), annotation dense, fc_1 over 15,360 + 64, softmax
    macs = (
        104 * 128 * 64 * 25 * 15
        + 104 * 104 * 48 * 25 * 64
        + 80 * 104 * 32 * 25 * 48
        + 26 * 80 * 24 * 25 * 32
        + 7 * 64
        + (8 * 80 * 24 + 64) * 24
        + 24 * 4
    )
    assert model_flops(model) == 2 * macs == 3_019_903_040
    # OpenVINO at FP32 runs conv2d_2 as DFT products: per row 2F*N*C + 4F*C*C_out + 2F*N_out*C_out, F = 65
    products = 104 * (130 * 128 * 64 + 4 * 65 * 64 * 48 + 130 * 104 * 48)
    assert model_flops(model, dft=True) == 2 * (macs - 104 * 104 * 48 * 25 * 64 + products)


def test_flops_of_gatk_1d_architecture_as_openvino_runs_it_at_fp32() -> None:
    from vqsr_cnn.models.architectures import build_default_1d_annotation_model

    model = build_default_1d_annotation_model()
    first, second, third = [layer for layer in model.layers if type(layer).__name__ == "Conv1D"]
    assert layer_macs(first, dft=True) == layer_macs(first)  # four input channels: kept direct
    direct = [106 * 12 * 256 * 256, 95 * 12 * 256 * 128]
    products = [  # N = 117 (F = 59) and 106 (F = 54)
        118 * 117 * 256 + 4 * 59 * 256 * 256 + 118 * 106 * 256,
        108 * 106 * 256 + 4 * 54 * 256 * 128 + 108 * 95 * 128,
    ]
    assert [layer_macs(layer) for layer in (second, third)] == direct
    assert [layer_macs(layer, dft=True) for layer in (second, third)] == products
    assert model_flops(model) - model_flops(model, dft=True) == 2 * (sum(direct) - sum(products))


def test_micro_batch_sweeps_compare_within_each_round() -> None:
    """Load drifts between rounds on a shared machine: a sweep compares each micro-batch with the default in the
    same round, so a round that was slow for every row changes no ratio."""
    from vqsr_cnn.bench.timing import Row
    from vqsr_cnn.bench.tuning import Sweep

    def row(times: list[float]) -> Row:
        return Row("r", "engine", lambda: None, 64, times=times)

    sweep = Sweep("bf16", 16, {8: row([2.0, 8.0, 2.0]), 16: row([1.0, 4.0, 1.0]), 64: row([0.5, 2.0, 0.5])})
    report = sweep.report()["speed_vs_default"]
    assert report[16]["median"] == 1.0 and report[8]["median"] == 0.5 and report[64]["median"] == 2.0
    assert report[64]["q1"] == report[64]["q3"] == 2.0  # the slow middle round moved no ratio


def test_bridge_lines_and_score_vcf_hold_the_same_records_and_reads(testdata, tmp_path) -> None:
    """The bench's bridge rows and its score row are fed the same records, with the reads `score` reads (GATK's
    read set, duplicates kept), so their rates compare like for like."""
    from vqsr_cnn.bench.data import load_examples, repeat_examples, usable
    from vqsr_cnn.bench.vcfs import repeated_vcf
    from vqsr_cnn.readers.bam import ReadSource
    from vqsr_cnn.readers.vcf import VcfReader

    d = testdata / "giab_chr22"
    vcf, fasta = d / "NA12878.jointcall.chr22_16584000-16587000.vcf.gz", d / "chr22_GRCh38_Npadded_16570000-16610000.fa.gz"
    bam = d / "NA12878.chr22_16584000-16587000.bam"
    keys = ["MQ", "DP", "SOR", "FS", "QD", "MQRankSum", "ReadPosRankSum"]
    examples = repeat_examples(load_examples(vcf, fasta, bam, keys), 25)
    repeated_vcf(vcf, tmp_path / "score.vcf", 25, lambda fields: usable(fields[3], fields[4].split(",")))
    records = list(VcfReader(tmp_path / "score.vcf"))
    assert [(e.variant.contig, e.variant.pos, e.variant.alts) for e in examples] == [(r.contig, r.pos, r.alts) for r in records]
    source = ReadSource(bam)
    first = records[0]
    reads = source.reads(first.contig, first.pos, first.end, 128, "w")
    assert reads and [r.seq for r in reads] == [r.seq for r in examples[0].reads]


def test_encode_row_encodes_what_the_bridge_encodes(monkeypatch) -> None:
    """The 'encode only' row times the bridge's second stage: the engine's feed-sized chunks, 2D tails left unwritten
    (writing each whole 1 MB tensor would time memory traffic the bridge never has)."""
    from types import SimpleNamespace

    from vqsr_cnn.bench import stage_rows

    calls: list[tuple[int, bool]] = []
    monkeypatch.setattr(stage_rows, "encode_batch", lambda ex, *a, fill_tails=True: calls.append((len(ex), fill_tails)))
    engine = SimpleNamespace(feed_size=32)
    tb = SimpleNamespace(
        n=100, examples=list(range(100)), tt="read_tensor", names=[], window=128, read_limit=128,
        engine=lambda backend, precision: engine,
    )  # fmt: skip
    row = stage_rows.encode_row(tb)
    row.run()
    assert calls == [(32, False), (32, False), (32, False), (4, False)]
    assert row.variants == 100
