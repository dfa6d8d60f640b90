"""One tensor type's bench: the real inputs (tensors, examples, data lines), the engines built on them (cached
by backend/precision/shape), the INT8 model, and the same-input cross-checks run before timing."""

from __future__ import annotations

import gc
import random
from collections.abc import Callable
from typing import Any

import numpy as np

from ..defines import TensorType
from ..encode import encode_examples
from ..engine import Engine, EngineConfig
from ..engine.int8.settings import QuantizeSettings
from ..errors import InputError
from ..gatk import score_lines
from ..models.gatk_format import load_model_pair, split_inputs
from ..readers.fifo import format_data_line
from . import data as bench_data
from .baseline_rows import close_sessions
from .flops import model_flops
from .gatk42_recreation import encode_lines, score_lines_baseline
from .options import (
    DEFAULT_BATCH,
    DEFAULT_VARIANTS,
    LABEL,
    MAX_REAL_TENSORS,
    BenchOptions,
    check_model_matches_data,
    check_variant_count,
    model_paths,
)


class TypeBench:
    """Inputs, engines and checks of one tensor type (the rows are built from it in `rows.py`)."""

    def __init__(self, tensor_type: TensorType, options: BenchOptions, progress: Callable[[str], None]) -> None:
        self.tt = tensor_type
        self.options = options
        self.progress = progress
        self.batch = options.batch_size or DEFAULT_BATCH[tensor_type]
        self.n = options.variants or DEFAULT_VARIANTS[tensor_type]
        check_variant_count(self.n, self.batch)
        self.json_path, self.hd5_path = model_paths(tensor_type, options)
        self.spec, self.keras = load_model_pair(self.json_path, self.hd5_path, tensor_type, options.trust_model_code)
        if self.spec.tensor_type != tensor_type:
            raise InputError(
                f"model {self.hd5_path} is a {self.spec.tensor_type} model but the bench is running "
                f"{tensor_type}: pass --tensor-type {self.spec.tensor_type}"
            )
        self.names = list(self.spec.annotations)
        self.window, self.read_limit = self.spec.window_size, self.spec.read_limit
        progress(f"{LABEL[tensor_type]}: loading real tensors")
        self.root = bench_data.extract_tensors(options.data_dir, tensor_type, options.cache_dir)
        files = bench_data.tensor_files(self.root, "train") + bench_data.tensor_files(self.root, "valid")
        real = bench_data.load_tensors(files, tensor_type, min(self.n, MAX_REAL_TENSORS), seed=3)
        tensor_input, annotation_input = split_inputs(self.keras)
        check_model_matches_data(
            tuple(int(d) for d in tensor_input.shape[1:]),
            int(annotation_input.shape[-1]),
            real.tensors,
            real.annotations,
            self.hd5_path,
            str(self.root),
        )
        self.real_tensors = len(real)
        self._encoded: tuple[np.ndarray, np.ndarray] | None = None
        self.tensors = bench_data.repeat_to(real.tensors, self.n)
        self.annotations = bench_data.repeat_to(real.annotations, self.n)
        del real
        progress(f"{LABEL[tensor_type]}: reading examples from VCF/FASTA/BAM")
        vcf, fasta, bam = bench_data.prepare_sources(options.data_dir, tensor_type, options.cache_dir)
        self.sources = {"vcf": str(vcf), "fasta": str(fasta), "bam": str(bam) if bam else None}
        real_examples = bench_data.load_examples(vcf, fasta, bam, self.names, self.window, self.read_limit)
        self.real_examples = len(real_examples)
        self.examples = bench_data.repeat_examples(real_examples, self.n)
        self.lines = [format_data_line(e) for e in self.examples]
        self.flops = model_flops(self.keras)
        self.engines: dict[str, Any] = {}
        self.int8_note = ""  # why there are no INT8 rows, when there are none
        self.checks: dict[str, Any] = {}
        self.sweeps: list[Any] = []  # --tuning: the micro-batch sweeps among the rows (tuning.Sweep)

    def engine(self, backend: str, precision: str, micro_batch: int = 0, dense: bool = False, hint: str = "THROUGHPUT") -> Any:
        """The engine of these settings, built once (INT8: from the cache, or calibrated on the train split)."""
        key = self._key(backend, precision, micro_batch, dense, hint)
        if key not in self.engines:
            if precision == "int8":
                self.progress(f"{LABEL[self.tt]}: INT8 model (quantising with accuracy control if not cached)")
            quantize = QuantizeSettings(max_score_delta=self.options.max_score_delta, subset_size=self.options.calibration_size)
            config = self._config(backend, precision, micro_batch, dense, hint)
            self.engines[key] = Engine(self.keras, self.spec, config, calibration=self.calibration_data, quantize=quantize)
        return self.engines[key]

    def _config(self, backend: str, precision: str, micro_batch: int, dense: bool, hint: str) -> EngineConfig:
        return EngineConfig(
            backend=backend,
            precision=precision,
            micro_batch=micro_batch,
            dense=dense,
            intra_threads=self.options.threads,
            inter_threads=self.options.threads,
            ov_hint=hint,
            cache_dir=self.options.int8_cache_dir,
        )

    def _key(self, backend: str, precision: str, micro_batch: int, dense: bool, hint: str) -> str:
        """One engine per resolved config: the default micro-batch and its explicit value are the same engine."""
        return repr(self._config(backend, precision, micro_batch, dense, hint).resolved(self.tt))

    def openvino(
        self, precision: str, dense: bool = False, micro_batch: int = 0, hint: str = "THROUGHPUT", build: bool = True
    ) -> Any:
        """The OpenVINO engine of a precision, or None for INT8 when it is off or fell back to FP32 (`int8_note`
        says why): its rows would time FP32 twice. `dense` (2D): every read row, at the micro-batch. With
        `build=False`, only an engine already built (None otherwise)."""
        if precision == "int8" and not self.options.int8:
            self.int8_note = "disabled (--no-int8)"
            return None
        dense = dense and self.tt == "read_tensor"
        if not build and self._key("openvino", precision, micro_batch, dense, hint) not in self.engines:
            return None
        engine = self.engine("openvino", precision, micro_batch, dense, hint)
        if precision == "int8" and engine.precision.runs != "int8":
            self.int8_note = f"INT8 fell back to FP32: {engine.precision.why}"
            return None
        return engine

    def int8(self) -> Any:
        """The INT8 engine, or None (with the reason in `int8_note`)."""
        return self.openvino("int8")

    def encoded(self) -> tuple[np.ndarray, np.ndarray]:
        """The bench's examples encoded by our encoder (what the bridge and `vqsr-cnn score` feed the engine)."""
        if self._encoded is None:
            self._encoded = encode_examples(self.examples, self.tt, self.names, self.window, self.read_limit)
        return self._encoded

    def calibration_data(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, list[str]]]:
        """Calibration and accuracy-control tensors: disjoint samples of the train split (valid is for reporting)."""
        files = bench_data.tensor_files(self.root, "train")
        random.Random(11).shuffle(files)
        k = self.options.calibration_size
        cal = bench_data.load_tensors(files[:k], self.tt)
        val = bench_data.load_tensors(files[k : k + 200], self.tt)
        return (cal.tensors, cal.annotations), (val.tensors, val.annotations, val.variant_types)

    def cross_checks(self) -> None:
        """Same inputs, same answers: per-base vs vectorised encoder, baseline vs bridge scores."""
        k = min(self.n, 64)
        vec_t, vec_a = encode_examples(self.examples[:k], self.tt, self.names, self.window, self.read_limit)
        loop_t, loop_a, _ = encode_lines(self.lines[:k], self.tt, self.names, self.window, self.read_limit)
        self.checks["encoder_max_abs_diff"] = float(max(np.abs(vec_t - loop_t).max(), np.abs(vec_a - loop_a).max()))
        base = score_lines_baseline(self.keras, self.lines[:k], self.tt, self.names, self.window, self.read_limit, self.batch)
        _, bridge = score_lines(
            self.engine("openvino", "fp32"),
            self.lines[:k],
            self.tt,
            ",".join(self.names),
            self.window,
            self.read_limit,
            gather=self.batch,
        )
        self.checks["baseline_vs_bridge_max_abs_dscore"] = float(np.abs(base - bridge).max())
        # The 2D VCF's INFO values are cohort-level (DP summed over 3,202 samples), so a trained model may saturate
        # on it: say how many distinct scores the comparison saw, so a vacuous 0.0 is visible as such.
        self.checks["baseline_vs_bridge_distinct_scores"] = int(np.unique(np.round(bridge, 3)).size)

    def close(self) -> None:
        close_sessions(self)
        self.engines.clear()
        gc.collect()
