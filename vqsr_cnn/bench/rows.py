"""The bench's rows for one tensor type: every stage (baselines, encoder, engines, bridge, `score`, tuning
variants, GEMM limits) as a timed `Row` over the same inputs of a `TypeBench`."""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path
from typing import Any

from ..encode import encode_examples
from ..engine.config import DEFAULT_MICRO_BATCH
from ..engine.convert import openvino_model
from ..gatk import score_lines
from ..pipeline import ScoreOptions, score_vcf
from .baselines import baseline_rows, intel_patch_rows
from .depth import depth_rows
from .limit import GemmProbe
from .timing import Row, transfer_chunks
from .tuning import OVRunner
from .vcfs import repeated_vcf

ENGINE_SPECS = (("tensorflow", "fp32"), ("openvino", "fp32"), ("openvino", "bf16"))
LIMIT_PROBES = (("f32", "OpenVINO F32"), ("numpy-f32", "numpy F32"), ("bf16", "OpenVINO BF16"))


def build_rows(tb: Any) -> list[Row]:
    """Every row asked for (`--rows`); the baseline, the Intel-patch peer (when the legacy env exists), the
    OpenVINO FP32 engine and the limits always run."""
    o, n = tb.options, tb.n
    rows: list[Row] = baseline_rows(tb, transfer_chunks(n, o.transfer_batch))  # GATK 4.2's real code if its env exists
    rows.extend(intel_patch_rows(tb))
    if o.wanted("encode"):
        rows.append(encode_row(tb))
    if o.wanted("depth"):
        rows.extend(depth_rows(tb))
    for backend, precision in ENGINE_SPECS:
        name = f"engine only: {backend} frozen {precision.upper()}"
        if o.wanted(name) or (backend, precision) == ("openvino", "fp32"):
            rows.append(engine_row(tb, name, tb.engine(backend, precision), precision))
    if o.int8 and o.wanted("INT8"):
        int8 = tb.int8()
        if int8 is not None:
            rows.append(engine_row(tb, "engine only: openvino INT8 (accuracy-controlled)", int8, "int8"))
    if o.tuning:
        rows.extend(tuning_rows(tb))
    default = tb.engine("openvino", "fp32")
    if o.wanted("bridge"):
        rows.append(bridge_row(tb, "end to end: bridge (data lines, gatk.score_lines, encode overlapped)", default, "fp32"))
        for precision in ("bf16", "int8"):
            engine = tb.engines.get(f"openvino-{precision}")
            if engine is not None:
                rows.append(bridge_row(tb, f"end to end: bridge, {precision.upper()} (opt-in)", engine, precision))
    if o.wanted("score"):
        rows.append(score_row(tb, default))
    rows.extend(limit_rows(o.threads))
    return rows


def _engine_note(engine: Any) -> str:
    return f"{engine.backend.name} {engine.executed_precision}, " + (
        "exact rows" if engine.exact is not None else f"micro-batch {engine.micro_batch}"
    )


def encode_row(tb: Any) -> Row:
    chunks = transfer_chunks(tb.n, tb.options.transfer_batch)

    def encode() -> None:
        for a, b in chunks:
            encode_examples(tb.examples[a:b], tb.tt, tb.names, tb.window, tb.read_limit)

    return Row("encode only (vectorised encoder)", "encode", encode, tb.n)


def engine_row(tb: Any, name: str, engine: Any, precision: str) -> Row:
    chunks = transfer_chunks(tb.n, tb.options.transfer_batch)

    def run() -> None:
        for a, b in chunks:
            engine.predict_arrays(tb.tensors[a:b], tb.annotations[a:b])

    return Row(name, "engine", run, tb.n, precision=precision, note=_engine_note(engine))


def bridge_row(tb: Any, name: str, engine: Any, precision: str) -> Row:
    chunks = transfer_chunks(tb.n, tb.options.transfer_batch)

    def run() -> None:
        for a, b in chunks:
            score_lines(engine, tb.lines[a:b], tb.tt, ",".join(tb.names), tb.window, tb.read_limit, gather=tb.batch)

    return Row(name, "end-to-end", run, tb.n, precision=precision, note=_engine_note(engine))


def tuning_rows(tb: Any) -> list[Row]:
    rows = []
    # The fixed compute shape: the default micro-batch against others, and against the gather size itself
    # (the largest shape of the former bucketed engine), on the same rows, interleaved.
    # 2D: the micro-batch is the dense engine's shape (--dense, BF16, INT8); the depth-aware engine runs batch 1.
    dense = tb.tt == "read_tensor"
    suffix = ", dense" if dense else ""
    default = DEFAULT_MICRO_BATCH["openvino"][tb.tt]
    for micro in sorted({max(1, default // 2), default, default * 2, default * 4, tb.batch}):
        rows.append(
            engine_row(
                tb,
                f"tuning: openvino FP32 micro-batch {micro}{' (default)' if micro == default else ''}{suffix}",
                tb.engine("openvino", "fp32", micro_batch=micro, dense=dense),
                "fp32",
            )
        )
        tb.engines.pop(f"openvino-fp32-m{micro}" + ("-dense" if dense else ""), None)  # keep few compiled models alive
    rows.append(
        bridge_row(
            tb,
            f"tuning: bridge, micro-batch {tb.batch} = gather (bucketed engine's shape){suffix}",
            tb.engine("openvino", "fp32", micro_batch=tb.batch, dense=dense),
            "fp32",
        )
    )
    tb.engines.pop(f"openvino-fp32-m{tb.batch}" + ("-dense" if dense else ""), None)
    model = openvino_model(tb.engine("openvino", "fp32").frozen)
    for hint in ("LATENCY", "THROUGHPUT"):
        for pinning in (False, True):
            runner = OVRunner(model, tb.batch, hint, "fp32", tb.options.threads, pinning=pinning)
            rows.append(
                Row(
                    f"tuning: openvino FP32 {runner.label}",
                    "engine",
                    partial(runner, tb.tensors, tb.annotations),
                    tb.n,
                    precision="fp32",
                )
            )
    return rows


def _usable(fields: list[str]) -> bool:
    """A VCF record `score` scores (no symbolic or spanning-deletion ALT)."""
    return not any(a.startswith("<") or a == "*" for a in fields[4].split(","))


def score_row(tb: Any, engine: Any) -> Row:
    work = Path(tempfile.mkdtemp(prefix="vqsr_cnn_bench_"))
    vcf = work / "input.vcf"
    repeated_vcf(tb.sources["vcf"], vcf, tb.n, _usable)
    options = ScoreOptions(
        variant=str(vcf),
        reference=tb.sources["fasta"],
        output=str(work / "out.vcf.gz"),
        reads=tb.sources["bam"],
        tensor_type=tb.tt,
        batch_size=tb.batch,
        engine=engine.config,
        quiet=True,
        progress_seconds=1e9,
    )

    def score() -> None:
        summary = score_vcf(options, engine=engine)
        if summary.scored != tb.n:
            raise RuntimeError(f"score wrote {summary.scored} scores for {tb.n} records")

    return Row(
        "end to end: score (VCF+FASTA+BAM -> scored VCF)",
        "end-to-end",
        score,
        tb.n,
        note=f"{tb.real_examples} real records repeated",
    )


def limit_rows(threads: int) -> list[Row]:
    """The measured GEMM throughput per precision, in variants/s of this model (the `% limit` denominators)."""
    rows = []
    for precision, label in LIMIT_PROBES:
        probe = GemmProbe(precision, threads)
        rows.append(
            Row(
                f"limit: {label} GEMM {probe.size}^3 x{probe.calls} / model FLOPs",
                "limit",
                probe,
                precision="bf16" if precision == "bf16" else "fp32",
                flops=probe.flops,
            )
        )
    return rows
