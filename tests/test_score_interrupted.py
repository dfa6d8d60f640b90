"""`vqsr-cnn score` killed with SIGKILL at 10%, 50% and 90% of its output: no output file, no index, nothing
the next run trips over, and the next run's bytes equal an uninterrupted run's. SIGTERM leaves nothing at all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vqsr_cnn.bench.vcfs import shifted_vcf

N_RECORDS = 10_000  # enough streaming time to catch 10% of the output before the run ends


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("vqsr-cnn")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "vqsr_cnn.cli"]


@pytest.mark.slow
def test_kill_9_leaves_nothing_and_the_rerun_is_byte_identical(tmp_path, testdata):
    src = testdata / "hg004_chr21"
    fasta = src / "hg38_chr21_22000000_23000000.fasta"
    vcf = tmp_path / "calls.vcf"
    assert shifted_vcf(src / "NA24143.vcf.gz", fasta, vcf, N_RECORDS) == N_RECORDS

    def command(out: Path) -> list[str]:
        return [
            *_cli(),
            "score",
            "--quiet",
            "-V",
            str(vcf),
            "-R",
            str(fasta),
            "-O",
            str(out),
            "--threads",
            "1",
            "--backend",
            "openvino",
        ]

    reference_dir = tmp_path / "uninterrupted"
    reference_dir.mkdir()
    subprocess.run(command(reference_dir / "o.vcf.gz"), check=True, capture_output=True)
    expected = {name: (reference_dir / name).read_bytes() for name in ("o.vcf.gz", "o.vcf.gz.tbi")}
    final_size = len(expected["o.vcf.gz"])

    out_dir = tmp_path / "killed"
    out_dir.mkdir()
    out = out_dir / "o.vcf.gz"

    def interrupt_at(fraction: float, sig: int) -> subprocess.Popen:
        """Start a run and send `sig` once its temp output reaches `fraction` of the final size."""
        proc = subprocess.Popen(command(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        caught = False
        deadline = time.monotonic() + 1800
        while proc.poll() is None and time.monotonic() < deadline:
            partials = [p for p in out_dir.iterdir() if f"-{proc.pid}." in p.name]
            if partials and partials[0].stat().st_size >= fraction * final_size:
                caught = True
                break
            time.sleep(0.02)
        assert caught and proc.poll() is None, f"the run ended before {fraction:.0%} could be caught; raise N_RECORDS"
        os.kill(proc.pid, sig)
        proc.wait(timeout=600)
        return proc

    for fraction in (0.1, 0.5, 0.9):
        interrupt_at(fraction, signal.SIGKILL)
        names = os.listdir(out_dir)
        assert "o.vcf.gz" not in names and "o.vcf.gz.tbi" not in names, (fraction, names)
        assert all(name.startswith(".o.vcf.gz.partial-") for name in names), names  # only hidden debris

    # SIGTERM (a scheduler cancelling the job) unwinds: exit 143, and this run removed its own temp file too
    # (and, when it started, the SIGKILLed runs' debris).
    assert interrupt_at(0.5, signal.SIGTERM).returncode == 128 + signal.SIGTERM
    assert os.listdir(out_dir) == []

    subprocess.run(command(out), check=True, capture_output=True)
    assert sorted(os.listdir(out_dir)) == ["o.vcf.gz", "o.vcf.gz.tbi"], "only the finished output and its index"
    for name, data in expected.items():
        assert (out_dir / name).read_bytes() == data, f"{name} differs from the uninterrupted run"
