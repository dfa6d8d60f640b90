"""Which depth-aware configuration pays: row buckets x cut micro-batch x gathering, against dense, interleaved.

Feeds the engine as the GATK bridge does: transfer batches of 256 variants, each arriving in inference
batches of 64; "gathered" holds every bucket over the transfer batch (one padded flush per transfer batch,
what the engine does now), "flushed" pads every bucket after each inference batch (what it did before).
Inputs: GATK's NA12878 chr1 read tensors and our encoder's tensors of the GIAB 30x chr22 slice (repeated).
Run it under the bench lock: `flock /work/bench.lock python scripts/depth_configs.py --rounds 3`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vqsr_cnn.bench import data as bench_data  # noqa: E402
from vqsr_cnn.encode import encode_examples  # noqa: E402
from vqsr_cnn.engine import Engine, EngineConfig  # noqa: E402
from vqsr_cnn.engine.depth_runner import DEFAULT_ROW_BUCKETS, DepthAwareOpenVINO  # noqa: E402
from vqsr_cnn.models.bundled import default_model_paths  # noqa: E402
from vqsr_cnn.models.gatk_format import load_model_pair  # noqa: E402

PREVIOUS_BUCKETS = (8, 16, 24, 32, 40, 48, 56, 64, 80)


def inputs(args: object, n: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    data, cache = bench_data.default_data_dir(os.environ), bench_data.default_cache_dir(os.environ)
    root = bench_data.extract_tensors(data, "read_tensor", cache)
    files = bench_data.tensor_files(root, "train") + bench_data.tensor_files(root, "valid")
    chr1 = bench_data.load_tensors(files, "read_tensor", n, seed=3)
    names = list(args.annotations)
    vcf, fasta, bam = bench_data.prepare_sources(data, "read_tensor", cache)
    examples = bench_data.repeat_examples(bench_data.load_examples(vcf, fasta, bam, names, 128, 128), n)
    giab = encode_examples(examples, "read_tensor", names, 128, 128)
    return {
        "chr1": (chr1.tensors.astype(np.float32), chr1.annotations.astype(np.float32)),
        "giab": (giab[0].astype(np.float32), giab[1].astype(np.float32)),
    }


def feed(runner: DepthAwareOpenVINO, t: np.ndarray, a: np.ndarray, gathered: bool) -> None:
    for s in range(0, len(t), 256):
        size = min(256, len(t) - s)
        batches = [(t[s + x : s + x + 64], a[s + x : s + x + 64], x) for x in range(0, size, 64)]
        for _ in runner.stream(batches, hold=size if gathered else 0):
            pass


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--variants", type=int, default=512)
    p.add_argument("--rounds", type=int, default=3)
    o = p.parse_args(argv)
    args, keras = load_model_pair(*map(str, default_model_paths("read_tensor")))
    config = dict(backend="openvino", intra_threads=2, inter_threads=2)
    dense = Engine(keras, args, EngineConfig(dense=True, **config))
    aware = Engine(keras, args, EngineConfig(**config))
    plan, backend = aware.depth.plan, aware.backend
    configs = {  # (runner, gathered)
        f"buckets {DEFAULT_ROW_BUCKETS}, micro 8, gathered (default)": (aware.depth, True),
        f"buckets {DEFAULT_ROW_BUCKETS}, micro 8, flushed": (aware.depth, False),
        f"buckets {DEFAULT_ROW_BUCKETS}, micro 16, gathered": (DepthAwareOpenVINO(plan, backend, 16, cut_micro_batch=16), True),
        f"buckets {PREVIOUS_BUCKETS}, micro 8, gathered": (
            DepthAwareOpenVINO(plan, backend, 16, buckets=PREVIOUS_BUCKETS, cut_micro_batch=8),
            True,
        ),
    }
    previous = DepthAwareOpenVINO(plan, backend, 16, buckets=PREVIOUS_BUCKETS, cut_micro_batch=16)
    configs[f"buckets {PREVIOUS_BUCKETS}, micro 16, gathered"] = (previous, True)
    configs[f"buckets {PREVIOUS_BUCKETS}, micro 16, flushed (before)"] = (previous, False)
    rows = {}
    for name, (t, a) in inputs(args, o.variants).items():
        rows[(name, "dense")] = lambda t=t, a=a: [
            dense.predict_arrays(t[s : s + 64], a[s : s + 64]) for s in range(0, len(t), 64)
        ]
        for label, (runner, gathered) in configs.items():
            rows[(name, label)] = lambda r=runner, t=t, a=a, g=gathered: feed(r, t, a, g)
    for run in rows.values():  # warm-up: compiles every bucket model
        run()
    times: dict[tuple[str, str], list[float]] = {k: [] for k in rows}
    for _ in range(o.rounds):
        for key, run in rows.items():
            start = time.perf_counter()
            run()
            times[key].append(time.perf_counter() - start)
    for name in ("chr1", "giab"):
        base = np.median(times[(name, "dense")])
        for key in (k for k in rows if k[0] == name):
            m = np.median(times[key])
            print(
                f"{name:5} {key[1]:78} {o.variants / m:6.1f} v/s {base / m:5.2f}x dense  "
                f"({min(times[key]):.1f}-{max(times[key]):.1f} s)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
