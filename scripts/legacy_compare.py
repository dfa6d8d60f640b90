"""Time one saved batch on one backend, so the legacy env (openvino-tensorflow) and the main env (openvino)
are measured on identical input.

    # main .venv: save a 2D batch (real NA12878 read tensors when ../shared/data is there) + stock-TF reference
    .venv/bin/python scripts/legacy_compare.py save /tmp/vqsr_batch.npz --rows 256
    .venv/bin/python scripts/legacy_compare.py time /tmp/vqsr_batch.npz --backend openvino
    # legacy env (Python 3.9, TF 2.9.3, openvino-tensorflow 2.3.0)
    .venv39/bin/python scripts/legacy_compare.py time /tmp/vqsr_batch.npz --backend openvino-tensorflow
    OPENVINO_TF_DISABLE=1 .venv39/bin/python scripts/legacy_compare.py time /tmp/vqsr_batch.npz --backend tensorflow

Prints one JSON line: backend, precision, first-call and steady per-batch seconds, rows/s, CPU cores busy,
max |probability difference| against the saved reference, and for openvino-tensorflow where OVTF placed
each compute op of the frozen graph (from its placement log).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from vqsr_cnn.defines import TensorType  # noqa: E402
from vqsr_cnn.engine.backends import make_backend  # noqa: E402
from vqsr_cnn.engine.config import EngineConfig  # noqa: E402
from vqsr_cnn.engine.cpu import cpu_info  # noqa: E402
from vqsr_cnn.engine.freeze import freeze  # noqa: E402
from vqsr_cnn.engine.precision import decide  # noqa: E402
from vqsr_cnn.models.bundled import default_model_paths  # noqa: E402
from vqsr_cnn.models.gatk_format import load_model_pair  # noqa: E402


def _member_bytes(tar: Any, member: Any) -> bytes:
    handle = tar.extractfile(member)
    if handle is None:
        raise ValueError(f"{member.name} in the tensor archive is not a regular file")
    return bytes(handle.read())


SHARED_TENSORS = REPO.parent / "shared" / "data" / "na12878_chr1_read_tensors"


def load_frozen() -> Any:
    js, hd5 = default_model_paths(TensorType.READ_TENSOR)
    _, model = load_model_pair(str(js), str(hd5))
    return freeze(model)


def real_or_seeded_batch(rows: int, frozen: Any) -> tuple[np.ndarray, np.ndarray, str]:
    """The first `rows` NA12878 read tensors of the shared tarball when present, else seeded sparse tensors."""
    archives = sorted(SHARED_TENSORS.glob("*.tar.gz")) if SHARED_TENSORS.is_dir() else []
    if archives:
        import io
        import tarfile

        import h5py

        tensors: list[np.ndarray] = []
        annotations: list[np.ndarray] = []
        with tarfile.open(archives[0], "r:gz") as tar:
            for member in tar:
                if len(tensors) == rows:
                    break
                if member.isfile() and member.name.endswith(".hd5"):
                    with h5py.File(io.BytesIO(_member_bytes(tar, member)), "r") as h5:
                        tensors.append(np.asarray(h5["read_tensor"], dtype=np.float32))
                        annotations.append(np.asarray(h5["gatk"], dtype=np.float32))
        if len(tensors) == rows:
            return np.stack(tensors), np.stack(annotations), f"{rows} NA12878 read tensors from {archives[0].name}"
    rng = np.random.default_rng(0)
    tensor = (rng.random((rows, *frozen.tensor_shape)) < 0.1).astype(np.float32)
    return tensor, rng.normal(size=(rows, frozen.n_annotations)).astype(np.float32), f"{rows} seeded random tensors"


def save(args: argparse.Namespace) -> dict[str, Any]:
    frozen = load_frozen()
    tensor, annotations, source = real_or_seeded_batch(args.rows, frozen)
    config = EngineConfig(backend="tensorflow").resolved("read_tensor")
    reference = make_backend(frozen, config, decide("fp32", config.backend, cpu_info())).run(tensor, annotations)
    np.savez(args.batch, tensor=tensor, annotations=annotations, reference=reference)
    return {"saved": str(args.batch), "rows": args.rows, "source": source}


class CaptureFds:
    """Collect what native code writes to fds 1 and 2 (OVTF logs placement from C++)."""

    def __enter__(self) -> CaptureFds:
        sys.stdout.flush()
        sys.stderr.flush()
        self._file = tempfile.TemporaryFile(mode="w+b")
        self._saved = [os.dup(1), os.dup(2)]
        os.dup2(self._file.fileno(), 1)
        os.dup2(self._file.fileno(), 2)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, saved in zip((1, 2), self._saved):
            os.dup2(saved, fd)
            os.close(saved)
        self._file.seek(0)
        self.text = self._file.read().decode(errors="replace")
        self._file.close()


def placement(text: str) -> dict[str, Any]:
    ops = re.findall(r"OP_placement:\s+(\S+)\s+(\S+) \((\w+)\)", text)
    compute = [(where, op) for where, _, op in ops if op not in ("Const", "Placeholder", "Identity", "NoOp", "_Arg", "_Retval")]
    clusters = re.findall(r"Number of ngraph clusters :(\d+)", text)
    return {
        "clusters": int(clusters[-1]) if clusters else None,
        "compute_ops": len(compute),
        "compute_ops_on_openvino": sum(where.startswith("nGraph") for where, _ in compute),
        "on_tensorflow": sorted({op for where, op in compute if not where.startswith("nGraph")}),
        "deassigned": (re.findall(r"Op_deassigned: (.*)", text) or ["?"])[-1].strip(),
    }


def time_backend(args: argparse.Namespace) -> dict[str, Any]:
    data = np.load(args.batch)
    tensor, annotations, reference = data["tensor"], data["annotations"], data["reference"]
    frozen = load_frozen()
    config = EngineConfig(backend=args.backend, precision=args.precision, intra_threads=args.threads).resolved("read_tensor")
    backend = make_backend(frozen, config, decide(config.precision, config.backend, cpu_info()))
    result: dict[str, Any] = {
        "backend": backend.name,
        "precision": backend.precision,
        "rows": int(tensor.shape[0]),
        "threads": args.threads or "auto",
        "python": sys.version.split()[0],
    }
    if args.backend == "openvino-tensorflow" and os.environ.get("OPENVINO_TF_DISABLE") != "1":
        import openvino_tensorflow as ovtf

        ovtf.start_logging_placement()
        with CaptureFds() as cap:
            start = time.perf_counter()
            probs = backend.run(tensor, annotations)
            first = time.perf_counter() - start
        ovtf.stop_logging_placement()
        result["placement"] = placement(cap.text)
    else:
        start = time.perf_counter()
        probs = backend.run(tensor, annotations)
        first = time.perf_counter() - start
    walls, cpus = [], []
    for _ in range(args.repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        probs = backend.run(tensor, annotations)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    steady = statistics.median(walls)
    result.update(
        first_call_s=round(first, 3),
        batch_s=round(steady, 4),
        rows_per_s=round(tensor.shape[0] / steady, 1),
        cores_busy=round(sum(cpus) / sum(walls), 2),
        max_abs_dp_vs_tf=float(np.abs(probs - reference).max()),
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_save = sub.add_parser("save", help="write a 2D batch and its stock-TensorFlow probabilities to an .npz")
    p_save.add_argument("batch", type=Path)
    p_save.add_argument("--rows", type=int, default=256)
    p_time = sub.add_parser("time", help="time one backend on a saved batch")
    p_time.add_argument("batch", type=Path)
    p_time.add_argument("--backend", required=True, choices=("openvino", "tensorflow", "openvino-tensorflow"))
    p_time.add_argument("--precision", default="fp32")
    p_time.add_argument("--threads", type=int, default=0, help="intra-op threads (0 = runtime default)")
    p_time.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(save(args) if args.cmd == "save" else time_backend(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
