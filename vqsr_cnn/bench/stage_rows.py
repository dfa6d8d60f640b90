"""The timed stages of scoring, each a `Row` over a TypeBench's inputs: parsing data lines, encoding, one engine on
tensors, the GATK bridge on data lines, `vqsr-cnn score` on a VCF.

Rows are named by what ran, read back from the engine (its executed precision; exact rows or dense at its
micro-batch), so a fallback is never timed under the name of what was asked; each carries the model FLOPs its
engine executes per variant, for `% limit`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ..encode import encode_batch
from ..gatk import score_lines
from ..pipeline import ScoreOptions, score_vcf
from ..readers.fifo import parse_data_line
from .data import usable
from .flops import engine_flops
from .timing import Row, transfer_chunks
from .vcfs import repeated_vcf


def ran(engine: Any) -> str:
    """The precision the engine's compiled models execute: fp32 | bf16 | int8."""
    return str(engine.backend.precision)


def engine_label(engine: Any) -> str:
    """'openvino BF16 exact rows', 'openvino INT8 (float layers bf16) dense, micro-batch 16', 'tensorflow FP32
    dense, 1 row per call'; '(bf16 asked)' follows the precision when what runs is not what was asked."""
    executed = engine.executed_precision  # fp32 | bf16 | int8 (float layers ...): every name is 4 letters
    text = executed[:4].upper() + executed[4:]
    if engine.precision.requested != ran(engine):
        text += f" ({engine.precision.requested} asked)"
    if engine.exact is not None:
        return f"{engine.backend.name} {text} exact rows"
    dense = " dense" if len(engine.frozen.tensor_shape) == 3 else ""  # 2D: every read row computed
    shape = "1 row per call" if engine.micro_batch == 1 else f"micro-batch {engine.micro_batch}"
    return f"{engine.backend.name} {text}{dense}, {shape}"


def parse_row(tb: Any) -> Row:
    """GATK's data lines parsed into examples (the bridge's first stage)."""

    def parse() -> None:
        for i, line in enumerate(tb.lines):
            parse_data_line(line, tb.tt, i + 1)

    return Row("parse only (readers.fifo.parse_data_line)", "stage", parse, tb.n)


def encode_row(tb: Any) -> Row:
    """The encoder as the bridge runs it: in the default engine's feed-sized chunks, each 2D variant's rows after
    its reads left for the engine (`fill_tails=False`), so the row costs what the bridge's second stage costs."""
    feed = tb.engine("openvino", "fp32").feed_size
    chunks = transfer_chunks(tb.n, feed)

    def encode() -> None:
        for a, b in chunks:
            encode_batch(tb.examples[a:b], tb.tt, tb.names, tb.window, tb.read_limit, fill_tails=False)

    return Row("encode only (vectorised encoder)", "stage", encode, tb.n, note=f"chunks of {feed}, as the bridge")


def engine_row(tb: Any, engine: Any, tensors: np.ndarray, annotations: np.ndarray, prefix: str = "engine: ") -> Row:
    """The engine alone on these tensors, one predict per transfer batch."""
    chunks = transfer_chunks(tb.n, tb.options.transfer_batch)

    def run() -> None:
        for a, b in chunks:
            engine.predict_arrays(tensors[a:b], annotations[a:b])

    return Row(
        prefix + engine_label(engine),
        "engine",
        run,
        tb.n,
        precision=ran(engine),
        flops_per_variant=engine_flops(engine, tensors, tb.keras),
    )


def bridge_row(tb: Any, engine: Any) -> Row:
    """GATK's bridge (`gatk.score_lines`) on data lines, per transfer batch, encoding overlapped with inference."""
    chunks = transfer_chunks(tb.n, tb.options.transfer_batch)

    def run() -> None:
        for a, b in chunks:
            score_lines(engine, tb.lines[a:b], tb.tt, ",".join(tb.names), tb.window, tb.read_limit, gather=tb.batch)

    return _end_to_end(tb, "bridge", engine, run, "data lines, gatk.score_lines per transfer batch, encoding overlapped")


def _end_to_end(tb: Any, stage: str, engine: Any, run: Any, note: str) -> Row:
    """An end-to-end row: its engine executes the FLOPs of the bench's encoded examples (what it is fed)."""
    flops = engine_flops(engine, tb.encoded()[0], tb.keras)
    return Row(f"{stage}: {engine_label(engine)}", "end-to-end", run, tb.n, ran(engine), flops_per_variant=flops, note=note)


def score_row(tb: Any, engine: Any) -> Row:
    """`vqsr-cnn score` end to end: VCF + FASTA (+ BAM) -> bgzipped scored VCF, the engine given."""
    work = Path(tempfile.mkdtemp(prefix="vqsr_cnn_bench_"))
    vcf = work / "input.vcf"
    repeated_vcf(tb.sources["vcf"], vcf, tb.n, lambda fields: usable(fields[3], fields[4].split(",")))
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

    sources = f"VCF+FASTA{'+BAM' if tb.sources['bam'] else ''}"
    return _end_to_end(tb, "score", engine, score, f"{sources} -> scored VCF, {tb.real_examples} real records repeated")
