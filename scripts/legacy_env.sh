#!/usr/bin/env bash
# Build the legacy Python 3.9 environment (TensorFlow 2.9.3 + openvino-tensorflow 2.3.0) and test the
# package there: every module compiles and imports on 3.9, then the engine/bridge/legacy-backend tests run
# twice, once on the openvino-tensorflow backend and once with OPENVINO_TF_DISABLE=1 (stock TensorFlow).
#
# Usage: bash scripts/legacy_env.sh            (venv in .venv39; reused when it already exists)
#   VENV39=/path/to/venv  PY39=/path/to/python3.9  PYTEST_ARGS='-x -m "not slow"'  LEGACY_REBUILD=1 (fresh venv)
# Exits non-zero on the first failure.  openvino-tensorflow exists only for CPython 3.8/3.9 on x86_64 Linux.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV39:-$REPO/.venv39}"
cd "$REPO"

log() { printf '[legacy_env %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# shellcheck source=scripts/find_python.sh
source "$REPO/scripts/find_python.sh"

PY39="$(find_python 3.9 3.9.18 "${PY39:-}")" || { log "no CPython 3.9 found: install one (pyenv install 3.9.18) or set PY39"; exit 1; }
log "using $PY39 ($("$PY39" -c 'import sys; print(sys.version.split()[0])'))"

if [[ "${LEGACY_REBUILD:-0}" == 1 ]]; then rm -rf "$VENV"; fi
if [[ -x "$VENV/bin/python" ]] && ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 9))'; then
    log "$VENV is not a Python 3.9 venv; recreating it"
    rm -rf "$VENV"
fi
if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating $VENV"
    "$PY39" -m venv "$VENV"
fi
PY="$VENV/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1

# Downloads are kept in a wheelhouse (pip's HTTP cache stays empty here: the package host sends no cache headers).
WHEELHOUSE="${VQSR_CNN_WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/vqsr-cnn/wheelhouse}"
STAMP="$WHEELHOUSE/.py39-$(sha256sum pyproject.toml | cut -c1-16)"
if [[ ! -f "$STAMP" ]]; then
    log "filling the wheelhouse $WHEELHOUSE (once per pyproject.toml)"
    mkdir -p "$WHEELHOUSE"
    if "$PY" -m pip download -q --prefer-binary -d "$WHEELHOUSE" "pip>=23" "setuptools>=77" wheel "pytest>=7" ".[legacy]"; then
        touch "$STAMP"
    else
        log "NOTE: could not fill the wheelhouse; installing from the index"
    fi
fi
export PIP_FIND_LINKS="$WHEELHOUSE${PIP_FIND_LINKS:+ $PIP_FIND_LINKS}"

log "installing vqsr-cnn[legacy] + pytest"
"$PY" -m pip install -q --upgrade "pip>=23" "setuptools>=77"
"$PY" -m pip install -q --prefer-binary -e ".[legacy]" "pytest>=7"
# gatkpythonpackages ships GATK's old vqsr_cnn package, which would shadow ours.
"$PY" scripts/remove_gatk_vqsr_cnn.py
# ...but the bench's Intel-patch row runs GATK 4.2.6.1's own encoder (vqsr_cnn/harness/intel_patch.py): keep that
# package's files, unpacked from the same wheel, in $VENV/gatk-4.2.6.1 (not on sys.path, so nothing is shadowed).
GATK_CODE="$VENV/gatk-4.2.6.1"
if [[ ! -f "$GATK_CODE/vqsr_cnn/vqsr_cnn/inference.py" ]]; then
    log "unpacking GATK 4.2.6.1's vqsr_cnn (gatkpythonpackages 0.1) into $GATK_CODE"
    GPP_TMP="$(mktemp -d)"
    "$PY" -m pip download -q --no-deps --no-index -d "$GPP_TMP" "gatkpythonpackages==0.1" 2>/dev/null \
        || "$PY" -m pip download -q --no-deps -d "$GPP_TMP" "gatkpythonpackages==0.1"
    "$PY" - "$GPP_TMP" "$GATK_CODE" <<'EOF'
import sys, zipfile
from pathlib import Path

wheel = next(Path(sys.argv[1]).glob("gatkpythonpackages-0.1-*.whl"))
with zipfile.ZipFile(wheel) as zf:
    members = [m for m in zf.namelist() if m.startswith("vqsr_cnn/")]
    zf.extractall(sys.argv[2], members)
print(f"  {len(members)} files of GATK's vqsr_cnn from {wheel.name}")
EOF
    rm -rf "$GPP_TMP"
fi
"$PY" -m pip check || log "pip check reported conflicts (see above)"
"$PY" - <<'EOF'
import importlib.metadata as md
for name in ("tensorflow", "openvino-tensorflow", "numpy", "h5py", "protobuf", "pysam", "gatkpythonpackages"):
    try:
        print(f"  {name}=={md.version(name)}")
    except md.PackageNotFoundError:
        print(f"  {name}: not installed")
EOF

log "checking every module compiles and imports on 3.9"
"$PY" - <<'EOF'
"""Compile every source file with the 3.9 grammar, then import every module (optional extras may be absent)."""
import importlib
import pkgutil
import sys
from pathlib import Path

import vqsr_cnn

root = Path(vqsr_cnn.__file__).parent
assert (root / "engine").is_dir(), f"{root} is GATK's old vqsr_cnn, not this project's"
bad = []
for path in sorted(root.rglob("*.py")):
    try:
        compile(path.read_text(), str(path), "exec")
    except SyntaxError as exc:
        bad.append(f"{path}: {exc}")
optional = {"snakemake", "jsonschema", "nncf", "openvino"}  # extras the legacy env does not install
count = 0
for info in pkgutil.walk_packages(vqsr_cnn.__path__, "vqsr_cnn."):
    try:
        importlib.import_module(info.name)
        count += 1
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in optional:
            print(f"  skipped {info.name}: needs optional {exc.name}")
        else:
            bad.append(f"{info.name}: {type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - report every failing module, not just the first
        bad.append(f"{info.name}: {type(exc).__name__}: {exc}")
if bad:
    print("modules failing on Python 3.9:\n  " + "\n  ".join(bad), file=sys.stderr)
    sys.exit(1)
print(f"  {count} modules import on Python {sys.version.split()[0]}")
EOF

log "loading every shipped .hd5 with TF $("$PY" -c 'import importlib.metadata as m; print(m.version("tensorflow"))')"
"$PY" - <<'EOF'
from pathlib import Path

import tensorflow as tf

from vqsr_cnn.models.gatk_format import load_model_pair

shipped = sorted(Path("vqsr_cnn/models/bundled").glob("*.hd5")) + sorted(Path("testdata/models").glob("*.hd5"))
# TF 2.9's own Keras first, before our loader installs its InputLayer shim for newer files.
plain = {hd5: tf.keras.models.load_model(str(hd5), compile=False).count_params() for hd5 in shipped}
for hd5 in shipped:
    spec, model = load_model_pair(str(hd5.with_suffix(".json")), str(hd5))
    assert plain[hd5] == model.count_params()
    print(f"  {hd5}: {spec.tensor_type}, {model.count_params()} parameters (plain tf.keras {tf.__version__} loads it too)")
EOF

TESTS=()
for t in tests/test_engine.py tests/test_bridge.py tests/test_legacy_backend.py; do
    if [[ -f "$t" ]]; then TESTS+=("$t"); else log "note: $t does not exist yet; skipped"; fi
done
eval "EXTRA=(${PYTEST_ARGS:-})"  # e.g. PYTEST_ARGS='-x -m "not slow"'
# --full: the slow tests too (the suite is fast by default). Skips here are by design (no openvino package in
# this env, nothing placed on OpenVINO with OPENVINO_TF_DISABLE=1), so CI's no-skip rule is off for these runs.
run_tests() { env -u VQSR_CNN_CI "$PY" -m pytest -q -p no:cacheprovider --full "${EXTRA[@]}" "${TESTS[@]}"; }

# The openvino-tensorflow backend writes its precision into OVTF's plugins.xml for each compile and puts the shipped
# file back (docs/legacy.md): after the tests it must be byte-identical, with no backup of it left.
PLUGINS_XML="$("$PY" -c 'import importlib.util as u, os; print(os.path.join(os.path.dirname(u.find_spec("openvino_tensorflow").origin), "plugins.xml"))')"
if [[ -e "$PLUGINS_XML.vqsr-cnn-shipped" ]]; then
    log "restoring $PLUGINS_XML from the backup an interrupted run left"
    mv -f "$PLUGINS_XML.vqsr-cnn-shipped" "$PLUGINS_XML"
fi
SHIPPED_SHA="$(sha256sum "$PLUGINS_XML" | cut -d' ' -f1)"
check_plugins_xml() {
    if [[ "$(sha256sum "$PLUGINS_XML" | cut -d' ' -f1)" != "$SHIPPED_SHA" || -e "$PLUGINS_XML.vqsr-cnn-shipped" ]]; then
        log "FAIL: $PLUGINS_XML was left changed by the tests"; exit 1
    fi
}

log "tests on the openvino-tensorflow backend"
(unset OPENVINO_TF_DISABLE; export VQSR_CNN_BACKEND=openvino-tensorflow OPENVINO_TF_DISABLE_COST_ASSIGNMENT=1; run_tests)
check_plugins_xml
log "tests with OPENVINO_TF_DISABLE=1 (stock TensorFlow)"
(unset VQSR_CNN_BACKEND; export OPENVINO_TF_DISABLE=1; run_tests)
check_plugins_xml
log "$PLUGINS_XML is as shipped"
log "legacy environment OK: $VENV"
