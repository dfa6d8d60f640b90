"""GATK 4.2's real Python stack (scripts/gatk42_env.sh): find it, and score data lines with GATK's own
`vqsr_cnn` through the FIFO protocol, exactly as CNNScoreVariants.java drives it."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from .java_side import ScoringSession, run_python, run_session, usable_python

# Keep in sync with PACKAGES in scripts/gatk42_env.sh.
GATK42_PACKAGES = (
    "intel-tensorflow==1.15.2",
    "keras==2.2.4",
    "h5py<3",
    "numpy<1.19",
    "matplotlib<3.4",
    "scikit-learn<0.25",
    "scipy<1.6",
    "pysam",
    "gatkpythonpackages==0.1",
)
REPO_ROOT = Path(__file__).resolve().parents[2]
# Cheap check (no TensorFlow import): GATK's packages are there and `vqsr_cnn` is GATK's, not ours.
_QUICK = (
    "import os, sys, gatktool.tool, vqsr_cnn; "
    "assert not os.path.isdir(os.path.join(os.path.dirname(vqsr_cnn.__file__), 'engine')); "
    "assert sys.version_info[:2] == (3, 6)"
)
_VERSIONS = (
    "import os, sys; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'; import keras, tensorflow as tf; "
    "print(sys.version.split()[0], tf.__version__, keras.__version__)"
)


def gatk42_python() -> str | None:
    """The env's interpreter ($GATK42_PYTHON, else <repo>/.venv-gatk42/bin/python), if it holds GATK's code."""
    candidate = os.environ.get("GATK42_PYTHON") or str(REPO_ROOT / ".venv-gatk42" / "bin" / "python")
    return usable_python(candidate, _QUICK, subprocess_env(), timeout=180)


def describe(python: str) -> str:
    """'GATK 4.2 stack: python 3.6.15, tensorflow 1.15.2, keras 2.2.4' (for reports)."""
    out = _run(python, _VERSIONS)
    if out is None or len(out.split()) != 3:
        return f"GATK 4.2 stack at {python} (versions unreadable)"
    py, tf, keras = out.split()
    return f"GATK 4.2.6.1 code: python {py}, tensorflow {tf}, keras {keras}"


def _run(python: str, code: str) -> str | None:
    return run_python(python, code, subprocess_env(), timeout=180)


_KEEP_ENV = ("PATH", "HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "OMP_NUM_THREADS", "KMP_AFFINITY", "KMP_BLOCKTIME")


def subprocess_env() -> dict[str, str | None]:
    """Overrides for GATK's interpreter (a None removes the variable): only a plain shell's variables pass,
    since importing TensorFlow 2 here sets some (TF2_BEHAVIOR=1 turns TF 1.15 eager and breaks Keras 2.2.4)."""
    overrides: dict[str, str | None] = {k: None for k in os.environ if k not in _KEEP_ENV}
    overrides["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return overrides


def score_with_gatk42(
    python: str,
    json_path: str,
    hd5_path: str,
    tensor_type: str,
    lines: Sequence[str],
    annotations: Sequence[str],
    transfer_batch: int = 256,
    inference_batch: int = 32,
    window: int = 128,
    read_limit: int = 128,
    workdir: Path | None = None,
) -> tuple[str, float]:
    """(GATK's temp-file text, wall seconds of the whole session) for `lines` scored by GATK 4.2's code."""
    with tempfile.TemporaryDirectory(prefix="gatk42-") as tmp:
        where = workdir or Path(tmp)
        env = subprocess_env()
        start = time.perf_counter()
        text = run_session(
            where,
            str(Path(json_path).resolve()),
            str(Path(hd5_path).resolve()),
            tensor_type,
            list(lines),
            ",".join(annotations),
            transfer_batch,
            inference_batch,
            window,
            read_limit,
            python=python,
            env=env,
        )
        return text, time.perf_counter() - start


class Gatk42Session(ScoringSession):
    """GATK 4.2's own `vqsr_cnn` in its environment, model loaded once: `score(lines)` gives GATK's scores."""

    what = "GATK 4.2 session"

    def environment(self) -> dict[str, str | None]:
        return subprocess_env()
