"""The Snakemake workflow end to end (the default samples, and testdata/chr22_normal), the reduced-precision rows
(BF16 / INT8 vs OpenVINO FP32, skipped or flagged where they cannot run as asked), its lint, and its bad-input
checks."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import chr22_sheet, run_workflow

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "testdata" / "chr22_normal"
VQSR_CNN = [sys.executable, "-m", "vqsr_cnn.cli"]


def planned_backends() -> list[str]:
    """The default config's backends this CPU runs: BF16 only where OpenVINO has native bf16; INT8 everywhere."""
    from vqsr_cnn.engine.cpu import cpu_info

    return ["tensorflow", "openvino", *(["openvino-bf16"] if cpu_info().bf16 else []), "openvino-int8"]


def vcf_scores(path: Path, key: str = "CNN_2D") -> dict:
    import pysam

    with pysam.VariantFile(str(path)) as vf:
        return {(r.contig, r.pos, r.ref, r.alts): r.info.get(key) for r in vf}


def scores_per_site(path: Path, key: str = "CNN_2D") -> dict:
    """Every record's score per (contig, pos, REF, ALT): a site repeated n times has n scores."""
    import pysam

    out: dict = {}
    with pysam.VariantFile(str(path)) as vf:
        for r in vf:
            out.setdefault((r.contig, r.pos, r.ref, r.alts), []).append(r.info.get(key))
    return out


def vcf_lines(path: Path) -> list[str]:
    import pysam

    with pysam.VariantFile(str(path)) as vf:
        return [str(r) for r in vf]


def read_tsv(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.fixture(scope="module")
def default_run(tmp_path_factory) -> Path:
    """The default config: hg004_chr21 (1D, 1,762 HaplotypeCaller calls, HapMap/Omni/Mills resources) and
    na12878_chr22 (2D, the 72 NA12878 joint-call sites of the GIAB chr22 slice x 7 = 504 records, 30x reads, GIAB
    truth as resource), each scored by tensorflow (OPENVINO_TF_DISABLE=1), openvino FP32, and OpenVINO BF16 (where
    the CPU has native bf16) and INT8 (calibrated in the run's own cache folder), run once with 2 cores."""
    work = tmp_path_factory.mktemp("wf_default")
    proc = run_workflow(work, "--cores", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work


@pytest.mark.slow
def test_chr22_workflow_outputs(chr22_local_run):
    work = chr22_local_run
    out = work / "results"
    tf_vcf = out / "chr22_normal" / "tensorflow" / "chr22_normal.tensorflow.vcf.gz"
    ov_vcf = out / "chr22_normal" / "openvino" / "chr22_normal.openvino.vcf.gz"
    tf, ov = vcf_scores(tf_vcf), vcf_scores(ov_vcf)
    assert len(tf) == len(ov) == 5 and all(v is not None for v in [*tf.values(), *ov.values()])

    # each backend really ran on its engine: the tensorflow job had OPENVINO_TF_DISABLE=1
    assert "backend=tensorflow" in (work / "logs/score/chr22_normal.tensorflow.log").read_text()
    assert "backend=openvino" in (work / "logs/score/chr22_normal.openvino.log").read_text()
    for name in (
        "logs/diff/chr22_normal.openvino_vs_tensorflow.log",
        "logs/summary/summary.log",
        "benchmarks/score/chr22_normal.tensorflow.tsv",
        "benchmarks/score/chr22_normal.openvino.tsv",
    ):
        assert (work / name).is_file(), name

    # the diff report's numbers agree with the two VCFs
    report_dir = out / "chr22_normal" / "diff" / "openvino_vs_tensorflow"
    r = json.loads((report_dir / "report.json").read_text())
    deltas = [abs(round(ov[k] - tf[k], 9)) for k in tf]
    assert (r["a"]["records"], r["b"]["records"], r["matched"], r["only_in_a"], r["only_in_b"]) == (5, 5, 5, 0, 0)
    assert r["scores"]["differ"] == sum(d > 0 for d in deltas)
    assert r["scores"]["max_abs_delta"] == pytest.approx(max(deltas), abs=1e-6)
    assert r["a"]["label"] == "tensorflow" and r["b"]["label"] == "openvino"
    assert (report_dir / "report.html").read_text().startswith("<!DOCTYPE html>")
    # provenance: each side's model, backend and engine version from its scoring job
    prov = r["provenance"]
    assert prov["scoring_a"]["backend"] == "tensorflow" and prov["scoring_b"]["backend"] == "openvino"
    assert "tensorflow" in prov["scoring_a"]["software"]["engines"]
    assert "openvino" in prov["scoring_b"]["software"]["engines"]
    assert prov["scoring_a"]["model"]["weights"].endswith("cnn_2d.hd5")
    assert len(prov["scoring_b"]["model"]["weights_sha256"]) == 64

    # summary across samples and the throughput table from the benchmark files and metrics JSONs
    summary = json.loads((out / "summary" / "summary.json").read_text())
    assert summary["samples"] == ["chr22_normal"] and summary["backends"] == planned_backends()
    row = read_tsv(out / "summary" / "summary.tsv")[0]
    assert (row["sample"], row["backend"], row["against"], int(row["matched"]), int(row["differ"])) == (
        "chr22_normal",
        "openvino",
        "tensorflow",
        5,
        r["scores"]["differ"],
    )
    speed = {(t["backend"], t["sample"]): t for t in read_tsv(out / "summary" / "throughput.tsv")}
    assert set(speed) == {(b, s) for b in planned_backends() for s in ("chr22_normal", "ALL")}
    for backend in ("tensorflow", "openvino"):
        bench = read_tsv(work / f"benchmarks/score/chr22_normal.{backend}.tsv")[0]
        metrics = json.loads((out / f"chr22_normal/{backend}/chr22_normal.{backend}.metrics.json").read_text())
        t = speed[(backend, "chr22_normal")]
        assert int(t["variants"]) == 5 and float(t["wall_seconds"]) == pytest.approx(float(bench["s"]), abs=1e-3)
        assert float(t["variants_per_min"]) == pytest.approx(5 / float(bench["s"]) * 60, rel=1e-3)
        # start-up and scoring apart: scoring and engine set-up from the metrics JSON, start-up = wall - scoring
        assert float(t["scoring_seconds"]) == pytest.approx(metrics["scoring_seconds"], abs=1e-3)
        assert float(t["setup_seconds"]) == pytest.approx(metrics["setup_seconds"], abs=1e-3)
        assert float(t["startup_seconds"]) == pytest.approx(float(bench["s"]) - metrics["scoring_seconds"], abs=2e-3)
        assert float(t["steady_variants_per_min"]) == pytest.approx(5 / metrics["scoring_seconds"] * 60, rel=1e-3)
        assert t["precision_ran"] == metrics["precision"] == "fp32"
    html = (out / "summary" / "summary.html").read_text()
    assert 'href="../chr22_normal/diff/openvino_vs_tensorflow/report.html"' in html


@pytest.mark.slow
def test_default_samples_say_something(default_run):
    """The default samples are real and large enough for the throughput and tranche tables to mean something."""
    out = default_run / "results"
    speed = {(t["backend"], t["sample"]): t for t in read_tsv(out / "summary" / "throughput.tsv")}
    for backend in planned_backends():
        assert int(speed[(backend, "hg004_chr21")]["variants"]) == 1762
        assert int(speed[(backend, "na12878_chr22")]["variants"]) == 504
        for sample in ("hg004_chr21", "na12878_chr22"):
            t = speed[(backend, sample)]
            metrics = json.loads((out / f"{sample}/{backend}/{sample}.{backend}.metrics.json").read_text())
            # the steady rate is over the streaming seconds only: engine set-up (load, compile, height proofs,
            # INT8 calibration) is reported apart, inside start-up
            assert float(t["steady_variants_per_min"]) == pytest.approx(
                int(t["variants"]) / metrics["scoring_seconds"] * 60, rel=1e-3
            )
            assert 0 < float(t["setup_seconds"]) < float(t["startup_seconds"]) < float(t["wall_seconds"])
            assert float(t["steady_variants_per_min"]) > float(t["variants_per_min"])
    # 1D sample: CNN_1D scores, truth-sensitivity tranches from HapMap + Omni (SNPs) and Mills (indels)
    hg004 = vcf_scores(out / "hg004_chr21/tensorflow/hg004_chr21.tensorflow.vcf.gz", key="CNN_1D")
    assert len(hg004) == 1762 and all(v is not None for v in hg004.values())
    r = json.loads((out / "hg004_chr21/diff/openvino_vs_tensorflow/report.json").read_text())
    assert r["key"] == "CNN_1D" and r["tranche_mode"] == "resources" and r["matched"] == 1762
    rows = {(t["type"], t["value"]): t for t in r["thresholds"]}
    assert set(rows) == {("SNP", 99.9), ("SNP", 99.95), ("INDEL", 99.0), ("INDEL", 99.4)}
    assert rows[("SNP", 99.9)]["resource_a"] > 300 and rows[("INDEL", 99.0)]["resource_a"] > 100
    assert set(r["scores_by_type"]) >= {"SNP", "INDEL"} and r["filters"]["compared"] == 1762
    # 2D sample: 72 real sites x 7; scores vary from site to site (INFO/DP per sample, not the cohort's sum), the
    # copies of a site score alike, and the GIAB truth calls give SNP truth-sensitivity tranches
    giab = vcf_scores(out / "na12878_chr22/tensorflow/na12878_chr22.tensorflow.vcf.gz")
    assert len(giab) == 72 and len(set(giab.values())) > 60
    for backend in planned_backends():
        copies = scores_per_site(out / f"na12878_chr22/{backend}/na12878_chr22.{backend}.vcf.gz")
        assert len(copies) == 72 and all(len(c) == 7 and len(set(c)) == 1 for c in copies.values()), backend
    r = json.loads((out / "na12878_chr22/diff/openvino_vs_tensorflow/report.json").read_text())
    assert r["key"] == "CNN_2D" and r["tranche_mode"] == "resources" and r["matched"] == 504
    assert {(t["type"], t["resource_a"]) for t in r["thresholds"]} == {("SNP", 476), ("INDEL", 0)}


@pytest.mark.slow
def test_reduced_precision_is_diffed_against_openvino_fp32(default_run):
    """BF16 (where the CPU has it) and INT8 run by default, each diffed against OpenVINO FP32 with the FILTER
    changes at GATK's default tranches labelled, and the summary states whether the 0.5% target holds."""
    out = default_run / "results"
    summary = json.loads((out / "summary" / "summary.json").read_text())
    planned = planned_backends()
    assert summary["backends"] == planned and summary["fell_back"] == []
    reduced = [b for b in planned if b.startswith("openvino-")]
    diffs = {(d["sample"], d["backend"]): d for d in summary["diffs"]}
    assert set(diffs) == {(s, b) for s in ("hg004_chr21", "na12878_chr22") for b in ["openvino", *reduced]}
    for sample in ("hg004_chr21", "na12878_chr22"):
        assert diffs[(sample, "openvino")]["against"] == "tensorflow"  # TensorFlow vs OpenVINO FP32 as before
        for backend in reduced:
            asked = backend.split("-")[1]
            d = diffs[(sample, backend)]
            r = json.loads((out / sample / "diff" / f"{backend}_vs_openvino" / "report.json").read_text())
            assert d["against"] == "openvino" and r["a"]["label"] == "openvino" and r["b"]["label"] == backend
            assert r["a"]["path"].endswith(f"/openvino/{sample}.openvino.vcf.gz")
            assert r["b"]["path"].endswith(f"/{backend}/{sample}.{backend}.vcf.gz")
            # what ran is what was asked, read back from each scoring job's metrics JSON
            assert r["precision"]["a"] == {"requested": "fp32", "ran": "fp32", "fell_back": False}
            assert r["precision"]["b"]["ran"].split()[0] == asked and not r["precision"]["b"]["fell_back"]
            assert d["precision_ran"] == r["precision"]["b"]["ran"]
            assert r["scores"]["differ"] > 0  # a reduced precision moves scores: two different scorings
            # FILTER changes at FilterVariantTranches' defaults, over the SNPs and indels, the same in the summary
            g = r["gatk_default_filter_changes"]
            assert (g["snp_tranche"], g["indel_tranche"], g["mode"]) == (99.95, 99.4, "resources")
            assert g["compared"] == r["a"]["types"]["SNP"] + r["a"]["types"]["INDEL"]
            assert (d["filter_changes"], d["filter_compared"]) == (g["changes"], g["compared"])
            assert d["filter_change_share"] == pytest.approx(g["changes"] / g["compared"])
        # INT8 was calibrated on this sample's own records, in the run's own cache folder (never the user's)
        assert [p.name.split(".int8-")[0] for p in (out / sample / "int8_cache").glob("*.int8-*") if p.is_dir()] == [
            "cnn_1d" if sample == "hg004_chr21" else "cnn_2d"
        ]
    rp = summary["reduced_precision"]
    assert len(rp["rows"]) == 2 * len(reduced) and all(row["measured"] for row in rp["rows"])
    holds = all(row["filter_change_share"] <= 0.005 for row in rp["rows"])
    assert rp["verdict"] == ("holds" if holds else "missed")
    html = (out / "summary" / "summary.html").read_text()
    assert "Reduced precision (BF16, INT8) vs OpenVINO FP32" in html and "FILTER changes at SNP 99.95 / INDEL 99.4" in html
    assert ("reduced-precision target holds" if holds else "reduced-precision target missed") in html
    if "openvino-bf16" not in planned:  # a CPU without native bf16: skipped, and said so
        (skip,) = summary["skipped"]
        assert skip["backend"] == "openvino-bf16" and "no native bf16" in skip["note"] and skip["note"] in html
    else:
        assert summary["skipped"] == []


@pytest.mark.slow
def test_a_precision_that_fell_back_is_reported_as_such(chr22_local_run):
    """chr22_normal has 5 records: too few to calibrate INT8 on (the engine needs 20), so the INT8 job runs FP32
    and says why; the summary and the diff page say so and do not count it as an INT8 measurement."""
    out = chr22_local_run / "results"
    summary = json.loads((out / "summary" / "summary.json").read_text())
    (fb,) = summary["fell_back"]
    assert (fb["sample"], fb["backend"], fb["requested"], fb["ran"]) == ("chr22_normal", "openvino-int8", "int8", "fp32")
    assert "only 5 records" in fb["reason"] and "to calibrate INT8 on" in fb["reason"]
    (row,) = [x for x in summary["reduced_precision"]["rows"] if x["backend"] == "openvino-int8"]
    assert (row["ran"], row["measured"], row["holds"]) == ("fp32", False, False)
    html = (out / "summary" / "summary.html").read_text()
    assert "int8 requested, fp32 ran" in html and "not a measurement of int8" in html
    speed = {(t["backend"], t["sample"]): t for t in read_tsv(out / "summary" / "throughput.tsv")}
    assert (speed[("openvino-int8", "chr22_normal")]["precision"], speed[("openvino-int8", "chr22_normal")]["precision_ran"]) == (
        "int8",
        "fp32",
    )
    r = json.loads((out / "chr22_normal/diff/openvino-int8_vs_openvino/report.json").read_text())
    assert r["precision"]["b"] == {"requested": "int8", "ran": "fp32", "fell_back": True}
    page = (out / "chr22_normal/diff/openvino-int8_vs_openvino/report.html").read_text()
    assert "int8 was requested but fp32 ran" in page
    # the INT8 cache is the run's own (never the user's): a failed calibration leaves no model in it
    assert not any(p.is_dir() for p in (out / "chr22_normal" / "int8_cache").glob("*int8-*"))


@pytest.mark.slow
def test_report_zip_carries_the_results(default_run):
    proc = run_workflow(default_run, "--report", "report.zip")
    assert proc.returncode == 0, proc.stderr[-3000:]
    import zipfile

    with zipfile.ZipFile(default_run / "report.zip") as z:
        names = z.namelist()
        page = z.read("report/report.html").decode()
    diffs = json.loads((default_run / "results/summary/summary.json").read_text())["diffs"]
    assert sum(n.endswith("/report.html") and "/data/raw/" in n for n in names) == len(diffs)  # one page per diff
    assert any(n.endswith("/summary.html") for n in names) and any(n.endswith("/throughput.tsv") for n in names)
    # the captions (workflows/report/*.rst) are in the report
    assert "FilterVariantTranches computes them" in page and "steady-state rate" in page
    assert "BF16 and INT8 are opt-in for scoring" in page


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed")
def test_workflow_reports_render_in_chromium(default_run, tmp_path):
    """As the browser shows them: a sample's diff page carries its report.json (verdict, cards, points, bars);
    the summary lists every diff with its numbers and a link that reaches the diff page, and its two
    throughput charts have one bar per backend."""
    from render import assert_diff_page, number, render

    diff = default_run / "results/hg004_chr21/diff/openvino_vs_tensorflow"
    report = json.loads((diff / "report.json").read_text())
    assert_diff_page(render(diff / "report.html", tmp_path / "diff.png", 1200, 1400), report)

    summary_dir = default_run / "results/summary"
    summary = json.loads((summary_dir / "summary.json").read_text())
    dom = render(summary_dir / "summary.html", tmp_path / "summary.png", 1200, 1400)
    backends = [t["backend"] for t in summary["throughput"] if t["sample"] == "ALL"]
    rows = dom.all("table")[0].one("tbody").all("tr")
    # per sample, every backend but the reference is diffed (OpenVINO vs TensorFlow, BF16 / INT8 vs OpenVINO FP32)
    assert len(rows) == len(summary["diffs"]) == 2 * (len(backends) - 1) >= 2
    for row, d in zip(rows, summary["diffs"]):
        cells = [cell.text for cell in row.all("td")]
        assert cells[:3] == [d["sample"], d["backend"], d["against"]] and cells[11] == ("yes" if d["limits_passed"] else "no")
        assert (number(cells[4]), number(cells[5])) == (d["matched"], d["differ"])
        href = row.one("a").attrs["href"]
        assert (summary_dir / href).resolve() == (default_run / d["report_html"]).resolve()
    backends = [t["backend"] for t in summary["throughput"] if t["sample"] == "ALL"]
    charts = [panel.one("svg") for panel in dom.all("div", "panel")]
    assert len(charts) == 2 * len(summary["samples"])  # per sample: steady scoring rate, start-up seconds
    for sample, rate, startup in zip(summary["samples"], charts[::2], charts[1::2]):
        mine = [t for t in summary["throughput"] if t["sample"] == sample]
        for chart in (rate, startup):
            assert [bar.one("title").text.rsplit(": ", 1)[0] for bar in chart.all("rect", "bar")] == [t["backend"] for t in mine]
        shown = [number(bar.one("title").text.rsplit(": ", 1)[1]) for bar in rate.all("rect", "bar")]
        assert shown == [round(t["steady_variants_per_min"] or 0) for t in mine]
    assert set(backends) == {t["backend"] for t in summary["throughput"] if t["sample"] != "ALL"}


@pytest.mark.slow
def test_scatter_by_interval_gathers_the_unsharded_records(chr22_local_run, tmp_path):
    # two overlapping intervals: chr22:2123 lies in both, the gather keeps it once
    config = tmp_path / "scatter.yaml"
    config.write_text(
        "backends:\n  - {name: tensorflow, backend: tensorflow, env: {OPENVINO_TF_DISABLE: '1'}}\n"
        f"reference_backend: tensorflow\nsamples: {chr22_sheet(tmp_path)}\n"
        "scatter: {by: intervals, intervals: ['chr22:1-2200', 'chr22:2100-40001']}\n"
    )
    proc = run_workflow(tmp_path, "--cores", "2", "--configfile", str(config))
    assert proc.returncode == 0, proc.stderr[-3000:]
    gathered = tmp_path / "results/chr22_normal/tensorflow/chr22_normal.tensorflow.vcf.gz"
    unsharded = chr22_local_run / "results/chr22_normal/tensorflow/chr22_normal.tensorflow.vcf.gz"
    assert vcf_lines(gathered) == vcf_lines(unsharded)
    assert Path(f"{gathered}.tbi").is_file()
    shard_marks = sorted(p.name for p in (tmp_path / "benchmarks/score").iterdir())
    assert shard_marks == ["chr22_normal.tensorflow.000-chr22_1-2200.tsv", "chr22_normal.tensorflow.001-chr22_2100-40001.tsv"]
    (t, _total) = read_tsv(tmp_path / "results/summary/throughput.tsv")
    assert (t["jobs"], t["variants"]) == ("2", "5")


@pytest.mark.slow
def test_lint_is_clean(tmp_path):
    proc = run_workflow(tmp_path, "--lint")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Congratulations, your workflow is in a good condition!" in proc.stdout + proc.stderr


def _sheet(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    path.write_text("sample\tvcf\tbam\treference\n" + "".join("\t".join(r) + "\n" for r in rows))
    return path


GOOD = ("s1", str(DATA / "test_haplotcaller.noCNN.vcf"), str(DATA / "test.paired_end.sorted.bam"), str(DATA / "genome.fasta"))


@pytest.mark.slow
@pytest.mark.parametrize(
    "case, needle",
    [
        ("missing_file", "line 2 (sample 's1'): field vcf: '/nonexistent/calls.vcf' not found"),
        ("duplicate_sample", "line 3 (sample 's1'): field sample: duplicate sample name 's1'"),
        ("bad_sample_name", "field sample: 's 1' does not match"),
        (
            "wrong_type",
            "config (see workflows/schemas/config.schema.yaml): field inference_batch_size: 'many' is not of type 'integer'",
        ),
        ("unknown_backend", "field backends.0.backend: 'cuda' is not one of"),
        ("reference_backend", "config field reference_backend: 'gpu' is not one of the backends"),
    ],
)
def test_bad_input_fails_before_any_job(tmp_path, case, needle):
    sheet = tmp_path / "samples.tsv"
    args = ["--cores", "1", "--config", f"samples={sheet}"]
    if case == "missing_file":
        _sheet(sheet, [(GOOD[0], "/nonexistent/calls.vcf", GOOD[2], GOOD[3])])
    elif case == "duplicate_sample":
        _sheet(sheet, [GOOD, GOOD])
    elif case == "bad_sample_name":
        _sheet(sheet, [("s 1", *GOOD[1:])])
    else:
        _sheet(sheet, [GOOD])
        extra = {
            "wrong_type": "inference_batch_size=many",
            "reference_backend": "reference_backend=gpu",
            "unknown_backend": "backends=[{name: x, backend: cuda}]",
        }[case]
        args += [extra]
    proc = run_workflow(tmp_path, *args)
    assert proc.returncode != 0
    assert needle in proc.stderr, proc.stderr[-2000:]
    for produced in ("results", "logs", "benchmarks"):
        assert not (tmp_path / produced).exists()


@pytest.mark.slow
def test_sample_sheet_paths_relative_to_its_folder_and_repo_root(tmp_path):
    # one sample with paths relative to the sheet's folder, one relative to the repository root
    data = tmp_path / "cfg" / "data"
    data.mkdir(parents=True)
    for f in DATA.iterdir():
        (data / f.name).symlink_to(f)
    sheet = _sheet(
        tmp_path / "cfg" / "samples.tsv",
        [
            ("local", "data/test_haplotcaller.noCNN.vcf", "data/test.paired_end.sorted.bam", "data/genome.fasta"),
            (
                "repo",
                "testdata/chr22_normal/test_haplotcaller.noCNN.vcf",
                "testdata/chr22_normal/test.paired_end.sorted.bam",
                "testdata/chr22_normal/genome.fasta",
            ),
        ],
    )
    cfg = tmp_path / "cfg" / "config.yaml"
    cfg.write_text("samples: samples.tsv\n")  # relative to the config file's folder
    proc = run_workflow(tmp_path / "cfg", "--cores", "1", "--configfile", str(cfg), "--dry-run")
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout + proc.stderr
    assert sheet.exists() and "rule score" in out and "results/local/" in out and "results/repo/" in out


@pytest.mark.slow
def test_workflow_command_wraps_snakemake(tmp_path):
    proc = subprocess.run([*VQSR_CNN, "workflow", "--print-path"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and (Path(proc.stdout.strip()) / "Snakefile").is_file()
    proc = subprocess.run([*VQSR_CNN, "workflow", "--init", str(tmp_path / "mine")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "samples: samples.tsv" in (tmp_path / "mine" / "config.yaml").read_text()
    assert "hg004_chr21\ttestdata/hg004_chr21/NA24143.vcf.gz" in (tmp_path / "mine" / "samples.tsv").read_text()
    (tmp_path / "mine" / "samples.tsv").write_text(chr22_sheet(tmp_path).read_text())  # one sample
    proc = subprocess.run(
        [
            *VQSR_CNN,
            "workflow",
            "--cores",
            "2",
            "-d",
            str(tmp_path / "run"),
            "--dry-run",
            "--configfile",
            str(tmp_path / "mine" / "config.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    jobs = proc.stdout + proc.stderr
    n = len(planned_backends())  # one scoring job per backend this CPU runs, one diff per non-reference backend
    assert f"score          {n}" in jobs and f"diff           {n - 1}" in jobs and "summary        1" in jobs
