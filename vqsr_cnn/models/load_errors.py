"""Say which layer of a model file the Keras loader could not build, so a bad file gets one useful line."""

from __future__ import annotations

import json
import os
from typing import Any

from .keras_compat import keras


def _first_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text.splitlines()[0] if text.strip() else type(exc).__name__


def failing_layer(path: str | os.PathLike) -> str | None:
    """'layer NAME (CLASS): error' for the first layer of PATH's model_config that Keras cannot build, if any.

    Layers are rebuilt from their own config only (no weights, no code from the file: custom classes are
    simply unknown), which is where version mismatches and unknown classes show up."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            raw = f.attrs.get("model_config")
            config = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else str(raw))
    except Exception:  # no readable config: nothing more precise to say
        return None
    layers = (config.get("config") or {}).get("layers") if isinstance(config, dict) else None
    if not isinstance(layers, list):
        return None
    k = keras()
    for layer in layers:
        spec: dict[str, Any] = {"class_name": layer.get("class_name"), "config": layer.get("config") or {}}
        name = layer.get("name") or spec["config"].get("name")
        try:
            built = k.layers.deserialize(spec)
        except Exception as exc:  # the message is what the user needs
            return f"layer {name!r} ({spec['class_name']}): {_first_line(exc)}"
        if not isinstance(built, k.layers.Layer):  # some Keras versions hand unknown classes back unbuilt
            return f"layer {name!r} ({spec['class_name']}): unknown layer class (custom layers are not loaded)"
    return None


def describe_load_failure(path: str | os.PathLike, exc: BaseException) -> str:
    """One line: the failing layer when one can be named, else the loader's own first line."""
    layer = failing_layer(path)
    return layer if layer else _first_line(exc)
