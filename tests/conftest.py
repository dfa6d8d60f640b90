"""Shared fixtures (paths to test data, a few small engines: kept few, compiled models are large) and the
suite's three rules:

- **Fast by default.** Tests marked `slow` (subprocess end-to-end runs, Snakemake, training, NNCF, mypy, the
  GATK 4.2 and legacy stacks) are deselected unless `--full` is given; an explicit `-m` expression, or a test
  named by its node id, decides by itself. `.ci/run` and the README's test command run `--full`.
- **No skip in CI.** With `VQSR_CNN_CI=1` (set by `.ci/run`, which installs every stack) a skipped test, or a
  module that skips at collection, is reported as a failure carrying the skip's reason, and `--full` is implied.
- **Heavy tests carry the marker.** An unmarked test whose call phase takes longer than
  `VQSR_CNN_SLOW_SECONDS` (default 10) fails. The limit grows with the machine's load (1-minute load average
  per core, when above 1), so a test that is fast on its own does not fail because other jobs share the CPU.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = ROOT / "testdata"
SHARED = ROOT.parent / "shared" / "data"

CI = os.environ.get("VQSR_CNN_CI") == "1"
SLOW_SECONDS_ENV = "VQSR_CNN_SLOW_SECONDS"

# Runs only inside the legacy Python 3.9 environment (scripts/legacy_env.sh runs it there): elsewhere it is
# not collected at all, so the main suite has nothing to skip.
collect_ignore = [] if importlib.util.find_spec("openvino_tensorflow") else ["test_legacy_backend.py"]

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--full", action="store_true", help="also run the tests marked slow (the CI suite)")


def pytest_configure(config: pytest.Config) -> None:
    if CI:
        config.option.full = True


def pytest_report_header(config: pytest.Config) -> list[str]:
    suite = "full (--full)" if config.getoption("full") else "fast (slow tests deselected; --full runs them)"
    _, base, _ = slow_limit()
    lines = [f"vqsr_cnn suite: {suite}; an unmarked test over {base:g} s ({SLOW_SECONDS_ENV}, times the load per core) fails"]
    if CI:
        lines.append("VQSR_CNN_CI=1: a skip is a failure")
    return lines


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    named = any("::" in arg for arg in config.args)  # a test named on the command line runs, marked or not
    if config.getoption("full") or config.option.markexpr or named:
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]


def slow_limit() -> tuple[float, float, float]:
    """(limit, base, load): VQSR_CNN_SLOW_SECONDS (default 10) times the 1-minute load per core when over 1."""
    base = float(os.environ.get(SLOW_SECONDS_ENV) or 10)
    load = max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
    return base * load, base, load


def _skip_reason(longrepr: object) -> str:
    """The reason of a skip report: pytest keeps (path, line, 'Skipped: reason') for skips."""
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = _skip_reason(report.longrepr)
        report.longrepr = f"VQSR_CNN_CI=1: this test would be skipped, and CI skips nothing: {reason}"
    elif report.when == "call" and report.passed and not item.get_closest_marker("slow"):
        limit, base, load = slow_limit()
        if report.duration > limit:
            report.outcome = "failed"
            report.longrepr = (
                f"{item.nodeid} took {report.duration:.1f} s, over the {limit:.1f} s an unmarked test may take "
                f"({SLOW_SECONDS_ENV}={base:g} s x load {load:.1f} per core): mark it @pytest.mark.slow or make it lighter"
            )


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    outcome = yield
    report = outcome.get_result()
    if CI and report.skipped:
        report.outcome = "failed"
        reason = _skip_reason(report.longrepr)
        report.longrepr = f"VQSR_CNN_CI=1: {collector.nodeid} would be skipped, and CI skips nothing: {reason}"


@pytest.fixture(scope="session")
def testdata() -> Path:
    return TESTDATA


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the checkout (CI keeps a copy there)."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is not present (the shared data set beside the checkout)")
    return SHARED


@pytest.fixture(scope="session")
def model_2d_paths() -> tuple[str, str]:
    return str(TESTDATA / "models" / "seeded_2d.json"), str(TESTDATA / "models" / "seeded_2d.hd5")


@pytest.fixture(scope="session")
def model_1d_paths() -> tuple[str, str]:
    return str(TESTDATA / "models" / "seeded_1d.json"), str(TESTDATA / "models" / "seeded_1d.hd5")


CHR22 = TESTDATA / "chr22_normal"


def chr22_sheet(folder: Path) -> Path:
    """A sample sheet with the one chr22_normal sample (2D, 5 HaplotypeCaller SNPs): the small workflow input."""
    sheet = folder / "chr22_samples.tsv"
    sheet.write_text(
        "sample\tvcf\tbam\treference\n"
        f"chr22_normal\t{CHR22 / 'test_haplotcaller.noCNN.vcf'}\t{CHR22 / 'test.paired_end.sorted.bam'}\t"
        f"{CHR22 / 'genome.fasta'}\n"
    )
    return sheet


SNAKEFILE = ROOT / "workflows" / "Snakefile"


def snakemake_command(work: Path, *args: str) -> list[str]:
    """The workflow as a user starts it, its results under `work`."""
    return [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "--directory", str(work), *args]


def run_workflow(work: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run the workflow to its end in `work` (stdout/stderr captured for the assertion messages)."""
    return subprocess.run(snakemake_command(work, *args), capture_output=True, text=True, timeout=timeout, cwd=work)


@pytest.fixture(scope="session")
def chr22_local_run(tmp_path_factory) -> Path:
    """The workflow (default backends: tensorflow with OPENVINO_TF_DISABLE=1 vs openvino FP32) on chr22_normal,
    run once locally with 2 cores; tests/test_workflow.py and tests/test_workflow_slurm.py compare against it."""
    work = tmp_path_factory.mktemp("wf_chr22")
    proc = run_workflow(work, "--cores", "2", "--config", f"samples={chr22_sheet(work)}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work
