"""GATK 4.2's real Python stack (scripts/gatk42_env.sh): find it, and score data lines with GATK's own
`vqsr_cnn` through the FIFO protocol, exactly as CNNScoreVariants.java drives it."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from .interpreters import Stack, plain_env
from .java_side import ScoringSession, run_session

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
STACK = Stack(
    name="GATK 4.2 stack",
    env_var="GATK42_PYTHON",
    venv=".venv-gatk42",
    setup="run scripts/gatk42_env.sh",
    # Cheap check (no TensorFlow import): Python 3.6, GATK's packages there, and `vqsr_cnn` GATK's, not ours.
    check="""
import os, sys
if sys.version_info[:2] != (3, 6):
    sys.exit("Python %s there, GATK 4.2's stack is 3.6" % sys.version.split()[0])
import gatktool.tool
import vqsr_cnn
if os.path.isdir(os.path.join(os.path.dirname(vqsr_cnn.__file__), "engine")):
    sys.exit("its vqsr_cnn is this project's, not GATK 4.2.6.1's: %s" % vqsr_cnn.__file__)
""",
    versions_code=(
        "import os, sys; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'; import keras, tensorflow as tf; "
        "print(sys.version.split()[0], tf.__version__, keras.__version__)"
    ),
    described="GATK 4.2.6.1 code: python {0}, tensorflow {1}, keras {2}",
    timeout=180,
)


describe = STACK.describe


def subprocess_env() -> dict[str, str | None]:
    """Overrides for GATK's interpreter: only a plain shell's variables pass (TF2_BEHAVIOR=1, set by importing
    TensorFlow 2 here, turns TF 1.15 eager and breaks Keras 2.2.4)."""
    return plain_env()


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
