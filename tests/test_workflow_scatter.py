"""Scatter planned from index files only (never the VCF's records), fixed-size regions within contigs, and a
gather that concatenates shards in plan order (bcftools concat semantics)."""

from __future__ import annotations

import sys
from pathlib import Path

import pysam
import pytest
from conftest import ROOT, chr22_sheet, run_workflow

sys.path.insert(0, str(ROOT / "workflows" / "scripts"))
from gather_vcfs import gather
from shard_plan import Region, index_contigs, plan_regions

HEADER = (
    "##fileformat=VCFv4.2\n##contig=<ID=c1,length=250>\n##contig=<ID=c2,length=100>\n##contig=<ID=c3,length=300>\n"
    '##INFO=<ID=CNN_1D,Number=1,Type=Float,Description="s">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n'
)


def three_contigs(folder: Path, index: str = "tbi") -> tuple[Path, Path]:
    """FASTA with contigs c1 (250 bp), c2 (100), c3 (300) + .fai; a bgzipped VCF with records on c1 and c3 only,
    indexed, whose body is then replaced by bytes that no VCF or gzip reader accepts."""
    fasta = folder / "ref.fa"
    fasta.write_text("".join(f">{c}\n{'ACGT' * (n // 4)}{'A' * (n % 4)}\n" for c, n in (("c1", 250), ("c2", 100), ("c3", 300))))
    pysam.faidx(str(fasta))
    plain = folder / "calls.vcf"
    plain.write_text(HEADER + "c1\t10\t.\tA\tG\t50\tPASS\t.\nc1\t150\t.\tA\tG\t50\tPASS\t.\nc3\t20\t.\tA\tG\t50\tPASS\t.\n")
    vcf = Path(pysam.tabix_index(str(plain), preset="vcf", force=True, csi=(index == "csi")))
    vcf.write_bytes(b"POISON: the scatter plan must not read VCF records\n")  # the index stays valid
    return vcf, fasta


@pytest.mark.parametrize("index", ["tbi", "csi"])
def test_plan_reads_the_index_not_the_vcf(tmp_path, index):
    vcf, fasta = three_contigs(tmp_path, index)
    opened = []

    def audit(event: str, args: tuple) -> None:  # every Python-level open of the VCF itself
        if event == "open" and args and str(args[0]) == str(vcf):
            opened.append(args)

    sys.addaudithook(audit)
    assert index_contigs(str(vcf)) == ["c1", "c3"]  # contigs with records, c2 has none
    regions = plan_regions(str(vcf), str(fasta), region_size=100)
    assert regions == [
        Region("c1", 1, 100),
        Region("c1", 101, 200),
        Region("c1", 201, 250),
        Region("c3", 1, 100),
        Region("c3", 101, 200),
        Region("c3", 201, 300),
    ]
    assert plan_regions(str(vcf), str(fasta)) == [Region("c1", 1, 250), Region("c3", 1, 300)]
    assert opened == []


def test_plan_without_index_uses_every_fai_contig(tmp_path):
    vcf, fasta = three_contigs(tmp_path)
    Path(f"{vcf}.tbi").unlink()
    assert [str(r) for r in plan_regions(str(vcf), str(fasta))] == ["c1:1-250", "c2:1-100", "c3:1-300"]


@pytest.mark.slow
def test_dry_run_over_three_contigs_never_opens_records(tmp_path):
    vcf, fasta = three_contigs(tmp_path)
    sheet = tmp_path / "samples.tsv"
    sheet.write_text(f"sample\tvcf\tbam\treference\ttensor_type\nthree\t{vcf}\t\t{fasta}\treference\n")
    config = tmp_path / "config.yaml"
    config.write_text(
        f"samples: {sheet}\nbackends:\n  - {{name: tensorflow, backend: tensorflow}}\n"
        "reference_backend: tensorflow\nscatter: {by: contig, region_size: 100}\n"
    )
    proc = run_workflow(tmp_path, "--configfile", str(config), "--cores", "1", "--dry-run", timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    shards = ["000-c1_1-100", "001-c1_101-200", "002-c1_201-250", "003-c3_1-100", "004-c3_101-200", "005-c3_201-300"]
    for shard in shards:
        assert f"shards/{shard}.vcf.gz" in out, shard
    assert "-c2_" not in out  # no shard for the contig without records
    assert "score_shard        6" in out and "gather             1" in out
    assert vcf.read_bytes().startswith(b"POISON")


def _shard(path: Path, lines: list[str]) -> str:
    path.write_text(HEADER + "".join(lines))
    return str(path)


def test_gather_concatenates_in_plan_order_keeping_each_record_once(tmp_path):
    # a deletion at c1:99 spans the boundary 100|101: score -L keeps it in both shards, the gather writes it once
    deletion = "c1\t99\t.\tACGTA\tA\t50\tPASS\tCNN_1D=1.000\n"
    s1 = _shard(tmp_path / "s1.vcf", ["c1\t50\t.\tA\tG\t50\tPASS\tCNN_1D=0.500\n", deletion])
    s2 = _shard(tmp_path / "s2.vcf", [deletion, "c1\t150\t.\tA\tG\t50\tPASS\tCNN_1D=2.000\n"])
    s3 = _shard(tmp_path / "s3.vcf", ["c3\t20\t.\tA\tG\t50\tPASS\tCNN_1D=3.000\n"])
    out = tmp_path / "out.vcf.gz"
    n = gather([s1, s2, s3], str(out), [["c1", 1, 100], ["c1", 101, 250], ["c3", 1, 300]])
    with pysam.VariantFile(str(out)) as vf:
        assert [(r.contig, r.pos) for r in vf] == [("c1", 50), ("c1", 99), ("c1", 150), ("c3", 20)] and n == 4
    with pytest.raises(ValueError, match="not in file order"):
        gather([s3, s1], str(tmp_path / "bad.vcf.gz"), [["c3", 1, 300], ["c1", 1, 100]])


@pytest.mark.slow
def test_region_scatter_equals_the_unsharded_run(chr22_local_run, tmp_path):
    # chr22_normal (40,001 bp, 5 records) in 15 kb regions: 3 shards, concatenated = the unsharded VCF
    config = tmp_path / "regions.yaml"
    config.write_text(
        "backends:\n  - {name: tensorflow, backend: tensorflow, env: {OPENVINO_TF_DISABLE: '1'}}\n"
        f"reference_backend: tensorflow\nsamples: {chr22_sheet(tmp_path)}\n"
        "scatter: {by: contig, region_size: 15000}\n"
    )
    proc = run_workflow(tmp_path, "--configfile", str(config), "--cores", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    rel = "results/chr22_normal/tensorflow/chr22_normal.tensorflow.vcf.gz"

    def lines(path: Path) -> list[str]:
        with pysam.VariantFile(str(path)) as vf:
            return [str(r) for r in vf]

    assert lines(tmp_path / rel) == lines(chr22_local_run / rel)
    marks = sorted(p.name for p in (tmp_path / "benchmarks/score").iterdir())
    assert marks == [
        f"chr22_normal.tensorflow.{s}.tsv" for s in ("000-chr22_1-15000", "001-chr22_15001-30000", "002-chr22_30001-40001")
    ]
    assert "concatenated in plan order" in (tmp_path / "logs/gather/chr22_normal.tensorflow.log").read_text()
