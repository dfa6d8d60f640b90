"""The bench itself: build every row on the same inputs, time them interleaved, report, check accuracy."""

from __future__ import annotations

import gc
import logging
import os
import platform
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import defines
from ..errors import InputError
from . import data as bench_data
from .accuracy import compare
from .depth import depth_report, depth_rows, format_depth
from .flops import flops_by_layer, model_flops
from .timing import Row, rss_mb, run_interleaved

log = logging.getLogger("vqsr_cnn")

MIN_VARIANTS = 64  # below this, per-call overheads and timer noise dominate: refuse
DEFAULT_VARIANTS = {"read_tensor": 200, "reference": 2000}  # not multiples of the batch: the last batch is short
DEFAULT_BATCH = {"read_tensor": defines.MIN_INFERENCE_BATCH_2D, "reference": 256}
TRANSFER_BATCH = 256  # CNNScoreVariants' default transfer batch: lines per score_and_write_batch call
LABEL = {"read_tensor": "2D", "reference": "1D"}
MAX_REAL_TENSORS = 512  # real tensors loaded for the engine rows (repeated beyond that)


@dataclass
class BenchOptions:
    tensor_types: Sequence[str] = ("read_tensor", "reference")
    variants: int | None = None
    repeats: int = 5
    threads: int = 2
    batch_size: int | None = None
    transfer_batch: int = TRANSFER_BATCH
    data_dir: Path = field(default_factory=lambda: bench_data.default_data_dir({}))  # the command fills these from
    cache_dir: Path = field(default_factory=lambda: bench_data.default_cache_dir({}))  # the user's environment
    architecture: str | None = None
    weights: str | None = None
    rows: Sequence[str] = ()  # keep only rows whose name contains one of these (baseline and limits always run)
    tuning: bool = False
    int8: bool = True
    accuracy: bool = False
    speed: bool = True
    max_score_delta: float = 0.1
    calibration_size: int = 300
    trust_model_code: bool = False
    int8_cache_dir: str = ""  # '' = quantise without caching


def check_variant_count(n: int, batch: int) -> None:
    """Refuse runs too small to time: fewer than MIN_VARIANTS or than one full batch."""
    need = max(MIN_VARIANTS, batch)
    if n < need:
        raise InputError(f"bench needs at least {need} variants (at least {MIN_VARIANTS} and one full batch of {batch}) "
                         f"for meaningful timings, got {n}: pass --variants {need} or more")


def check_model_matches_data(model_shape: Sequence[int], n_annotations: int, tensors: np.ndarray,
                             annotations: np.ndarray, model_path: str, data_path: str) -> None:
    """Refuse a model whose inputs do not match the bench data (it would fail or time nonsense)."""
    data_shape = tuple(int(d) for d in tensors.shape[1:])
    if tuple(model_shape) != data_shape:
        raise InputError(f"model {model_path} takes tensors of shape {tuple(model_shape)} but the bench data in {data_path} "
                         f"are {data_shape}: pass a model of the matching tensor type/window/read limit "
                         f"(--tensor-type, --architecture/--weights)")
    if n_annotations != annotations.shape[1]:
        raise InputError(f"model {model_path} takes {n_annotations} annotations but the bench data have "
                         f"{annotations.shape[1]}: pass a model using the best_practices annotation set")


def _model_paths(tensor_type: str, options: BenchOptions) -> tuple[str, str]:
    from ..models.bundled import default_model_paths

    if options.architecture or options.weights:
        arch = options.architecture or str(options.weights).replace(defines.TENSOR_SUFFIX, ".json")
        weights = options.weights or str(options.architecture).replace(".json", defines.TENSOR_SUFFIX)
        return arch, weights
    json_path, hd5 = default_model_paths(tensor_type)
    return str(json_path), str(hd5)


def _chunks(n: int, size: int) -> list[tuple[int, int]]:
    return [(i, min(n, i + size)) for i in range(0, n, size)]


def _wanted(name: str, options: BenchOptions) -> bool:
    return not options.rows or any(key in name for key in options.rows)


class TypeBench:
    """Inputs, engines and rows of one tensor type."""

    def __init__(self, tensor_type: str, options: BenchOptions, progress: Callable[[str], None]) -> None:
        from ..models.gatk_format import load_model_pair

        self.tt = tensor_type
        self.options = options
        self.progress = progress
        self.batch = options.batch_size or DEFAULT_BATCH[tensor_type]
        self.n = options.variants or DEFAULT_VARIANTS[tensor_type]
        check_variant_count(self.n, self.batch)
        self.json_path, self.hd5_path = _model_paths(tensor_type, options)
        self.spec, self.keras = load_model_pair(self.json_path, self.hd5_path, tensor_type,
                                                  options.trust_model_code)
        if self.spec.tensor_type != tensor_type:
            raise InputError(f"model {self.hd5_path} is a {self.spec.tensor_type} model but the bench is running "
                             f"{tensor_type}: pass --tensor-type {self.spec.tensor_type}")
        self.names = list(self.spec.annotations)
        self.window, self.read_limit = self.spec.window_size, self.spec.read_limit
        progress(f"{LABEL[tensor_type]}: loading real tensors")
        self.root = bench_data.extract_tensors(options.data_dir, tensor_type, options.cache_dir)
        files = bench_data.tensor_files(self.root, "train") + bench_data.tensor_files(self.root, "valid")
        real = bench_data.load_tensors(files, tensor_type, min(self.n, MAX_REAL_TENSORS), seed=3)
        tensor_input = [t for t in self.keras.inputs if len(t.shape) > 2][0]
        annotation_input = [t for t in self.keras.inputs if len(t.shape) == 2][0]
        check_model_matches_data(tuple(int(d) for d in tensor_input.shape[1:]), int(annotation_input.shape[-1]),
                                 real.tensors, real.annotations, self.hd5_path, str(self.root))
        self.real_tensors = len(real)
        self.depth_inputs: dict[str, Any] = {}  # encoded GIAB tensors for the depth-aware rows
        self.tensors = bench_data.repeat_to(real.tensors, self.n)
        self.annotations = bench_data.repeat_to(real.annotations, self.n)
        del real
        progress(f"{LABEL[tensor_type]}: reading examples from VCF/FASTA/BAM")
        vcf, fasta, bam = bench_data.prepare_sources(options.data_dir, tensor_type, options.cache_dir)
        self.sources = {"vcf": str(vcf), "fasta": str(fasta), "bam": str(bam) if bam else None}
        real_examples = bench_data.load_examples(vcf, fasta, bam, self.names, self.window, self.read_limit)
        self.real_examples = len(real_examples)
        self.examples = bench_data.repeat_examples(real_examples, self.n)
        from ..readers.fifo import format_data_line

        self.lines = [format_data_line(e) for e in self.examples]
        self.flops = model_flops(self.keras)
        self.engines: dict[str, Any] = {}
        self.quantized: Any = None
        self.int8_note = ""
        self.checks: dict[str, Any] = {}

    # ------------------------------------------------------------------ engines
    def engine(self, backend: str, precision: str, quantized: Any = None, micro_batch: int = 0,
               dense: bool = False) -> Any:
        from ..engine import Engine, EngineConfig

        key = f"{backend}-{precision}" + (f"-m{micro_batch}" if micro_batch else "") + ("-dense" if dense else "")
        if key not in self.engines:
            config = EngineConfig(backend=backend, precision=precision, micro_batch=micro_batch, dense=dense,
                                  intra_threads=self.options.threads, inter_threads=self.options.threads)
            self.engines[key] = Engine(self.keras, self.spec, config, quantized_model=quantized)
        return self.engines[key]

    def int8(self) -> Any:
        """The accuracy-controlled INT8 model (cached by weights hash); None (with a note) on fallback."""
        if self.quantized is None and not self.int8_note:
            from ..engine.quantize import QuantizeSettings, int8_model

            settings = QuantizeSettings(max_score_delta=self.options.max_score_delta,
                                        subset_size=self.options.calibration_size, cache_dir=self.options.int8_cache_dir)
            self.progress(f"{LABEL[self.tt]}: INT8 model (quantising with accuracy control if not cached)")
            frozen = self.engine("openvino", "fp32").frozen
            self.quantized = int8_model(frozen, self.hd5_path, self.calibration_data, settings)
            if self.quantized is None:
                self.int8_note = "quantisation fell back to FP32 (see warning)"
        return self.quantized

    def calibration_data(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, list[str]]]:
        """Calibration and accuracy-control tensors: disjoint samples of the train split (valid is for reporting)."""
        import random

        files = bench_data.tensor_files(self.root, "train")
        random.Random(11).shuffle(files)
        k = self.options.calibration_size
        cal = bench_data.load_tensors(files[:k], self.tt)
        val = bench_data.load_tensors(files[k:k + 200], self.tt)
        return (cal.tensors, cal.annotations), (val.tensors, val.annotations, val.variant_types)

    # ------------------------------------------------------------------ rows
    def rows(self) -> list[Row]:
        from .baselines import baseline_rows
        from .limit import GemmProbe

        o, n, tb = self.options, self.n, self.options.transfer_batch
        chunks = _chunks(n, tb)
        rows: list[Row] = baseline_rows(self, chunks)  # GATK 4.2's real code when its env exists

        if _wanted("encode", o):
            from ..encode import encode_examples

            def encode() -> None:
                for a, b in chunks:
                    encode_examples(self.examples[a:b], self.tt, self.names, self.window, self.read_limit)

            rows.append(Row("encode only (vectorised encoder)", "encode", encode, n))

        if _wanted("depth", o):
            rows.extend(depth_rows(self))
        engine_specs = [("tensorflow", "fp32"), ("openvino", "fp32"), ("openvino", "bf16")]
        for backend, precision in engine_specs:
            name = f"engine only: {backend} frozen {precision.upper()}"
            if _wanted(name, o) or (backend, precision) == ("openvino", "fp32"):
                rows.append(self._engine_row(name, self.engine(backend, precision), precision))
        if o.int8 and _wanted("INT8", o):
            quantized = self.int8()
            if quantized is not None:
                rows.append(self._engine_row("engine only: openvino INT8 (accuracy-controlled)",
                                             self.engine("openvino", "int8", quantized), "int8"))
        if o.tuning:
            rows.extend(self._tuning_rows())

        default = self.engine("openvino", "fp32")
        if _wanted("bridge", o):
            rows.append(self._bridge_row("end to end: bridge (data lines, gatk.score_lines, encode overlapped)",
                                         default, "fp32"))
            for precision in ("bf16", "int8"):
                engine = self.engines.get(f"openvino-{precision}")
                if engine is not None:
                    rows.append(self._bridge_row(f"end to end: bridge, {precision.upper()} (opt-in)", engine, precision))
        if _wanted("score", o):
            rows.append(self._score_row(default))

        for precision, label in (("f32", "OpenVINO F32"), ("numpy-f32", "numpy F32"), ("bf16", "OpenVINO BF16")):
            probe = GemmProbe(precision, o.threads)
            rows.append(Row(f"limit: {label} GEMM {probe.size}^3 x{probe.calls} / model FLOPs", "limit", probe,
                            precision="bf16" if precision == "bf16" else "fp32", flops=probe.flops))
        return rows

    def _bridge_row(self, name: str, engine: Any, precision: str) -> Row:
        from ..gatk import score_lines

        chunks = _chunks(self.n, self.options.transfer_batch)

        def run() -> None:
            for a, b in chunks:
                score_lines(engine, self.lines[a:b], self.tt, ",".join(self.names), self.window, self.read_limit,
                            gather=self.batch)

        return Row(name, "end-to-end", run, self.n, precision=precision,
                   note=f"{engine.backend.name} {engine.backend.precision}, micro-batch {engine.micro_batch}"
                   f"{', depth-aware' if engine.depth is not None else ''}")

    def _engine_row(self, name: str, engine: Any, precision: str) -> Row:
        chunks = _chunks(self.n, self.options.transfer_batch)

        def run() -> None:
            for a, b in chunks:
                engine.predict_arrays(self.tensors[a:b], self.annotations[a:b])

        return Row(name, "engine", run, self.n, precision=precision,
                   note=f"{engine.backend.name} {engine.backend.precision}, micro-batch {engine.micro_batch}"
                   f"{', depth-aware' if engine.depth is not None else ''}")

    def _tuning_rows(self) -> list[Row]:
        from ..engine.config import DEFAULT_MICRO_BATCH
        from ..engine.quantize import dynamic_ov_model
        from .tuning import OVRunner

        rows = []
        # The fixed compute shape: the default micro-batch against others, and against the gather size itself
        # (the largest shape of the former bucketed engine), on the same rows, interleaved.
        default = DEFAULT_MICRO_BATCH["openvino"][self.tt]
        for micro in sorted({max(1, default // 2), default, default * 2, default * 4, self.batch}):
            rows.append(self._engine_row(f"tuning: openvino FP32 micro-batch {micro}{' (default)' if micro == default else ''}",
                                         self.engine("openvino", "fp32", micro_batch=micro), "fp32"))
            self.engines.pop(f"openvino-fp32-m{micro}", None)  # the row holds it; keep few compiled models alive
        rows.append(self._bridge_row(f"tuning: bridge, micro-batch {self.batch} = gather (bucketed engine's shape)",
                                     self.engine("openvino", "fp32", micro_batch=self.batch), "fp32"))
        self.engines.pop(f"openvino-fp32-m{self.batch}", None)
        model = dynamic_ov_model(self.engine("openvino", "fp32").frozen)
        for hint in ("LATENCY", "THROUGHPUT"):
            for pinning in (False, True):
                runner = OVRunner(model, self.batch, hint, "fp32", self.options.threads, pinning=pinning)
                rows.append(Row(f"tuning: openvino FP32 {runner.label}", "engine",
                                lambda r=runner: r(self.tensors, self.annotations), self.n, precision="fp32"))
        return rows

    def _score_row(self, engine: Any) -> Row:
        from ..pipeline import ScoreOptions, score_vcf
        from .vcfs import repeated_vcf

        work = Path(tempfile.mkdtemp(prefix="vqsr_cnn_bench_"))
        vcf = work / "input.vcf"
        usable = lambda f: not any(a.startswith("<") or a == "*" for a in f[4].split(","))  # noqa: E731
        repeated_vcf(self.sources["vcf"], vcf, self.n, usable)
        options = ScoreOptions(variant=str(vcf), reference=self.sources["fasta"], output=str(work / "out.vcf.gz"),
                               reads=self.sources["bam"], tensor_type=self.tt, batch_size=self.batch,
                               engine=engine.config, quiet=True, progress_seconds=1e9)

        def score() -> None:
            summary = score_vcf(options, engine=engine)
            if summary.scored != self.n:
                raise RuntimeError(f"score wrote {summary.scored} scores for {self.n} records")

        return Row("end to end: score (VCF+FASTA+BAM -> scored VCF)", "end-to-end", score, self.n,
                   note=f"{self.real_examples} real records repeated")

    # ------------------------------------------------------------------ checks
    def cross_checks(self) -> None:
        """Same inputs, same answers: per-base vs vectorised encoder, baseline vs bridge scores."""
        from ..encode import encode_examples
        from ..gatk import score_lines
        from .baseline import encode_lines, score_lines_baseline

        k = min(self.n, 64)
        vec_t, vec_a = encode_examples(self.examples[:k], self.tt, self.names, self.window, self.read_limit)
        loop_t, loop_a, _ = encode_lines(self.lines[:k], self.tt, self.names, self.window, self.read_limit)
        self.checks["encoder_max_abs_diff"] = float(max(np.abs(vec_t - loop_t).max(), np.abs(vec_a - loop_a).max()))
        base = score_lines_baseline(self.keras, self.lines[:k], self.tt, self.names, self.window, self.read_limit,
                                    self.batch)
        _, bridge = score_lines(self.engine("openvino", "fp32"), self.lines[:k], self.tt, ",".join(self.names),
                                self.window, self.read_limit, gather=self.batch)
        self.checks["baseline_vs_bridge_max_abs_dscore"] = float(np.abs(base - bridge).max())
        # The 2D VCF's INFO values are cohort-level (DP summed over 3,202 samples), so a trained model may saturate
        # on it: say how many distinct scores the comparison saw, so a vacuous 0.0 is visible as such.
        self.checks["baseline_vs_bridge_distinct_scores"] = int(np.unique(np.round(bridge, 3)).size)

    def close(self) -> None:
        from .baselines import close_sessions

        close_sessions(self)
        self.engines.clear()
        self.quantized = None
        gc.collect()


def summarise(rows: Sequence[Row], flops: float) -> list[dict[str, Any]]:
    """Variants/s, ratio to baseline and % of the matching limit for every row."""
    limits: dict[str, float] = {}  # the best GEMM of each precision is the limit
    for r in rows:
        if r.kind == "limit" and r.times:
            limits[r.precision] = max(limits.get(r.precision, 0.0), r.flops / r.median / flops)
    baseline = next((r.variants / r.median for r in rows if r.kind == "baseline" and r.times), float("nan"))
    out = []
    for r in rows:
        entry: dict[str, Any] = {"name": r.name, "kind": r.kind, "precision": r.precision, "note": r.note,
                                 "times_s": [round(t, 4) for t in r.times], "peak_rss_mb": round(r.peak_rss_mb, 1),
                                 "rss_growth_mb": round(r.rss_growth_mb, 1)}
        if r.error:
            entry["error"] = r.error
        if r.times:
            vps = (r.flops / r.median / flops) if r.kind == "limit" else r.variants / r.median
            entry["variants_per_s"] = vps
            entry["ratio_to_baseline"] = vps / baseline
            if r.kind == "limit":
                entry["gflops"] = r.flops / r.median / 1e9
            elif r.kind in ("engine", "end-to-end"):
                limit = limits.get("bf16" if r.precision == "bf16" else "fp32")
                entry["pct_of_limit"] = 100.0 * vps / limit if limit else None
                entry["limit_used"] = "bf16" if r.precision == "bf16" else "fp32"
        out.append(entry)
    return out


def format_table(label: str, results: list[dict[str, Any]], header: str) -> str:
    lines = [f"{label}: {header}",
             f"{'row':<62} {'var/s':>9} {'x base':>7} {'% limit':>8} {'peak RSS':>9} {'+RSS':>7}  spread"]
    for e in results:
        if "variants_per_s" not in e:
            lines.append(f"{e['name']:<62} {'-':>9} {'':>7} {'':>8} {'':>9}  {e.get('error', 'no timing')}")
            continue
        pct = e.get("pct_of_limit")
        pct_text = f"{pct:7.0f}%" if pct is not None else f"{'':>8}"
        if e["kind"] == "limit":
            pct_text = f"{e['gflops']:5.0f} GF"
        times = e["times_s"]
        spread = f"{min(times):.2f}-{max(times):.2f}s" if times else ""
        lines.append(f"{e['name']:<62} {e['variants_per_s']:9.1f} {e['ratio_to_baseline']:7.2f} {pct_text:>8} "
                     f"{e['peak_rss_mb']:7.0f}MB {e['rss_growth_mb']:5.0f}MB  {spread}")
    return "\n".join(lines)


def run_accuracy(tb: TypeBench) -> dict[str, Any]:
    """Score the labelled valid tensors in FP32 (OpenVINO) and each reduced precision; compare."""
    from ..scores import scores_for_types

    valid = bench_data.load_tensors(bench_data.tensor_files(tb.root, "valid"), tb.tt)
    types, truth = valid.variant_types, valid.truth

    def scores(engine: Any) -> np.ndarray:
        return scores_for_types(engine.predict_arrays(valid.tensors, valid.annotations), types)

    fp32 = scores(tb.engine("openvino", "fp32"))
    result: dict[str, Any] = {"tensors": len(valid), "split": "valid", "model": tb.hd5_path,
                              "labels": {k: valid.labels.count(k) for k in sorted(set(valid.labels))}}
    result["tensorflow_fp32"] = compare(fp32, scores(tb.engine("tensorflow", "fp32")), types, truth)
    result["bf16"] = compare(fp32, scores(tb.engine("openvino", "bf16")), types, truth)
    quantized = tb.int8() if tb.options.int8 else None
    if quantized is not None:
        result["int8"] = compare(fp32, scores(tb.engine("openvino", "int8", quantized)), types, truth)
    else:
        result["int8"] = {"skipped": tb.int8_note or "disabled (--no-int8)"}
    return result


def format_accuracy(label: str, acc: dict[str, Any]) -> str:
    lines = [f"{label} accuracy vs OpenVINO FP32 on {acc['tensors']} labelled valid tensors ({acc['labels']})",
             f"{'precision':<16} {'max|d|':>8} {'p99|d|':>8} {'crossed any':>12} {'worst thr':>10} {'AUC fp32':>9} "
             f"{'dAUC':>8}"]
    for key in ("tensorflow_fp32", "bf16", "int8"):
        r = acc.get(key, {})
        if "skipped" in r:
            lines.append(f"{key:<16} skipped: {r['skipped']}")
            continue
        lines.append(f"{key:<16} {r['max_abs_delta']:8.4f} {r['p99_abs_delta']:8.4f} "
                     f"{r['crossed_any']:5d} ({100 * r['crossed_any_share']:4.1f}%) {100 * r['max_share_one_threshold']:9.2f}% "
                     f"{r['auc_fp32']:9.4f} {r['auc_change']:+8.4f}")
    return "\n".join(lines)


def machine_info(threads: int) -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {"cpu": cpu, "cpus_visible": os.cpu_count(), "threads": threads, "python": platform.python_version(),
            "loadavg_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}


def run_bench(options: BenchOptions, progress: Callable[[str], None] | None = None,
              out: Callable[[str], None] = print) -> dict[str, Any]:
    """Run every requested tensor type; print tables; return the JSON-able report."""
    from ..engine.runner import configure_tensorflow_threads

    progress = progress or (lambda msg: log.info("bench: %s", msg))
    for tt in options.tensor_types:  # refuse bad arguments before any slow work
        check_variant_count(options.variants or DEFAULT_VARIANTS[tt], options.batch_size or DEFAULT_BATCH[tt])
    configure_tensorflow_threads(options.threads, options.threads)
    report: dict[str, Any] = {"machine": machine_info(options.threads), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                              "repeats": options.repeats, "types": {}}
    for tt in options.tensor_types:
        tb = TypeBench(tt, options, progress)
        entry: dict[str, Any] = {"variants": tb.n, "batch": tb.batch, "transfer_batch": options.transfer_batch,
                                 "model": {"json": tb.json_path, "weights": tb.hd5_path, "flops_per_variant": tb.flops,
                                           "flops_by_layer": flops_by_layer(tb.keras)},
                                 "sources": tb.sources, "real_examples": tb.real_examples}
        try:
            if options.speed:
                tb.cross_checks()
                rows = tb.rows()
                progress(f"{LABEL[tt]}: timing {len(rows)} rows x {options.repeats} rounds (interleaved)")
                run_interleaved(rows, options.repeats, progress=progress)
                entry["rows"] = summarise(rows, tb.flops)
                header = (f"{tb.n} variants, batch {tb.batch}, transfer batch {options.transfer_batch}, "
                          f"{options.threads} threads, {tb.flops / 1e9:.3f} GFLOP/variant, median of {options.repeats} "
                          "interleaved rounds")
                out(format_table(f"{LABEL[tt]} ({tt})", entry["rows"], header))
                entry["depth"] = depth_report(tb, entry["rows"])
                if entry["depth"]:
                    out(format_depth(entry["depth"]))
                if tb.int8_note:
                    out(f"  INT8: {tb.int8_note}")
            entry["checks"] = tb.checks
            if options.accuracy:
                progress(f"{LABEL[tt]}: accuracy on the labelled valid tensors")
                entry["accuracy"] = run_accuracy(tb)
                out(format_accuracy(f"{LABEL[tt]} ({tt})", entry["accuracy"]))
        finally:
            entry["rss_after_mb"] = rss_mb()
            tb.close()
        report["types"][tt] = entry
    report["machine"]["loadavg_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    return report
