"""`vqsr-cnn diff --resource`: truth-sensitivity tranches as GATK FilterVariantTranches computes them, worked
out by hand; FILTER agreement, |delta| per type, provenance, and the pyvcf3 fallback for files htslib refuses."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from vqsr_cnn.cli import main
from vqsr_cnn.report import tranches


def write_vcf(path: Path, records, key="CNN_2D", fileformat=True) -> Path:
    """records: (contig, pos, ref, alt, score or None, filter)."""
    lines = ["##fileformat=VCFv4.2"] if fileformat else []
    lines += [
        "##contig=<ID=chr1,length=100000>",
        "##contig=<ID=chr2,length=100000>",
        '##FILTER=<ID=LowQual,Description="low quality">',
    ]
    if key:
        lines.append(f'##INFO=<ID={key},Number=1,Type=Float,Description="CNN score">')
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
    for contig, pos, ref, alt, score, flt in records:
        info = f"{key}={score:.3f}" if score is not None else "."
        lines.append(f"{contig}\t{pos}\t.\t{ref}\t{alt}\t50\t{flt}\t{info}")
    path.write_text("\n".join(lines) + "\n")
    return path


def diff(tmp_path: Path, a: Path, b: Path, *extra: str) -> tuple[int, dict]:
    out = tmp_path / "report"
    rc = main(["diff", str(a), str(b), "-o", str(out), "--quiet", *extra])
    return rc, (json.loads((out / "report.json").read_text()) if (out / "report.json").exists() else {})


# A: SNPs chr1:100..109 A>G scored 0..9; indels chr2:10 A>AT 0.5, chr2:20 AT>A 1.5, chr2:30 C>CG 3.0.
A_RECORDS = [("chr1", 100 + i, "A", "G", float(i), "PASS") for i in range(10)] + [
    ("chr2", 10, "A", "AT", 0.5, "PASS"),
    ("chr2", 20, "AT", "A", 1.5, "PASS"),
    ("chr2", 30, "C", "CG", 3.0, "PASS"),
]
# Resource: SNPs at 100..107 with ALT G, except 101 (ALT T: no shared allele) and 102 (ALT C,G: shares G).
# Indels: chr2:9 GA>AT spans 9-10, overlaps chr2:10 and shares the ALT string "AT" (FilterVariantTranches
# compares ALT alleles, not positions); chr2:20 AT>A; chr2:30 C>CGG shares no ALT with C>CG.
RESOURCE = [("chr1", 100 + i, "A", {1: "T", 2: "C,G"}.get(i, "G"), None, ".") for i in range(8)] + [
    ("chr2", 9, "GA", "AT", None, "."),
    ("chr2", 20, "AT", "A", None, "."),
    ("chr2", 30, "C", "CGG", None, "."),
]


def _pair(tmp_path: Path) -> tuple[Path, Path, Path]:
    # B: chr1:103 3.0 -> 1.9; chr1:109 PASS -> LowQual (score unchanged)
    b_records = [
        (c, p, r, x, 1.9 if (c, p) == ("chr1", 103) else s, "LowQual" if (c, p) == ("chr1", 109) else f)
        for c, p, r, x, s, f in A_RECORDS
    ]
    return (
        write_vcf(tmp_path / "a.vcf", A_RECORDS),
        write_vcf(tmp_path / "b.vcf", b_records),
        write_vcf(tmp_path / "known.vcf", RESOURCE, key=None),
    )


def test_resource_tranches_by_hand(tmp_path):
    a, b, known = _pair(tmp_path)
    rc, r = diff(tmp_path, a, b, "--resource", str(known), "--snp-tranches", "50,90")
    assert rc == 0 and r["tranche_mode"] == "resources"
    rows = {(t["type"], t["value"]): t for t in r["thresholds"]}
    assert set(rows) == {("SNP", 50.0), ("SNP", 90.0), ("INDEL", 99.0), ("INDEL", 99.4)}  # GATK's indel defaults
    # SNPs in the resources: 100, 102..107 -> A scores 0,2,3,4,5,6,7 (n = 7), descending 7,6,5,4,3,2,0.
    # t = 50: index floor(0.5 x 6) = 3 -> 4.0;  t = 90: floor(0.9 x 6) = 5 -> 2.0.
    # B: 3 -> 1.9, descending 7,6,5,4,2,1.9,0: t = 50 -> 4.0, t = 90 -> 1.9.
    s50, s90 = rows[("SNP", 50.0)], rows[("SNP", 90.0)]
    assert (s50["resource_a"], s50["resource_b"], s50["cutoff"], s50["cutoff_b"]) == (7, 7, 4.0, 4.0)
    assert (s90["cutoff"], s90["cutoff_b"]) == (2.0, 1.9)
    # pass = score > cut-off.  t = 90: chr1:103 3.0 > 2.0 passes in A, 1.9 > 1.9 fails in B; chr1:102 2.0 > 2.0
    # fails in A, 2.0 > 1.9 passes in B (B's cut-off moved).  t = 50: 3.0 and 1.9 both fail, nothing changes.
    assert (s90["a_pass_b_fail"], s90["a_fail_b_pass"], s90["changes"]) == (1, 1, 2)
    assert s50["changes"] == 0
    # kept resource SNPs: A above 2.0 -> 3,4,5,6,7 = 5; B above 1.9 -> 2,4,5,6,7 = 5
    assert (s90["a_kept"], s90["b_kept"]) == (5, 5)
    # indels in the resources: chr2:10 (0.5, via the overlapping GA>AT) and chr2:20 (1.5), n = 2, descending
    # 1.5, 0.5; t = 99.0 and 99.4: floor(0.99 x 1) = floor(0.994 x 1) = 0 -> 1.5.  Unchanged in B.
    i99 = rows[("INDEL", 99.0)]
    assert (i99["resource_a"], i99["cutoff"], i99["cutoff_b"], i99["changes"]) == (2, 1.5, 1.5, 0)
    assert r["call_changes"] == {"records": 2, "by_type": {"SNP": 2, "INDEL": 0, "OTHER": 0}}
    # FILTER: both carry it; chr1:109 PASS -> LowQual
    assert r["filters"] == {
        "compared": 13,
        "pass_a": 13,
        "pass_b": 12,
        "a_pass_b_filtered": 1,
        "a_filtered_b_pass": 0,
        "different_filter": 1,
    }
    # |delta| per type: one SNP moved by 1.1, no indel moved
    by_type = r["scores_by_type"]
    assert (by_type["SNP"]["differ"], by_type["SNP"]["max_abs_delta"]) == (1, pytest.approx(1.1))
    assert (by_type["INDEL"]["compared"], by_type["INDEL"]["differ"]) == (3, 0)
    page = (tmp_path / "report" / "report.html").read_text()
    assert "truth sensitivity 90%" in page and "FilterVariantTranches" in page and "106,000" not in page


def test_gatk_cutoff_index_rule():
    # 1001 scores 0..1000: descending index floor(t / 100 x 1000); t = 99.9 -> 999 -> score 1; t = 0 -> 1000
    s = np.arange(1001, dtype=float)
    assert tranches.gatk_cutoffs(s, [0.0, 50.0, 99.9]) == [1000.0, 500.0, 1.0]
    assert tranches.gatk_cutoffs(np.array([np.nan]), [99.0]) == [None]
    with pytest.raises(ValueError, match=r"\[0, 100\)"):
        tranches.gatk_cutoffs(s, [100.0])


def test_no_resources_keeps_quantile_tranches_and_no_filter_column(tmp_path):
    records = [(c, p, r, x, s, ".") for c, p, r, x, s, _ in A_RECORDS]
    a = write_vcf(tmp_path / "a.vcf", records)
    rc, r = diff(tmp_path, a, a)
    assert rc == 0 and r["tranche_mode"] == "score_quantile" and r["filters"] is None
    assert {t["kind"] for t in r["thresholds"]} == {"tranche"}


def test_provenance_recorded(tmp_path):
    a, b, known = _pair(tmp_path)
    meta = {
        "kind": "vqsr-cnn score",
        "backend": "openvino",
        "precision": "fp32",
        "tensor_type": "read_tensor",
        "model": {"weights": "/m/cnn_2d.hd5", "weights_sha256": "ab" * 32},
        "software": {"engines": {}},
    }
    (tmp_path / "ma.json").write_text(json.dumps(meta))
    rc, r = diff(tmp_path, a, b, "--resource", str(known), "--provenance-a", str(tmp_path / "ma.json"))
    assert rc == 0
    p = r["provenance"]
    assert p["schema_version"] == r["schema_version"] == 3 and p["scoring_a"] == meta and p["scoring_b"] is None
    assert p["software"]["package"] == "vqsr-cnn-openvino" and p["time"].endswith("+00:00")
    assert p["resources"][0]["path"] == str(known) and len(p["resources"][0]["sha256"]) == 64
    (tmp_path / "bad.json").write_text("{}")
    assert diff(tmp_path, a, b, "--provenance-b", str(tmp_path / "bad.json"))[0] == 2


def test_pyvcf3_fallback_when_htslib_refuses(tmp_path, caplog):
    # A file without the ##fileformat line (some tools write it so): htslib will not open it, pyvcf3 can.
    a, b, _ = _pair(tmp_path)
    loose = write_vcf(tmp_path / "loose.vcf", A_RECORDS, fileformat=False)
    with caplog.at_level(logging.WARNING, logger="vqsr_cnn"):
        rc, r = diff(tmp_path, loose, b)
    assert rc == 0 and r["reader"]["name"] == "pyvcf3 / pysam"
    assert r["matched"] == 13 and r["scores"]["differ"] == 1
    assert any("htslib refused the file" in m and "pyvcf3" in m for m in caplog.messages)
    assert r["top_differences"][0]["record_a"] == "chr1\t103\t.\tA\tG\t50\tPASS\tCNN_2D=3.000"  # the file's own line
    assert diff(tmp_path, loose, b, "--reader", "pysam")[0] == 2  # no fallback when pysam is asked for


def test_filter_changes_at_gatk_default_tranches_by_hand(tmp_path):
    """FilterVariantTranches' defaults, SNP 99.95 / INDEL 99.4, whatever tranches the table was asked for."""
    a, b, known = _pair(tmp_path)
    rc, r = diff(tmp_path, a, b, "--resource", str(known), "--snp-tranches", "50", "--indel-tranches", "90")
    assert rc == 0
    g = r["gatk_default_filter_changes"]
    assert (g["snp_tranche"], g["indel_tranche"], g["mode"]) == (99.95, 99.4, "resources")
    # resource SNPs, A descending 7,6,5,4,3,2,0 (n = 7): index floor(0.9995 x 6) = 5 -> 2.0; B (3 -> 1.9): 1.9.
    # chr1:103 3.0 > 2.0 passes in A, 1.9 > 1.9 fails in B; chr1:102 2.0 fails in A, passes in B.
    snp = g["by_type"]["SNP"]
    assert (snp["cutoff_a"], snp["cutoff_b"], snp["a_pass_b_fail"], snp["a_fail_b_pass"]) == (2.0, 1.9, 1, 1)
    # resource indels 1.5, 0.5: index floor(0.994 x 1) = 0 -> 1.5 in both files; nothing changes
    indel = g["by_type"]["INDEL"]
    assert (indel["cutoff_a"], indel["cutoff_b"], indel["changes"]) == (1.5, 1.5, 0)
    # 2 of the 13 matched SNPs and indels change FILTER
    assert (g["changes"], g["compared"]) == (2, 13) and g["share"] == pytest.approx(2 / 13)
    page = (tmp_path / "report" / "report.html").read_text()
    assert "FILTER changes at SNP 99.95 / INDEL 99.4" in page and "2 of 13 (15.38%)" in page


def test_filter_changes_at_gatk_default_tranches_without_resources(tmp_path):
    # no resources: the cut-off is the quantile of A's scores; SNPs 0..9, k = floor(10 x 0.05 / 100) = 0 -> 0.0,
    # pass = score >= 0.0. B's chr1:100 drops to -0.5: one FILTER change. Indels 0.5, 1.5, 3.0 -> cut-off 0.5.
    records = [(c, p, r, x, s, ".") for c, p, r, x, s, _ in A_RECORDS]
    a = write_vcf(tmp_path / "a.vcf", records)
    b = write_vcf(tmp_path / "b.vcf", [(c, p, r, x, -0.5 if p == 100 else s, f) for c, p, r, x, s, f in records])
    rc, r = diff(tmp_path, a, b)
    g = r["gatk_default_filter_changes"]
    assert rc == 0 and g["mode"] == "score_quantile"
    assert (g["by_type"]["SNP"]["cutoff_a"], g["by_type"]["SNP"]["a_pass_b_fail"], g["by_type"]["INDEL"]["cutoff_a"]) == (
        0.0,
        1,
        0.5,
    )
    assert (g["changes"], g["compared"]) == (1, 13)


def test_a_precision_that_fell_back_is_said(tmp_path):
    a, b, _ = _pair(tmp_path)
    meta = {"kind": "vqsr-cnn score", "backend": "openvino", "precision": "fp32", "software": {"engines": {}}}
    (tmp_path / "fp32.json").write_text(json.dumps(meta))
    (tmp_path / "int8.json").write_text(json.dumps({**meta, "precision": "int8 (float layers bf16)"}))
    prov = ["--provenance-a", str(tmp_path / "fp32.json"), "--requested-precision-a", "fp32"]
    rc, r = diff(tmp_path, a, b, *prov, "--provenance-b", str(tmp_path / "fp32.json"), "--requested-precision-b", "bf16")
    assert rc == 0
    assert r["precision"]["b"] == {"requested": "bf16", "ran": "fp32", "fell_back": True}
    assert not r["precision"]["a"]["fell_back"]
    page = (tmp_path / "report" / "report.html").read_text()
    assert "bf16 was requested but fp32 ran" in page and "not a measurement of bf16" in page
    # INT8 with its float layers in bf16 is what an INT8 request runs: no note
    rc, r = diff(tmp_path, a, b, *prov, "--provenance-b", str(tmp_path / "int8.json"), "--requested-precision-b", "int8")
    assert r["precision"]["b"] == {"requested": "int8", "ran": "int8 (float layers bf16)", "fell_back": False}
    assert "was requested but" not in (tmp_path / "report" / "report.html").read_text()
