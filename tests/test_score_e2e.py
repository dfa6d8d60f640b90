"""`vqsr-cnn score` end to end on real data slices: valid VCF out, one score per record, deterministic bytes."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vqsr_cnn.pipeline import ScoreOptions, load_engine, score_vcf

SCORE = re.compile(r"CNN_[12]D=(-?[0-9]+\.[0-9]{3})(;|\t)")


def text_of(path: Path) -> str:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as fh:
        return fh.read()


def records(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def assert_valid_vcf(path: Path, n_records: int, key: str) -> None:
    if shutil.which("bcftools"):
        out = subprocess.run(["bcftools", "view", "-H", str(path)], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert len(out.stdout.splitlines()) == n_records
        q = subprocess.run(["bcftools", "query", "-f", f"%INFO/{key}\\n", str(path)], capture_output=True, text=True)
        assert q.returncode == 0 and "." not in q.stdout.split(), q.stderr
    body = records(text_of(path))
    assert len(body) == n_records
    assert all(len(re.findall(f"{key}=", line)) == 1 for line in body)


def strip_score(text: str, key: str) -> str:
    text = re.sub(f"{key}=-?[0-9.]+;", "", text)
    text = re.sub(f";{key}=-?[0-9.]+", "", text)
    return "".join(line + "\n" for line in text.splitlines() if f"ID={key}," not in line)


@pytest.fixture(scope="module")
def engine_1d(model_1d_paths):
    json_path, hd5 = model_1d_paths
    return load_engine(ScoreOptions("", "", "", architecture=json_path, weights=hd5, batch_size=8))


@pytest.fixture(scope="module")
def engine_2d(model_2d_paths):
    json_path, hd5 = model_2d_paths
    return load_engine(ScoreOptions("", "", "", tensor_type="read_tensor", architecture=json_path, weights=hd5,
                                    batch_size=8))


def run(engine, **kw):
    args, eng = engine
    return score_vcf(ScoreOptions(quiet=True, **kw), eng, args)


def normal(testdata: Path) -> dict:
    d = testdata / "chr22_normal"
    return {"variant": str(d / "test_haplotcaller.noCNN.vcf"), "reference": str(d / "genome.fasta")}


@pytest.mark.slow
def test_chr22_normal_1d(testdata, tmp_path, engine_1d):
    out = tmp_path / "n1.vcf.gz"
    summary = run(engine_1d, output=str(out), **normal(testdata))
    assert summary.scored == summary.records == 5
    assert_valid_vcf(out, 5, "CNN_1D")
    assert (tmp_path / "n1.vcf.gz.tbi").exists()
    assert strip_score(text_of(out), "CNN_1D") == Path(normal(testdata)["variant"]).read_text()
    assert sorted(os.listdir(tmp_path)) == ["n1.vcf.gz", "n1.vcf.gz.tbi"]


@pytest.mark.slow
def test_chr22_normal_2d_plain_vcf(testdata, tmp_path, engine_2d):
    out = tmp_path / "n2.vcf"
    bam = testdata / "chr22_normal" / "test.paired_end.sorted.bam"
    summary = run(engine_2d, output=str(out), reads=str(bam), tensor_type="read_tensor", **normal(testdata))
    assert summary.scored == 5 and summary.without_reads == 0 and summary.reads_kept >= 5
    assert_valid_vcf(out, 5, "CNN_2D")
    assert strip_score(out.read_text(), "CNN_2D") == Path(normal(testdata)["variant"]).read_text()


@pytest.mark.slow
def test_giab_slice_2d_bgzipped_fasta(testdata, tmp_path, engine_2d):
    d = testdata / "giab_chr22"
    out = tmp_path / "g.vcf.gz"
    summary = run(engine_2d, output=str(out), tensor_type="read_tensor",
                  variant=str(d / "NA12878_GIAB.chr22_16584000-16587000.vcf.gz"),
                  reference=str(d / "chr22_GRCh38_Npadded_16570000-16610000.fa.gz"),
                  reads=str(d / "NA12878.chr22_16584000-16587000.bam"))
    n = len(records(text_of(d / "NA12878_GIAB.chr22_16584000-16587000.vcf.gz")))
    assert summary.scored == n and n >= 10
    assert_valid_vcf(out, n, "CNN_2D")


@pytest.mark.slow
def test_hg004_1d_all_records_in_order(testdata, tmp_path, engine_1d):
    d = testdata / "hg004_chr21"
    out = tmp_path / "h.vcf.gz"
    summary = run(engine_1d, output=str(out), variant=str(d / "NA24143.vcf.gz"),
                  reference=str(d / "hg38_chr21_22000000_23000000.fasta"))
    assert summary.scored == summary.records == 1762
    assert_valid_vcf(out, 1762, "CNN_1D")
    scored, original = records(text_of(out)), records(text_of(d / "NA24143.vcf.gz"))
    assert [line.split("\t")[:5] for line in scored] == [line.split("\t")[:5] for line in original]
    assert sum("\t*\t" in line for line in scored) == 10


@pytest.mark.slow
def test_deterministic_across_runs_and_batch_sizes(testdata, tmp_path, model_1d_paths, model_2d_paths):
    d = testdata / "giab_chr22"
    two_d = {"tensor_type": "read_tensor", "reads": str(testdata / "chr22_normal" / "test.paired_end.sorted.bam"),
             **normal(testdata)}
    giab = {"tensor_type": "read_tensor", "variant": str(d / "NA12878.jointcall.chr22_16584000-16587000.vcf.gz"),
            "reference": str(d / "chr22_GRCh38_Npadded_16570000-16610000.fa.gz"),
            "reads": str(d / "NA12878.chr22_16584000-16587000.bam")}
    h = testdata / "hg004_chr21"
    one_d = {"variant": str(h / "NA24143.vcf.gz"), "reference": str(h / "hg38_chr21_22000000_23000000.fasta"),
             "intervals": ["chr21:1-120000"]}
    for paths, cases in ((model_2d_paths, (two_d, giab)), (model_1d_paths, (one_d,))):
        outputs: dict[int, list[bytes]] = {i: [] for i in range(len(cases))}
        for batch, repeats in ((4, 2), (16, 1)):  # two runs on one engine, one on an engine with other shapes
            engine = load_engine(ScoreOptions("", "", "", tensor_type=cases[0].get("tensor_type", "reference"),
                                              architecture=paths[0], weights=paths[1], batch_size=batch))
            for i, inputs in enumerate(cases):
                for _ in range(repeats):
                    out = tmp_path / f"d{i}-{len(outputs[i])}.vcf.gz"
                    run(engine, output=str(out), **inputs)
                    outputs[i].append(out.read_bytes())
            del engine
        for runs in outputs.values():
            assert len(runs) == 3 and runs[0] == runs[1] == runs[2]
            assert len(records(gzip.decompress(runs[0]).decode())) > 3


@pytest.mark.slow
def test_intervals_and_symbolic_filter(testdata, tmp_path, engine_1d):
    d = testdata / "hg004_chr21"
    out = tmp_path / "l.vcf"
    summary = run(engine_1d, output=str(out), variant=str(d / "NA24143.vcf.gz"),
                  reference=str(d / "hg38_chr21_22000000_23000000.fasta"), intervals=["chr21:1-20000", "chr21:451625"])
    spans = [(int(f[1]), int(f[1]) + len(f[3]) - 1) for f in (line.split("\t") for line in records(out.read_text()))]
    positions = [start for start, _ in spans]
    assert 451625 in positions and any(start < 451625 for start, end in spans if end >= 451625)  # spanning deletion
    assert all(start <= 20000 or start <= 451625 <= end for start, end in spans)
    assert summary.outside_intervals == 1762 - len(positions)

    vcf = tmp_path / "sv.vcf"
    src = Path(normal(testdata)["variant"]).read_text().splitlines(keepends=True)
    sv = "chr22\t5000\t.\tA\t<DEL>\t50\tPASS\tEND=5100;MQ=60\tGT\t0/1\n"
    vcf.write_text("".join(src) + sv)
    kept = tmp_path / "kept.vcf"
    run(engine_1d, output=str(kept), variant=str(vcf), reference=normal(testdata)["reference"])
    assert re.fullmatch(r"chr22\t5000\t.\tA\t<DEL>\t50\tPASS\tCNN_1D=-?[0-9]+\.[0-9]{3};END=5100;MQ=60\tGT\t0/1",
                        records(kept.read_text())[-1])
    dropped = tmp_path / "dropped.vcf"
    summary = run(engine_1d, output=str(dropped), variant=str(vcf), reference=normal(testdata)["reference"],
                  filter_symbolic_and_sv=True)
    assert summary.filtered_symbolic_or_sv == 1 and len(records(dropped.read_text())) == 5


@pytest.mark.slow
def test_cli_default_models_gatk_long_names(testdata, tmp_path):
    d = testdata / "chr22_normal"
    out = tmp_path / "cli.vcf.gz"
    cmd = [sys.executable, "-m", "vqsr_cnn.cli", "score", "--variant", str(d / "test_haplotcaller.noCNN.vcf"),
           "--reference", str(d / "genome.fasta"), "--input", str(d / "test.paired_end.sorted.bam"),
           "--output", str(out), "--tensor-type", "read_tensor", "--inference-batch-size", "8", "--quiet"]
    result = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr
    assert "ProgressMeter" not in result.stderr
    assert_valid_vcf(out, 5, "CNN_2D")
    loud = subprocess.run(cmd[:-1] + ["--output", str(tmp_path / "loud.vcf")], capture_output=True, text=True)
    assert loud.returncode == 0 and "Variants/Minute" in loud.stderr and "Traversal complete" in loud.stderr


@pytest.mark.slow
def test_full_giab_bam_2d(shared_data, tmp_path, engine_2d):
    d = shared_data / "na12878_chr22_reads_giab"
    out = tmp_path / "giab.vcf.gz"
    summary = run(engine_2d, output=str(out), tensor_type="read_tensor",
                  variant=str(d / "NA12878.1000GP_NYGC30x_jointcall.nonref.chr22_16570000-16610000.vcf.gz"),
                  reference=str(d / "chr22_GRCh38_Npadded_16570000-16610000.fa.gz"), reads=str(d / "NA12878.chr22.bam"))
    assert summary.scored == 72 and summary.without_reads == 0
    assert_valid_vcf(out, 72, "CNN_2D")
