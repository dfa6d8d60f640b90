"""Which configured backends this CPU can run as asked, decided when Snakemake builds the DAG.

A backend whose precision the engine would not run here (BF16 on a CPU without native bf16, any reduced precision
on the tensorflow backend, ...) is skipped with the engine's own reason, instead of scoring FP32 under a BF16
label. The decision is the engine's (`vqsr_cnn.engine.precision.decide`, from `cpu_info()`); INT8 on OpenVINO
runs on every CPU (AVX2 included). What really ran is checked again after scoring, from each job's metrics
JSON (the summary): a cluster node may differ from the host that built the DAG, and an INT8 model can still
fail to build (too few records to calibrate on).

Snakemake imports this while it parses the workflow, so it must stay cheap: `cpu_info()` asks OpenVINO once
(~0.2 s), and only when some backend asks for a reduced precision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Skipped:
    backend: str
    precision: str
    note: str  # one sentence: why this backend does not run here


def plan_backends(
    backends: Mapping[str, Mapping[str, Any]],
    reference: str,
    cpu: Callable[[], Any] | None = None,
    decide: Callable[..., Any] | None = None,
) -> tuple[list[str], list[Skipped]]:
    """(names that run, skipped ones with the reason), in config order.

    `backends` maps name -> {backend, precision, against}; `cpu` returns a `CpuInfo` and `decide` is the
    engine's precision decision (both injectable for tests; default: the engine's). A backend diffed
    `against` a skipped one is skipped too. The reference backend must run: without it there is nothing to
    diff against, so a reference this CPU cannot run is an error (ValueError)."""
    if decide is None or cpu is None:
        from vqsr_cnn.engine.cpu import cpu_info
        from vqsr_cnn.engine.precision import decide as engine_decide

        decide = decide or engine_decide
        cpu = cpu or cpu_info
    facts = None
    skipped: dict[str, str] = {}
    for name, entry in backends.items():
        asked = entry.get("precision", "fp32")
        if asked == "fp32":
            continue  # FP32 runs on every backend and CPU
        facts = facts or cpu()
        decision = decide(asked, entry["backend"], facts)
        if decision.runs != asked:
            skipped[name] = f"{asked} on {entry['backend']} does not run here: {decision.why}"
    if reference in skipped:
        raise ValueError(f"config field reference_backend: {reference!r} cannot run as configured here: {skipped[reference]}")
    changed = True
    while changed:  # a backend diffed against a skipped one has nothing to be diffed against
        changed = False
        for name, entry in backends.items():
            against = entry.get("against") or reference
            if name != reference and name not in skipped and against in skipped:
                skipped[name] = f"it is diffed against {against!r}, which is skipped: {skipped[against]}"
                changed = True
    run = [name for name in backends if name not in skipped]
    return run, [Skipped(name, backends[name].get("precision", "fp32"), skipped[name]) for name in backends if name in skipped]


def cpu_description(cpu: Callable[[], Any] | None = None) -> str:
    """The CPU the DAG was planned on, for the summary ('' when vqsr_cnn cannot say)."""
    try:
        if cpu is None:
            from vqsr_cnn.engine.cpu import cpu_info as cpu
        return str(cpu().describe())
    except (ImportError, RuntimeError):  # no vqsr_cnn / OpenVINO in Snakemake's Python: informative only
        return ""
