"""CPU per variant of the 2D bridge's Python work: parse, encode, distinct_rows, this checkout vs a git ref.

The ref's `vqsr_cnn` is exported (`git archive`) into a temporary package `vqsr_cnn_ref`, so both run in one
process on the same data lines, interleaved (ABBA per round); the medians over rounds and their ratios are
printed, and both must produce identical tensor bytes, annotations and R (checked every round).
Lines: the GIAB 30x NA12878 chr22 slice of shared/data as the bench builds them (repeated to --lines), else
testdata/fifo/lines_2d.txt repeated.  Time is process CPU time (time.process_time).

Run it under the bench lock:  flock /work/bench.lock .venv/bin/python scripts/encode_speed.py --rounds 5
Profile this checkout's side:  .venv/bin/python scripts/encode_speed.py --profile
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import importlib
import io
import os
import pstats
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from types import ModuleType

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vqsr_cnn import defines  # noqa: E402
from vqsr_cnn.bench import data as bench_data  # noqa: E402
from vqsr_cnn.readers.fifo import format_data_line  # noqa: E402

STAGES = ("parse", "encode", "distinct_rows")


def data_lines(n: int) -> tuple[list[str], str]:
    """n real 2D data lines, and where they came from."""
    data, cache = bench_data.default_data_dir(os.environ), bench_data.default_cache_dir(os.environ)
    try:
        vcf, fasta, bam = bench_data.prepare_sources(data, "read_tensor", cache)
    except FileNotFoundError:
        lines = (ROOT / "testdata" / "fifo" / "lines_2d.txt").read_text().splitlines(keepends=True)
        return [lines[i % len(lines)] for i in range(n)], "testdata/fifo/lines_2d.txt"
    names = defines.ANNOTATIONS_SETS["best_practices"]
    examples = bench_data.load_examples(vcf, fasta, bam, names, defines.DEFAULT_WINDOW_SIZE, defines.DEFAULT_READ_LIMIT)
    return [format_data_line(e) for e in bench_data.repeat_examples(examples, n)], f"{vcf.name} ({len(examples)} sites)"


def export_ref(ref: str, dest: Path) -> str:
    """`git archive` the ref's package into dest/vqsr_cnn_ref; returns the commit."""
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", ref], check=True, capture_output=True, text=True).stdout.strip()
    blob = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "vqsr_cnn"], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        tar.extractall(dest, filter="data")
    (dest / "vqsr_cnn").rename(dest / "vqsr_cnn_ref")
    return commit


class Side:
    """One implementation's three stages, by package name."""

    def __init__(self, package: str) -> None:
        self.name = package
        self.fifo: ModuleType = importlib.import_module(f"{package}.readers.fifo")
        self.encode: ModuleType = importlib.import_module(f"{package}.encode")
        self.depth: ModuleType = importlib.import_module(f"{package}.engine.exact_rows.plan")

    def run(self, lines: list[str], batch: int, check: bool = True) -> tuple[dict[str, float], str]:
        """CPU seconds per stage, and (check) a digest of every tensor, annotation and R."""
        names = defines.ANNOTATIONS_SETS["best_practices"]
        times = dict.fromkeys(STAGES, 0.0)
        digest = hashlib.blake2b()
        if check:
            gc.collect()
        t0 = time.process_time()
        examples = [self.fifo.parse_data_line(line, "read_tensor", i + 1).example for i, line in enumerate(lines)]
        times["parse"] = time.process_time() - t0
        for a in range(0, len(examples), batch):
            if check:
                gc.collect()
            t0 = time.process_time()
            tensors, annotations = self.encode.encode_examples(examples[a : a + batch], "read_tensor", names)
            t1 = time.process_time()
            rows = self.depth.distinct_rows(tensors)
            t2 = time.process_time()
            times["encode"] += t1 - t0
            times["distinct_rows"] += t2 - t1
            for array in (tensors, annotations, rows) if check else ():
                digest.update(np.ascontiguousarray(array).data)
            del tensors, annotations
        return times, digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main", help="git ref to compare against (default: main)")
    parser.add_argument("--lines", type=int, default=512, help="data lines per round (default 512)")
    parser.add_argument("--batch", type=int, default=64, help="variants per encode_examples call (the bridge's gather)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile this checkout's side once and print its top 15")
    args = parser.parse_args()
    lines, source = data_lines(args.lines)
    reads = sum(line.count("\t") - 7 for line in lines) / defines.READ_ELEMENTS / len(lines)
    print(f"{len(lines)} data lines from {source}, {reads:.1f} reads per line, batch {args.batch}")
    new = Side("vqsr_cnn")
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(new.run, lines, args.batch, check=False)
        pstats.Stats(profile).sort_stats("tottime").print_stats(15)
        return
    with tempfile.TemporaryDirectory() as tmp:
        commit = export_ref(args.ref, Path(tmp))
        sys.path.insert(0, tmp)
        old = Side("vqsr_cnn_ref")
        print(f"ref {args.ref} = {commit[:12]}; this checkout = {ROOT}")
        results: dict[str, list[dict[str, float]]] = {"ref": [], "new": []}
        for r in range(args.rounds):
            order = [("ref", old), ("new", new)] if r % 2 == 0 else [("new", new), ("ref", old)]
            digests = {}
            for label, side in order:
                times, digests[label] = side.run(lines, args.batch)
                results[label].append(times)
            if digests["ref"] != digests["new"]:
                raise SystemExit(f"round {r + 1}: tensors, annotations or R differ between ref and this checkout")
            print(
                f"round {r + 1}: " + "  ".join(f"{k} {1e3 * results['new'][-1][k] / len(lines):.3f}" for k in STAGES), flush=True
            )
    print(f"\nCPU ms per variant, median of {args.rounds} rounds (outputs identical in every round)")
    print(f"{'stage':<14} {'ref':>8} {'new':>8} {'ref/new':>8}")
    for stage in (*STAGES, "total"):
        med = {}
        for label in ("ref", "new"):
            values = [sum(t.values()) if stage == "total" else t[stage] for t in results[label]]
            med[label] = 1e3 * float(np.median(values)) / len(lines)
        print(f"{stage:<14} {med['ref']:>8.3f} {med['new']:>8.3f} {med['ref'] / med['new']:>7.2f}x")


if __name__ == "__main__":
    main()
