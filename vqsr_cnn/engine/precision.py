"""The one precision decision: what was asked (`EngineConfig.precision`) against what this backend and CPU run.

Every path (GATK bridge, `vqsr-cnn score`, the workflow, the bench) gets its precision here, and the engine says
on stderr, once, whenever what runs is not what was asked: never silently FP32 when BF16 or INT8 was asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from .cpu import CpuInfo

# OpenVINO's INFERENCE_PRECISION_HINT names <-> ours
HINT = {"fp32": "f32", "bf16": "bf16"}
FROM_HINT = {"f32": "fp32", "bf16": "bf16", "f16": "fp16"}


@dataclass(frozen=True)
class Precision:
    requested: str  # fp32 | bf16 | int8
    runs: str  # what the engine executes: fp32 | bf16 | int8
    float_hint: str  # OpenVINO INFERENCE_PRECISION_HINT of the float layers (all of them unless runs == int8)
    why: str = ""  # why runs != requested, or a note about the float layers (one line for stderr)

    def fallback(self, why: str) -> Precision:
        """FP32 instead of what was asked (INT8 could not be built), saying why."""
        return Precision(self.requested, "fp32", "f32", why)

    def describe(self) -> str:
        floats = f" (float layers {FROM_HINT[self.float_hint]})" if self.runs == "int8" else ""
        asked = "" if self.runs == self.requested else f", {self.requested} requested"
        return f"{self.runs}{floats}{asked}"


def decide(requested: str, backend: str, cpu: CpuInfo, int8_float: str = "") -> Precision:
    """What runs for `requested` on `backend` with this CPU, before any INT8 model exists (that can still fail:
    `Precision.fallback`). `int8_float` ('' | f32 | bf16) sets the float layers of an INT8 model."""
    no_bf16 = f"this CPU has no native bf16 (OpenVINO capabilities: {','.join(cpu.capabilities)}; {cpu.model})"
    fp32 = Precision(requested, "fp32", "f32")
    if backend == "tensorflow":
        return fp32 if requested == "fp32" else Precision(requested, "fp32", "f32", "the tensorflow backend runs fp32 only")
    if requested == "bf16":
        return Precision("bf16", "bf16", "bf16") if cpu.bf16 else Precision("bf16", "fp32", "f32", no_bf16)
    if requested == "int8":
        if backend != "openvino":
            return Precision("int8", "fp32", "f32", f"int8 runs on the openvino backend only, not {backend}")
        if int8_float == "bf16" and not cpu.bf16:
            return Precision("int8", "int8", "f32", f"int8 float layers run f32: {no_bf16}")
        return Precision("int8", "int8", int8_float or ("bf16" if cpu.bf16 else "f32"))
    return fp32
