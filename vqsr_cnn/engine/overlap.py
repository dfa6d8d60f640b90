"""Overlap encoding with inference: a worker thread prepares chunk k+1 while the engine runs chunk k.

OpenVINO and TensorFlow release the GIL while they infer, so the Python/numpy encoder gets CPU time
that would otherwise sit idle between batches.  The queue is bounded (`ahead` chunks), so memory
stays flat however many chunks there are; an exception in the worker is re-raised in the caller.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sized
from typing import TypeVar

T = TypeVar("T")
P = TypeVar("P")

_DONE = object()


def overlapped(items: Iterable[T], produce: Callable[[T], P], ahead: int = 2) -> Iterator[P]:
    """Yield produce(item) in order; produce runs in a worker thread, at most `ahead` items ahead of the caller."""
    if ahead < 1:
        raise ValueError(f"ahead must be at least 1, got {ahead}")
    if isinstance(items, Sized) and len(items) <= 1:  # nothing to overlap: a thread would only add its start-up
        yield from map(produce, items)
        return
    buffer: queue.Queue = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                result = produce(item)
                while not stop.is_set():
                    try:
                        buffer.put((True, result), timeout=0.1)
                        break
                    except queue.Full:
                        continue
        except BaseException as exc:  # handed to the caller, who re-raises it
            buffer.put((False, exc))
            return
        buffer.put((True, _DONE))

    worker = threading.Thread(target=work, name="vqsr-cnn-encode", daemon=True)
    worker.start()
    try:
        while True:
            ok, value = buffer.get()
            if not ok:
                raise value
            if value is _DONE:
                return
            yield value
    finally:
        stop.set()
        while worker.is_alive():  # unblock a worker waiting on a full queue, then let it finish
            try:
                buffer.get_nowait()
            except queue.Empty:
                pass
            worker.join(timeout=0.1)
