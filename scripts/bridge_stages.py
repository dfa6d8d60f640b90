"""Where the 2D bridge's time goes: each stage the bridge runs, timed alone on the same data lines, interleaved.

Stages (per variant): parsing GATK's data lines, encoding read tensors (64 at a time, GATK's inference
batch), R detection, the depth-aware and the dense engine on those tensors (transfer batches of 256 in 64s),
and the bridge end to end (`gatk.score_lines`: parse + encode on a worker thread, overlapped with inference).
Inputs: the bench's GIAB 30x chr22 examples as data lines, repeated to --variants. Run it under the bench lock:
`flock /work/bench.lock python scripts/bridge_stages.py --rounds 3`; to profile the bridge alone:
`py-spy record --threads --format raw -o bridge.txt -- python scripts/bridge_stages.py --only bridge`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vqsr_cnn.bench import data as bench_data  # noqa: E402
from vqsr_cnn.defines import TensorType  # noqa: E402
from vqsr_cnn.encode import encode_examples  # noqa: E402
from vqsr_cnn.engine import Engine, EngineConfig  # noqa: E402
from vqsr_cnn.engine.exact_rows.plan import distinct_rows  # noqa: E402
from vqsr_cnn.gatk import score_lines  # noqa: E402
from vqsr_cnn.models.bundled import default_model_paths  # noqa: E402
from vqsr_cnn.models.gatk_format import load_model_pair  # noqa: E402
from vqsr_cnn.readers.fifo import format_data_line, parse_data_line  # noqa: E402

TT = TensorType.READ_TENSOR
GATHER, TRANSFER = 64, 256


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--variants", type=int, default=512)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--only", default="", help="time only the stages whose name contains this (e.g. 'bridge', to profile it)")
    o = p.parse_args(argv)
    json_path, hd5_path = default_model_paths(TT)
    spec, keras = load_model_pair(str(json_path), str(hd5_path))
    names = list(spec.annotations)
    data, cache = bench_data.default_data_dir(os.environ), bench_data.default_cache_dir(os.environ)
    vcf, fasta, bam = bench_data.prepare_sources(data, TT, cache)
    examples = bench_data.repeat_examples(bench_data.load_examples(vcf, fasta, bam, names, 128, 128), o.variants)
    lines = [format_data_line(e) for e in examples]
    tensors, annots = encode_examples(examples, TT, names)
    aware = Engine(keras, spec, EngineConfig(backend="openvino", intra_threads=2, inter_threads=2))
    dense = Engine(keras, spec, EngineConfig(backend="openvino", intra_threads=2, inter_threads=2, dense=True))
    n = len(lines)

    def engine(e: Engine) -> Callable[[], None]:
        def run() -> None:
            for s in range(0, n, GATHER):
                e.predict_arrays(tensors[s : s + GATHER], annots[s : s + GATHER])

        return run

    stages: dict[str, Callable[[], object]] = {
        "parse data lines (readers.fifo.parse_data_line)": lambda: [parse_data_line(x, TT) for x in lines],
        "encode read tensors (encode_examples, 64 at a time)": lambda: [
            encode_examples(examples[s : s + GATHER], TT, names) for s in range(0, n, GATHER)
        ],
        "R detection (distinct_rows)": lambda: distinct_rows(tensors),
        "engine, depth-aware (predict_arrays, 64 at a time)": engine(aware),
        "engine, dense (--dense)": engine(dense),
        "bridge end to end (gatk.score_lines per 256, gather 64)": lambda: [
            score_lines(aware, lines[s : s + TRANSFER], TT, ",".join(names), 128, 128, gather=GATHER)
            for s in range(0, n, TRANSFER)
        ],
    }
    stages = {k: v for k, v in stages.items() if o.only in k}
    for run in stages.values():  # warm-up: proves the heights these tensors need
        run()
    times: dict[str, list[float]] = {k: [] for k in stages}
    for _ in range(o.rounds):
        for key, run in stages.items():
            start = time.perf_counter()
            run()
            times[key].append(time.perf_counter() - start)
    print(f"{n} GIAB 30x data lines, median of {o.rounds} interleaved rounds, load {os.getloadavg()[0]:.1f}")
    for key, t in times.items():
        m = float(np.median(t))
        print(f"  {key:58} {1000 * m / n:7.2f} ms/variant  ({n / m:6.1f} v/s; {min(t):.2f}-{max(t):.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
