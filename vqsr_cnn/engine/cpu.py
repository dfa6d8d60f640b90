"""What this CPU can run: OpenVINO's CPU capabilities and the instruction-set flags that decide precision.

Read once per process. OpenVINO's `OPTIMIZATION_CAPABILITIES` is the authority (it says BF16 only where its CPU
plugin has native bf16 kernels); where the `openvino` package is absent (the legacy Python 3.9 environment)
the kernel's CPU flags stand in for it.
"""

from __future__ import annotations

import functools
import importlib.util
import platform
from dataclasses import dataclass

from ..runtimes import import_openvino

# The flags that decide which kernels run: AVX2 / AVX-512 FP32, VNNI INT8, AVX-512 BF16 and AMX tiles.
FLAGS_THAT_MATTER = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8")


@dataclass(frozen=True)
class CpuInfo:
    model: str
    flags: tuple[str, ...]  # those of FLAGS_THAT_MATTER the CPU has
    capabilities: tuple[str, ...]  # OpenVINO's OPTIMIZATION_CAPABILITIES (or derived from flags)
    capabilities_source: str  # "openvino" or "cpu flags"

    @property
    def bf16(self) -> bool:
        return "BF16" in self.capabilities

    @property
    def cpu_class(self) -> str:
        """AMX, AVX-512 or AVX2: the classes whose figures docs/performance.md keeps apart."""
        if "amx_bf16" in self.flags:
            return "AMX"
        if "avx512f" in self.flags:
            return "AVX-512"
        return "AVX2" if "avx2" in self.flags else "other"

    def describe(self) -> str:
        return f"{self.model} [{self.cpu_class}: {' '.join(self.flags) or 'none of ' + ','.join(FLAGS_THAT_MATTER)}]"


def _cpuinfo() -> tuple[str, set[str]]:
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and value.strip():
                    model = value.strip()
                elif key == "flags":
                    flags = set(value.split())
                    break
    except OSError:
        pass
    return model, flags


@functools.lru_cache(maxsize=1)
def cpu_info() -> CpuInfo:
    model, flags = _cpuinfo()
    present = tuple(f for f in FLAGS_THAT_MATTER if f in flags)
    if importlib.util.find_spec("openvino") is not None:
        caps = tuple(import_openvino().Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"))
        return CpuInfo(model, present, caps, "openvino")
    derived = ["FP32", "INT8"] + (["BF16"] if {"avx512_bf16", "amx_bf16"} & flags else [])
    return CpuInfo(model, present, tuple(derived), "cpu flags")
