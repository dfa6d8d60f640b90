"""The one encode -> predict -> score loop, shared by the GATK bridge, `vqsr-cnn score` and the bench.

A worker thread encodes batch k+1 while the engine (which releases the GIL) scores batch k; batches come back
in order with their scores. Each caller brings its own chunks, its own `encode` and its own writer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

import numpy as np

from .engine import Engine
from .engine.overlap import overlapped
from .scores import scores_for_types

T = TypeVar("T")
R = TypeVar("R")
_EMPTY = np.zeros(0, dtype=np.float32)  # what a scored batch keeps of its tensors


@dataclass
class EncodedBatch(Generic[R]):
    tensors: np.ndarray
    annotations: np.ndarray
    variant_types: list[str]
    records: R  # what the caller writes the scores beside (GATK echo prefixes, VCF record texts)
    last: str = ""  # contig:pos of the last record, for progress lines
    written: np.ndarray | None = None  # 2D: leading rows the encoder wrote per variant (encode.EncodedTensors)


def score_batches(
    engine: Engine, chunks: Iterable[T], encode: Callable[[T], EncodedBatch[Any]], ahead: int = 2
) -> Iterator[tuple[EncodedBatch[Any], np.ndarray]]:
    """(batch, GATK scores) for every chunk, in order; at most `ahead` encoded batches wait to be scored.

    A scored batch keeps only its records: its tensors are dropped before it is handed back.
    """
    for batch in overlapped(chunks, encode, ahead=max(1, ahead)):
        probs = engine.predict_arrays(batch.tensors, batch.annotations, batch.written)
        yield replace(batch, tensors=_EMPTY, annotations=_EMPTY), scores_for_types(probs, batch.variant_types)
