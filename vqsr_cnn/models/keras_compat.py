"""Import Keras-2 semantics: tf-keras on TF >= 2.16, tf.keras on older TF (the legacy 3.9 env).

Keras 3 cannot read GATK's Keras-2 HD5 files, so Keras 3 is never used here.
"""

from __future__ import annotations

import inspect
from typing import Any

from ..errors import InputError
from ..runtimes import import_tensorflow

_legacy_shim_installed = False


def keras() -> Any:
    tf = import_tensorflow()
    try:
        import tf_keras

        return tf_keras
    except ImportError:
        _install_legacy_shim(tf.keras)
        return tf.keras


def _install_legacy_shim(k: Any) -> None:
    """Let old tf.keras (TF 2.9) read HD5 files written by newer Keras 2, whose InputLayer config has an
    `optional` key that TF 2.9 rejects ("Unrecognized keyword arguments: ['optional']")."""
    global _legacy_shim_installed
    if _legacy_shim_installed:
        return
    base = k.layers.InputLayer

    class InputLayer(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, optional: bool = False, **kwargs: Any) -> None:
            if optional:
                raise InputError("optional model inputs need Keras >= 2.15; this model cannot run on TF 2.9")
            super().__init__(*args, **kwargs)

    if "optional" not in inspect.signature(base.__init__).parameters:
        k.utils.get_custom_objects()["InputLayer"] = InputLayer
    _legacy_shim_installed = True
