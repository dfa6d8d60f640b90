"""INT8 post-training quantisation with NNCF, accuracy-aware, cached on disk by the weights' hash.

Plain PTQ of these CNNs moves log-odds scores by several units, so the default is
`nncf.quantize_with_accuracy_control`: layers are quantised, then the most score-sensitive ones are
put back into FP32 until the 99th percentile of |INT8 score - FP32 score| on held-out tensors is
within `max_score_delta`.  The result is checked again here; anything that fails (NNCF missing, an
NNCF error, a model that still drifts too far) returns None with a warning, and callers run FP32:
never silently wrong numbers.

The quantised model is cached once per weights and settings, only in the user cache dir
(`$VQSR_CNN_CACHE_DIR` or `~/.cache/vqsr_cnn`, which must be writable by this user alone), as one
directory `<weights stem>.int8-<sha>-<settings>/` holding the IR and a manifest of SHA-256 digests (of the
source weights and of both IR files).  It is written under a temporary name and renamed into place, and
an exclusive lock makes concurrent runs on a new model quantise it once; a cached IR is used only if the
manifest matches, so a partial, planted or edited file is never run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..scores import scores_for_types
from .freeze import FrozenModel

log = logging.getLogger("vqsr_cnn")

CACHE_ENV = "VQSR_CNN_CACHE_DIR"
CACHE_FORMAT = 1
IR_XML, IR_BIN, MANIFEST = "model.xml", "model.bin", "manifest.json"


@dataclass(frozen=True)
class QuantizeSettings:
    max_score_delta: float = 0.1  # allowed p99 |dscore| (log-odds units) on the validation tensors
    subset_size: int = 300  # calibration examples
    accuracy_control: bool = True  # False: plain PTQ (for comparison only; not offered to users)
    chunk: int = 8  # examples per validation item (NNCF ranks layers per item)
    # Dense layers hold < 0.1% of the FLOPs but, quantised, caused ~90% of the score drift (2D: p99 1.35 -> 0.14
    # with them in FP32): keep them FP32 from the start so accuracy control spends its budget on the convolutions.
    quantize_dense: bool = False
    float_hint: str = ""  # precision of the float layers at run time ('' = see resolved()); checked with it

    @property
    def tag(self) -> str:
        mode = "ac" if self.accuracy_control else "ptq"
        return (f"{mode}{self.max_score_delta:g}-n{self.subset_size}{'-all' if self.quantize_dense else '-conv'}"
                f"{'-' + self.float_hint if self.float_hint else ''}")

    def resolved(self, float_hint: str = "") -> QuantizeSettings:
        """These settings with the run-time float precision filled in (it is part of the cache key):
        `float_hint` when given (EngineConfig.int8_float), else bf16 where the CPU has it, else f32."""
        from dataclasses import replace

        from .backends import cpu_has_bf16

        if self.float_hint:
            return self
        return replace(self, float_hint=float_hint or ("bf16" if cpu_has_bf16() else "f32"))


class QuantizationError(RuntimeError):
    """Quantisation could not produce an INT8 model within the accuracy limit."""


def weights_digest(path: str | os.PathLike, length: int = 16) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:length]


def user_cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "vqsr_cnn"


def cache_entry(weights_path: str | os.PathLike, settings: QuantizeSettings) -> Path:
    """The one place the INT8 model of these weights and settings may live: a directory in the user cache dir."""
    weights = Path(weights_path)
    return user_cache_dir() / f"{weights.stem}.int8-{weights_digest(weights)}-{settings.tag}"


def _usable_cache_dir(create: bool) -> Path | None:
    """The cache dir if only this user can write it (else anyone could plant a model for us to run)."""
    directory = user_cache_dir()
    try:
        if create:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = directory.stat()
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        log.warning("INT8 cache %s not used: it must be a directory owned by this user and writable by no one else "
                    "(chmod go-w it, or set %s)", directory, CACHE_ENV)
        return None
    return directory


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_cached(weights_path: str | os.PathLike, settings: QuantizeSettings = QuantizeSettings()) -> Any | None:
    """The cached INT8 model, only if this package wrote it for exactly these weights and settings.

    The manifest beside the IR records the full SHA-256 of the source weights and of both IR files; the IR
    is read from the very bytes that were checked.  Anything else (a partial, foreign or edited entry) is
    ignored with a warning, and the caller quantises again.
    """
    import openvino as ov

    entry = cache_entry(weights_path, settings)
    if _usable_cache_dir(create=False) is None or not entry.is_dir():
        return None
    try:
        manifest = json.loads((entry / MANIFEST).read_text())
        xml, weights_bin = (entry / IR_XML).read_bytes(), (entry / IR_BIN).read_bytes()
        expected = {"format": CACHE_FORMAT, "settings": settings.tag, "weights_sha256": weights_digest(weights_path, 64),
                    "files": {IR_XML: _sha256(xml), IR_BIN: _sha256(weights_bin)}}
        wrong = [key for key, value in expected.items() if manifest.get(key) != value]
    except (OSError, ValueError) as exc:
        wrong = [f"unreadable ({exc})"]
    if wrong:
        log.warning("ignoring INT8 cache entry %s: %s does not match what vqsr_cnn wrote for %s; it is replaced",
                    entry, ", ".join(wrong), weights_path)
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
    import openvino as ov

    directory = _usable_cache_dir(create=True)
    if directory is None:
        log.warning("INT8 model not cached: %s is not usable", user_cache_dir())
        return None
    entry = cache_entry(weights_path, settings)
    tmp: Path | None = None
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=directory))
        ov.save_model(model, str(tmp / IR_XML), compress_to_fp16=False)
        files = {name: _sha256((tmp / name).read_bytes()) for name in (IR_XML, IR_BIN)}
        manifest = {"format": CACHE_FORMAT, "settings": settings.tag, "weights_sha256": weights_digest(weights_path, 64),
                    "weights": str(Path(weights_path).resolve()), "files": files}
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
def _entry_lock(entry: Path) -> Iterator[None]:
    """Hold an exclusive lock for this entry: concurrent runs on a new model quantise once, the others wait.

    The kernel drops the lock when its holder dies (even by kill -9).  Without a usable lock (no cache dir,
    a file system without flock) runs proceed unlocked: the atomic rename alone keeps entries whole.
    """
    directory = _usable_cache_dir(create=True)
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


def dynamic_ov_model(frozen: FrozenModel) -> Any:
    """The frozen graph as an OpenVINO model with a dynamic batch (the backend reshapes it to its micro-batch)."""
    import openvino as ov

    return ov.convert_model(frozen.graph_def, input=[(frozen.input_names[0], [-1, *frozen.tensor_shape]),
                                                     (frozen.input_names[1], [-1, frozen.n_annotations])])


def _infer(compiled: Any, tensors: np.ndarray, annotations: np.ndarray, batch: int = 32) -> np.ndarray:
    request = compiled.create_infer_request()
    out = []
    for i in range(0, len(tensors), batch):
        result = request.infer([np.ascontiguousarray(tensors[i:i + batch]), np.ascontiguousarray(annotations[i:i + batch])])
        out.append(np.array(next(iter(result.values())), dtype=np.float32))
    return np.concatenate(out)


def score_delta(compiled: Any, tensors: np.ndarray, annotations: np.ndarray, reference_scores: np.ndarray,
                types: Sequence[str]) -> np.ndarray:
    """|score - reference score| per example for a compiled model."""
    return np.abs(scores_for_types(_infer(compiled, tensors, annotations), types) - reference_scores)


_WEIGHT_PATH_OPS = frozenset({"Multiply", "Subtract", "Convert", "Reshape", "Unsqueeze", "Squeeze", "Transpose",
                              "FakeQuantize"})


def _int8_source(node: Any, depth: int = 6) -> bool:
    """True when this input is computed from an INT8 constant (NNCF's compressed weights) or a FakeQuantize'd one."""
    kind = node.get_type_name()
    if kind == "Constant":
        return node.get_element_type().get_type_name() in ("i8", "u8")
    if depth == 0 or kind not in _WEIGHT_PATH_OPS:
        return False
    if kind == "FakeQuantize" and node.input_value(0).get_node().get_type_name() == "Constant":
        return True
    return any(_int8_source(v.get_node(), depth - 1) for v in node.input_values())


def quantized_layer_count(model: Any) -> int:
    """Convolution / MatMul layers whose weights are INT8 (those OpenVINO runs as INT8 kernels)."""
    return sum(1 for op in model.get_ops() if op.get_type_name() in ("Convolution", "MatMul")
               and _int8_source(op.input_value(1).get_node()))


def quantize_model(frozen: FrozenModel, calibration: tuple[np.ndarray, np.ndarray],
                   validation: tuple[np.ndarray, np.ndarray, Sequence[str]],
                   settings: QuantizeSettings = QuantizeSettings()) -> Any:
    """INT8 ov.Model (dynamic batch); raises QuantizationError when the accuracy limit is not met."""
    import nncf
    import openvino as ov

    model = dynamic_ov_model(frozen)
    cal_t, cal_a = calibration
    val_t, val_a, val_types = validation
    types = list(val_types)
    core = ov.Core()
    fp32 = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    reference = scores_for_types(_infer(fp32, val_t, val_a), types)
    del fp32

    cal_items = [(cal_t[i:i + 1], cal_a[i:i + 1]) for i in range(len(cal_t))]
    calibration_ds = nncf.Dataset(cal_items, lambda item: [item[0], item[1]])
    step = settings.chunk
    val_items = [(val_t[i:i + step], val_a[i:i + step], reference[i:i + step], types[i:i + step])
                 for i in range(0, len(val_t), step)]
    validation_ds = nncf.Dataset(val_items, lambda item: [item[0], item[1]])

    def validate(compiled: Any, items: Any) -> tuple[float, list[float]]:
        deltas, per_item = [], []
        for t, a, ref, ty in items:
            d = score_delta(compiled, t, a, ref, ty)
            deltas.append(d)
            per_item.append(1.0 - float(d.max()))
        # 1 - p99 |dscore|: higher is better and the FP32 model scores 1 (NNCF divides by it).
        return 1.0 - float(np.percentile(np.concatenate(deltas), 99)), per_item

    subset = min(settings.subset_size, len(cal_items))
    dense = [op.get_friendly_name() for op in model.get_ops() if op.get_type_name() == "MatMul"]
    ignored = nncf.IgnoredScope(names=dense) if dense and not settings.quantize_dense else None
    if settings.accuracy_control:
        quantized = nncf.quantize_with_accuracy_control(
            model, calibration_ds, validation_ds, validate, max_drop=settings.max_score_delta,
            drop_type=nncf.DropType.ABSOLUTE, subset_size=subset, preset=nncf.QuantizationPreset.MIXED,
            ignored_scope=ignored)
    else:
        quantized = nncf.quantize(model, calibration_ds, subset_size=subset, preset=nncf.QuantizationPreset.MIXED,
                                  ignored_scope=ignored)
    n_quantizers = quantized_layer_count(quantized)
    if n_quantizers == 0:
        raise QuantizationError("accuracy control had to return every layer to FP32: no INT8 layer is left")
    # Check what will run: INT8 layers plus the float layers at the engine's precision (bf16 on bf16 CPUs).
    settings = settings.resolved()
    compiled = core.compile_model(quantized, "CPU", {"INFERENCE_PRECISION_HINT": settings.float_hint})
    p99 = float(np.percentile(score_delta(compiled, val_t, val_a, reference, types), 99))
    if settings.accuracy_control and p99 > settings.max_score_delta * 1.05:
        raise QuantizationError(f"INT8 p99 |dscore| {p99:.3f} exceeds {settings.max_score_delta} after accuracy control")
    log.info("INT8 quantisation: %d INT8 layers, p99 |dscore| %.4f on %d validation tensors (%s)", n_quantizers, p99,
             len(val_t), settings.tag)
    return quantized


def int8_model(frozen: FrozenModel, weights_path: str | os.PathLike,
               data: Callable[[], tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, Sequence[str]]]],
               settings: QuantizeSettings = QuantizeSettings(), use_cache: bool = True, float_hint: str = "") -> Any | None:
    """Cached INT8 model, or quantise now (`data()` -> (calibration, validation) is called only then).

    Returns None, after a warning, when quantisation is unavailable or fails: run FP32 instead.
    """
    try:
        settings = settings.resolved(float_hint)
        lock = _entry_lock(cache_entry(weights_path, settings)) if use_cache else nullcontext()
    except Exception as exc:  # any failure means: no INT8, loudly
        log.warning("INT8 quantisation failed (%s: %s); falling back to FP32", type(exc).__name__, str(exc)[:300])
        return None
    with lock:
        try:
            if use_cache:
                cached = load_cached(weights_path, settings)
                if cached is not None:
                    return cached
            calibration, validation = data()
            model = quantize_model(frozen, calibration, validation, settings)
        except Exception as exc:  # any failure means: no INT8, loudly
            log.warning("INT8 quantisation failed (%s: %s); falling back to FP32", type(exc).__name__, str(exc)[:300])
            return None
        if use_cache:
            save_cached(model, weights_path, settings)
    return model


def engine_precision(requested: str, quantized_model: Any | None) -> str:
    """What actually runs: 'int8' only with a quantised model, else the FP32 fallback."""
    return "fp32" if requested == "int8" and quantized_model is None else requested
