"""The native runtimes (TensorFlow, OpenVINO, openvino-tensorflow, NNCF), each imported once, quietly and
without telemetry.

TensorFlow and openvino-tensorflow read some settings only from the process environment, at import, so this is
the one module below the edges that sets environment variables.
"""

from __future__ import annotations

import os
import sys
from typing import Any

_native_verbose = False


def show_native_output(verbose: bool) -> None:
    """`--verbose`: TensorFlow's C++ start-up lines are shown (set before the first import)."""
    global _native_verbose
    _native_verbose = verbose


def import_tensorflow() -> Any:
    """`import tensorflow`, once, with its C++ start-up lines hidden unless asked for.

    TF_USE_LEGACY_KERAS=1 makes `tf.keras` the Keras 2 that GATK's HD5 files need; it must be set before the
    first import. Python exceptions from the import still propagate: only native stderr output is dropped.
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    if _native_verbose or "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        import tensorflow

        return tensorflow
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    sys.stderr.flush()
    os.dup2(devnull, 2)
    try:
        import tensorflow
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return tensorflow


def import_openvino_tensorflow() -> Any:
    """`import openvino_tensorflow` with per-cluster cost assignment off (unless the user set it): otherwise each
    new cluster times OpenVINO against TF for 3 calls and keeps the winner, so the backend would vary by run."""
    os.environ.setdefault("OPENVINO_TF_DISABLE_COST_ASSIGNMENT", "1")
    import openvino_tensorflow

    return openvino_tensorflow


def import_nncf() -> Any:
    """`import nncf` with its usage telemetry off (unless the user set NNCF_CI): NNCF reads NNCF_CI only to replace
    its Google Analytics telemetry with a stub, and an INT8 quantisation run should not phone home."""
    os.environ.setdefault("NNCF_CI", "1")
    import nncf

    return nncf


def import_openvino() -> Any:
    """`import openvino` without the usage event its import posts to Google Analytics (from a forked process).

    OpenVINO's telemetry decides consent once, when it is set up during the import, and declines in CI jobs
    (CI=true); so CI=true is set for the import only and the environment restored. A user who opted in with
    OpenVINO's `opt_in_out` still has this process's conversions declined: we never call the conversion tool.
    """
    if "openvino" in sys.modules:
        return sys.modules["openvino"]
    saved = os.environ.get("CI")
    os.environ["CI"] = "true"
    try:
        import openvino
    finally:
        if saved is None:
            del os.environ["CI"]
        else:
            os.environ["CI"] = saved
    return openvino
