"""Encoding overlapped with inference: order kept, the queue bounded, a worker's error re-raised."""

from __future__ import annotations

import pytest


def test_overlapped_keeps_order_bounds_the_queue_and_reraises() -> None:
    import threading

    from vqsr_cnn.engine.overlap import overlapped

    produced, lock = [], threading.Lock()

    def produce(i: int) -> int:
        with lock:
            produced.append(i)
        return i * i

    seen_ahead, consumed = [], []
    for x in overlapped(range(20), produce, ahead=2):
        with lock:
            seen_ahead.append(len(produced))
        consumed.append(x + 1)
    assert consumed == [i * i + 1 for i in range(20)]
    # when item k is consumed, at most k + 1 (in hand) + 2 (queued) + 1 (being put) have been produced
    assert all(ahead <= k + 4 for k, ahead in enumerate(seen_ahead))

    def bad(i: int) -> int:
        if i == 3:
            raise ValueError("data line 4: broken")
        return i

    with pytest.raises(ValueError, match="data line 4"):
        list(overlapped(range(10), bad))


def test_a_single_item_is_produced_in_the_caller_without_a_thread() -> None:
    """One chunk (a 1D bridge call is one feed) has nothing to overlap: no thread start-up, errors raised directly."""
    import threading

    from vqsr_cnn.engine.overlap import overlapped

    threads = []
    assert list(overlapped([5], lambda i: threads.append(threading.current_thread()) or i * 2)) == [10]
    assert list(overlapped(range(0), lambda i: i)) == []
    assert threads == [threading.main_thread()]
    with pytest.raises(ValueError, match="broken"):
        list(overlapped(range(1), lambda i: (_ for _ in ()).throw(ValueError("broken"))))
