"""Other Python stacks on this machine (GATK 4.2's, the legacy openvino-tensorflow one): where each interpreter is
looked for, whether it can run what we need (probed once, cheaply), what versions it holds, and the plain
environment it runs in, so that nothing of this process's settings leaks into another stack's run."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]  # where scripts/*_env.sh build their venvs by default
# Variables a plain shell has; everything else of ours (TF2_BEHAVIOR, PYTHONPATH, VQSR_CNN_*, OPENVINO_TF_DISABLE)
# is removed for the child: importing TensorFlow 2 here sets some that break TF 1.15, and ours would change the run.
KEEP_ENV = ("PATH", "HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "OMP_NUM_THREADS", "KMP_AFFINITY", "KMP_BLOCKTIME")


def plain_env() -> dict[str, str | None]:
    """Overrides of this process's environment for another stack's interpreter (a None removes the variable)."""
    overrides: dict[str, str | None] = {k: None for k in os.environ if k not in KEEP_ENV}
    overrides["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return overrides


def merged_env(overrides: Mapping[str, str | None]) -> dict[str, str]:
    """This process's environment with `overrides` applied (None removes a variable)."""
    env = dict(os.environ)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_python(python: str, code: str, overrides: Mapping[str, str | None], timeout: float) -> str | None:
    """stdout of `python -c code` in another interpreter (environment `overrides`); None when the interpreter is
    absent, fails or times out (so a probe tells whether an env is usable)."""
    if not Path(python).exists():
        return None
    try:
        out = subprocess.run(
            [python, "-c", code],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=merged_env(overrides),
            cwd=tempfile.gettempdir(),  # never this checkout: our vqsr_cnn would shadow GATK's
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout if out.returncode == 0 else None


_probed: dict[tuple[str, str], bool] = {}


@dataclass(frozen=True)
class Stack:
    """One other stack: `env_var` names its interpreter, else `<checkout>/<venv>/bin/python` (what its
    scripts/*_env.sh builds); `check` is a cheap probe (no TensorFlow import) that it holds what we run there."""

    name: str  # for reports: 'GATK 4.2 stack'
    env_var: str
    venv: str
    check: str
    versions_code: str  # prints three words: python, tensorflow and the third package's versions
    described: str  # the three version words formatted for reports ({0}, {1}, {2})
    timeout: float

    def candidate(self, environ: Mapping[str, str]) -> str:
        """The interpreter to try: $env_var, else the checkout's venv (resolved at the edges)."""
        return environ.get(self.env_var) or str(CHECKOUT / self.venv / "bin" / "python")

    def usable(self, candidate: str) -> str | None:
        """`candidate` if the probe succeeds there, else None; probed once per interpreter."""
        if not candidate:
            return None
        key = (candidate, self.check)
        if key not in _probed:
            _probed[key] = run_python(candidate, self.check, plain_env(), self.timeout) is not None
        return candidate if _probed[key] else None

    def find(self, candidate: str | None = None) -> str | None:
        """The interpreter if usable: `candidate` (the bench resolves it at its command), else the one this
        process's environment names (tests are their own edge)."""
        return self.usable(self.candidate(os.environ) if candidate is None else candidate)

    def describe(self, python: str) -> str:
        """Its versions for reports, e.g. 'GATK 4.2.6.1 code: python 3.6.15, tensorflow 1.15.2, keras 2.2.4'."""
        out = run_python(python, self.versions_code, plain_env(), self.timeout)
        words = out.split() if out else []
        return self.described.format(*words) if len(words) == 3 else f"{self.name} at {python} (versions unreadable)"
