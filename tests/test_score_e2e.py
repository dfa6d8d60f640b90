"""`vqsr-cnn score` end to end on real data slices: valid VCF out, one score per record, deterministic bytes."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from vqsr_cnn import defines
from vqsr_cnn.gatk import score_lines
from vqsr_cnn.pipeline import ScoreOptions, load_engine, score_vcf
from vqsr_cnn.readers.bam import ReadSource
from vqsr_cnn.readers.examples import make_example
from vqsr_cnn.readers.fasta import ReferenceReader
from vqsr_cnn.readers.fifo import format_data_line
from vqsr_cnn.readers.vcf import VcfReader

SCORE = re.compile(r"CNN_[12]D=(-?[0-9]+\.[0-9]{3})(;|\t)")


def text_of(path: Path) -> str:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as fh:
        return fh.read()


def records(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


BCFTOOLS_MISSING = "bcftools is not installed (apt-get install bcftools; .ci/run installs it): VCF not checked by it"


def assert_valid_vcf(path: Path, n_records: int, key: str) -> None:
    """Our own parse, and bcftools' when installed (else a warning here and a skip of test_bcftools_...)."""
    if shutil.which("bcftools"):
        assert_bcftools_reads(path, n_records, key)
    else:
        warnings.warn(BCFTOOLS_MISSING, stacklevel=2)
    body = records(text_of(path))
    assert len(body) == n_records
    assert all(len(re.findall(f"{key}=", line)) == 1 for line in body)
    assert all(SCORE.search(line) for line in body)


def assert_bcftools_reads(path: Path, n_records: int, key: str) -> None:
    out = subprocess.run(["bcftools", "view", "-H", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.splitlines()) == n_records
    q = subprocess.run(["bcftools", "query", "-f", f"%INFO/{key}\\n", str(path)], capture_output=True, text=True)
    assert q.returncode == 0 and "." not in q.stdout.split(), q.stderr
    written = [float(SCORE.search(line).group(1)) for line in records(text_of(path))]
    assert [float(v) for v in q.stdout.split()] == written  # bcftools reads the values we wrote


def written_scores(path: Path, key: str) -> tuple[list[str], np.ndarray]:
    """(each record's line without our INFO entry, its score)."""
    texts, scores = [], []
    for line in records(text_of(path)):
        match = SCORE.search(line)
        assert match and line[match.start() :].startswith(key), line
        value = match.group(1)
        texts.append(
            line.replace(f"{key}={value};", "", 1).replace(f";{key}={value}", "", 1).replace(f"\t{key}={value}\t", "\t.\t", 1)
        )
        scores.append(float(value))
    return texts, np.array(scores)


def assert_scores_match_bridge(
    path: Path,
    engine,
    variant: str,
    reference: str,
    reads: str | None = None,
    tensor_type: str = "reference",
    varied: bool = True,
) -> np.ndarray:
    """Score i belongs to record i: each written score equals the GATK bridge's score for that record.

    The written records are rebuilt as Examples from the input files, sent through the bridge's path (the data
    line Java would write -> vqsr_cnn.gatk.score_lines) on the same engine, and compared within 1e-3 (the VCF
    keeps three decimals). `varied`: also require different scores for different records (the seeded test
    models saturate on cohort annotations, e.g. summed DP, and then score every record alike).
    """
    eng = engine
    spec = eng.spec
    key = defines.INFO_KEY[tensor_type]
    texts, scores = written_scores(path, key)
    vcf, fasta = VcfReader(variant), ReferenceReader(reference)
    source = ReadSource(reads, reference) if reads else None
    try:
        wanted = set(texts)
        by_text = {}
        for record in vcf:
            text = record.text.rstrip("\r\n")
            if text in wanted and text not in by_text:
                by_text[text] = record
        assert set(by_text) == wanted, "every written record comes from the input"
        examples = [
            make_example(
                by_text[t],
                vcf.header,
                fasta,
                source,
                spec.annotations,
                spec.window_size,
                spec.read_limit,
                vcf.where(by_text[t].line_number),
            )
            for t in texts
        ]
    finally:
        fasta.close()
        if source is not None:
            source.close()
    lines = [format_data_line(e) for e in examples]
    echoes, bridge = score_lines(eng, lines, tensor_type, ",".join(spec.annotations), spec.window_size, spec.read_limit)
    assert [e.split("\t")[:2] for e in echoes] == [t.split("\t")[:2] for t in texts]
    assert len(bridge) == len(scores) > 0
    np.testing.assert_allclose(scores, bridge, atol=1e-3, rtol=0)
    if varied and len(scores) >= 5:
        assert np.ptp(scores) > 0.01, "scores vary between records"
    return scores


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
    return load_engine(ScoreOptions("", "", "", tensor_type="read_tensor", architecture=json_path, weights=hd5, batch_size=8))


def run(engine, **kw):
    eng = engine
    return score_vcf(ScoreOptions(quiet=True, **kw), eng)


def normal(testdata: Path) -> dict:
    d = testdata / "chr22_normal"
    return {"variant": str(d / "test_haplotcaller.noCNN.vcf"), "reference": str(d / "genome.fasta")}


@pytest.mark.slow
def test_chr22_normal_1d(testdata, tmp_path, engine_1d):
    out = tmp_path / "n1.vcf.gz"
    summary = run(engine_1d, output=str(out), **normal(testdata))
    assert summary.scored == summary.records == 5
    assert_valid_vcf(out, 5, "CNN_1D")
    assert_scores_match_bridge(out, engine_1d, **normal(testdata))
    assert (tmp_path / "n1.vcf.gz.tbi").exists()
    assert strip_score(text_of(out), "CNN_1D") == Path(normal(testdata)["variant"]).read_text()
    assert sorted(os.listdir(tmp_path)) == ["n1.vcf.gz", "n1.vcf.gz.tbi"]


@pytest.mark.slow
def test_bcftools_reads_our_output(testdata, tmp_path, engine_1d, engine_2d):
    """bcftools parses our bgzipped + indexed and plain outputs, with the scores we wrote (visible skip without it)."""
    if not shutil.which("bcftools"):
        pytest.skip(BCFTOOLS_MISSING)
    one_d = tmp_path / "b1.vcf.gz"
    run(engine_1d, output=str(one_d), **normal(testdata))
    assert_bcftools_reads(one_d, 5, "CNN_1D")
    region = subprocess.run(["bcftools", "view", "-H", "-r", "chr22:1-2000", str(one_d)], capture_output=True, text=True)
    assert region.returncode == 0 and len(region.stdout.splitlines()) == 1, region.stderr  # the .tbi index works
    two_d = tmp_path / "b2.vcf"
    run(
        engine_2d,
        output=str(two_d),
        tensor_type="read_tensor",
        reads=str(testdata / "chr22_normal" / "test.paired_end.sorted.bam"),
        **normal(testdata),
    )
    assert_bcftools_reads(two_d, 5, "CNN_2D")


@pytest.mark.slow
def test_chr22_normal_2d_plain_vcf(testdata, tmp_path, engine_2d):
    out = tmp_path / "n2.vcf"
    bam = testdata / "chr22_normal" / "test.paired_end.sorted.bam"
    summary = run(engine_2d, output=str(out), reads=str(bam), tensor_type="read_tensor", **normal(testdata))
    assert summary.scored == 5 and summary.without_reads == 0 and summary.reads_kept >= 5
    assert_valid_vcf(out, 5, "CNN_2D")
    assert_scores_match_bridge(out, engine_2d, reads=str(bam), tensor_type="read_tensor", **normal(testdata))
    assert strip_score(out.read_text(), "CNN_2D") == Path(normal(testdata)["variant"]).read_text()


@pytest.mark.slow
def test_giab_slice_2d_bgzipped_fasta(testdata, tmp_path, engine_2d):
    d = testdata / "giab_chr22"
    out = tmp_path / "g.vcf.gz"
    inputs = {
        "variant": str(d / "NA12878_GIAB.chr22_16584000-16587000.vcf.gz"),
        "reference": str(d / "chr22_GRCh38_Npadded_16570000-16610000.fa.gz"),
        "reads": str(d / "NA12878.chr22_16584000-16587000.bam"),
    }
    summary = run(engine_2d, output=str(out), tensor_type="read_tensor", **inputs)
    n = len(records(text_of(d / "NA12878_GIAB.chr22_16584000-16587000.vcf.gz")))
    assert summary.scored == n and n >= 10
    assert_valid_vcf(out, n, "CNN_2D")
    assert_scores_match_bridge(out, engine_2d, tensor_type="read_tensor", **inputs)


@pytest.mark.slow
def test_hg004_1d_all_records_in_order(testdata, tmp_path, engine_1d):
    d = testdata / "hg004_chr21"
    out = tmp_path / "h.vcf.gz"
    summary = run(
        engine_1d, output=str(out), variant=str(d / "NA24143.vcf.gz"), reference=str(d / "hg38_chr21_22000000_23000000.fasta")
    )
    assert summary.scored == summary.records == 1762
    assert_valid_vcf(out, 1762, "CNN_1D")
    assert_scores_match_bridge(out, engine_1d, str(d / "NA24143.vcf.gz"), str(d / "hg38_chr21_22000000_23000000.fasta"))
    scored, original = records(text_of(out)), records(text_of(d / "NA24143.vcf.gz"))
    assert [line.split("\t")[:5] for line in scored] == [line.split("\t")[:5] for line in original]
    assert sum("\t*\t" in line for line in scored) == 10


@pytest.mark.slow
def test_deterministic_across_runs_and_batch_sizes(testdata, tmp_path, model_1d_paths, model_2d_paths):
    d = testdata / "giab_chr22"
    two_d = {
        "tensor_type": "read_tensor",
        "reads": str(testdata / "chr22_normal" / "test.paired_end.sorted.bam"),
        **normal(testdata),
    }
    giab = {
        "tensor_type": "read_tensor",
        "variant": str(d / "NA12878.jointcall.chr22_16584000-16587000.vcf.gz"),
        "reference": str(d / "chr22_GRCh38_Npadded_16570000-16610000.fa.gz"),
        "reads": str(d / "NA12878.chr22_16584000-16587000.bam"),
    }
    h = testdata / "hg004_chr21"
    one_d = {
        "variant": str(h / "NA24143.vcf.gz"),
        "reference": str(h / "hg38_chr21_22000000_23000000.fasta"),
        "intervals": ["chr21:1-120000"],
    }
    for paths, cases in ((model_2d_paths, (two_d, giab)), (model_1d_paths, (one_d,))):
        outputs: dict[int, list[bytes]] = {i: [] for i in range(len(cases))}
        for batch, repeats in ((4, 2), (16, 1)):  # two runs on one engine, one on an engine with other shapes
            engine = load_engine(
                ScoreOptions(
                    "",
                    "",
                    "",
                    tensor_type=cases[0].get("tensor_type", "reference"),
                    architecture=paths[0],
                    weights=paths[1],
                    batch_size=batch,
                )
            )
            for i, inputs in enumerate(cases):
                for _ in range(repeats):
                    out = tmp_path / f"d{i}-{len(outputs[i])}.vcf.gz"
                    run(engine, output=str(out), **inputs)
                    outputs[i].append(out.read_bytes())
                if batch == 4:  # the seeded 2D model saturates on the jointcall's cohort annotations
                    scored = {k: v for k, v in inputs.items() if k != "intervals"}
                    assert_scores_match_bridge(out, engine, **scored, varied=inputs is not giab)
            del engine
        for runs in outputs.values():
            assert len(runs) == 3 and runs[0] == runs[1] == runs[2]
            assert len(records(gzip.decompress(runs[0]).decode())) > 3


@pytest.mark.slow
def test_intervals_and_symbolic_filter(testdata, tmp_path, engine_1d):
    d = testdata / "hg004_chr21"
    out = tmp_path / "l.vcf"
    summary = run(
        engine_1d,
        output=str(out),
        variant=str(d / "NA24143.vcf.gz"),
        reference=str(d / "hg38_chr21_22000000_23000000.fasta"),
        intervals=["chr21:1-20000", "chr21:451625"],
    )
    spans = [(int(f[1]), int(f[1]) + len(f[3]) - 1) for f in (line.split("\t") for line in records(out.read_text()))]
    positions = [start for start, _ in spans]
    assert 451625 in positions and any(start < 451625 for start, end in spans if end >= 451625)  # spanning deletion
    assert all(start <= 20000 or start <= 451625 <= end for start, end in spans)
    assert summary.outside_intervals == 1762 - len(positions)
    assert_scores_match_bridge(out, engine_1d, str(d / "NA24143.vcf.gz"), str(d / "hg38_chr21_22000000_23000000.fasta"))

    vcf = tmp_path / "sv.vcf"
    src = Path(normal(testdata)["variant"]).read_text().splitlines(keepends=True)
    sv = "chr22\t5000\t.\tA\t<DEL>\t50\tPASS\tEND=5100;MQ=60\tGT\t0/1\n"
    vcf.write_text("".join(src) + sv)
    kept = tmp_path / "kept.vcf"
    run(engine_1d, output=str(kept), variant=str(vcf), reference=normal(testdata)["reference"])
    assert re.fullmatch(
        r"chr22\t5000\t.\tA\t<DEL>\t50\tPASS\tCNN_1D=-?[0-9]+\.[0-9]{3};END=5100;MQ=60\tGT\t0/1", records(kept.read_text())[-1]
    )
    assert_scores_match_bridge(kept, engine_1d, str(vcf), normal(testdata)["reference"])
    dropped = tmp_path / "dropped.vcf"
    summary = run(
        engine_1d, output=str(dropped), variant=str(vcf), reference=normal(testdata)["reference"], filter_symbolic_and_sv=True
    )
    assert summary.filtered_symbolic_or_sv == 1 and len(records(dropped.read_text())) == 5
    assert_scores_match_bridge(dropped, engine_1d, str(vcf), normal(testdata)["reference"])


@pytest.fixture(scope="module")
def bundled_1d():
    """The default 1D model `vqsr-cnn score` uses (GATK's), on the default engine."""
    return load_engine(ScoreOptions("", "", ""))


@pytest.fixture(scope="module")
def bundled_2d():
    return load_engine(ScoreOptions("", "", "", tensor_type="read_tensor"))


HG004_SUBRANGE = "chr21:1-200000"  # 154 of the slice's 1,762 records: several batches and 64-row micro-batches


@pytest.mark.slow
@pytest.mark.parametrize("case", ["hg004_chr21_1d", "giab_chr22_2d"])
def test_same_vcf_bytes_for_every_inference_batch_size(testdata, tmp_path, request, case):
    """Issue 10's demonstration: --inference-batch-size 1, 37, 256 and 1024 write byte-identical VCFs.

    The batch size only decides how many records are gathered per engine call; a record's score must depend on
    that record alone, never on which records share its batch or its position there.
    """
    if case == "hg004_chr21_1d":
        h = testdata / "hg004_chr21"
        engine, cases = (
            request.getfixturevalue("bundled_1d"),
            [
                {
                    "variant": str(h / "NA24143.vcf.gz"),
                    "reference": str(h / "hg38_chr21_22000000_23000000.fasta"),
                    "intervals": [HG004_SUBRANGE],
                }
            ],
        )
    else:
        g = testdata / "giab_chr22"
        shared = {
            "tensor_type": "read_tensor",
            "reference": str(g / "chr22_GRCh38_Npadded_16570000-16610000.fa.gz"),
            "reads": str(g / "NA12878.chr22_16584000-16587000.bam"),
        }
        engine, cases = (
            request.getfixturevalue("bundled_2d"),
            [
                {"variant": str(g / "NA12878_GIAB.chr22_16584000-16587000.vcf.gz"), **shared},
                {"variant": str(g / "NA12878.jointcall.chr22_16584000-16587000.vcf.gz"), **shared},
            ],
        )
    micro = engine.micro_batch
    for i, inputs in enumerate(cases):
        texts = {}
        for batch in (1, 37, 256, 1024):
            out = tmp_path / f"c{i}-b{batch}.vcf.gz"
            summary = run(engine, output=str(out), batch_size=batch, **inputs)
            texts[batch] = text_of(out)
        assert summary.scored >= 10
        if case == "hg004_chr21_1d":
            assert summary.scored == 154 and summary.scored > 2 * max(micro, 37)  # many batches and micro-batches
        assert texts[1] == texts[37] == texts[256] == texts[1024]
        # GATK's 2D model saturates on the jointcall's cohort annotations (summed DP): every record scores the floor
        cohort = "jointcall" in inputs["variant"]
        scores = assert_scores_match_bridge(
            out, engine, **{k: v for k, v in inputs.items() if k != "intervals"}, varied=not cohort
        )
        assert cohort or len(set(scores.tolist())) > len(scores) // 2, "scores differ between records"
    if case == "hg004_chr21_1d":  # and the command itself, in a fresh process, writes the same bytes
        cli_out = tmp_path / "cli.vcf.gz"
        cmd = [
            sys.executable,
            "-m",
            "vqsr_cnn.cli",
            "score",
            "--variant",
            inputs["variant"],
            "--reference",
            inputs["reference"],
            "-L",
            HG004_SUBRANGE,
            "--output",
            str(cli_out),
            "--inference-batch-size",
            "37",
            "--quiet",
        ]
        result = subprocess.run(cmd, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert text_of(cli_out) == texts[37]


@pytest.mark.slow
def test_cli_default_models_gatk_long_names(testdata, tmp_path, bundled_2d):
    d = testdata / "chr22_normal"
    out = tmp_path / "cli.vcf.gz"
    cmd = [
        sys.executable,
        "-m",
        "vqsr_cnn.cli",
        "score",
        "--variant",
        str(d / "test_haplotcaller.noCNN.vcf"),
        "--reference",
        str(d / "genome.fasta"),
        "--input",
        str(d / "test.paired_end.sorted.bam"),
        "--output",
        str(out),
        "--tensor-type",
        "read_tensor",
        "--inference-batch-size",
        "8",
        "--quiet",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr
    assert "ProgressMeter" not in result.stderr
    assert_valid_vcf(out, 5, "CNN_2D")
    assert_scores_match_bridge(
        out, bundled_2d, **normal(testdata), reads=str(d / "test.paired_end.sorted.bam"), tensor_type="read_tensor"
    )  # the bundled model's scores, in this process
    loud = subprocess.run(cmd[:-1] + ["--output", str(tmp_path / "loud.vcf")], capture_output=True, text=True)
    assert loud.returncode == 0 and "Variants/Minute" in loud.stderr and "Traversal complete" in loud.stderr


@pytest.mark.slow
def test_full_giab_bam_2d(shared_data, tmp_path, engine_2d):
    d = shared_data / "na12878_chr22_reads_giab"
    out = tmp_path / "giab.vcf.gz"
    inputs = {
        "variant": str(d / "NA12878.1000GP_NYGC30x_jointcall.nonref.chr22_16570000-16610000.vcf.gz"),
        "reference": str(d / "chr22_GRCh38_Npadded_16570000-16610000.fa.gz"),
        "reads": str(d / "NA12878.chr22.bam"),
    }
    summary = run(engine_2d, output=str(out), tensor_type="read_tensor", **inputs)
    assert summary.scored == 72 and summary.without_reads == 0
    assert_valid_vcf(out, 72, "CNN_2D")
    # a cohort jointcall: the seeded model saturates on its summed annotations, so no variation is required
    assert_scores_match_bridge(out, engine_2d, tensor_type="read_tensor", **inputs, varied=False)
