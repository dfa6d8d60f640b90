"""A progress meter in the spirit of GATK's ProgressMeter: a table row on stderr every few seconds."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


class ProgressMeter:
    """Rows of: current locus, elapsed minutes, records processed, records per minute."""

    def __init__(
        self,
        enabled: bool = True,
        seconds_between_updates: float = 10.0,
        unit: str = "Variants",
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.enabled = enabled
        self.interval = seconds_between_updates
        self.unit = unit
        self.stream = stream
        self.clock = clock
        self.count = 0
        self.locus = ""
        self._start = self._last = 0.0

    def _print(self, text: str) -> None:
        if self.enabled:
            print(f"ProgressMeter - {text}", file=self.stream or sys.stderr, flush=True)

    def _row(self) -> str:
        minutes = (self.clock() - self._start) / 60.0
        rate = self.count / minutes if minutes > 0 else 0.0
        return f"{self.locus:>20}  {minutes:15.1f}  {self.count:20d}  {rate:15.1f}"

    def start(self) -> None:
        self._start = self._last = self.clock()
        self._print(
            f"{'Current Locus':>20}  {'Elapsed Minutes':>15}  {self.unit + ' Processed':>20}  {self.unit + '/Minute':>15}"
        )

    def update(self, locus: str, n: int = 1) -> None:
        self.count += n
        self.locus = locus
        now = self.clock()
        if now - self._last >= self.interval:
            self._last = now
            self._print(self._row())

    def stop(self) -> None:
        self._print(self._row())
        minutes = (self.clock() - self._start) / 60.0
        self._print(f"Traversal complete. Processed {self.count} total {self.unit.lower()} in {minutes:.1f} minutes.")
