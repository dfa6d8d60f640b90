"""The INT8 model cache: one verified directory per weights and quantisation settings.

Only in the user cache dir (`$VQSR_CNN_CACHE_DIR` or `~/.cache/vqsr_cnn`, which must be writable by this user
alone), as `<weights stem>.int8-<sha>-<settings>/` holding the IR and a manifest of SHA-256 digests (of the
source weights and of both IR files).  An entry is written under a temporary name and renamed into place, and
an exclusive lock makes concurrent runs on a new model quantise it once; a cached IR is used only if the
manifest matches, so a partial, planted or edited file is never run.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ...digests import sha256_bytes, sha256_file
from ...runtimes import import_openvino
from ..config import ENV_CACHE_DIR
from .settings import QuantizeSettings

log = logging.getLogger("vqsr_cnn")

CACHE_FORMAT = 3  # 2: 1D Conv1D layers kept 4-D (engine/conv1d_layout.py); 3: 2D cut models restore rows by constant edge pads
IR_XML, IR_BIN, MANIFEST = "model.xml", "model.bin", "manifest.json"


def weights_digest(path: str | os.PathLike, length: int = 16) -> str:
    return sha256_file(path)[:length]


def cache_entry(weights_path: str | os.PathLike, settings: QuantizeSettings) -> Path:
    """The one place the INT8 model of these weights and settings may live: a directory in the user cache dir."""
    weights = Path(weights_path)
    return Path(settings.cache_dir) / f"{weights.stem}.int8-{weights_digest(weights)}-{settings.tag}"


def _usable_cache_dir(settings: QuantizeSettings, create: bool) -> Path | None:
    """The cache dir if only this user can write it (else anyone could plant a model for us to run)."""
    if not settings.cache_dir:
        return None
    directory = Path(settings.cache_dir)
    try:
        if create:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = directory.stat()
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        log.warning(
            "INT8 cache %s not used: it must be a directory owned by this user and writable by no one else "
            "(chmod go-w it, or set %s)",
            directory,
            ENV_CACHE_DIR,
        )
        return None
    return directory


def load_cached(weights_path: str | os.PathLike, settings: QuantizeSettings) -> Any | None:
    """The cached INT8 model, only if this package wrote it for exactly these weights and settings.

    The manifest beside the IR records the full SHA-256 of the source weights and of both IR files; the IR
    is read from the very bytes that were checked.  Anything else (a partial, foreign or edited entry) is
    ignored with a warning, and the caller quantises again.
    """
    ov = import_openvino()

    entry = cache_entry(weights_path, settings)
    if _usable_cache_dir(settings, create=False) is None or not entry.is_dir():
        return None
    try:
        manifest = json.loads((entry / MANIFEST).read_text())
        xml, weights_bin = (entry / IR_XML).read_bytes(), (entry / IR_BIN).read_bytes()
        expected = {
            "format": CACHE_FORMAT,
            "settings": settings.tag,
            "weights_sha256": weights_digest(weights_path, 64),
            "files": {IR_XML: sha256_bytes(xml), IR_BIN: sha256_bytes(weights_bin)},
        }
        wrong = [key for key, value in expected.items() if manifest.get(key) != value]
    except (OSError, ValueError) as exc:
        wrong = [f"unreadable ({exc})"]
    if wrong:
        log.warning(
            "ignoring INT8 cache entry %s: %s does not match what vqsr_cnn wrote for %s; it is replaced",
            entry,
            ", ".join(wrong),
            weights_path,
        )
        _discard(entry)
        return None
    log.info("INT8 model from cache %s", entry)
    return ov.Core().read_model(xml, ov.Tensor(np.frombuffer(weights_bin, dtype=np.uint8).copy()))


def _discard(entry: Path) -> None:
    """Move a bad entry out of the way atomically (readers see it or nothing), then delete it."""
    aside = entry.with_name(f".{entry.name}.bad-{os.getpid()}")
    try:
        os.rename(entry, aside)
    except OSError:
        return
    shutil.rmtree(aside, ignore_errors=True)


def save_cached(model: Any, weights_path: str | os.PathLike, settings: QuantizeSettings) -> Path | None:
    """Write the entry under a temporary name and rename the directory into place: readers see all or nothing.

    If another process got there first, its (equivalent) entry stays and ours is dropped.
    """
    ov = import_openvino()

    directory = _usable_cache_dir(settings, create=True)
    if directory is None:
        log.warning("INT8 model not cached: %s is not usable", settings.cache_dir or "no cache directory")
        return None
    entry = cache_entry(weights_path, settings)
    tmp: Path | None = None
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=directory))
        ov.save_model(model, str(tmp / IR_XML), compress_to_fp16=False)
        files = {name: sha256_bytes((tmp / name).read_bytes()) for name in (IR_XML, IR_BIN)}
        manifest = {
            "format": CACHE_FORMAT,
            "settings": settings.tag,
            "weights_sha256": weights_digest(weights_path, 64),
            "weights": str(Path(weights_path).resolve()),
            "files": files,
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        for name in (IR_XML, IR_BIN, MANIFEST):
            with open(tmp / name, "rb") as fh:
                os.fsync(fh.fileno())
        try:
            os.rename(tmp, entry)
        except OSError:
            if not entry.is_dir():
                raise
            log.info("INT8 cache entry %s was written by another process meanwhile; keeping it", entry)
            return entry
        tmp = None
        return entry
    except OSError as exc:
        log.warning("INT8 model not cached in %s: %s", directory, exc)
        return None
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def entry_lock(entry: Path, settings: QuantizeSettings) -> Iterator[None]:
    """Hold an exclusive lock for this entry: concurrent runs on a new model quantise once, the others wait.

    The kernel drops the lock when its holder dies (even by kill -9).  Without a usable lock (no cache dir,
    a file system without flock) runs proceed unlocked: the atomic rename alone keeps entries whole.
    """
    directory = _usable_cache_dir(settings, create=True)
    if directory is None:
        yield
        return
    try:
        import fcntl

        fh = open(directory / f"{entry.name}.lock", "a")  # closed below
    except (ImportError, OSError):
        yield
        return
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("waiting for another vqsr-cnn process to finish quantising this model (%s)", entry.name)
            fcntl.flock(fh, fcntl.LOCK_EX)
        except OSError:
            yield
            return
        for name in os.listdir(directory):  # temp dirs of writers of this entry that died mid-write
            if name.startswith(f".{entry.name}."):
                shutil.rmtree(directory / name, ignore_errors=True)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
