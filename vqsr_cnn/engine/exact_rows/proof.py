"""The load-time proof of exact rows: at each height the cut model scores synthetic tensors of that depth next
to the dense model of the same precision, and a height whose probabilities differ by more than that precision's
tolerance is refused (its variants then run dense)."""

from __future__ import annotations

import numpy as np

# max |d probability| between the cut model at a height and the dense model of the same precision
# (docs/performance.md, "Exact rows at every precision": measured differences and why each bound is what it is)
TOLERANCE = {"fp32": 1e-5, "bf16": 1e-5, "int8": 1e-5}


def synthetic_tensors(
    shape: tuple[int, ...], depths: list[int], n_annotations: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Read-tensor-like inputs with the given R: p-hot read rows, a reference in every row, a uniform tail.

    Each R in `depths` gives one tensor; R >= H gives a tensor with no uniform tail.
    """
    rng = np.random.default_rng(seed)
    height, width, channels = shape
    out = np.zeros((len(depths), height, width, channels), dtype=np.float32)
    for i, r in enumerate(depths):
        ref = rng.integers(0, min(5, channels), width)
        tail = np.zeros((width, channels), dtype=np.float32)
        tail[np.arange(width), ref + (5 if channels >= 10 else 0)] = 1.0  # GATK: reference in channels 5-9
        out[i] = tail
        r = min(r, height)
        if r:
            reads = rng.random((r, width, channels), dtype=np.float32) * (rng.random((r, width, 1)) < 0.8)
            out[i, :r] += reads
    annotations = rng.normal(0.0, 1.0, (len(depths), n_annotations)).astype(np.float32)
    return out, annotations
