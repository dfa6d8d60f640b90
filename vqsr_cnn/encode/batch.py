"""Encode a list of examples into the named input arrays of a model: 1D reference windows in one table lookup per
batch (GATK's one-hot with ambiguity fractions, '\x00' past contig ends), 2D read tensors row block by row block."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import defines
from ..defines import TensorType
from ..errors import InputError
from ..records import Example
from . import symbols
from .annotations import annotation_values
from .reads import N_CHANNELS, write_read_rows


def example_where(example: Example) -> str:
    """Where an error in this example is: the reader's label, else contig:pos ref>alt."""
    if example.where:
        return example.where
    v = example.variant
    return f"{v.contig}:{v.pos} {v.ref}>{','.join(v.alts)}"


def check_reference_windows(examples: Sequence[Example], window: int) -> tuple[np.ndarray, int]:
    """Java always sends exactly `window` reference characters, '\x00' only as padding past the contig end.

    One numpy pass over the whole batch; a window of another length or with bases after the padding is
    an error naming the variant (both tensor types read it).  Returns the (n, window) symbol codes and the
    index of the first window with another symbol than a base or IUPAC code before its padding
    (len(examples) if none): the encoder raises that error in its turn, after the examples before it.
    """
    lengths = [len(e.reference) for e in examples]
    wrong = [i for i, n in enumerate(lengths) if n != window]
    if wrong:
        i = wrong[0]
        raise InputError(
            f"reference window has {lengths[i]} characters, expected exactly {window} (the model's "
            "window size; GATK pads it with '\\x00' past the contig end)",
            example_where(examples[i]),
        )
    if not examples:
        return np.zeros((0, window), dtype=np.uint8), 0
    codes = symbols.to_codes("".join(e.reference for e in examples)).reshape(len(examples), window)
    pad = codes == 0
    resumed = pad[:, :-1] & ~pad[:, 1:]
    if resumed.any():
        i = int(np.flatnonzero(resumed.any(axis=1))[0])
        raise InputError(
            "reference window has bases after its '\\x00' padding; Java pads only past the contig end", example_where(examples[i])
        )
    kinds = symbols.KIND[codes]
    bad = (kinds != symbols.BASE) & (kinds != symbols.AMBIGUOUS) & ~pad
    return codes, (int(np.flatnonzero(bad.any(axis=1))[0]) if bad.any() else len(examples))


def _unknown_bases(codes: np.ndarray, where: str) -> InputError:
    """The error for a window `check_reference_windows` found a symbol in that is neither a base nor an IUPAC code."""
    kinds = symbols.KIND[codes]
    bad = (kinds != symbols.BASE) & (kinds != symbols.AMBIGUOUS) & (codes != 0)
    return InputError(f"unknown reference base(s) {symbols.describe_invalid(codes[bad])} in the reference window", where)


@dataclass
class EncodedTensors:
    """A batch's model inputs. `written` (2D, tails not filled): per variant, the leading read rows written; the
    rows after them repeat the last written row and hold no data yet (``engine.exact_rows.plan.fill_tails``)."""

    tensors: np.ndarray
    annotations: np.ndarray
    written: np.ndarray | None = None


def encode_batch(
    examples: Sequence[Example],
    tensor_type: TensorType,
    annotation_names: Sequence[str],
    window: int = defines.DEFAULT_WINDOW_SIZE,
    read_limit: int = defines.DEFAULT_READ_LIMIT,
    fill_tails: bool = True,
) -> EncodedTensors:
    """The (tensor batch, annotation batch) for 'reference' or 'read_tensor' models; for 2D without
    `fill_tails`, each variant's rows after its reads are left for the engine (it reads only the rows it needs)."""
    n = len(examples)
    codes, first_bad_reference = check_reference_windows(examples, window)
    if tensor_type != TensorType.READ_TENSOR:
        # 1D is one table lookup for the whole batch: '\x00' padding (code 0) encodes as zeros, and nothing
        # follows it (checked above).  Errors come in example order, each example's annotations first.
        annotations = _annotations(examples[: first_bad_reference + 1], annotation_names, n)
        if first_bad_reference < n:
            raise _unknown_bases(codes[first_bad_reference], example_where(examples[first_bad_reference]))
        return EncodedTensors(np.take(symbols.FRACTIONS, codes, axis=0), annotations)  # take: ~10x fancy indexing
    annotations = np.zeros((n, len(annotation_names)), dtype=np.float32)
    written = np.full(n, read_limit, dtype=np.int64)
    tensors = np.empty((n, read_limit, window, N_CHANNELS), dtype=np.float32)  # the encoder writes what is used
    for i, example in enumerate(examples):
        where = example_where(example)
        annotations[i] = annotation_values(example.annotations, annotation_names, where)
        if i == first_bad_reference:
            raise _unknown_bases(codes[i], where)
        written[i] = write_read_rows(
            example.variant, example.reference, example.reads or [], tensors[i], where, fill_tail=fill_tails
        )
    return EncodedTensors(tensors, annotations, None if fill_tails else written)


def _annotations(examples: Sequence[Example], names: Sequence[str], rows: int) -> np.ndarray:
    """(rows, len(names)) annotation vectors, the first len(examples) rows from them in order, the rest zero."""
    values: list[float] = []  # one array at the end: a row at a time costs as much as reading the values
    for example in examples:
        values.extend(annotation_values(example.annotations, names, example_where(example)))
    out = np.zeros((rows, len(names)), dtype=np.float32)
    out[: len(examples)] = np.array(values, dtype=np.float32).reshape(len(examples), len(names))
    return out


def encode_examples(
    examples: Sequence[Example],
    tensor_type: TensorType,
    annotation_names: Sequence[str],
    window: int = defines.DEFAULT_WINDOW_SIZE,
    read_limit: int = defines.DEFAULT_READ_LIMIT,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (tensor batch, annotation batch), every element written, for 'reference' or 'read_tensor' models."""
    encoded = encode_batch(examples, tensor_type, annotation_names, window, read_limit)
    return encoded.tensors, encoded.annotations
