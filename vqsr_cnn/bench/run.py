"""`vqsr-cnn bench`'s run: for each tensor type, build its inputs and rows, cross-check, time the rows
interleaved, print the tables and return the JSON-able report (the machine recorded with it)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from ..engine.runner import configure_tensorflow_threads
from .accuracy import run_accuracy
from .exact_rows import exact_rows_report, format_exact_rows
from .flops import flops_by_layer
from .machine import format_machine, loadavg, machine_record
from .options import DEFAULT_BATCH, DEFAULT_VARIANTS, LABEL, BenchOptions, check_variant_count
from .report import format_accuracy, format_table, limits_json, summarise
from .rows import PRECISIONS, build_rows
from .timing import rss_mb, run_interleaved
from .tuning import format_sweeps
from .type_bench import TypeBench

log = logging.getLogger("vqsr_cnn")


def run_bench(
    options: BenchOptions, progress: Callable[[str], None] | None = None, out: Callable[[str], None] = print
) -> dict[str, Any]:
    """Run every requested tensor type; print tables; return the JSON-able report."""
    progress = progress or (lambda msg: log.info("bench: %s", msg))
    for tt in options.tensor_types:  # refuse bad arguments before any slow work
        check_variant_count(options.variants or DEFAULT_VARIANTS[tt], options.batch_size or DEFAULT_BATCH[tt])
    configure_tensorflow_threads(options.threads, options.threads)
    report: dict[str, Any] = {
        "machine": machine_record(options.threads),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "repeats": options.repeats,
        "types": {},
    }
    out(format_machine(report["machine"]))
    for tt in options.tensor_types:
        tb = TypeBench(tt, options, progress)
        entry: dict[str, Any] = {
            "variants": tb.n,
            "batch": tb.batch,
            "transfer_batch": options.transfer_batch,
            "model": {
                "json": tb.json_path,
                "weights": tb.hd5_path,
                "flops_per_variant": tb.flops,
                "flops_by_layer": flops_by_layer(tb.keras),
            },
            "sources": tb.sources,
            "real_examples": tb.real_examples,
        }
        try:
            if options.speed:
                _time_rows(tb, entry, progress, out)
            entry["checks"] = tb.checks
            if options.accuracy:
                progress(f"{LABEL[tt]}: accuracy on the labelled valid tensors")
                entry["accuracy"] = run_accuracy(tb)
                out(format_accuracy(f"{LABEL[tt]} ({tt})", entry["accuracy"]))
        finally:
            entry["rss_after_mb"] = rss_mb()
            tb.close()
        report["types"][tt] = entry
    report["machine"]["loadavg_end"] = loadavg()
    return report


def _time_rows(tb: TypeBench, entry: dict[str, Any], progress: Callable[[str], None], out: Callable[[str], None]) -> None:
    """Cross-check, build and time the rows of one tensor type; print its table (and the exact-rows report)."""
    options, tt = tb.options, tb.tt
    tb.cross_checks()
    rows = build_rows(tb)
    progress(f"{LABEL[tt]}: timing {len(rows)} rows x {options.repeats} rounds (interleaved)")
    run_interleaved(rows, options.repeats, progress=progress)
    entry["rows"], limits = summarise(rows, tb.flops)
    entry["limits"] = limits_json(limits)
    header = (
        f"{tb.n} variants, batch {tb.batch}, transfer batch {options.transfer_batch}, "
        f"{options.threads} threads, {tb.flops / 1e9:.3f} GFLOP/variant, median of {options.repeats} "
        "interleaved rounds; GF/s = model GFLOP/s executed (exact rows: their R + 1 rows); % limit = of the "
        "precision that ran, whose limit is its best probe's fastest round"
    )
    out(format_table(f"{LABEL[tt]} ({tt})", entry["rows"], header, limits, tb.flops))
    if tb.sweeps:
        entry["micro_batch_sweeps"] = [sweep.report() for sweep in tb.sweeps]
        out(format_sweeps(entry["micro_batch_sweeps"]))
    entry["exact_rows"] = exact_rows_report(tb, PRECISIONS, entry["rows"])
    if entry["exact_rows"]:
        out(format_exact_rows(entry["exact_rows"]))
    if tb.int8_note:
        out(f"  INT8: {tb.int8_note}")
