"""A Snakemake run killed with SIGKILL in the middle of a scoring job leaves nothing a rerun trips over, and
`--rerun-incomplete` finishes it with the same bytes as an uninterrupted run.

Snakemake marks a job's outputs incomplete in `.snakemake/incomplete/` when the job starts and clears the
marks when it finishes; on the next run it refuses (IncompleteFilesException) only when a marked output
*exists*, and `--rerun-incomplete` reruns such jobs.  `vqsr-cnn score` writes its VCF to a hidden
`.NAME.partial-HOST-PID.vcf.gz` and renames it at the end, so a killed job leaves no file at the output's name
(Snakemake simply reruns it) and the rerun's writer deletes the dead process's partial file.

Input: the hg004_chr21 sample (1D, 1,762 records) scored with OpenVINO FP32 only, so one scoring job runs.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import time
import zlib
from pathlib import Path

import pytest
from conftest import snakemake_command

REPO = Path(__file__).resolve().parents[1]
HG004 = REPO / "testdata" / "hg004_chr21"
RECORDS = 1762
SCORED = Path("results/hg004_chr21/openvino/hg004_chr21.openvino.vcf.gz")
METRICS = Path("results/hg004_chr21/openvino/hg004_chr21.openvino.metrics.json")
OUTPUTS = (SCORED, Path(f"{SCORED}.tbi"), METRICS)

pytestmark = pytest.mark.slow  # testdata/hg004_chr21 is in the repository: nothing to skip for


def _setup(work: Path) -> list[str]:
    """Sample sheet + config in WORK; the snakemake command line that runs them."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "samples.tsv").write_text(
        "sample\tvcf\tbam\treference\ttensor_type\n"
        f"hg004_chr21\t{HG004 / 'NA24143.vcf.gz'}\t\t"
        f"{HG004 / 'hg38_chr21_22000000_23000000.fasta'}\treference\n"
    )
    (work / "config.yaml").write_text(
        f"samples: {work / 'samples.tsv'}\n"
        "backends:\n  - {name: openvino, backend: openvino, precision: fp32}\n"
        "reference_backend: openvino\n"
    )
    return snakemake_command(work, "--cores", "2", "--configfile", str(work / "config.yaml"))


def _run(cmd: list[str], work: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=900, cwd=work)


def _partials(work: Path) -> list[Path]:
    return sorted(work.glob("results/**/.*.partial-*"))


def _bgzf_records(path: Path) -> int:
    """VCF records in the complete BGZF blocks of a partial (unfinished) file."""
    data, text = path.read_bytes(), b""
    while data:
        block = zlib.decompressobj(31)
        try:
            text += block.decompress(data)
        except zlib.error:
            break
        if not block.eof:
            break  # the block being written when the process died
        data = block.unused_data
    return sum(1 for line in text.split(b"\n")[:-1] if line and not line.startswith(b"#"))


def _incomplete_marks(work: Path) -> set[str]:
    """Output paths Snakemake has marked incomplete (`.snakemake/incomplete/<urlsafe base64 of the path>`)."""
    root = work / ".snakemake" / "incomplete"
    marks = set()
    for f in root.rglob("*") if root.is_dir() else ():
        if f.is_file() and f.name != "migration_underway":
            key = "".join(part.lstrip("@") for part in f.relative_to(root).parts)
            marks.add(base64.urlsafe_b64decode(key).decode())
    return marks


def _score_pids(session: int) -> list[int]:
    """The `vqsr-cnn score` Python processes in SESSION (not the shell that started them)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            if os.getsid(int(entry.name)) == session and b"score" in argv and b"-V" in argv:
                pids.append(int(entry.name))
        except (OSError, ProcessLookupError):
            continue
    return pids


def _kill_mid_scoring(cmd: list[str], work: Path, target: str) -> int:
    """Start the workflow in its own session; once the scoring job has written part of its output (a BGZF block
    of its partial file), SIGKILL the whole process group ('snakemake') or the scoring process alone
    ('score_job').  Returns the number of records the killed job had written."""
    with open(work / "killed_run.stderr", "w") as err:
        proc = subprocess.Popen(cmd, cwd=work, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    try:
        deadline = time.monotonic() + 900
        while not any(p.stat().st_size > 0 for p in _partials(work) if p.exists()):
            assert proc.poll() is None, (work / "killed_run.stderr").read_text()[-3000:]
            assert time.monotonic() < deadline, "the scoring job never started writing"
            time.sleep(0.02)
        assert not (work / SCORED).exists(), "the job finished before it could be killed"
        if target == "snakemake":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            (pid,) = _score_pids(proc.pid)
            os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    (partial,) = _partials(work)
    return _bgzf_records(partial)


def _metrics_without_timing(path: Path) -> dict:
    metrics = json.loads(path.read_text())
    return {k: v for k, v in metrics.items() if k != "time" and not k.endswith("_seconds")}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wf_uninterrupted")
    proc = _run(_setup(work), work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work


def _assert_recovered_like(work: Path, reference: Path) -> None:
    """The rerun finished the workflow: the scoring job's outputs equal the uninterrupted run's byte for byte
    (bgzip of the same text is deterministic), nothing partial or marked incomplete is left."""
    for name in (SCORED, Path(f"{SCORED}.tbi")):
        assert (work / name).read_bytes() == (reference / name).read_bytes(), name
    assert _metrics_without_timing(work / METRICS) == _metrics_without_timing(reference / METRICS)
    assert _metrics_without_timing(work / METRICS)["scored"] == RECORDS
    assert (work / "results/summary/summary.html").is_file() and (work / "results/summary/throughput.tsv").is_file()
    assert _partials(work) == [] and _incomplete_marks(work) == set()
    assert "left by an interrupted run" in (work / "logs/score/hg004_chr21.openvino.log").read_text()


def test_workflow_killed_mid_scoring_recovers_with_rerun_incomplete(tmp_path, uninterrupted):
    """kill -9 of Snakemake's whole process group (Snakemake, the job's shell, `vqsr-cnn score`)."""
    cmd = _setup(tmp_path)
    written = _kill_mid_scoring(cmd, tmp_path, "snakemake")
    assert 0 < written < RECORDS, written  # killed mid-way, with part of the output written

    # (a) no output of the job exists at its name; Snakemake had marked both declared outputs incomplete
    assert [p for p in OUTPUTS if (tmp_path / p).exists()] == []
    assert _incomplete_marks(tmp_path) == {str(SCORED), str(METRICS)}
    # a SIGKILLed Snakemake cannot release its lock: the documented way out is --unlock
    locked = _run(cmd, tmp_path)
    assert locked.returncode != 0 and "--unlock" in locked.stderr, locked.stderr[-2000:]
    assert _run(cmd, tmp_path, "--unlock").returncode == 0
    # the marks name no existing file, so a plain rerun would simply rerun the job ("Missing output files")
    dry = _run(cmd, tmp_path, "--dry-run")
    assert dry.returncode == 0 and "seem to be incomplete" not in dry.stdout + dry.stderr
    assert any("Missing output files" in line and str(SCORED) in line for line in (dry.stdout + dry.stderr).splitlines())

    # (b) the documented recovery finishes with the uninterrupted run's bytes
    rerun = _run(cmd, tmp_path, "--rerun-incomplete")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    _assert_recovered_like(tmp_path, uninterrupted)


def test_workflow_refuses_a_truncated_output_until_rerun_incomplete(tmp_path, uninterrupted):
    """What a writer without a temp file would leave: the killed job's own partial bytes at the output's name.
    Snakemake's incomplete mark catches it: a plain rerun refuses, --rerun-incomplete replaces it."""
    cmd = _setup(tmp_path)
    written = _kill_mid_scoring(cmd, tmp_path, "snakemake")
    assert 0 < written < RECORDS, written
    assert _run(cmd, tmp_path, "--unlock").returncode == 0
    (partial,) = _partials(tmp_path)
    shutil.copyfile(partial, tmp_path / SCORED)

    refused = _run(cmd, tmp_path)
    assert refused.returncode != 0
    assert "seem to be incomplete" in refused.stderr and str(SCORED) in refused.stderr, refused.stderr[-2000:]
    assert "--rerun-incomplete" in refused.stderr

    rerun = _run(cmd, tmp_path, "--rerun-incomplete")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    _assert_recovered_like(tmp_path, uninterrupted)


def test_workflow_with_its_scoring_process_killed_recovers(tmp_path, uninterrupted):
    """kill -9 of the `vqsr-cnn score` process alone (OOM killer, a cluster's limit): Snakemake sees the job fail,
    removes its outputs and stops; the rerun recovers."""
    cmd = _setup(tmp_path)
    written = _kill_mid_scoring(cmd, tmp_path, "score_job")
    assert 0 < written < RECORDS, written
    failed = (tmp_path / "killed_run.stderr").read_text()
    assert "Error in rule score" in failed, failed[-3000:]
    assert [p for p in OUTPUTS if (tmp_path / p).exists()] == []

    rerun = _run(cmd, tmp_path, "--rerun-incomplete")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    _assert_recovered_like(tmp_path, uninterrupted)
