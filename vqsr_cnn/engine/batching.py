"""One fixed compute shape: rows reach a backend only in micro-batches of exactly `micro` rows.

Kernels block and sum differently at different batch shapes, so a row scored in an 8-row and a 16-row batch
can differ in the last bit. Running every row at one shape (the final short micro-batch zero-padded, padding
rows dropped) makes a row's score depend on that row alone, never on the batch it arrived in.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def micro_batches(tensors: np.ndarray, annotations: np.ndarray, micro: int) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
    """(start, rows, tensor, annotations) per micro-batch; every yielded array has exactly `micro` rows."""
    if micro < 1:
        raise ValueError(f"micro-batch must be positive, got {micro}")
    n = tensors.shape[0]
    for start in range(0, n, micro):
        rows = min(micro, n - start)
        yield start, rows, pad_rows(tensors[start : start + rows], micro), pad_rows(annotations[start : start + rows], micro)


def pad_rows(array: np.ndarray, size: int) -> np.ndarray:
    """C-contiguous float32 with the leading axis zero-padded to `size` rows (never uninitialised memory)."""
    if array.shape[0] == size:
        return np.ascontiguousarray(array, dtype=np.float32)
    out = np.zeros((size, *array.shape[1:]), dtype=np.float32)
    out[: array.shape[0]] = array
    return out
