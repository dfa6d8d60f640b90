"""Interleaved timing (A B C A B C ...) with medians, and the peak RSS seen while each row ran.

On a shared machine the load drifts; interleaving makes every row see the same drift, so the
ratios between rows are trustworthy even when the absolute numbers are not.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np


def rss_mb() -> float:
    """Current resident set size of this process (MiB), from /proc when available."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PeakRSS:
    """Samples RSS every `interval` seconds in a thread; `peak` is the largest value seen."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb())
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRSS:
        self.peak = rss_mb()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak = max(self.peak, rss_mb())


@dataclass
class Row:
    """One benchmark row: `run()` processes `variants` variants (or, for a limit row, `flops` FLOPs)."""

    name: str
    kind: str  # baseline | recreation | peer | stage | engine | end-to-end | limit
    run: Callable[[], object]
    variants: int = 0
    precision: str = "fp32"  # what ran (the engine's executed precision), the limit it is held against
    flops: float = 0.0  # per call, limit rows only
    flops_per_variant: float = 0.0  # model FLOPs the row's engine executes per variant (exact rows: fewer); 0 = none
    note: str = ""
    times: list[float] = field(default_factory=list)
    peak_rss_mb: float = 0.0  # process RSS peak while this row ran (includes everything already loaded)
    rss_growth_mb: float = 0.0  # that peak minus the RSS when the row started: this row's own working memory
    error: str = ""

    @property
    def median(self) -> float:
        return float(np.median(self.times)) if self.times else float("nan")


def transfer_chunks(n: int, size: int) -> list[tuple[int, int]]:
    """[start, end) of each transfer batch of `size` over `n` variants (the last one short)."""
    return [(i, min(n, i + size)) for i in range(0, n, size)]


def run_interleaved(
    rows: Sequence[Row], repeats: int, warmup: bool = True, progress: Callable[[str], None] | None = None
) -> None:
    """One warm-up call per row, then `repeats` rounds over all rows in turn."""
    live = list(rows)
    if warmup:
        for row in live:
            _timed(row, record=False, progress=progress)
    for r in range(repeats):
        for row in live:
            if not row.error:
                _timed(row, record=True, progress=progress)
        if progress:
            progress(f"round {r + 1}/{repeats} done")


def _timed(row: Row, record: bool, progress: Callable[[str], None] | None) -> None:
    try:
        with PeakRSS() as rss:
            before = rss.peak
            start = time.perf_counter()
            row.run()
            elapsed = time.perf_counter() - start
    except Exception as exc:  # one failing row must not hide the others; it is reported
        row.error = f"{type(exc).__name__}: {exc}"[:300]
        if progress:
            progress(f"{row.name}: FAILED {row.error}")
        return
    row.peak_rss_mb = max(row.peak_rss_mb, rss.peak)
    row.rss_growth_mb = max(row.rss_growth_mb, rss.peak - before)
    if record:
        row.times.append(elapsed)
    if progress:
        progress(f"{row.name}: {elapsed:.2f}s{'' if record else ' (warm-up)'}")
