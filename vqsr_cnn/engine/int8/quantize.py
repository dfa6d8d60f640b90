"""INT8 post-training quantisation with NNCF, accuracy-aware; results cached on disk (:mod:`.cache`).

Plain PTQ of these CNNs moves log-odds scores by several units, so the default is
`nncf.quantize_with_accuracy_control`: layers are quantised (activation ranges from histograms,
`QuantizeSettings.ranges`), then the most score-sensitive ones are put back into FP32 until the 99th
percentile of |INT8 score - FP32 score| on held-out tensors is within `max_score_delta`.  The result is
checked again here; anything that fails (NNCF missing, an NNCF error, a model that still drifts too far)
raises :class:`Int8Unavailable` with the reason, and the engine runs FP32 and says why: never silently
wrong numbers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import Any

import numpy as np

from ...errors import InputError
from ...runtimes import import_nncf, import_openvino
from ...scores import scores_for_types
from ..convert import openvino_model
from ..freeze import FrozenModel
from .cache import cache_entry, entry_lock, load_cached, save_cached
from .settings import Calibration, QuantizeSettings

log = logging.getLogger("vqsr_cnn")


class QuantizationError(InputError):
    """Quantisation could not produce an INT8 model within the accuracy limit (the fix: fp32, or a wider limit)."""


def _infer(compiled: Any, tensors: np.ndarray, annotations: np.ndarray, batch: int = 32) -> np.ndarray:
    request = compiled.create_infer_request()
    out = []
    for i in range(0, len(tensors), batch):
        result = request.infer([np.ascontiguousarray(tensors[i : i + batch]), np.ascontiguousarray(annotations[i : i + batch])])
        out.append(np.array(next(iter(result.values())), dtype=np.float32))
    return np.concatenate(out)


def score_delta(
    compiled: Any, tensors: np.ndarray, annotations: np.ndarray, reference_scores: np.ndarray, types: Sequence[str]
) -> np.ndarray:
    """|score - reference score| per example for a compiled model."""
    return np.abs(scores_for_types(_infer(compiled, tensors, annotations), types) - reference_scores)


_WEIGHT_PATH_OPS = frozenset({"Multiply", "Subtract", "Convert", "Reshape", "Unsqueeze", "Squeeze", "Transpose", "FakeQuantize"})


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
    return sum(
        1
        for op in model.get_ops()
        if op.get_type_name() in ("Convolution", "MatMul") and _int8_source(op.input_value(1).get_node())
    )


def quantize_model(
    frozen: FrozenModel,
    calibration: tuple[np.ndarray, np.ndarray],
    validation: tuple[np.ndarray, np.ndarray, Sequence[str]],
    settings: QuantizeSettings,
) -> Any:
    """INT8 ov.Model (dynamic batch); raises QuantizationError when the accuracy limit is not met."""
    ov = import_openvino()

    nncf = import_nncf()
    model = openvino_model(frozen)
    cal_t, cal_a = calibration
    val_t, val_a, val_types = validation
    types = list(val_types)
    core = ov.Core()
    fp32 = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    reference = scores_for_types(_infer(fp32, val_t, val_a), types)
    del fp32

    cal_items = [(cal_t[i : i + 1], cal_a[i : i + 1]) for i in range(len(cal_t))]
    calibration_ds = nncf.Dataset(cal_items, lambda item: [item[0], item[1]])
    step = settings.chunk
    val_items = [
        (val_t[i : i + step], val_a[i : i + step], reference[i : i + step], types[i : i + step])
        for i in range(0, len(val_t), step)
    ]
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
    advanced = _advanced_parameters(nncf, settings)
    if settings.accuracy_control:
        quantized = nncf.quantize_with_accuracy_control(
            model,
            calibration_ds,
            validation_ds,
            validate,
            max_drop=settings.max_score_delta,
            drop_type=nncf.DropType.ABSOLUTE,
            subset_size=subset,
            preset=nncf.QuantizationPreset.MIXED,
            ignored_scope=ignored,
            advanced_quantization_parameters=advanced,
        )
    else:
        quantized = nncf.quantize(
            model,
            calibration_ds,
            subset_size=subset,
            preset=nncf.QuantizationPreset.MIXED,
            ignored_scope=ignored,
            advanced_parameters=advanced,
        )
    n_quantizers = quantized_layer_count(quantized)
    if n_quantizers == 0:
        raise QuantizationError("accuracy control had to return every layer to FP32: no INT8 layer is left; score in fp32")
    # Check what will run: INT8 layers plus the float layers at the engine's precision (bf16 on bf16 CPUs).
    compiled = core.compile_model(quantized, "CPU", {"INFERENCE_PRECISION_HINT": settings.float_hint})
    p99 = float(np.percentile(score_delta(compiled, val_t, val_a, reference, types), 99))
    if settings.accuracy_control and p99 > settings.max_score_delta * 1.05:
        raise QuantizationError(
            f"INT8 p99 |dscore| {p99:.3f} exceeds {settings.max_score_delta} after accuracy control; score in fp32"
        )
    log.info(
        "INT8 quantisation: %d INT8 layers, p99 |dscore| %.4f on %d validation tensors (%s)",
        n_quantizers,
        p99,
        len(val_t),
        settings.tag,
    )
    return quantized


def _advanced_parameters(nncf: Any, settings: QuantizeSettings) -> Any:
    """NNCF's advanced parameters for `settings.ranges` (None: NNCF's defaults)."""
    if settings.ranges == "minmax":
        return None
    if settings.ranges != "histogram":
        raise ValueError(f"unknown activation range estimator {settings.ranges!r}: minmax or histogram")
    from nncf.quantization.advanced_parameters import AdvancedQuantizationParameters
    from nncf.quantization.range_estimator import RangeEstimatorParametersSet

    return AdvancedQuantizationParameters(activations_range_estimator_params=RangeEstimatorParametersSet.HISTOGRAM)


class Int8Unavailable(Exception):
    """No INT8 model: the message says why (one line); the engine runs FP32 and shows it."""


def int8_model(
    frozen: FrozenModel,
    weights_path: str | os.PathLike,
    data: Callable[[], Calibration] | None,
    settings: QuantizeSettings,
) -> Any:
    """The cached INT8 model of these weights and settings (when settings.cache_dir is set), else quantise now on
    `data()` (called only then). Raises Int8Unavailable when neither is possible."""
    try:
        use_cache = bool(settings.cache_dir)
        lock = entry_lock(cache_entry(weights_path, settings), settings) if use_cache else nullcontext()
        with lock:
            if use_cache:
                cached = load_cached(weights_path, settings)
                if cached is not None:
                    return cached
            if data is None:
                raise Int8Unavailable("no cached INT8 model for these weights and no data to calibrate one on")
            calibration, validation = data()
            model = quantize_model(frozen, calibration, validation, settings)
            if use_cache:
                save_cached(model, weights_path, settings)
            return model
    except Int8Unavailable:
        raise
    except Exception as exc:  # any failure means: no INT8, loudly
        raise Int8Unavailable(f"INT8 quantisation failed ({type(exc).__name__}: {str(exc)[:300]})") from exc
