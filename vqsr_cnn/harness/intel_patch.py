"""Intel's GATK patch path, for the bench's peer row; imported only inside the legacy environment
(scripts/legacy_env.sh: CPython 3.9, TensorFlow 2.9.3, openvino-tensorflow 2.3.0), where
`IntelPatchSession` (`legacy_stack.py`) drives it over the ack/data FIFOs as CNNScoreVariants.java would.

What Intel's patch does (issue 12's summary of it; Intel's blog "Accelerating Genome Workloads Using the
OpenVINO Integration with TensorFlow" describes the first step as two added lines that import and configure
`openvino_tensorflow`, then "optimized inferencing code"): GATK's Python on TensorFlow 2 with
openvino_tensorflow enabled (`OPENVINO_TF_DISABLE=1` turns it off), the Keras model frozen to a graph and run
at one fixed batch size with the last batch padded, so OpenVINO compiles one shape; GATK's data-line parsing
and tensor encoding unchanged. So here:

- `score_and_write_batch` is GATK 4.2.6.1's own function (its per-line parsing, per-base encoding and score
  formatting), loaded unmodified from the `gatkpythonpackages` 0.1 files that legacy_env.sh keeps under
  `<venv>/gatk-4.2.6.1/` (they cannot stay installed as `vqsr_cnn`: that name is this package);
- the model it calls `predict` on is `PaddedFrozenGraph`: our loader reads the JSON/HD5 pair (GATK 4.2's
  loader is TF 1 code), the Keras model is frozen to one GraphDef, and that graph runs in a TF 1-style session
  with openvino_tensorflow enabled, `batch_size` rows at a time, the last chunk zero-padded.

Nothing of GATK's or Intel's code is copied here; GATK's is run as published.
"""

from __future__ import annotations

import importlib
import sys
import types
from argparse import Namespace
from pathlib import Path
from typing import Any

import numpy as np

from ..defines import TensorType
from ..engine.backends import OpenVINOTensorFlowBackend
from ..engine.config import EngineConfig
from ..engine.cpu import cpu_info
from ..engine.freeze import freeze
from ..engine.precision import decide
from ..models.gatk_format import load_model_pair

GATK_VERSION = "4.2.6.1"  # what gatkpythonpackages 0.1 ships
GATK_CODE_DIR = f"gatk-{GATK_VERSION}"  # under the venv (sys.prefix); scripts/legacy_env.sh fills it
_GATK_PACKAGE = "gatk_vqsr_cnn"  # GATK's package, imported under a name that does not shadow ours


def gatk_code_dir(prefix: str | Path | None = None) -> Path:
    """Where GATK's `vqsr_cnn/vqsr_cnn/*.py` (inference, defines, tensor_maps) are kept in this venv."""
    return Path(prefix or sys.prefix) / GATK_CODE_DIR / "vqsr_cnn" / "vqsr_cnn"


def gatk_inference() -> types.ModuleType:
    """GATK 4.2.6.1's `vqsr_cnn.inference`, imported without its package `__init__` (which pulls in its TF 1
    model builder and matplotlib/scikit-learn plots, none of which inference needs)."""
    loaded = sys.modules.get(f"{_GATK_PACKAGE}.inference")
    if loaded is not None:
        return loaded
    where = gatk_code_dir()
    if not (where / "inference.py").is_file():
        raise RuntimeError(f"GATK {GATK_VERSION}'s vqsr_cnn code is not in {where}: rerun scripts/legacy_env.sh")
    package = types.ModuleType(_GATK_PACKAGE)
    package.__path__ = [str(where)]
    sys.modules[_GATK_PACKAGE] = package
    return importlib.import_module(f"{_GATK_PACKAGE}.inference")


class PaddedFrozenGraph:
    """Stands in for the Keras model in GATK's `score_and_write_batch`: `predict([tensors, annotations],
    batch_size=B)` runs the frozen graph on openvino_tensorflow in chunks of exactly B rows (the last one
    zero-padded, its padding rows dropped), compiled once per B."""

    def __init__(self, keras_model: Any, intra_threads: int = 0, inter_threads: int = 0) -> None:
        self.frozen = freeze(keras_model)
        self.threads = (intra_threads, inter_threads)
        self.backends: dict[int, OpenVINOTensorFlowBackend] = {}

    def backend(self, batch_size: int) -> OpenVINOTensorFlowBackend:
        if batch_size not in self.backends:
            config = EngineConfig(
                backend="openvino-tensorflow",
                micro_batch=batch_size,
                intra_threads=self.threads[0],
                inter_threads=self.threads[1],
            )
            # OVTF as Intel's patch runs it: its plugins.xml as shipped (BF16 by default on CPUs with BF16)
            precision = decide("fp32", config.backend, cpu_info())
            self.backends[batch_size] = OpenVINOTensorFlowBackend(self.frozen, config, precision, shipped=True)
        return self.backends[batch_size]

    def predict(self, inputs: list[np.ndarray], batch_size: int = 32, **_: Any) -> np.ndarray:
        tensors = next(a for a in inputs if np.ndim(a) > 2)
        annotations = next(a for a in inputs if np.ndim(a) == 2)
        return self.backend(int(batch_size)).run(np.asarray(tensors, np.float32), np.asarray(annotations, np.float32))


def describe(model: PaddedFrozenGraph) -> str:
    """Whether openvino_tensorflow is on, its device, and the precision its bundled OpenVINO runs (bf16 by
    default on CPUs that have it: docs/legacy.md), so the bench can show the row ran what it says."""
    import openvino_tensorflow as ovtf  # lazy: it exists only in the legacy env, and this module must import anywhere

    precision = ", ".join(sorted({b.precision for b in model.backends.values()})) or "nothing compiled yet"
    state = "enabled" if ovtf.is_enabled() else "DISABLED"
    return f"openvino_tensorflow {state} on {ovtf.get_backend()}, {precision}"


def start_session_get_args_and_model(
    intra_ops: int, inter_ops: int, semantics_json: str, weights_hd5: str | None = None, tensor_type: str | None = None
) -> tuple[Namespace, PaddedFrozenGraph]:
    """GATK's entry point, same arguments: (model arguments, the frozen-graph model)."""
    gatk_inference()  # fail here, at session start, if GATK's code is missing
    spec, keras_model = load_model_pair(semantics_json, weights_hd5, TensorType.parse(tensor_type) if tensor_type else None)
    return spec.to_namespace(), PaddedFrozenGraph(keras_model, intra_ops, inter_ops)


def score_and_write_batch(model: PaddedFrozenGraph, *args: Any) -> None:
    """GATK 4.2.6.1's own `score_and_write_batch` (same arguments, all positional as CNNScoreVariants.java sends
    them: file, batch size, inference batch, tensor type, annotation set, window, read limit, tensor dir), on our
    model: it reads the batch's lines from the data FIFO itself."""
    gatk_inference().score_and_write_batch(model, *args)
