"""EngineConfig: every engine setting in one frozen object, built once at the edges from flags and environment.

Nothing below the edges (the GATK bridge, the `vqsr-cnn` commands) reads the environment: they build an
EngineConfig with :meth:`EngineConfig.from_env`, log it once, and pass it down.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

from ..errors import InputError

BACKENDS = ("openvino", "tensorflow", "openvino-tensorflow")
PRECISIONS = ("fp32", "bf16", "int8")
OV_HINTS = ("THROUGHPUT", "LATENCY")
INT8_FLOAT = ("", "f32", "bf16")

# The one compute shape (rows per backend call) per backend and tensor type, chosen by measurement
# (docs/performance.md, `vqsr-cnn bench --tuning`). OpenVINO: 2D throughput is flat from 8 to 64 rows, so the
# smallest flat size keeps a padded final micro-batch cheap; 1D gains up to 64 rows; every row position of these
# shapes was measured to give bit-identical results. Stock TensorFlow (and the TF-based legacy integration) gave
# the row in the last position of a 64-row batch a different last bit, so they score one row per call, where no
# position exists. GATK's batch sizes only decide how many rows are gathered.
DEFAULT_MICRO_BATCH = {
    "openvino": {"read_tensor": 16, "reference": 64},
    "tensorflow": {"read_tensor": 1, "reference": 1},
    "openvino-tensorflow": {"read_tensor": 1, "reference": 1},
}
# OpenVINO shapes that differ by CPU class (`cpu_info().cpu_class`) and precision, where a measurement on that class
# chose another size: `vqsr-cnn bench --tuning` on an AMX Xeon, 2 cores, three runs, each micro-batch's per-round
# speed against the default: 1D INT8 at 32 rows 1.17-1.23x the 64-row shape (lower quartiles >= 1.12); 2D and the
# other 1D precisions within the noise of their default (64 rows was slower for 2D at every precision). These shapes
# too gave bit-identical rows at every position.
DEFAULT_MICRO_BATCH_BY_CPU = {("AMX", "int8"): {"reference": 32}}

# Environment variables read by EngineConfig.from_env (and nowhere else).
ENV_BACKEND = "VQSR_CNN_BACKEND"
ENV_INTEL_SWITCH = "OPENVINO_TF_DISABLE"  # Intel's GATK patch: 1 = stock TensorFlow
ENV_PRECISION = "VQSR_CNN_PRECISION"
ENV_MICRO_BATCH = "VQSR_CNN_MICRO_BATCH"
ENV_OV_HINT = "VQSR_CNN_OV_HINT"
ENV_INT8_FLOAT = "VQSR_CNN_INT8_FLOAT"
ENV_DENSE = "VQSR_CNN_DENSE"  # 1 = the 2D depth-aware engine off: every read row computed (for comparison)
ENV_CACHE_DIR = "VQSR_CNN_CACHE_DIR"  # where INT8 models are cached (default $XDG_CACHE_HOME/vqsr_cnn)


def user_cache_dir(environ: Mapping[str, str]) -> str:
    """$VQSR_CNN_CACHE_DIR, else $XDG_CACHE_HOME/vqsr_cnn, else ~/.cache/vqsr_cnn."""
    if environ.get(ENV_CACHE_DIR):
        return environ[ENV_CACHE_DIR]
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "vqsr_cnn")


def _choice(value: str, choices: tuple[str, ...], what: str) -> str:
    if value not in choices:
        raise InputError(f"unknown {what} {value!r}: choose one of {', '.join(c for c in choices if c)}")
    return value


@functools.cache
def default_backend() -> str:
    """openvino when importable; the legacy integration in its Python 3.9 environment; else tensorflow, with one
    warning per process (the answer is cached): on Python 3.10+ OpenVINO is a dependency, so a user expects it."""
    if importlib.util.find_spec("openvino") is not None:
        return "openvino"
    if importlib.util.find_spec("openvino_tensorflow") is not None:
        return "openvino-tensorflow"
    logging.getLogger("vqsr_cnn").warning(
        "OpenVINO is not importable: falling back to the slower stock TensorFlow backend "
        "(install openvino, or set %s=tensorflow to choose TensorFlow)",
        ENV_BACKEND,
    )
    return "tensorflow"


@dataclass(frozen=True)
class EngineConfig:
    backend: str = ""  # '' = default_backend()
    precision: str = "fp32"
    micro_batch: int = 0  # rows per backend call; 0 = DEFAULT_MICRO_BATCH of the backend and tensor type
    intra_threads: int = 0  # 0 = let the runtime decide
    inter_threads: int = 0
    ov_hint: str = "THROUGHPUT"  # OpenVINO: one single-threaded stream per core, or one request on all cores
    int8_float: str = ""  # precision of an INT8 model's float layers; '' = bf16 where the CPU has it, else f32
    dense: bool = False  # 2D on OpenVINO FP32: True turns the depth-aware engine off (engine/depth_runner.py)
    cache_dir: str = ""  # INT8 model cache (engine/quantize.py); '' = do not cache

    def __post_init__(self) -> None:
        if self.backend:
            _choice(self.backend, BACKENDS, "backend")
        _choice(self.precision, PRECISIONS, "precision")
        _choice(self.ov_hint, OV_HINTS, "OpenVINO performance hint")
        _choice(self.int8_float, INT8_FLOAT, "INT8 float precision")
        for name in ("micro_batch", "intra_threads", "inter_threads"):
            if getattr(self, name) < 0:
                raise InputError(f"{name.replace('_', ' ')} must be 0 or more, got {getattr(self, name)}")

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str],
        backend: str | None = None,
        precision: str | None = None,
        micro_batch: int | None = None,
        intra_threads: int = 0,
        inter_threads: int = 0,
        dense: bool | None = None,
    ) -> EngineConfig:
        """Flags win over the environment, except OPENVINO_TF_DISABLE=1, which always means stock TensorFlow
        (users of Intel's GATK patch set it to get the reference backend, whatever else is configured)."""
        chosen = backend or environ.get(ENV_BACKEND, "")
        if environ.get(ENV_INTEL_SWITCH, "") == "1":
            chosen = "tensorflow"
        micro = micro_batch if micro_batch is not None else environ.get(ENV_MICRO_BATCH, "") or 0
        try:
            micro = int(micro)
        except ValueError:
            raise InputError(f"{ENV_MICRO_BATCH}={micro!r} is not a whole number") from None
        return cls(
            backend=chosen,
            precision=(precision or environ.get(ENV_PRECISION, "") or "fp32").lower(),
            micro_batch=micro,
            intra_threads=int(intra_threads or 0),
            inter_threads=int(inter_threads or 0),
            ov_hint=environ.get(ENV_OV_HINT, "THROUGHPUT").upper(),
            int8_float=environ.get(ENV_INT8_FLOAT, "").lower(),
            dense=bool(dense) or environ.get(ENV_DENSE, "") == "1",
            cache_dir=user_cache_dir(environ),
        )

    def resolved(self, tensor_type: str) -> EngineConfig:
        """This config with the backend and the micro-batch filled in for a model of `tensor_type` (on OpenVINO, the
        shape measured best for this CPU class and precision)."""
        backend = self.backend or default_backend()
        micro = self.micro_batch or DEFAULT_MICRO_BATCH[backend][tensor_type]
        if not self.micro_batch and backend == "openvino" and self.precision != "fp32":
            from .cpu import cpu_info  # reads OpenVINO's capabilities, once per process

            micro = DEFAULT_MICRO_BATCH_BY_CPU.get((cpu_info().cpu_class, self.precision), {}).get(tensor_type, micro)
        return replace(self, backend=backend, micro_batch=micro)
