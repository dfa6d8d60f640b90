"""Refuse model files that could run code, before Keras deserialises any of them.

(Over 300 lines: most of it is the allow-list itself, every layer class GATK's builders emit with the config keys
it may carry in Keras 2.2.4 and tf-keras files, kept next to the checks that read it.)

A Keras-2 ``.hd5`` model carries its architecture as JSON (the ``model_config`` attribute). Keras turns
that JSON into objects by name, and some of those objects hold code: a ``Lambda`` layer stores marshalled
Python bytecode and runs it while the model is built, and any class name Keras can resolve (custom
layers, registered objects) is instantiated. Model files travel between labs and come from the web, so
loading one must not execute anything it contains.

The check reads the JSON with the standard library only and accepts exactly what GATK's CNN architecture
builders (``vqsr_cnn.models`` in GATK 4.x) can produce, as written by Keras 2.2.4 (model class ``Model``)
or by tf-keras 2.x (``Functional``): a fixed set of layer classes, each with its known config keys, plain
values (numbers, strings, shapes), and built-in initializers / regularizers / constraints by class name.
Anything else is refused with one line naming the file, the layer and the class. ``--trust-model-code``
or ``VQSR_CNN_TRUST_MODEL_CODE=1`` skips the check (with a warning) for models the user vouches for.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import InputError
from .keras224 import KEYS_224

log = logging.getLogger("vqsr_cnn")

TRUST_ENV = "VQSR_CNN_TRUST_MODEL_CODE"
TRUST_HINT = f"pass --trust-model-code or set {TRUST_ENV}=1 only if you trust where this file came from"


class UnsafeModelError(InputError):
    """The model file holds something outside the allow-list (it could run code when loaded)."""


def trust_requested(environ: Mapping[str, str]) -> bool:
    """The user's opt-in to load any Keras model, code included (read at the edges from their environment)."""
    return environ.get(TRUST_ENV, "").strip().lower() in ("1", "true", "yes")


# ---- what GATK's builders produce ----------------------------------------------------------------------

MODEL_CLASSES = frozenset({"Model", "Functional"})  # Keras 2.2.4 writes Model; tf-keras 2.x Functional
MODEL_KEYS = frozenset({"name", "trainable", "layers", "input_layers", "output_layers"})
LAYER_ENTRY_KEYS = frozenset({"class_name", "config", "name", "inbound_nodes"})

_COMMON = frozenset({"name", "trainable", "dtype", "batch_input_shape"})
# Keys newer Keras writes for these classes, harmless and accepted here (keras224 drops them for GATK).
_NEWER: Mapping[str, frozenset[str]] = {
    "InputLayer": frozenset({"ragged", "optional"}),
    "Conv1D": frozenset({"groups"}),
    "Conv2D": frozenset({"groups"}),
    "BatchNormalization": frozenset({"synchronized"}),
}
# The layer classes GATK's builders emit, each with Keras 2.2.4's config keys (models/keras224.py, the one table
# of them); AlphaDropout takes Dropout's.
_GATK_CLASSES = {
    c: c
    for c in (
        "Conv1D",
        "Conv2D",
        "Dense",
        "BatchNormalization",
        "Dropout",
        "SpatialDropout1D",
        "SpatialDropout2D",
        "MaxPooling1D",
        "MaxPooling2D",
        "Flatten",
        "Activation",
        "Concatenate",
        "Add",
    )
} | {"AlphaDropout": "Dropout"}
LAYER_KEYS: Mapping[str, frozenset[str]] = {
    "InputLayer": KEYS_224["InputLayer"] | _NEWER["InputLayer"],
    **{cls: _COMMON | KEYS_224[like] | _NEWER.get(cls, frozenset()) for cls, like in _GATK_CLASSES.items()},
}

ACTIVATIONS = frozenset(
    {
        "linear",
        "relu",
        "selu",
        "elu",
        "softmax",
        "sigmoid",
        "hard_sigmoid",
        "tanh",
        "softplus",
        "softsign",
        "exponential",
        "swish",
        "silu",
        "gelu",
        "relu6",
    }
)
INITIALIZERS = frozenset(
    {
        "Zeros",
        "Ones",
        "Constant",
        "RandomNormal",
        "RandomUniform",
        "TruncatedNormal",
        "VarianceScaling",
        "Orthogonal",
        "Identity",
        "GlorotNormal",
        "GlorotUniform",
        "HeNormal",
        "HeUniform",
        "LecunNormal",
        "LecunUniform",
    }
)
REGULARIZERS = frozenset({"L1L2", "L1", "L2"})
CONSTRAINTS = frozenset({"MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm"})
DTYPES = frozenset({"float16", "bfloat16", "float32", "float64"})
DTYPE_POLICIES = frozenset({"float16", "bfloat16", "float32", "float64", "mixed_float16", "mixed_bfloat16"})


# ---- value checks (each returns None when fine, else why not) ------------------------------------------


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def _plain(value: Any) -> str | None:
    """A number, string, bool, null, or a (nested) list of those: data, never an object to build."""
    if _is_scalar(value):
        return None
    if isinstance(value, list):
        for item in value:
            if (why := _plain(item)) is not None:
                return why
        return None
    return f"holds a {type(value).__name__} where only plain values are allowed"


def _serialized(value: Any, classes: frozenset[str], module: str, optional: bool = True) -> str | None:
    """A built-in Keras object by class name with a config of plain values (tf-keras also writes its module)."""
    if value is None and optional:
        return None
    if not isinstance(value, dict):
        return f"must be a serialised built-in object, got {type(value).__name__}"
    extra = set(value) - {"class_name", "config", "module", "registered_name"}
    if extra:
        return f"has unexpected field(s) {', '.join(sorted(extra))}"
    if value.get("class_name") not in classes:
        return f"names class {value.get('class_name')!r}, not one of the built-in {', '.join(sorted(classes))}"
    if "module" in value and value["module"] != module:
        return f"names module {value['module']!r} (only {module!r} is allowed)"
    if value.get("registered_name") is not None:
        return f"names a registered custom object {value['registered_name']!r}"
    config = value.get("config", {})
    if not isinstance(config, dict):
        return "has a config that is not an object"
    for key, item in config.items():
        if not _is_scalar(item) and _plain(item) is not None:
            return f"has a non-plain config value for {key!r}"
    return None


def _activation(value: Any) -> str | None:
    if isinstance(value, str) and value in ACTIVATIONS:
        return None
    return f"is {value!r}, not a built-in activation ({', '.join(sorted(ACTIVATIONS))})"


def _dtype(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and value in DTYPES):
        return None
    if isinstance(value, dict):
        why = _serialized(value, frozenset({"Policy", "DTypePolicy"}), "keras.mixed_precision", optional=False)
        if why is None and value.get("config", {}).get("name") not in DTYPE_POLICIES:
            why = f"names dtype policy {value.get('config', {}).get('name')!r}"
        return why
    return f"is {value!r}, not a float dtype"


def _value_check(key: str) -> Callable[[Any], str | None]:
    if key == "activation":
        return _activation
    if key == "dtype":
        return _dtype
    if key.endswith("_initializer"):
        return lambda v: _serialized(v, INITIALIZERS, "keras.initializers", optional=False)
    if key.endswith("_regularizer"):
        return lambda v: _serialized(v, REGULARIZERS, "keras.regularizers")
    if key.endswith("_constraint"):
        return lambda v: _serialized(v, CONSTRAINTS, "keras.constraints")
    return _plain


# ---- the walk --------------------------------------------------------------------------------------------


def _node_ok(node: Any, names: set[str]) -> bool:
    """An inbound tensor reference: [layer name, node index, tensor index(, {} call kwargs)]."""
    if not isinstance(node, list) or len(node) not in (3, 4):
        return False
    name, node_index, tensor_index = node[:3]
    kwargs_ok = len(node) == 3 or node[3] == {}
    return (
        isinstance(name, str)
        and name in names
        and isinstance(node_index, int)
        and isinstance(tensor_index, int)
        and not isinstance(node_index, bool)
        and kwargs_ok
    )


def check_model_config(config: Any, source: str) -> None:
    """Raise UnsafeModelError (one line: file, layer, class, reason) unless every part is allow-listed."""

    def refuse(what: str) -> UnsafeModelError:
        return UnsafeModelError(
            f"refusing to load model {source}: {what}; only the layers of GATK's CNN architectures are loaded ({TRUST_HINT})"
        )

    if not isinstance(config, dict) or set(config) - {"class_name", "config"}:
        raise refuse("model_config is not a Keras model description")
    model_class = config.get("class_name")
    if model_class not in MODEL_CLASSES:
        raise refuse(f"model class {model_class!r} is not a functional Model")
    body = config.get("config")
    if not isinstance(body, dict) or not isinstance(body.get("layers"), list):
        raise refuse("model_config has no layer list")
    if extra := set(body) - MODEL_KEYS:
        raise refuse(f"model config has unexpected field(s) {', '.join(sorted(extra))}")
    if _plain(body.get("name")) or _plain(body.get("trainable")):
        raise refuse("model name / trainable are not plain values")

    names: set[str] = set()
    for index, layer in enumerate(body["layers"]):
        if not isinstance(layer, dict):
            raise refuse(f"layer #{index} is not an object")
        cls = layer.get("class_name")
        name = layer.get("name")
        label = f"layer {name!r} (#{index}) of class {cls!r}"
        if not isinstance(cls, str) or cls not in LAYER_KEYS:
            raise refuse(f"{label} is not an allowed layer class ({', '.join(sorted(LAYER_KEYS))})")
        if not isinstance(name, str):
            raise refuse(f"{label} has no name")
        if extra := set(layer) - LAYER_ENTRY_KEYS:
            raise refuse(f"{label} has unexpected field(s) {', '.join(sorted(extra))}")
        layer_config = layer.get("config")
        if not isinstance(layer_config, dict):
            raise refuse(f"{label} has no config object")
        if extra := set(layer_config) - LAYER_KEYS[cls]:
            raise refuse(f"{label} has unexpected config key(s) {', '.join(sorted(extra))}")
        for key, value in layer_config.items():
            if (why := _value_check(key)(value)) is not None:
                raise refuse(f"{label}: {key} {why}")
        inbound = layer.get("inbound_nodes", [])
        if not isinstance(inbound, list) or not all(
            isinstance(call, list) and all(_node_ok(n, names) for n in call) for call in inbound
        ):
            raise refuse(
                f"{label} has malformed inbound_nodes (only [layer, node, tensor, {{}}] references to earlier layers are allowed)"
            )
        names.add(name)
    for key in ("input_layers", "output_layers"):
        refs = body.get(key)
        if not isinstance(refs, list) or not refs or not all(_node_ok(r, names) for r in refs):
            raise refuse(f"model {key} must list [layer, node, tensor] references to its layers")


def check_hdf5_model(h5file: Any, source: str) -> None:
    """Check an open h5py.File's `model_config` (the only part Keras deserialises with compile=False)."""
    raw = h5file.attrs.get("model_config")
    if raw is None:
        raise UnsafeModelError(f"{source} has no model_config: it is a weights-only file, not a whole Keras model as GATK writes")
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    try:
        config = json.loads(str(raw))
    except json.JSONDecodeError as exc:
        raise UnsafeModelError(f"{source}: model_config is not valid JSON ({exc})") from None
    check_model_config(config, source)


def warn_trusted(source: str) -> None:
    log.warning("%s=1: loading %s without the layer allow-list; Keras may run code stored in this file", TRUST_ENV, source)
