"""GATK's read down-sampling, reproduced so standalone scoring keeps the reads Java would keep.

CNNScoreVariants passes the reads overlapping each variant through GATK's ``ReservoirDownsampler``
(Vitter's algorithm R) with ``read_limit`` slots.  Its randomness comes from GATK's one static
``java.util.Random`` seeded with 47382911, shared by the whole run, so the choice at a deep site
depends on how many draws earlier sites took.  We keep one :class:`JavaRandom` per run and walk the
variants in file order, which gives the same reads as Java for the same inputs and the same bytes on
every rerun.  Replacement is in place, so the kept reads come out in slot order, not file order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

GATK_RANDOM_SEED = 47382911

_MULTIPLIER = 0x5DEECE66D
_ADDEND = 0xB
_MASK = (1 << 48) - 1
_INT_MAX = (1 << 31) - 1

T = TypeVar("T")


class JavaRandom:
    """The 48-bit linear congruential generator of ``java.util.Random`` (its published algorithm)."""

    def __init__(self, seed: int = GATK_RANDOM_SEED) -> None:
        self._seed = (seed ^ _MULTIPLIER) & _MASK
        self.draws = 0

    def _next(self, bits: int) -> int:
        self._seed = (self._seed * _MULTIPLIER + _ADDEND) & _MASK
        value = self._seed >> (48 - bits)
        return value - (1 << bits) if bits == 32 and value >= 1 << 31 else value  # Java's signed int

    def next_int(self, bound: int | None = None) -> int:
        """``nextInt()`` (signed 32-bit) or ``nextInt(bound)`` in [0, bound), with Java's rejection rule."""
        self.draws += 1
        if bound is None:
            return self._next(32)
        if bound <= 0:
            raise ValueError("bound must be positive")
        if bound & -bound == bound:  # a power of two: take the high bits
            return (bound * self._next(31)) >> 31
        while True:
            bits = self._next(31)
            value = bits % bound
            if bits - value + (bound - 1) <= _INT_MAX:  # Java rejects when this overflows an int
                return value


def reservoir_sample(items: Iterable[T], limit: int, rng: JavaRandom) -> list[T]:
    """Algorithm R as GATK's ReservoirDownsampler runs it: one draw per item past `limit`, in-place slots."""
    if limit <= 0:
        raise ValueError(f"read limit must be positive, got {limit}")
    reservoir: list[T] = []
    seen = 0
    for item in items:
        seen += 1
        if seen <= limit:
            reservoir.append(item)
            continue
        slot = rng.next_int(seen)
        if slot < limit:
            reservoir[slot] = item
    return reservoir
