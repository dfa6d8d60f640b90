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


def run_python(python: str, code: str, overrides: Mapping[str, str | None], timeout: float) -> tuple[str | None, str]:
    """(stdout, '') of `python -c code` in another interpreter (environment `overrides`), or (None, why): absent,
    cannot start, timed out, or failed (the last line it wrote: a check's sys.exit message)."""
    if not Path(python).exists():
        return None, f"no interpreter at {python}"
    try:
        out = subprocess.run(
            [python, "-c", code],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=merged_env(overrides),
            cwd=tempfile.gettempdir(),  # never this checkout: our vqsr_cnn would shadow GATK's
        )
    except subprocess.TimeoutExpired:
        return None, f"{python} did not answer within {timeout:g} s (machine overloaded?)"
    except OSError as exc:
        return None, f"{python} cannot start: {exc}"
    if out.returncode != 0:
        return None, f"{python}: " + (out.stderr.strip().splitlines() or [f"exit status {out.returncode}"])[-1]
    return out.stdout, ""


_probed: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Stack:
    """One other stack: `env_var` names its interpreter, else `<checkout>/<venv>/bin/python` (what its
    scripts/*_env.sh builds); `check` is a cheap probe (no TensorFlow import) that it holds what we run there,
    exiting with a sentence that says what is missing."""

    name: str  # for reports: 'GATK 4.2 stack'
    env_var: str
    venv: str
    setup: str  # how to make it: 'run scripts/gatk42_env.sh'
    check: str
    versions_code: str  # prints three words: python, tensorflow and the third package's versions
    described: str  # the three version words formatted for reports ({0}, {1}, {2})
    timeout: float

    def candidate(self, environ: Mapping[str, str]) -> str:
        """The interpreter to try: $env_var, else the checkout's venv (resolved at the edges)."""
        return environ.get(self.env_var) or str(CHECKOUT / self.venv / "bin" / "python")

    def why_not(self, candidate: str) -> str:
        """'' if `candidate` can run what we need, else one line saying why (probed once per interpreter)."""
        if not candidate:
            return f"{self.name}: no interpreter given ({self.setup})"
        key = (candidate, self.check)
        if key not in _probed:
            _, why = run_python(candidate, self.check, plain_env(), self.timeout)
            _probed[key] = f"{self.name} unusable: {why} ({self.setup} or set {self.env_var})" if why else ""
        return _probed[key]

    def usable(self, candidate: str) -> str | None:
        """`candidate` if the probe succeeds there, else None."""
        return candidate if candidate and not self.why_not(candidate) else None

    def find(self, candidate: str | None = None) -> str | None:
        """The interpreter if usable: `candidate` (the bench resolves it at its command), else the one this
        process's environment names (tests are their own edge)."""
        return self.usable(self.candidate(os.environ) if candidate is None else candidate)

    def describe(self, python: str) -> str:
        """Its versions for reports, e.g. 'GATK 4.2.6.1 code: python 3.6.15, tensorflow 1.15.2, keras 2.2.4'."""
        out, _ = run_python(python, self.versions_code, plain_env(), self.timeout)
        words = out.split() if out else []
        return self.described.format(*words) if len(words) == 3 else f"{self.name} at {python} (versions unreadable)"
