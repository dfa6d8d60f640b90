#!/usr/bin/env bash
# Build GATK 4.2's real Python stack (the reference the tests and `vqsr-cnn bench` compare against):
# CPython 3.6, intel-tensorflow 1.15.2 (MKL-enabled, like GATK 4.2's conda tensorflow 1.15.0), Keras 2.2.4,
# and gatkpythonpackages 0.1, which ships GATK 4.2.6.1's own `vqsr_cnn` and `gatktool` packages.
# This project is NOT installed there: the env only runs GATK's code, driven over the FIFO protocol.
#
# Usage: bash scripts/gatk42_env.sh          (venv in .venv-gatk42; reused when it already works)
#   GATK42_VENV=/path/to/venv  PY36=/path/to/python3.6  GATK42_REBUILD=1 (fresh venv)
# Tests and the bench find the env through $GATK42_PYTHON or <repo>/.venv-gatk42/bin/python
# (vqsr_cnn/harness/gatk42.py); without it they skip (tests) or fall back (bench), saying so.
# Cost: 11 min the first time on a loaded 2-core machine (~270 MB of wheels, kept in the wheelhouse), ~11 s
# when the venv already works.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${GATK42_VENV:-$REPO/.venv-gatk42}"
cd "$REPO"

log() { printf '[gatk42_env %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# shellcheck source=scripts/find_python.sh
source "$REPO/scripts/find_python.sh"

# The exact stack; keep in sync with GATK42_PACKAGES in vqsr_cnn/harness/gatk42.py (reported by the bench).
PACKAGES=("intel-tensorflow==1.15.2" "keras==2.2.4" "h5py<3" "numpy<1.19" "matplotlib<3.4"
          "scikit-learn<0.25" "scipy<1.6" "pysam" "gatkpythonpackages==0.1")

check_env() {  # run outside the repo, or this project's vqsr_cnn would shadow GATK's
    (cd / && "$VENV/bin/python" - <<'EOF'
import sys
assert sys.version_info[:2] == (3, 6), sys.version
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf
import keras
import gatktool.tool  # noqa: F401
import vqsr_cnn
assert tf.__version__ == "1.15.2", tf.__version__
assert keras.__version__ == "2.2.4", keras.__version__
assert hasattr(vqsr_cnn, "score_and_write_batch") and not os.path.isdir(os.path.join(os.path.dirname(vqsr_cnn.__file__), "engine")), \
    "vqsr_cnn here must be GATK's own package"
print("  python %s, tensorflow %s (MKL %s), keras %s, GATK vqsr_cnn at %s" % (
    sys.version.split()[0], tf.__version__, tf.pywrap_tensorflow.IsMklEnabled(), keras.__version__,
    os.path.dirname(vqsr_cnn.__file__)))
EOF
    )
}

if [[ "${GATK42_REBUILD:-0}" == 1 ]]; then rm -rf "$VENV"; fi
if [[ -x "$VENV/bin/python" ]] && check_env 2>/dev/null; then
    log "GATK 4.2 environment OK (cached): $VENV"
    exit 0
fi

PY36="$(find_python 3.6 3.6.15 "${PY36:-}")" || { log "no CPython 3.6 found: install one (pyenv install 3.6.15) or set PY36"; exit 1; }
log "using $PY36 ($("$PY36" -c 'import sys; print(sys.version.split()[0])'))"
rm -rf "$VENV"
"$PY36" -m venv "$VENV"
PY="$VENV/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1

# Downloads are kept in the wheelhouse shared with scripts/legacy_env.sh (pip's HTTP cache stays empty here).
WHEELHOUSE="${VQSR_CNN_WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/vqsr-cnn/wheelhouse}/gatk42"
mkdir -p "$WHEELHOUSE"
STAMP="$WHEELHOUSE/.filled-$(printf '%s\n' "${PACKAGES[@]}" | sha256sum | cut -c1-16)"

log "installing pip<22 (the last pip for Python 3.6)"
"$PY" -m pip install -q --upgrade --find-links "$WHEELHOUSE" "pip<22" "setuptools<60" "wheel<0.38"
if [[ ! -f "$STAMP" ]]; then
    log "filling the wheelhouse $WHEELHOUSE"
    if "$PY" -m pip download -q --prefer-binary -d "$WHEELHOUSE" "${PACKAGES[@]}"; then
        touch "$STAMP"
    else
        log "NOTE: could not fill the wheelhouse; installing from the index"
    fi
fi
log "installing ${PACKAGES[*]}"
if [[ -f "$STAMP" ]]; then OFFLINE=(--no-index); else OFFLINE=(); fi
"$PY" -m pip install -q --prefer-binary "${OFFLINE[@]}" --find-links "$WHEELHOUSE" "${PACKAGES[@]}"
"$PY" -m pip check || log "pip check reported conflicts (see above)"
check_env
log "GATK 4.2 environment OK: $VENV"
