"""Bad input: one actionable line naming the file (and record), a non-zero exit, and no output left behind."""

from __future__ import annotations

import gzip
import logging
import os
import shutil
from pathlib import Path

import numpy as np
import pysam
import pytest

from vqsr_cnn.cli import main
from vqsr_cnn.pipeline import ScoreOptions, load_engine, score_vcf


@pytest.fixture()
def normal(testdata, tmp_path) -> dict[str, Path]:
    """A private copy of the chr22_normal slice (tests damage it) and an output directory."""
    src = testdata / "chr22_normal"
    d = tmp_path / "in"
    shutil.copytree(src, d)
    (tmp_path / "out").mkdir()
    return {
        "vcf": d / "test_haplotcaller.noCNN.vcf",
        "fasta": d / "genome.fasta",
        "bam": d / "test.paired_end.sorted.bam",
        "out": tmp_path / "out",
    }


def cli_error(capsys, *argv: str) -> str:
    code = main(["score", "--quiet", *argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith("vqsr-cnn score: error: "), err
    return err[0]


def assert_no_output(out_dir: Path) -> None:
    assert os.listdir(out_dir) == [], os.listdir(out_dir)


def score_args(n: dict[str, Path], vcf: Path | None = None, **extra: str) -> list[str]:
    args = ["-V", str(vcf or n["vcf"]), "-R", str(n["fasta"]), "-O", str(n["out"] / "o.vcf.gz")]
    for k, v in extra.items():
        args += [f"--{k.replace('_', '-')}", v]
    return args


def write_vcf(path: Path, body: str, header: str = "") -> Path:
    path.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chr22,length=40001>\n"
        + header
        + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ttestN\n"
        + body
    )
    return path


GOOD = "chr22\t1982\t.\tA\tG\t339.64\t.\tDP=322;MQ=60.00\tGT\t0/1\n"


# ---- checked before the model is loaded (fast) ----


def test_missing_fasta(normal, capsys):
    os.remove(normal["fasta"])
    msg = cli_error(capsys, *score_args(normal))
    assert str(normal["fasta"]) in msg and "does not exist" in msg
    assert_no_output(normal["out"])


def test_unindexed_fasta(normal, capsys):
    os.remove(str(normal["fasta"]) + ".fai")
    msg = cli_error(capsys, *score_args(normal))
    assert f"samtools faidx {normal['fasta']}" in msg
    assert not os.path.exists(str(normal["fasta"]) + ".fai")  # we never write next to the user's input
    assert_no_output(normal["out"])


def test_gzip_not_bgzip_fasta(normal, capsys):
    gz = normal["fasta"].with_suffix(".fasta.gz")
    gz.write_bytes(gzip.compress(normal["fasta"].read_bytes()))
    msg = cli_error(capsys, *score_args(normal)[:2], "-R", str(gz), "-O", str(normal["out"] / "o.vcf"))
    assert "bgzip" in msg and str(gz) in msg


def test_unindexed_and_missing_bam(normal, capsys):
    os.remove(str(normal["bam"]) + ".bai")
    msg = cli_error(capsys, *score_args(normal, input=str(normal["bam"]), tensor_type="read_tensor"))
    assert f"samtools index {normal['bam']}" in msg
    msg = cli_error(capsys, *score_args(normal, input=str(normal["bam"]) + "x", tensor_type="read_tensor"))
    assert "does not exist" in msg
    assert_no_output(normal["out"])


def test_2d_without_reads(normal, capsys):
    assert "-I/--input" in cli_error(capsys, *score_args(normal, tensor_type="read_tensor"))


def test_contig_names_differ_between_vcf_fasta_and_bam(normal, capsys, tmp_path):
    fasta22 = tmp_path / "renamed.fa"
    fasta22.write_text(normal["fasta"].read_text().replace(">chr22", ">22", 1))
    pysam.faidx(str(fasta22))
    msg = cli_error(capsys, "-V", str(normal["vcf"]), "-R", str(fasta22), "-O", str(normal["out"] / "o.vcf"))
    assert "share no contig names" in msg and "chr22" in msg and "22" in msg
    # VCF and BAM agree on chr22 but the FASTA says 22
    msg = cli_error(
        capsys,
        "-V",
        str(normal["vcf"]),
        "-R",
        str(fasta22),
        "-I",
        str(normal["bam"]),
        "--tensor-type",
        "read_tensor",
        "-O",
        str(normal["out"] / "o.vcf"),
    )
    assert "share no contig names" in msg
    # Same name, different length: another assembly
    longer = tmp_path / "longer.fa"
    longer.write_text(">chr22\n" + pysam.FastaFile(str(normal["fasta"])).fetch("chr22") + "ACGT\n")
    pysam.faidx(str(longer))
    msg = cli_error(capsys, "-V", str(normal["vcf"]), "-R", str(longer), "-O", str(normal["out"] / "o.vcf"))
    assert "different assembly" in msg
    assert_no_output(normal["out"])


def test_vcf_without_header(normal, capsys, tmp_path):
    bare = tmp_path / "bare.vcf"
    bare.write_text(GOOD)
    msg = cli_error(capsys, *score_args(normal, vcf=bare))
    assert str(bare) in msg and "##fileformat" in msg
    no_chrom = tmp_path / "nochrom.vcf"
    no_chrom.write_text("##fileformat=VCFv4.2\n" + GOOD)
    assert "#CHROM" in cli_error(capsys, *score_args(normal, vcf=no_chrom))
    assert_no_output(normal["out"])


def test_gvcf_header_is_refused(normal, capsys, tmp_path):
    gvcf = write_vcf(tmp_path / "x.g.vcf", GOOD, header="##GVCFBlock0-1=minGQ=0(inclusive),maxGQ=1(exclusive)\n")
    assert "GenotypeGVCFs" in cli_error(capsys, *score_args(normal, vcf=gvcf))
    assert_no_output(normal["out"])


def test_truncated_bgzf(normal, capsys, testdata, tmp_path):
    data = (testdata / "hg004_chr21" / "NA24143.vcf.gz").read_bytes()
    cut = tmp_path / "cut.vcf.gz"
    cut.write_bytes(data[: len(data) // 2])
    msg = cli_error(
        capsys,
        "-V",
        str(cut),
        "-R",
        str(testdata / "hg004_chr21" / "hg38_chr21_22000000_23000000.fasta"),
        "-O",
        str(normal["out"] / "o.vcf.gz"),
    )
    assert str(cut) in msg and "truncated" in msg
    assert_no_output(normal["out"])


def test_output_directory_missing(normal, capsys):
    msg = cli_error(capsys, "-V", str(normal["vcf"]), "-R", str(normal["fasta"]), "-O", str(normal["out"] / "no" / "o.vcf"))
    assert "does not exist" in msg and str(normal["out"] / "no") in msg


def test_bad_interval(normal, capsys):
    assert "contig 'chr1' is not in the reference" in cli_error(capsys, *score_args(normal), "-L", "chr1:1-100")


# ---- found while streaming (the model is loaded; the partial output must vanish) ----


@pytest.fixture(scope="module")
def engine_1d(model_1d_paths):
    return load_engine(ScoreOptions("", "", "", architecture=model_1d_paths[0], weights=model_1d_paths[1], batch_size=4))


def stream_error(engine, normal: dict[str, Path], vcf: Path, **kw) -> str:
    eng = engine
    options = ScoreOptions(str(vcf), str(normal["fasta"]), str(normal["out"] / "o.vcf.gz"), quiet=True, **kw)
    with pytest.raises((ValueError, OSError)) as info:
        score_vcf(options, eng)
    assert_no_output(normal["out"])
    return str(info.value)


@pytest.mark.slow
@pytest.mark.parametrize(
    "record, expect",
    [
        ("chr22\t2000\t.\tA\tG\t1\n", "malformed record, 6 tab-separated columns"),
        ("chr22\tx2000\t.\tA\tG\t1\t.\t.\tGT\t0/1\n", "POS 'x2000' is not an integer"),
        ("chr22\t2000\t.\tA\tZ\t1\t.\t.\tGT\t0/1\n", "allele 'Z' has bases other than"),
        ("chr1\t2000\t.\tA\tG\t1\t.\t.\tGT\t0/1\n", "contig 'chr1' is not in the reference"),
        ("chr22\t2000\t.\tA\tG,<NON_REF>\t1\t.\t.\tGT\t0/1\n", "GenotypeGVCFs"),
        ("chr22\t2000\t.\tA\tG\t1\t.\tMQ=high;DP=3\tGT\t0/1\n", "annotation MQ='high' is not a number"),
    ],
)
def test_bad_record_names_file_and_line(engine_1d, normal, tmp_path, record, expect):
    # Many good records first, so the bad one arrives after output has started.
    vcf = write_vcf(tmp_path / "bad.vcf", GOOD * 9 + record)
    msg = stream_error(engine_1d, normal, vcf)
    assert expect in msg and f"{vcf} line 13" in msg, msg


@pytest.mark.slow
def test_truncated_plain_gzip_midstream(engine_1d, normal, tmp_path):
    vcf = write_vcf(tmp_path / "g.vcf", GOOD * 3000)
    data = gzip.compress(vcf.read_bytes())
    cut = tmp_path / "g.vcf.gz"
    cut.write_bytes(data[: len(data) - 40])
    assert "truncated or corrupt" in stream_error(engine_1d, normal, cut)


@pytest.mark.slow
def test_dot_and_list_annotations_are_scored_like_missing_and_first(engine_1d, normal, tmp_path, monkeypatch):
    eng = engine_1d
    spec = eng.spec
    base = "chr22\t1982\t.\tA\tG\t1\t.\t{}\tGT\t0/1\n"
    # Values on the seeded model's training scale (mean 0, sd 1): raw DP=322;MQ=60 saturate it, and every
    # record would score the floor log(1e-7) = -16.118 whatever its annotations.
    same = ("DP=1.5;MQ=0.5", "DP=1.5;MQ=0.5;QD=.", "DP=1.5,-2;MQ=0.5", "DP=1.5;MQ=0.5;FS=")
    # Controls: real values for the very keys above. Each must change the score, so the matches above prove
    # that '.', the list and the empty value reached the model as "missing" / "first value", not that the
    # model ignores these annotations.
    controls = ("DP=1.5;MQ=0.5;QD=2", "DP=-2;MQ=0.5", "DP=1.5;MQ=0.5;FS=2")
    vcf = write_vcf(tmp_path / "a.vcf", "".join(base.format(info) for info in same + controls))
    out = normal["out"] / "a.vcf"
    seen: list[np.ndarray] = []
    predict = eng.predict_arrays

    def spy(tensors: np.ndarray, annotations: np.ndarray, *rest: object) -> np.ndarray:
        seen.append(annotations.copy())
        return predict(tensors, annotations, *rest)

    monkeypatch.setattr(eng, "predict_arrays", spy)
    score_vcf(ScoreOptions(str(vcf), str(normal["fasta"]), str(out), quiet=True), eng)
    scored = [line.split("CNN_1D=")[1].split(";")[0] for line in out.read_text().splitlines() if "CNN_1D=" in line]
    scores, control_scores = scored[:4], scored[4:]
    assert len(scores) == 4 and len(set(scores)) == 1  # '.', a list's first value and an empty value match
    assert float(scores[0]) > -16.0, "not the saturated floor log(1e-7)"
    assert len(control_scores) == 3 and all(c != scores[0] for c in control_scores), (scores, control_scores)
    # and at the model's input: one annotation row for the first four records, another for each control
    rows = np.concatenate(seen)
    assert rows.shape == (7, len(spec.annotations))
    assert all(np.array_equal(rows[0], r) for r in rows[1:4])
    assert all(not np.array_equal(rows[0], r) for r in rows[4:])


@pytest.mark.slow
def test_multi_sample_warning(engine_1d, normal, tmp_path, caplog):
    eng = engine_1d
    vcf = tmp_path / "two.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\tb\n"
        "chr22\t1982\t.\tA\tG\t1\t.\tDP=3\tGT\t0/1\t0/0\n"
    )
    with caplog.at_level(logging.WARNING, logger="vqsr_cnn"):
        summary = score_vcf(ScoreOptions(str(vcf), str(normal["fasta"]), str(normal["out"] / "m.vcf"), quiet=True), eng)
    assert summary.scored == 1
    assert "single sample tool but the input VCF has more than 1 sample" in caplog.text


@pytest.mark.slow
def test_cli_stream_error_exit_code(normal, capsys, tmp_path):
    vcf = write_vcf(tmp_path / "bad.vcf", GOOD + "chr22\t2000\t.\tA\tG\t1\t.\tMQ=abc\tGT\t0/1\n")
    msg = cli_error(capsys, *score_args(normal, vcf=vcf, inference_batch_size="8"))
    assert f"{vcf} line 5 (chr22:2000)" in msg and "MQ='abc'" in msg
    assert_no_output(normal["out"])
