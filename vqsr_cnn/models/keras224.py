"""Rewrite a Keras-2 HD5 model so that GATK's own stack can load it: Keras 2.2.4 / TF 1.15 (GATK 4.2-4.5),
and TF 2.9's Keras (Intel's OpenVINO patch), as well as today's tf-keras.

Current tf-keras writes a `model_config` that Keras 2.2.4 rejects (class `Functional`, initializer classes
such as `GlorotUniform`, a BatchNormalization `axis` given as a list, keys added after 2.2.4 such as
`optional`, `ragged`, `groups`, `module`, `registered_name`, `synchronized`) and string attributes of
variable length where Keras 2.2.4 calls `.decode()` on fixed-length bytes. Only those attributes are
rewritten here: every weight dataset stays byte-for-byte as written, so predictions do not change.

The key sets below are what Keras 2.2.4's `get_config` emits per layer class (beyond name, trainable,
dtype, batch_input_shape), each checked to round-trip through its `from_config`: a public fact about
that format, re-checked by tests/test_gatk42_models.py when the GATK 4.2 environment exists.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from ..errors import InputError

KERAS_VERSION = "2.2.4"
BACKEND = "tensorflow"
WRITER_ATTR = "vqsr_cnn_converted_from_keras"

_LAYER_BASE = frozenset({"name", "trainable", "dtype", "batch_input_shape"})
_WEIGHTED = frozenset(
    {
        "activation",
        "use_bias",
        "kernel_initializer",
        "bias_initializer",
        "kernel_regularizer",
        "bias_regularizer",
        "activity_regularizer",
        "kernel_constraint",
        "bias_constraint",
    }
)
_CONV = _WEIGHTED | {"filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate"}
_POOL = frozenset({"pool_size", "padding", "strides", "data_format"})
_DROPOUT = frozenset({"rate", "noise_shape", "seed"})
KEYS_224: dict[str, frozenset[str]] = {
    "InputLayer": frozenset({"batch_input_shape", "dtype", "sparse", "name"}),
    "Conv1D": _CONV,
    "Conv2D": _CONV,
    "Dense": _WEIGHTED | {"units"},
    "Dropout": _DROPOUT,
    "SpatialDropout1D": _DROPOUT,
    "SpatialDropout2D": _DROPOUT,
    "MaxPooling1D": _POOL,
    "MaxPooling2D": _POOL,
    "AveragePooling1D": _POOL,
    "AveragePooling2D": _POOL,
    "Flatten": frozenset({"data_format"}),
    "Activation": frozenset({"activation"}),
    "Reshape": frozenset({"target_shape"}),
    "Concatenate": frozenset({"axis"}),
    "Add": frozenset(),
    "BatchNormalization": frozenset(
        {
            "axis",
            "momentum",
            "epsilon",
            "center",
            "scale",
            "beta_initializer",
            "gamma_initializer",
            "moving_mean_initializer",
            "moving_variance_initializer",
            "beta_regularizer",
            "gamma_regularizer",
            "beta_constraint",
            "gamma_constraint",
        }
    ),
}
# Keys that newer Keras adds and 2.2.4 never knew; dropped from layers of classes not listed above.
NEWER_KEYS = frozenset(
    {
        "optional",
        "ragged",
        "groups",
        "module",
        "registered_name",
        "synchronized",
        "build_config",
        "compile_config",
        "shared_object_id",
        "batch_shape",
        "input_dtype",
    }
)

# tf-keras's named initializers are Keras 2.2.4's VarianceScaling with these (scale, mode, distribution).
_VARIANCE_SCALING = {
    "GlorotUniform": (1.0, "fan_avg", "uniform"),
    "GlorotNormal": (1.0, "fan_avg", "normal"),
    "HeUniform": (2.0, "fan_in", "uniform"),
    "HeNormal": (2.0, "fan_in", "normal"),
    "LecunUniform": (1.0, "fan_in", "uniform"),
    "LecunNormal": (1.0, "fan_in", "normal"),
}
_KNOWN_INITIALIZERS = frozenset(
    {"Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling", "Orthogonal", "Identity"}
)


class Keras224Error(InputError):
    """The model uses something Keras 2.2.4 cannot express; names the layer."""


def _strip(obj: Any) -> Any:
    """Drop newer-Keras bookkeeping keys from nested {class_name, config} objects."""
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in ("module", "registered_name", "shared_object_id")}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def _initializer(obj: Any, where: str) -> Any:
    if not isinstance(obj, dict):
        return obj
    name, config = obj.get("class_name"), dict(obj.get("config") or {})
    if name in _VARIANCE_SCALING:
        scale, mode, distribution = _VARIANCE_SCALING[name]
        return {
            "class_name": "VarianceScaling",
            "config": {"scale": scale, "mode": mode, "distribution": distribution, "seed": config.get("seed")},
        }
    if name == "VarianceScaling":
        # 2.2.4's 'normal' is a truncated normal; an untruncated one only changes training-time draws.
        if config.get("distribution") in ("truncated_normal", "untruncated_normal"):
            config["distribution"] = "normal"
        return {"class_name": name, "config": config}
    if name in _KNOWN_INITIALIZERS:
        return {"class_name": name, "config": config}
    raise Keras224Error(f"{where}: initializer {name!r} has no Keras {KERAS_VERSION} equivalent")


def _regularizer(obj: Any) -> Any:
    if isinstance(obj, dict) and obj.get("class_name") in ("L1", "L2", "L1L2"):
        config = obj.get("config") or {}
        return {"class_name": "L1L2", "config": {"l1": float(config.get("l1", 0.0)), "l2": float(config.get("l2", 0.0))}}
    return _strip(obj)


def _dtype(value: Any) -> Any:
    """A dtype policy object becomes its variable dtype (mixed policies keep float32 variables)."""
    if isinstance(value, dict):
        name = (value.get("config") or {}).get("name", "float32")
        return "float32" if str(name).startswith("mixed_") else name
    return value


def layer_config_224(class_name: str, config: dict[str, Any], layer: str) -> dict[str, Any]:
    """One layer's config restricted to what Keras 2.2.4's constructor of that class accepts."""
    where = f"layer {layer!r} ({class_name})"
    allowed = KEYS_224.get(class_name)
    out: dict[str, Any] = {}
    for key, value in config.items():
        if allowed is not None and key not in allowed and key not in _LAYER_BASE:
            continue
        if allowed is None and key in NEWER_KEYS:
            continue
        if class_name == "InputLayer" and key not in KEYS_224["InputLayer"]:
            continue
        if key.endswith("_initializer"):
            value = _initializer(value, where)
        elif key.endswith(("_regularizer", "_constraint")):
            value = _regularizer(value)
        elif key == "dtype":
            value = _dtype(value)
        elif key == "axis" and class_name == "BatchNormalization" and isinstance(value, list):
            if len(value) != 1:
                raise Keras224Error(f"{where}: normalises over axes {value}; Keras {KERAS_VERSION} takes one axis")
            value = value[0]
        out[key] = _strip(value)
    return out


def _check_nodes(nodes: Any, layer: str) -> list[Any]:
    """Keras 2.2.4's inbound_nodes: [[[name, node_index, tensor_index, kwargs], ...], ...]."""
    ok = isinstance(nodes, list) and all(
        isinstance(node, list) and all(isinstance(t, list) and len(t) in (3, 4) and isinstance(t[0], str) for t in node)
        for node in nodes
    )
    if not ok:
        raise Keras224Error(f"layer {layer!r}: inbound_nodes are not in the Keras 2 list format")
    return [[[t[0], t[1], t[2], t[3] if len(t) == 4 else {}] for t in node] for node in nodes]


def model_config_224(config: dict[str, Any]) -> dict[str, Any]:
    """The whole-model config as Keras 2.2.4 writes it for a functional model (class `Model`)."""
    class_name = config.get("class_name")
    if class_name not in ("Functional", "Model"):
        raise Keras224Error(f"model class {class_name!r}: only functional models (Functional/Model) are written")
    body = config.get("config") or {}
    layers = []
    for layer in body.get("layers", []):
        name = str(layer.get("name") or (layer.get("config") or {}).get("name") or "")
        layers.append(
            {
                "name": name,
                "class_name": layer["class_name"],
                "config": layer_config_224(layer["class_name"], layer.get("config") or {}, name),
                "inbound_nodes": _check_nodes(layer.get("inbound_nodes", []), name),
            }
        )
    return {
        "class_name": "Model",
        "config": {
            "name": body.get("name", "model"),
            "layers": layers,
            "input_layers": [list(t[:3]) for t in body.get("input_layers", [])],
            "output_layers": [list(t[:3]) for t in body.get("output_layers", [])],
        },
    }


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, (bytes, np.bytes_)) else str(value)


def _fixed_bytes(names: Any) -> np.ndarray:
    """Fixed-length bytes array, as Keras 2.2.4 (h5py 2) writes and reads name lists."""
    encoded = [_text(n).encode("utf-8") for n in np.asarray(names).ravel()]
    if not encoded:
        return np.zeros((0,), dtype="S1")
    return np.array(encoded, dtype=f"S{max(1, max(len(e) for e in encoded))}")


def convert_hdf5(path: str | os.PathLike) -> None:
    """Rewrite PATH in place for Keras 2.2.4; weight datasets are not touched. Idempotent."""
    import h5py

    with h5py.File(path, "r+") as f:
        if "model_config" not in f.attrs or "model_weights" not in f:
            raise Keras224Error(f"{path}: not a whole Keras-2 model (no model_config / model_weights)")
        source_version = _text(f.attrs.get("keras_version", "unknown"))
        config = model_config_224(json.loads(_text(f.attrs["model_config"])))
        if WRITER_ATTR not in f.attrs:
            f.attrs[WRITER_ATTR] = np.bytes_(source_version)
        f.attrs["model_config"] = np.bytes_(json.dumps(config).encode("utf-8"))
        if "training_config" in f.attrs:
            del f.attrs["training_config"]  # inference-only files; GATK then loads them uncompiled
        weights = f["model_weights"]
        for group in (f, weights):
            group.attrs["keras_version"] = np.bytes_(KERAS_VERSION)
            group.attrs["backend"] = np.bytes_(BACKEND)
        names = [_text(n) for n in weights.attrs["layer_names"]]
        weights.attrs["layer_names"] = _fixed_bytes(names)
        for name in names:
            g = weights[name]
            g.attrs["weight_names"] = _fixed_bytes(g.attrs.get("weight_names", []))
