"""Fixed batch shapes: pad a short batch up to the nearest bucket instead of compiling a new shape."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def bucket_sizes(batch_size: int) -> tuple[int, ...]:
    """batch/8, batch/4, batch/2, batch: padding 37 rows to 256 costs ~7x those rows, a shape costs once."""
    if batch_size < 1:
        raise ValueError(f"inference batch size must be positive, got {batch_size}")
    return tuple(sorted({max(1, batch_size // d) for d in (8, 4, 2, 1)}))


def plan(n: int, buckets: tuple[int, ...]) -> Iterator[tuple[int, int, int]]:
    """Yield (start, stop, padded size) chunks covering n rows, each padded to a bucket."""
    largest = buckets[-1]
    for start in range(0, n, largest):
        rows = min(largest, n - start)
        size = next(b for b in buckets if b >= rows)
        yield start, start + rows, size


def pad_rows(array: np.ndarray, size: int) -> np.ndarray:
    """Zero-pad the leading axis to `size` rows (zeros, never uninitialised memory)."""
    if array.shape[0] == size:
        return np.ascontiguousarray(array)
    out = np.zeros((size, *array.shape[1:]), dtype=array.dtype)
    out[: array.shape[0]] = array
    return out
