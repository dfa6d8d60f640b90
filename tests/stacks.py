"""The other Python stacks some tests drive (GATK 4.2's real code, the legacy 3.9 environment), found once per
session, and when one is unusable the reason why: missing interpreter, wrong version, a failing import (its
last line), a timeout. The reason is the skip's reason, which VQSR_CNN_CI=1 turns into a failure (conftest.py).
"""

from __future__ import annotations

import functools
import os
import subprocess
import tempfile
from typing import NamedTuple

from conftest import ROOT

from vqsr_cnn.bench import gatk42, intel_env
from vqsr_cnn.bench.intel_patch import GATK_CODE_DIR

PROBE_TIMEOUT = 180.0


class Stack(NamedTuple):
    python: str | None  # the interpreter, when usable
    why: str  # why not, when unusable ('' when usable)


# Each step prints nothing on success and exits with a sentence on failure (Python 3.6 syntax).
_GATK42_STEPS = """
import os, sys
if sys.version_info[:2] != (3, 6):
    sys.exit("Python %s there, GATK 4.2's stack is 3.6" % sys.version.split()[0])
import gatktool.tool
import vqsr_cnn
if os.path.isdir(os.path.join(os.path.dirname(vqsr_cnn.__file__), "engine")):
    sys.exit("its vqsr_cnn is this project's, not GATK 4.2.6.1's: %s" % vqsr_cnn.__file__)
"""

_LEGACY_STEPS = f"""
import importlib.util as u, os, sys
if sys.version_info[:2] != (3, 9):
    sys.exit("Python %s there, the legacy env is 3.9" % sys.version.split()[0])
for m in ("tensorflow", "openvino_tensorflow", "gatktool", "vqsr_cnn"):
    if u.find_spec(m) is None:
        sys.exit(m + " is not installed there")
if not os.path.isdir(os.path.join(os.path.dirname(u.find_spec("vqsr_cnn").origin), "engine")):
    sys.exit("its vqsr_cnn is GATK's old package, not this project's")
code = os.path.join(sys.prefix, {GATK_CODE_DIR!r}, "vqsr_cnn", "vqsr_cnn", "inference.py")
if not os.path.isfile(code):
    sys.exit("GATK 4.2.6.1's encoder is not kept at " + code)
"""


def _diagnose(python: str, steps: str, overrides: dict[str, str | None], setup: str) -> str:
    """Why `python` is unusable, in one line (the bench's probe only answers yes or no)."""
    if not os.path.exists(python):
        return f"no interpreter at {python}: {setup}"
    env = {k: v for k, v in {**os.environ, **overrides}.items() if v is not None}
    try:
        proc = subprocess.run(
            [python, "-c", steps], capture_output=True, text=True, timeout=PROBE_TIMEOUT, env=env, cwd=tempfile.gettempdir()
        )
    except subprocess.TimeoutExpired:
        return f"{python} did not answer the probe within {PROBE_TIMEOUT:g} s (machine overloaded?)"
    except OSError as exc:
        return f"{python} cannot start: {exc}"
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        return f"{python} is not usable: {last} ({setup})"
    return f"the bench's probe refused {python}, though each check here passes"


@functools.cache
def gatk42_stack() -> Stack:
    """GATK 4.2.6.1's own Python stack (scripts/gatk42_env.sh), as the bench finds it."""
    python = gatk42.gatk42_python()
    if python is not None:
        return Stack(python, "")
    candidate = os.environ.get("GATK42_PYTHON") or str(ROOT / ".venv-gatk42" / "bin" / "python")
    why = _diagnose(candidate, _GATK42_STEPS, gatk42.subprocess_env(), "run scripts/gatk42_env.sh or set GATK42_PYTHON")
    return Stack(None, f"GATK 4.2 stack unusable: {why}")


@functools.cache
def legacy_stack() -> Stack:
    """The legacy Python 3.9 environment with openvino-tensorflow (scripts/legacy_env.sh), as the bench finds it."""
    python = intel_env.legacy_python()
    if python is not None:
        return Stack(python, "")
    candidate = os.environ.get(intel_env.LEGACY_PYTHON_ENV) or str(ROOT / ".venv39" / "bin" / "python")
    why = _diagnose(candidate, _LEGACY_STEPS, intel_env.legacy_env(), "run scripts/legacy_env.sh")
    return Stack(None, f"legacy environment unusable: {why}")
