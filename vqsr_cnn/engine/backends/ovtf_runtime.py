"""What openvino-tensorflow (OVTF 2.3.0) shares across a whole process: its graph-rewrite switch and its OpenVINO core.

Both backends that can meet OVTF go through here, because both facts are process-wide (OVTF's source, v2.3.0):

- Importing OVTF registers a TensorFlow graph pass (rewrite_pass.cc, POST_REWRITE_FOR_EXEC) that moves onto OpenVINO
  every graph TensorFlow instantiates while `api::IsEnabled()` is true and OPENVINO_TF_DISABLE is not 1: a session's
  first run, a `tf.function`'s first call. The instantiation is cached, so the switch counts only then. While off,
  the same pass clears OVTF's cluster registry (`EvictAllClusters`), which an OVTF graph being built beside it needs.
  So stock-TensorFlow work and OVTF graph building take turns under `LOCK`.
- Every OVTF compile goes through one process-wide `ov::Core` (contexts.h `GlobalContext`), created at the first
  compile after `set_backend()` (the replaced Backend's destructor releases it: backend.h), with no config: it reads
  the plugins.xml beside OVTF's bundled libopenvino, whose CPU `INFERENCE_PRECISION_HINT` property is the only
  precision setting there is (none is shipped; OpenVINO 2022.3 then runs BF16 on CPUs with avx512_bf16/AMX).
  `pinned_core` writes the property for one compile and puts the shipped file back (atomically, under a lock on the
  package directory that every process of ours takes); executables already compiled keep their precision.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import logging
import os
import shutil
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..precision import FROM_HINT

log = logging.getLogger("vqsr_cnn")

# Held while OVTF builds or runs a graph and while stock TensorFlow instantiates one with OVTF switched off; re-entrant
# so a backend's run can build its session under it.
LOCK = threading.RLock()

KEY = "INFERENCE_PRECISION_HINT"
BACKUP_SUFFIX = ".vqsr-cnn-shipped"  # the shipped plugins.xml while ours is in place; left only by a killed process


def stock_requested() -> bool:
    """OPENVINO_TF_DISABLE=1: OVTF's rewrite pass leaves every graph to TensorFlow (checked by the pass itself)."""
    return os.environ.get("OPENVINO_TF_DISABLE", "")[:1] == "1"


@contextlib.contextmanager
def stock_tensorflow() -> Iterator[None]:
    """Graphs TensorFlow instantiates inside run on TensorFlow's own kernels, even where OVTF was imported and enabled.

    Nothing to do when OVTF was never imported (its pass is registered by the import). Otherwise OVTF is switched off
    under `LOCK`, so no OVTF graph is being built meanwhile in another thread, and its previous state restored.
    """
    ovtf = sys.modules.get("openvino_tensorflow")
    if ovtf is None or not hasattr(ovtf, "is_enabled"):
        yield
        return
    with LOCK:
        was_enabled = bool(ovtf.is_enabled())
        if was_enabled:
            ovtf.disable()
        try:
            yield
        finally:
            if was_enabled:
                ovtf.enable()


@contextlib.contextmanager
def ovtf_enabled(ovtf: Any) -> Iterator[None]:
    """OVTF switched on (under `LOCK`) for a graph built inside, whatever the process had it at; then as it was."""
    with LOCK:
        was_enabled = bool(ovtf.is_enabled())
        if not was_enabled:
            ovtf.enable()
        try:
            yield
        finally:
            if not was_enabled:
                ovtf.disable()


@dataclass(frozen=True)
class CorePrecision:
    """What OVTF's OpenVINO core compiles with a plugins.xml, and why that is not the hint asked for (if it is not)."""

    precision: str  # fp32 | bf16 | fp16 | unknown
    why: str = ""


def plugins_xml(ovtf: Any) -> Path:
    """The plugins.xml OVTF's `ov::Core()` reads: beside its bundled libopenvino."""
    return Path(ovtf.__file__).resolve().parent / "plugins.xml"


def with_cpu_hint(text: str, hint: str) -> str:
    """plugins.xml text with the CPU plugin's INFERENCE_PRECISION_HINT property set to `hint` (added if absent)."""
    root = ET.fromstring(text)
    cpu = _cpu_plugin(root)
    props = cpu.find("properties")
    if props is None:
        props = ET.SubElement(cpu, "properties")
    prop = next((p for p in props.iter("property") if p.get("key") == KEY), None)
    if prop is None:
        prop = ET.SubElement(props, "property", key=KEY)
    prop.set("value", hint)
    return ET.tostring(root, encoding="unicode") + "\n"


def _cpu_plugin(root: ET.Element) -> ET.Element:
    cpu = next((p for p in root.iter("plugin") if p.get("name") == "CPU"), None)
    if cpu is None:
        raise ValueError("plugins.xml has no CPU plugin entry")
    return cpu


def cpu_precision(xml: Path) -> str:
    """The CPU inference precision an OpenVINO core reading `xml` uses, asked of OVTF's bundled OpenVINO (C API)."""
    folder = xml.parent
    try:
        name = next(f for f in sorted(os.listdir(folder)) if f.startswith("libopenvino_c.so"))
        lib = ctypes.CDLL(str(folder / name))
        core, value = ctypes.c_void_p(), ctypes.c_void_p()
        if lib.ov_core_create_with_config(str(xml).encode(), ctypes.byref(core)) != 0:
            return "unknown"
        try:
            if lib.ov_core_get_property(core, b"CPU", KEY.encode(), ctypes.byref(value)) != 0:
                return "unknown"
            hint = ctypes.string_at(value).decode()
            lib.ov_free(value)
        finally:
            lib.ov_core_free(core)
    except (OSError, StopIteration, AttributeError):
        return "unknown"
    return FROM_HINT.get(hint.lower(), hint.lower())


def _write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` in one rename, so a reader sees the old file or the new one, never a part."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text)
        if path.exists():
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def _package_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock on OVTF's package directory, shared by every process of ours (flock on the directory itself:
    the lock outlives the renames of plugins.xml and needs no file of its own)."""
    with LOCK:
        fd = os.open(folder, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the flock


def _restore_after_crash(xml: Path) -> None:
    backup = xml.with_name(xml.name + BACKUP_SUFFIX)
    if backup.exists():
        os.replace(backup, xml)
        log.warning("vqsr_cnn: restored the shipped %s, left modified by an interrupted run", xml)


@contextlib.contextmanager
def _plugins_with(xml: Path, hint: str | None) -> Iterator[tuple[CorePrecision, bool]]:
    """Inside (under the package lock): plugins.xml carries CPU INFERENCE_PRECISION_HINT `hint` (None: as shipped);
    yields the precision a core reading it compiles and whether the file was changed; on exit the shipped bytes are
    back."""
    with _package_lock(xml.parent):
        _restore_after_crash(xml)
        shipped = xml.read_text()
        precision = cpu_precision(xml)
        backup = xml.with_name(xml.name + BACKUP_SUFFIX)
        modified, why = False, ""
        # Written only where the file as shipped gives another precision (on CPUs without BF16 it already gives f32).
        if hint is not None and precision != FROM_HINT.get(hint, hint):
            try:
                ours = with_cpu_hint(shipped, hint)
                _write_atomic(backup, shipped)
                modified = True
                _write_atomic(xml, ours)
            except (OSError, ValueError, SyntaxError) as exc:  # not writable; not a plugins.xml we understand
                if modified:
                    backup.unlink()
                    modified = False
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
                why = f"cannot set {KEY} in {xml} ({reason}): openvino-tensorflow runs its shipped default"
            else:
                precision = cpu_precision(xml)
        try:
            yield CorePrecision(precision, why), modified
        finally:
            if modified:
                os.replace(backup, xml)


def planned_precision(ovtf: Any, hint: str | None) -> CorePrecision:
    """What `pinned_core(ovtf, hint)` will compile, found the same way (the file written, read back, restored)."""
    with _plugins_with(plugins_xml(ovtf), hint) as (planned, _):
        return planned


@contextlib.contextmanager
def pinned_core(ovtf: Any, hint: str | None) -> Iterator[CorePrecision]:
    """OVTF's next compile, made inside, creates its OpenVINO core from plugins.xml with CPU INFERENCE_PRECISION_HINT
    `hint` (None: the file as shipped); yields the precision that core compiles.

    `set_backend` releases OVTF's live core on the way in, so the compile inside makes a new one from the file as it
    is then; on the way out the shipped file is back and, if it had been changed, the core made from it is released
    too, so the next compile anywhere in the process reads the file as shipped again.
    """
    with _plugins_with(plugins_xml(ovtf), hint) as (pinned, modified):
        ovtf.set_backend("CPU")
        try:
            yield pinned
        finally:
            if modified:  # no compile can come between this and the restore: LOCK is held throughout
                ovtf.set_backend("CPU")
