"""`vqsr-cnn diff` on hand-built VCF pairs whose metrics are worked out by hand in the comments."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from vqsr_cnn.cli import main
from vqsr_cnn.report import metrics
from vqsr_cnn.report.vcf_scores import read_scores

REPO = Path(__file__).resolve().parents[1]


def write_vcf(path: Path, records, contigs=("chr1", "chr2"), key="CNN_2D", header_key=True) -> Path:
    """records: (contig, pos, ref, alt, score) with score None for no value, '.' for an explicit missing."""
    lines = ["##fileformat=VCFv4.2"]
    lines += [f"##contig=<ID={c},length=100000>" for c in contigs]
    lines.append('##INFO=<ID=DP,Number=1,Type=Integer,Description="depth">')
    if header_key:
        lines.append(f'##INFO=<ID={key},Number=1,Type=Float,Description="CNN score">')
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
    for contig, pos, ref, alt, score in records:
        info = "DP=10" if score is None else f"DP=10;{key}={score if score == '.' else format(score, '.3f')}"
        lines.append(f"{contig}\t{pos}\t.\t{ref}\t{alt}\t50\tPASS\t{info}")
    path.write_text("\n".join(lines) + "\n")
    return path


def run_diff(tmp_path: Path, a: Path, b: Path, *extra: str) -> tuple[int, dict]:
    out = tmp_path / "report"
    rc = main(["diff", str(a), str(b), "-o", str(out), "--quiet", *extra])
    report = json.loads((out / "report.json").read_text()) if (out / "report.json").exists() else {}
    return rc, report


BASE = [("chr1", 100, "A", "G", 1.5), ("chr1", 200, "C", "T", -0.25), ("chr1", 300, "G", "GA", 2.0), ("chr2", 50, "T", "C", 0.75)]


def test_identical_files(tmp_path):
    a = write_vcf(tmp_path / "a.vcf", BASE)
    b = write_vcf(tmp_path / "b.vcf", BASE)
    rc, r = run_diff(tmp_path, a, b, "--max-call-changes", "0", "--max-abs-delta", "0")
    assert rc == 0
    assert (r["a"]["records"], r["b"]["records"], r["matched"], r["only_in_a"], r["only_in_b"]) == (4, 4, 4, 0, 0)
    assert r["a"]["types"] == {"SNP": 3, "INDEL": 1, "OTHER": 0}
    s = r["scores"]
    assert (s["compared"], s["differ"], s["differ_3rd_significant_digit"]) == (4, 0, 0)
    assert s["max_abs_delta"] == 0 and s["mean_abs_delta"] == 0
    assert s["pearson_r"] == pytest.approx(1.0)
    assert r["call_changes"]["records"] == 0 and r["top_differences"] == []
    assert r["abs_delta_histogram"]["counts"] == [4, 0, 0, 0, 0, 0, 0]
    assert r["limits"]["passed"] is True


def test_one_shifted_score(tmp_path):
    # 1.234 -> 1.236: delta 0.002, '%.3g' gives 1.23 vs 1.24, so it differs in the 3rd significant digit.
    # 12.341 -> 12.349: delta 0.008 but '12.3' both: differs, not in the 3rd significant digit.
    a_rec = [("chr1", 100, "A", "G", 1.234), ("chr1", 200, "C", "T", 12.341), ("chr1", 300, "G", "A", -3.0)]
    b_rec = [("chr1", 100, "A", "G", 1.236), ("chr1", 200, "C", "T", 12.349), ("chr1", 300, "G", "A", -3.0)]
    rc, r = run_diff(tmp_path, write_vcf(tmp_path / "a.vcf", a_rec), write_vcf(tmp_path / "b.vcf", b_rec))
    assert rc == 0
    s = r["scores"]
    assert (s["differ"], s["differ_3rd_significant_digit"]) == (2, 1)
    assert s["max_abs_delta"] == pytest.approx(0.008)
    assert s["mean_abs_delta"] == pytest.approx((0.002 + 0.008 + 0) / 3)
    # histogram: one 0, one (0.001, 0.01] twice -> bins [0]=1, [2]=2
    assert r["abs_delta_histogram"]["counts"] == [1, 0, 2, 0, 0, 0, 0]
    top = r["top_differences"]
    assert [(t["pos"], t["delta"]) for t in top] == [(200, pytest.approx(0.008)), (100, pytest.approx(0.002))]
    assert "CNN_2D=12.341" in top[0]["record_a"] and "CNN_2D=12.349" in top[0]["record_b"]


def test_pearson_by_hand(tmp_path):
    # x = 1,2,3; y = 1,2,4: sum dx*dy = 3, sum dx^2 = 2, sum dy^2 = 14/3 -> r = 3 / sqrt(28/3) = sqrt(27/28)
    a_rec = [("chr1", p, "A", "G", v) for p, v in ((10, 1.0), (20, 2.0), (30, 3.0))]
    b_rec = [("chr1", p, "A", "G", v) for p, v in ((10, 1.0), (20, 2.0), (30, 4.0))]
    _, r = run_diff(tmp_path, write_vcf(tmp_path / "a.vcf", a_rec), write_vcf(tmp_path / "b.vcf", b_rec))
    assert r["scores"]["pearson_r"] == pytest.approx(math.sqrt(27 / 28), rel=1e-12)
    assert r["scores"]["max_abs_delta"] == pytest.approx(1.0)
    assert r["abs_delta_histogram"]["counts"] == [2, 0, 0, 0, 1, 0, 0]


def test_record_missing_on_one_side(tmp_path):
    # B lacks chr1:200 and calls chr1:300 G>T instead of G>GA (a different ALT is a different record)
    b_rec = [BASE[0], ("chr1", 300, "G", "T", 2.0), BASE[3]]
    a, b = write_vcf(tmp_path / "a.vcf", BASE), write_vcf(tmp_path / "b.vcf", b_rec)
    rc, r = run_diff(tmp_path, a, b, "--max-unmatched", "3")
    assert rc == 0
    assert (r["matched"], r["only_in_a"], r["only_in_b"]) == (2, 2, 1)
    assert r["only_in_a_examples"] == ["chr1:200 C>T", "chr1:300 G>GA"]
    assert r["only_in_b_examples"] == ["chr1:300 G>T"]
    assert r["scores"]["differ"] == 0
    assert run_diff(tmp_path, a, b, "--max-unmatched", "2")[0] == 1  # 2 + 1 unmatched > 2


def test_duplicates_and_missing_values(tmp_path):
    # two copies of one site pair up in file order; a '.' value in B is counted, not compared
    a_rec = [("chr1", 10, "A", "G", 1.0), ("chr1", 10, "A", "G", 2.0), ("chr1", 20, "C", "T", 0.5)]
    b_rec = [("chr1", 10, "A", "G", 1.0), ("chr1", 10, "A", "G", 3.0), ("chr1", 20, "C", "T", ".")]
    _, r = run_diff(tmp_path, write_vcf(tmp_path / "a.vcf", a_rec), write_vcf(tmp_path / "b.vcf", b_rec))
    assert r["matched"] == 3
    s = r["scores"]
    assert (s["compared"], s["missing_in_a"], s["missing_in_b"], s["differ"]) == (2, 0, 1, 1)
    assert s["max_abs_delta"] == pytest.approx(1.0)


def _crossing_pair(tmp_path: Path) -> tuple[Path, Path]:
    # SNPs scored 0..9 in A.  --snp-tranches 90,80: n = 10, k = floor(10 * 10 / 100) = 1 -> cut-off 1.0;
    # k = floor(10 * 20 / 100) = 2 -> cut-off 2.0.  In B: 1.0 -> 0.999 (passes 1.0 in A, fails in B),
    # 4.0 -> 5.2 and 5.0 -> 4.5 (cross the user threshold 5 both ways).  Indels 0.5, 1.5: default
    # tranches 99.5/99.0 give k = floor(2 * 0.5 / 100) = 0 -> cut-off 0.5; B keeps them unchanged.
    a_rec = [("chr1", 100 + i, "A", "G", float(i)) for i in range(10)] + [
        ("chr2", 10, "A", "AT", 0.5),
        ("chr2", 20, "AT", "A", 1.5),
    ]
    moved = {1: 0.999, 4: 5.2, 5: 4.5}
    b_rec = [(c, p, r, x, moved.get(p - 100, s) if c == "chr1" else s) for c, p, r, x, s in a_rec]
    return write_vcf(tmp_path / "a.vcf", a_rec), write_vcf(tmp_path / "b.vcf", b_rec)


def test_threshold_crossing(tmp_path):
    a, b = _crossing_pair(tmp_path)
    rc, r = run_diff(tmp_path, a, b, "--snp-tranches", "90,80", "--threshold", "5")
    assert rc == 0
    rows = {(t["type"], t["kind"], t["value"]): t for t in r["thresholds"]}
    snp90, snp80 = rows[("SNP", "tranche", 90.0)], rows[("SNP", "tranche", 80.0)]
    assert (snp90["cutoff"], snp90["a_pass_b_fail"], snp90["a_fail_b_pass"]) == (1.0, 1, 0)
    assert (snp80["cutoff"], snp80["changes"]) == (2.0, 0)
    indel = rows[("INDEL", "tranche", 99.5)]
    assert (indel["cutoff"], indel["a_records"], indel["changes"]) == (0.5, 2, 0)
    user = rows[("SNP", "threshold", 5.0)]
    assert (user["a_pass_b_fail"], user["a_fail_b_pass"]) == (1, 1)
    assert r["call_changes"] == {"records": 3, "by_type": {"SNP": 3, "INDEL": 0, "OTHER": 0}}
    assert r["scores"]["max_abs_delta"] == pytest.approx(1.2)


def test_limits_set_exit_status(tmp_path, capsys):
    a, b = _crossing_pair(tmp_path)
    common = ("--snp-tranches", "90,80", "--threshold", "5")
    assert run_diff(tmp_path, a, b, *common, "--max-call-changes", "3", "--max-abs-delta", "1.2")[0] == 0
    rc, r = run_diff(tmp_path, a, b, *common, "--max-call-changes", "2")
    assert rc == 1 and r["limits"]["passed"] is False
    assert "3 records change a call" in capsys.readouterr().err
    assert run_diff(tmp_path, a, b, *common, "--max-abs-delta", "1.1")[0] == 1


def test_tranche_cutoff_definition():
    s = np.arange(1000, dtype=float)
    # k = floor(1000 * 0.1 / 100) = 1 (not 0: 100 - 99.9 is 0.0999.. in floating point, rounded away)
    assert metrics.tranche_cutoff(s, 99.9) == 1.0
    assert metrics.tranche_cutoff(s, 99.0) == 10.0
    assert metrics.tranche_cutoff(s, 100.0) == 0.0
    assert metrics.tranche_cutoff(np.array([np.nan]), 99.0) is None
    with pytest.raises(ValueError):
        metrics.tranche_cutoff(s, 0)


@pytest.mark.parametrize(
    "case, needle",
    [
        ("no_key", "the header has no INFO/CNN_2D line"),
        ("no_values", "none of its 4 records has an INFO/CNN_2D value"),
        ("contigs", "different contig sets"),
        ("unsorted", "records are not sorted (record 2, chr1:100, comes after chr1:200)"),
        ("missing", "no such VCF file"),
    ],
)
def test_bad_input_one_line_error(tmp_path, capsys, case, needle):
    a = write_vcf(tmp_path / "a.vcf", BASE)
    b = tmp_path / "b.vcf"
    if case == "no_key":
        write_vcf(b, BASE, header_key=False)
    elif case == "no_values":
        write_vcf(b, [r[:4] + (None,) for r in BASE])
    elif case == "contigs":
        write_vcf(b, BASE, contigs=("chr1", "chr2", "chrX"))
    elif case == "unsorted":
        write_vcf(b, [BASE[1], BASE[0]] + BASE[2:])
    rc, _ = run_diff(tmp_path, a, b)
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err.startswith("vqsr-cnn diff: error: ") and needle in err and "\n" not in err
    assert not (tmp_path / "report" / "report.json").exists()


def test_readers_agree_on_bgzipped_input(tmp_path):
    import pysam

    a, b = _crossing_pair(tmp_path)
    for p in (a, b):
        pysam.tabix_compress(str(p), str(p) + ".gz")
    ta, tb = read_scores(str(a) + ".gz", reader="pysam"), read_scores(str(a) + ".gz", reader="pyvcf3")
    assert np.array_equal(ta.score, tb.score) and np.array_equal(ta.pos, tb.pos)
    assert list(ta.alt) == list(tb.alt) and np.array_equal(ta.vtype, tb.vtype)
    _, r1 = run_diff(tmp_path, Path(str(a) + ".gz"), Path(str(b) + ".gz"), "--reader", "pysam")
    _, r2 = run_diff(tmp_path, Path(str(a) + ".gz"), Path(str(b) + ".gz"), "--reader", "pyvcf3")
    for r in (r1, r2):
        r.pop("reader")
        r.pop("provenance")  # holds the time of the run
        for side in ("a", "b"):
            r[side].pop("read_seconds")
    assert r1 == r2


def test_html_is_self_contained(tmp_path):
    a, b = _crossing_pair(tmp_path)
    run_diff(tmp_path, a, b, "--threshold", "5", "--label-a", "tensorflow", "--label-b", "openvino")
    page = (tmp_path / "report" / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 2
    assert "http://" not in page and "https://" not in page and "<link" not in page
    assert "tensorflow vs openvino" in page and 'data-site="chr1:104 A&gt;G"' in page
    assert page.count("<circle") == 12  # every compared pair is drawn


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed")
def test_report_renders_in_headless_chromium(tmp_path):
    """In the browser's DOM after the script ran: the verdict, the cards' numbers, one point per compared pair
    (red where the scores differ), one bar per |delta| bin with its count, a point for every listed record."""
    from render import assert_diff_page, render

    a, b = _crossing_pair(tmp_path)
    _, report = run_diff(tmp_path, a, b, "--threshold", "5")
    dom = render(tmp_path / "report" / "report.html", tmp_path / "report.png", 1200, 1600)
    assert_diff_page(dom, report)
    assert len(dom.all("circle", "pt")) == 12 and len(dom.all("circle", "d")) == 3  # the pair worked out above
