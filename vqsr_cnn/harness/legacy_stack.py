"""The legacy environment (scripts/legacy_env.sh: CPython 3.9, TensorFlow 2.9.3, openvino-tensorflow 2.3.0) as
the home of the Intel-patch path: find it, say what it holds, and open a session running `intel_patch`
(GATK 4.2.6.1's encoder, the frozen graph on openvino-tensorflow at a padded fixed batch) over the FIFOs."""

from __future__ import annotations

from .intel_patch import GATK_CODE_DIR, GATK_VERSION
from .interpreters import Stack, plain_env
from .java_side import ScoringSession

LEGACY_PYTHON_ENV = "VQSR_CNN_LEGACY_PYTHON"
MODULE = "vqsr_cnn.harness.intel_patch"
STACK = Stack(
    name="legacy env",
    env_var=LEGACY_PYTHON_ENV,
    venv=".venv39",
    setup="run scripts/legacy_env.sh",
    # Cheap check (no TensorFlow import, ~0.1 s): the stack is there, `vqsr_cnn` is ours, GATK's code is kept.
    check=f"""
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
""",
    versions_code=(
        "import importlib.metadata as m, sys; "
        "print(sys.version.split()[0], m.version('tensorflow'), m.version('openvino-tensorflow'))"
    ),
    described="Intel patch path: python {0}, tensorflow {1}, openvino-tensorflow {2}, GATK " + GATK_VERSION + " encoder",
    timeout=120,
)


describe = STACK.describe


def legacy_env() -> dict[str, str | None]:
    """A plain shell's variables only (as for GATK 4.2): nothing of ours leaks in, in particular no
    OPENVINO_TF_DISABLE (it would turn the row into stock TensorFlow) and no VQSR_CNN_* setting."""
    return plain_env()


class IntelPatchSession(ScoringSession):
    """The Intel-patch path in the legacy env, model loaded and frozen once: `score(lines)` gives its scores."""

    what = "Intel-patch session"
    module = MODULE

    def environment(self) -> dict[str, str | None]:
        return legacy_env()

    def state(self) -> str:
        """'openvino_tensorflow enabled on CPU, fp32' as the session reports it (after a first batch)."""
        return self.ask("vqsr_cnn.describe(model)").strip()
