"""The machine a run was on, recorded with every run: what decides which kernels run (the CPU model, the flags
that matter, OpenVINO's capabilities and the CPU class docs/performance.md keeps figures apart by), how many
cores, and how busy the machine was."""

from __future__ import annotations

import importlib.metadata
import os
import platform
from typing import Any

from ..engine.cpu import cpu_info


def loadavg() -> list[float] | None:
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine_record(threads: int) -> dict[str, Any]:
    cpu = cpu_info()
    return {
        "cpu": cpu.model,
        "cpu_class": cpu.cpu_class,
        "flags": list(cpu.flags),
        "openvino_capabilities": list(cpu.capabilities),
        "capabilities_source": cpu.capabilities_source,
        "cpus_visible": os.cpu_count(),
        "threads": threads,
        "python": platform.python_version(),
        "openvino": _version("openvino"),
        "tensorflow": _version("tensorflow"),
        "loadavg_start": loadavg(),
    }


def format_machine(record: dict[str, Any]) -> str:
    """One header line: 'machine: <model> [AMX: avx2 ...]; OpenVINO 2026.4.1 capabilities BF16,...; 2 threads of
    2 CPUs; load average 0.9'."""
    load = record.get("loadavg_start")
    return (
        f"machine: {record['cpu']} [{record['cpu_class']}: {' '.join(record['flags']) or 'none of the flags that matter'}]; "
        f"OpenVINO {record['openvino']} capabilities {','.join(record['openvino_capabilities'])} "
        f"(from {record['capabilities_source']}); {record['threads']} threads of {record['cpus_visible']} CPUs"
        + (f"; load average {load[0]:.1f}" if load else "")
    )
