"""Counting the input shapes a backend really ran: the fixed-shape rule says one per compiled model."""

from __future__ import annotations

import threading


class ShapeCounter:
    """The distinct input shapes seen, recorded by each backend's run loop on what it hands the runtime."""

    def __init__(self) -> None:
        self.seen: set[tuple[int, ...]] = set()
        self._lock = threading.Lock()

    def see(self, shape: tuple[int, ...]) -> None:
        if shape not in self.seen:
            with self._lock:
                self.seen.add(tuple(shape))

    @property
    def count(self) -> int:
        return len(self.seen)
