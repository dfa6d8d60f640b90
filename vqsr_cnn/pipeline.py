"""Standalone scoring: VCF + FASTA (+ BAM/CRAM) -> VCF with CNN_1D / CNN_2D, streamed.

(About 340 lines: options, input checks, the record stream and the summary of one scoring run, read top to
bottom; readers, encoders, engine and writers are in their own modules.)

One reader thread walks the VCF in file order, builds each record's Example (reference window, INFO
annotations, reads) exactly as CNNScoreVariants.java would send it, and encodes batches; the calling
thread runs the engine (which releases the GIL) and writes the scored lines.  A bounded queue between
them (:func:`vqsr_cnn.stream.score_batches`) keeps at most ``encode_ahead`` encoded batches in memory,
so a whole-genome VCF is never held.

Used by ``vqsr-cnn score`` and importable (``score_vcf(ScoreOptions(...))``) for benchmarks and workflows.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import defines
from .defines import TensorType
from .encode import encode_batch
from .engine import Engine, EngineConfig
from .engine.config import ENV_CACHE_DIR
from .engine.int8.cache import cache_entry
from .engine.int8.quantize import Int8Unavailable
from .engine.int8.settings import MIN_CALIBRATION, Calibration, split_calibration
from .errors import InputError
from .models.bundled import default_model_paths
from .models.gatk_format import load_model_pair
from .models.spec import ModelSpec
from .progress import ProgressMeter
from .readers.bam import ReadSource
from .readers.examples import check_contigs, make_example
from .readers.fasta import ReferenceReader
from .readers.intervals import Intervals, parse_intervals
from .readers.vcf import VcfReader, is_symbolic_or_sv
from .records import Example
from .scores import format_score
from .stream import EncodedBatch, score_batches
from .writers.vcf import AtomicVcfWriter, add_info_header, insert_info

log = logging.getLogger("vqsr_cnn")

# Records gathered per engine call when none is given (GATK's defaults); the engine's compute shape is its own
# fixed micro-batch, so this changes memory and latency, never a score.
DEFAULT_BATCH = defines.DEFAULT_INFERENCE_BATCH
NO_READS_WARNINGS = 10  # GATK warns for every such site; we show the first few and count the rest


@dataclass
class ScoreOptions:
    variant: str
    reference: str
    output: str
    reads: str | None = None
    tensor_type: TensorType = TensorType.REFERENCE  # a str is parsed once, here
    architecture: str | None = None
    weights: str | None = None
    intervals: Sequence[str] = ()
    batch_size: int | None = None  # records gathered per engine call (default DEFAULT_BATCH)
    engine: EngineConfig = field(default_factory=EngineConfig)
    filter_symbolic_and_sv: bool = False
    annotation_keys: Sequence[str] | None = None  # default: the model's (GATK's seven)
    window_size: int | None = None  # default: the model's (128)
    read_limit: int | None = None  # default: the model's (128)
    read_filter: str = "gatk"
    trust_model_code: bool = False  # load models outside the layer allow-list (the user's explicit opt-in)
    quiet: bool = False
    progress_seconds: float = 10.0
    encode_ahead: int = 2  # encoded batches waiting for the engine, at most

    def __post_init__(self) -> None:
        self.tensor_type = TensorType.parse(self.tensor_type, "--tensor-type")


@dataclass
class ScoreSummary:
    output: str
    records: int = 0  # data lines read from the VCF
    scored: int = 0  # written with a score
    filtered_symbolic_or_sv: int = 0  # dropped by --filter-symbolic-and-sv (GATK drops them from the output)
    outside_intervals: int = 0  # not overlapping -L (not written, as GATK)
    without_reads: int = 0  # 2D records with no reads: scored on an empty read tensor, as GATK
    reads_seen: int = 0
    reads_kept: int = 0
    seconds: float = 0.0  # streaming (read, encode, infer, write); model loading is extra["setup_seconds"]
    backend: str = ""
    precision: str = ""
    info_key: str = ""
    model: ModelSpec | None = None  # what scored: files, and the digest of the weights Keras loaded
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def variants_per_minute(self) -> float:
        return 60.0 * self.scored / self.seconds if self.seconds > 0 else 0.0


def resolve_model_paths(tensor_type: TensorType, architecture: str | None, weights: str | None) -> tuple[str, str]:
    """GATK's rules: none -> bundled default; one given -> the other by swapping .json/.hd5."""
    if architecture is None and weights is None:
        json_path, hd5_path = default_model_paths(tensor_type)
        return str(json_path), str(hd5_path)
    if weights is None:
        return str(architecture), str(architecture).replace(".json", defines.TENSOR_SUFFIX)
    if architecture is None:
        return str(weights).replace(defines.TENSOR_SUFFIX, ".json"), str(weights)
    return str(architecture), str(weights)


def load_engine(options: ScoreOptions, calibration: Callable[[], Calibration] | None = None) -> Engine:
    """The Engine for the options' model, backend, precision, batch and threads (its `spec` says what it takes).

    `calibration` is called only when INT8 is asked for and no INT8 model of these weights is cached."""
    json_path, hd5_path = resolve_model_paths(options.tensor_type, options.architecture, options.weights)
    spec, keras_model = load_model_pair(json_path, hd5_path, options.tensor_type, options.trust_model_code)
    if spec.tensor_type != options.tensor_type:
        raise InputError(
            f"--tensor-type {options.tensor_type} but model {hd5_path} is a {spec.tensor_type} model; "
            f"pass --tensor-type {spec.tensor_type} or a {options.tensor_type} model"
        )
    return Engine(keras_model, spec, options.engine, calibration=calibration)


class _Inputs:
    """Opened and cross-checked inputs (fail before the model is loaded: that takes seconds)."""

    def __init__(self, options: ScoreOptions) -> None:
        if options.tensor_type.is_2d and not options.reads:
            raise InputError("2D models (--tensor-type read_tensor) require a SAM/BAM/CRAM file: pass -I/--input")
        if os.path.abspath(options.output) == os.path.abspath(options.variant):
            raise InputError(f"output {options.output} would overwrite the input VCF; choose another name")
        out_dir = os.path.dirname(os.path.abspath(options.output))
        if not os.path.isdir(out_dir):
            raise FileNotFoundError(f"output directory {out_dir} does not exist; create it first (output {options.output})")
        self.vcf = VcfReader(options.variant)
        header = self.vcf.header
        if header.is_gvcf:
            raise InputError(
                f"{options.variant} is a GVCF (##GVCFBlock header); CNNScoreVariants scores genotyped "
                "calls: run GATK GenotypeGVCFs first and score its output"
            )
        if len(header.samples) > 1:
            log.warning(
                "CNNScoreVariants is a single sample tool but the input VCF has more than 1 sample (%d)", len(header.samples)
            )
        self.reference = ReferenceReader(options.reference)
        check_contigs(header, options.variant, self.reference)
        self.reads: ReadSource | None = None
        if options.reads:
            if options.tensor_type.is_2d:
                self.reads = ReadSource(options.reads, options.reference, options.read_filter)
                self.reads.check_reference(self.reference)
            else:
                log.warning("Reads are available, but tensor type %s does not use them.", options.tensor_type)
        self.intervals: Intervals | None = parse_intervals(list(options.intervals), self.reference.lengths)

    def close(self) -> None:
        self.reference.close()
        if self.reads is not None:
            self.reads.close()


def _examples(
    inputs: _Inputs, options: ScoreOptions, keys: Sequence[str], window: int, read_limit: int, summary: ScoreSummary
) -> Iterator[tuple[str, Example]]:
    """(record text, Example) for every record GATK would score, in file order."""
    vcf = inputs.vcf
    for record in vcf:
        summary.records += 1
        if inputs.intervals is not None and not inputs.intervals.overlaps(record.contig, record.pos, record.end):
            summary.outside_intervals += 1
            continue
        if options.filter_symbolic_and_sv and is_symbolic_or_sv(record):
            summary.filtered_symbolic_or_sv += 1
            continue
        where = vcf.where(record.line_number, record.contig, record.pos)
        example = make_example(record, vcf.header, inputs.reference, inputs.reads, keys, window, read_limit, where)
        if inputs.reads is not None and not example.reads:
            summary.without_reads += 1
            if summary.without_reads <= NO_READS_WARNINGS:
                log.warning("No reads at contig:%s site:%d", record.contig, record.pos)
        yield record.text, example


def _encode(
    chunk: list[tuple[str, Example]],
    tensor_type: TensorType,
    keys: Sequence[str],
    window: int,
    read_limit: int,
    whole: bool = False,
) -> EncodedBatch[list[str]]:
    """Errors name the VCF file and line: each Example carries the reader's `where`. `whole`: every row written
    (INT8 calibration); else the engine fills only what it computes (``encode.EncodedTensors``)."""
    examples = [e for _, e in chunk]
    encoded = encode_batch(examples, tensor_type, keys, window, read_limit, fill_tails=whole)
    last = examples[-1].variant
    return EncodedBatch(
        encoded.tensors,
        encoded.annotations,
        [e.variant.variant_type for e in examples],
        [t for t, _ in chunk],
        f"{last.contig}:{last.pos}",
        written=encoded.written,
    )


def _chunked(items: Iterator[tuple[str, Example]], size: int) -> Iterator[list[tuple[str, Example]]]:
    chunk: list[tuple[str, Example]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _calibration(
    options: ScoreOptions, keys: Sequence[str], window: int, read_limit: int, n: int = 600
) -> Callable[[], Calibration]:
    """For --precision int8 without a cached INT8 model: the input's first `n` records as calibration data."""

    def data() -> Calibration:
        inputs = _Inputs(options)
        try:
            summary = ScoreSummary(options.output)
            chunk = [x for _, x in zip(range(n), _examples(inputs, options, keys, window, read_limit, summary))]
        finally:
            inputs.close()
        batch = _encode(chunk, options.tensor_type, keys, window, read_limit, whole=True) if chunk else None
        if batch is None or len(chunk) < MIN_CALIBRATION:
            raise Int8Unavailable(
                f"only {len(chunk)} records of {options.variant} to calibrate INT8 on (need {MIN_CALIBRATION}); "
                "make the INT8 model beforehand with `vqsr-cnn quantize` on a larger VCF"
            )
        return split_calibration(batch.tensors, batch.annotations, batch.variant_types)

    return data


def quantize_vcf(options: ScoreOptions, records: int = 600) -> tuple[Path, Engine]:
    """The INT8 model `score --precision int8` would use with these options, made now on the first `records`
    records of options.variant (or found in the cache); returns its cache entry and the engine running it."""
    if not options.engine.cache_dir:
        raise InputError(f"no INT8 cache directory: set {ENV_CACHE_DIR}")
    _Inputs(options).close()  # the inputs are checked before the model is loaded
    keys = list(options.annotation_keys or defines.ANNOTATIONS_SETS[defines.DEFAULT_ANNOTATION_SET])
    window = options.window_size or defines.DEFAULT_WINDOW_SIZE
    read_limit = options.read_limit or defines.DEFAULT_READ_LIMIT
    engine = load_engine(options, _calibration(options, keys, window, read_limit, n=records))
    if engine.precision.runs != "int8" or engine.quantize_settings is None:
        raise InputError(f"no INT8 model was made: {engine.precision.why}")
    return cache_entry(engine.spec.hd5_path, engine.quantize_settings), engine


def score_vcf(options: ScoreOptions, engine: Engine | None = None) -> ScoreSummary:
    """Score every record of options.variant into options.output; returns counts and timing.

    Pass an already built `engine` to reuse one compiled model across calls.
    """
    started = time.monotonic()
    inputs = _Inputs(options)
    try:
        if engine is None:
            keys_for_int8 = list(options.annotation_keys or defines.ANNOTATIONS_SETS[defines.DEFAULT_ANNOTATION_SET])
            engine = load_engine(
                options,
                _calibration(
                    options,
                    keys_for_int8,
                    options.window_size or defines.DEFAULT_WINDOW_SIZE,
                    options.read_limit or defines.DEFAULT_READ_LIMIT,
                ),
            )
        spec = engine.spec
        keys = list(options.annotation_keys) if options.annotation_keys else list(spec.annotations)
        if len(keys) != len(spec.annotations):
            raise InputError(
                f"--info-annotation-keys gives {len(keys)} keys ({','.join(keys)}) but the model takes "
                f"{len(spec.annotations)} ({','.join(spec.annotations)})"
            )
        window = options.window_size or spec.window_size
        read_limit = options.read_limit or spec.read_limit
        if window != spec.window_size or (options.tensor_type.is_2d and read_limit != spec.read_limit):
            raise InputError(
                f"--window-size {window} / --read-limit {read_limit} do not match the model "
                f"(window {spec.window_size}, read limit {spec.read_limit})"
            )
        summary = ScoreSummary(
            options.output,
            backend=engine.backend.name,
            precision=engine.executed_precision,
            info_key=defines.INFO_KEY[options.tensor_type],
            model=spec,
        )
        summary.extra["setup_seconds"] = time.monotonic() - started
        streaming = time.monotonic()
        _run(inputs, options, engine, keys, window, read_limit, summary)
        summary.seconds = time.monotonic() - streaming
    finally:
        inputs.close()
    if inputs.reads is not None:
        summary.reads_seen, summary.reads_kept = inputs.reads.reads_seen, inputs.reads.reads_kept
    _log_summary(summary, options)
    return summary


def _run(
    inputs: _Inputs,
    options: ScoreOptions,
    engine: Engine,
    keys: Sequence[str],
    window: int,
    read_limit: int,
    summary: ScoreSummary,
) -> None:
    key = defines.INFO_KEY[options.tensor_type]
    progress = ProgressMeter(enabled=not options.quiet, seconds_between_updates=options.progress_seconds)

    def encode(chunk: list[tuple[str, Example]]) -> EncodedBatch[list[str]]:
        return _encode(chunk, options.tensor_type, keys, window, read_limit)

    # Reading and encoding run on a worker thread, at most encode_ahead batches ahead of inference.
    gather = min(options.batch_size or DEFAULT_BATCH[options.tensor_type], engine.feed_size)
    chunks = _chunked(_examples(inputs, options, keys, window, read_limit, summary), gather)
    with AtomicVcfWriter(options.output) as writer:
        description = defines.INFO_DESCRIPTION[options.tensor_type]
        writer.write("".join(add_info_header(inputs.vcf.header.lines, key, description)))
        progress.start()
        for batch, scores in score_batches(engine, chunks, encode, ahead=options.encode_ahead):
            writer.write("".join(insert_info(text, key, format_score(float(s))) for text, s in zip(batch.records, scores)))
            summary.scored += len(batch.records)
            progress.update(batch.last, len(batch.records))
        progress.stop()
        writer.commit()


def _log_summary(summary: ScoreSummary, options: ScoreOptions) -> None:
    skipped = []
    if summary.outside_intervals:
        skipped.append(f"{summary.outside_intervals} outside -L")
    if summary.filtered_symbolic_or_sv:
        skipped.append(f"{summary.filtered_symbolic_or_sv} symbolic/SV filtered (--filter-symbolic-and-sv)")
    log.info(
        "scored %d of %d records with %s%s -> %s (%.1f s after %.1f s setup, %.0f variants/min)",
        summary.scored,
        summary.records,
        summary.info_key,
        f"; not written: {', '.join(skipped)}" if skipped else "",
        summary.output,
        summary.seconds,
        summary.extra.get("setup_seconds", 0.0),
        summary.variants_per_minute,
    )
    if options.reads and options.tensor_type.is_2d:
        log.info(
            "reads: %d overlapping, %d encoded (read limit, filters); %d records had no reads (scored on an "
            "empty read tensor, as GATK does)",
            summary.reads_seen,
            summary.reads_kept,
            summary.without_reads,
        )
