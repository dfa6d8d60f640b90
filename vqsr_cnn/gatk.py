"""The GATK bridge: the two functions CNNScoreVariants.java calls, with GATK 4.2-4.5 signatures.

Java runs `python -u -i`, sends commands over stdin and one data line per variant over the data
FIFO.  An exception here reaches Java as a nack with its message (gatktool's excepthook), so every
failure raises with a message naming the variant; nothing is written for a failed batch.
"""

from __future__ import annotations

import logging
import os
from argparse import Namespace
from typing import TextIO

import numpy as np

from . import defines, logs
from .defines import TensorType
from .encode import encode_batch, resolve_annotation_names
from .engine import Engine, EngineConfig
from .models.allowlist import trust_requested
from .models.gatk_format import load_model_pair
from .readers.fifo import parse_data_line
from .stream import EncodedBatch, score_batches
from .writers.tempfile import write_batch
from .writers.tensors import write_tensor

log = logging.getLogger("vqsr_cnn")


def start_session_get_args_and_model(
    intra_ops: int,
    inter_ops: int,
    semantics_json: str | None,
    weights_hd5: str | None = None,
    tensor_type: str | None = None,
    hd5: str | None = None,
) -> tuple[Namespace, Engine]:
    """Load the GATK model pair once, freeze it and pick the backend; returns (args, model).

    `model` is an :class:`Engine`: it has a Keras-style ``predict`` for callers that use it directly.
    """
    logs.configure()
    if tensor_type is not None:
        tensor_type = TensorType.parse(tensor_type)
    # The bridge is an edge: the settings come from the environment (GATK passes no flags for them).
    spec, keras_model = load_model_pair(semantics_json, weights_hd5 or hd5, tensor_type, trust_requested(os.environ))
    config = EngineConfig.from_env(os.environ, intra_threads=int(intra_ops or 0), inter_threads=int(inter_ops or 0))
    return spec.to_namespace(), Engine(keras_model, spec, config)


def _read_lines(batch_size: int) -> list[str]:
    from gatktool import tool

    lines = []
    for i in range(batch_size):
        line = tool.readDataFIFO()
        if not line:
            raise EOFError(f"data FIFO closed after {i} of {batch_size} lines of this batch")
        lines.append(line)
    return lines


def score_lines(
    model: Engine,
    lines: list[str],
    tensor_type: TensorType,
    annotation_set: str,
    window_size: int,
    read_limit: int,
    tensor_dir: str = "",
    gather: int = defines.MIN_INFERENCE_BATCH_2D,
) -> tuple[list[str], np.ndarray]:
    """Parse, encode and score data lines, `gather` at a time; returns (echo prefixes, scores).

    `gather` (GATK's inference batch size) caps how many lines are encoded before they go to the engine, which
    takes them `model.feed_size` at a time at most (so its first call does not wait for a large batch to be
    encoded) and scores them at its own fixed shapes: the scores do not depend on either.  Used by the bridge and
    the bench.
    """
    names = resolve_annotation_names(annotation_set)
    dump = bool(tensor_dir) and os.path.isdir(tensor_dir)

    def encode_lines(start: int, count: int, whole: bool = dump) -> EncodedBatch[list[str]]:
        """`whole`: every row written (tensor dumps, calibration); else the engine fills what it needs."""
        parsed = [parse_data_line(line, tensor_type, start + i + 1) for i, line in enumerate(lines[start : start + count])]
        examples = [p.example for p in parsed]
        encoded = encode_batch(examples, tensor_type, names, window_size, read_limit, fill_tails=whole)
        if dump:
            for example, t, a in zip(examples, encoded.tensors, encoded.annotations):
                v = example.variant
                write_tensor(tensor_dir, t, a, v.contig, str(v.pos), v.variant_type, tensor_type, annotation_set)
        types = [e.variant.variant_type for e in examples]
        return EncodedBatch(encoded.tensors, encoded.annotations, types, [p.echo for p in parsed], written=encoded.written)

    def encode(start: int) -> EncodedBatch[list[str]]:
        return encode_lines(start, step)

    if model.needs_calibration:  # INT8 asked, nothing cached: these first lines calibrate it (once per model)
        first = encode_lines(0, len(lines), whole=True)
        model.calibrate(first.tensors, first.annotations, first.variant_types)
    step = max(1, min(int(gather), model.feed_size))
    echoes: list[str] = []
    scores: list[np.ndarray] = []
    for batch, batch_scores in score_batches(model, range(0, len(lines), step), encode):
        echoes.extend(batch.records)
        scores.append(batch_scores)
    return echoes, (np.concatenate(scores) if scores else np.zeros(0))


def score_and_write_batch(
    model: Engine,
    file_out: TextIO,
    batch_size: int,
    python_batch_size: int,
    tensor_type: str,
    annotation_set: str,
    window_size: int,
    read_limit: int,
    tensor_dir: str = "",
) -> None:
    """Read `batch_size` data lines from GATK's FIFO and write one score line per variant, in order."""
    lines = _read_lines(int(batch_size))  # read the whole batch first, so Java never blocks on a full FIFO
    echoes, scores = score_lines(
        model,
        lines,
        TensorType.parse(tensor_type),
        annotation_set,
        int(window_size),
        int(read_limit),
        tensor_dir,
        gather=int(python_batch_size),
    )
    write_batch(file_out, echoes, scores)
