"""GATK 4.2's approach re-created plainly in this code base: the `re-created GATK 4.2` row (the baseline when GATK
4.2's own stack is absent), and the per-base reference encoder the tests hold ours against.

Per variant: split the data line, build the tensor base by base in Python loops (following the
rules in docs/design.md §4-5), then hand the whole transfer batch to the un-frozen Keras model's
`predict(batch_size=...)`, whose final batch is whatever is left (a new shape, a retrace).
Written from the rules, independently of :mod:`vqsr_cnn.encode`, so the bench can also check that
the vectorised encoder produces the same arrays.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import defines
from ..scores import scores_for_types

_CIGAR = re.compile(r"(\d+)([MIDNSHP=XB])")
_SKIP = None  # a column left of the read's start


def p_hot(base: str, quality: int) -> list[float]:
    """Quality-weighted one-hot: the called base 1 - 10^(-q/10), the others a third of the error."""
    error = 10.0 ** (-quality / 10.0)
    called = float(np.float32(1.0 - error))
    other = float(np.float32((1.0 - (1.0 - error)) / 3.0))
    out = [other, other, other, other]
    out[defines.DNA_SYMBOLS[base]] = called
    return out


def encode_reference_loop(window_text: str, window: int) -> np.ndarray:
    tensor = np.zeros((window, len(defines.DNA_SYMBOLS)), dtype=np.float32)
    for i, base in enumerate(window_text[:window]):
        if base == "\x00":
            break
        if base in defines.DNA_SYMBOLS:
            tensor[i, defines.DNA_SYMBOLS[base]] = 1.0
        elif base in defines.AMBIGUITY_CODES:
            for k, fraction in enumerate(defines.AMBIGUITY_CODES[base]):
                tensor[i, k] = fraction
        else:
            raise ValueError(f"unknown reference base {base!r}")
    return tensor


def _insertions(reads: list[dict], start: int, window: int) -> dict[int, int]:
    inserts: dict[int, int] = {}
    for read in reads:
        shift = start - read["start"]
        if abs(shift) >= window:
            continue
        cursor = 0
        for n, op in _CIGAR.findall(read["cigar"]):
            if op == "I":
                key = cursor - shift
                inserts[key] = max(inserts.get(key, 0), int(n))
            if op in "MISD":
                cursor += int(n)
    return inserts


def _sort_base(read: dict, pos: int, vtype: str) -> str:
    seq = read["seq"]
    if not seq:
        return "Z"
    offset = pos - read["start"]
    if vtype == "SNP":
        return seq[min(max(offset, 0), len(seq) - 1)]
    offset += 1
    total = 0
    for n, op in _CIGAR.findall(read["cigar"]):
        total += int(n)
        if total > offset:
            return seq[min(max(offset, 0), len(seq) - 1)] if op == "M" else op
    return "Y"


def _apply_gaps(chars: list, quals: list, gaps: dict[int, int]) -> tuple[list, list]:
    for key in sorted(gaps, reverse=True):
        count = gaps[key]
        if count <= 0:
            continue
        if key < 1:
            chars, quals = ["*"] * count + chars, [0] * count + quals
        else:
            chars, quals = chars[:key] + ["*"] * count + chars[key:], quals[:key] + [0] * count + quals[key:]
    return chars, quals


def encode_read_tensor_loop(pos: int, vtype: str, reference: str, reads: list[dict], window: int, read_limit: int) -> np.ndarray:
    tensor = np.zeros((read_limit, window, 15), dtype=np.float32)
    start = pos - window // 2
    inserts = _insertions(reads, start, window)
    ordered = sorted(reads, key=lambda r: r["start"])
    ordered = sorted(ordered, key=lambda r: _sort_base(r, pos, vtype))
    if len(ordered) > read_limit:  # same deterministic subset as the encoder (GATK: random)
        ordered = [ordered[(i * len(ordered)) // read_limit] for i in range(read_limit)]
    for row, read in enumerate(ordered):
        shift = start - read["start"]
        chars = list(read["seq"][:window])
        quals = list(read["qual"][:window]) if read["qual"] else [255] * len(chars)
        if shift > 0:
            chars, quals = chars[shift:], quals[shift:]
        elif shift < 0:
            chars, quals = [_SKIP] * -shift + chars, [0] * -shift + quals
        own: dict[int, int] = {}
        cursor = 0
        for n, op in _CIGAR.findall(read["cigar"]):
            key = cursor - shift
            if op == "I" and key in inserts:
                own[key] = inserts[key] - int(n)
            elif op == "D":
                own[key] = int(n)
            if op in "MISD":
                cursor += int(n)
        for key, n in inserts.items():
            own.setdefault(key, n)
        chars, quals = _apply_gaps(chars, quals, own)
        filled = []
        for col in range(min(len(chars), window)):
            ch = chars[col]
            if ch is _SKIP:
                continue
            filled.append(col)
            if ch == "*":
                tensor[row, col, 4] = 1.0
            elif ch in defines.DNA_SYMBOLS:
                tensor[row, col, :4] = p_hot(ch, quals[col])
            elif ch in defines.AMBIGUITY_CODES:
                tensor[row, col, :4] = defines.AMBIGUITY_CODES[ch]
            else:
                raise ValueError(f"unknown read base {ch!r}")
        if len(filled) >= 2:
            flags = (
                float(read["reverse"]),
                float(read["mate_reverse"]),
                float(read["first"]),
                float(not read["first"]),
                read["mapq"] / defines.MAPPING_QUALITY_MAX,
            )
            for col in range(filled[0], filled[-1]):
                for channel, value in zip(range(10, 15), flags):
                    tensor[row, col, channel] = value
    ref_chars, _ = _apply_gaps(list(reference), [0] * len(reference), inserts)
    for col in range(min(len(ref_chars), window)):
        ch = ref_chars[col]
        for row in range(read_limit):
            if ch in defines.INPUTS_INDEL:
                tensor[row, col, defines.REFERENCE_CHANNEL_OFFSET + defines.INPUTS_INDEL[ch]] = 1.0
            elif ch in defines.AMBIGUITY_CODES:
                for k, fraction in enumerate(defines.AMBIGUITY_CODES[ch]):
                    tensor[row, col, defines.REFERENCE_CHANNEL_OFFSET + k] = fraction
    return tensor


def parse_line(line: str) -> tuple[list[str], list[dict]]:
    """Split a data line into its 7 variant fields and a list of read dicts (GATK-style, no validation)."""
    fields = line.rstrip("\n").split("\t")
    head, rest = fields[:7], fields[7:]
    reads = []
    for k in range(0, len(rest) - 7, 8):
        seq, qual, cigar, rev, mate_rev, first, mapq, start = rest[k : k + 8]
        reads.append(
            {
                "seq": seq,
                "qual": [int(q) for q in qual.split(",")] if qual else [],
                "cigar": cigar,
                "reverse": rev == "true",
                "mate_reverse": mate_rev == "true",
                "first": first == "true",
                "mapq": int(mapq),
                "start": int(start),
            }
        )
    return head, reads


def annotation_vector(text: str, names: Sequence[str]) -> np.ndarray:
    values = {}
    for item in text.split(";"):
        if "=" in item:
            key, value = item.split("=", 1)
            values[key] = value
    out = np.zeros(len(names), dtype=np.float32)
    for i, name in enumerate(names):
        raw = values.get(name, "").strip("[]").split(",")[0].strip()
        try:
            out[i] = 0.0 if raw in ("", ".", "NaN", "nan") else float(raw)
        except ValueError:
            out[i] = 0.0
    return out


def encode_lines(
    lines: Sequence[str], tensor_type: str, names: Sequence[str], window: int, read_limit: int
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    tensors, annotations, types = [], [], []
    for line in lines:
        head, reads = parse_line(line)
        _, pos, _, _, reference, annots, vtype = head
        if tensor_type == "reference":
            tensors.append(encode_reference_loop(reference, window))
        else:
            tensors.append(encode_read_tensor_loop(int(pos), vtype, reference, reads, window, read_limit))
        annotations.append(annotation_vector(annots, names))
        types.append(vtype)
    return np.stack(tensors), np.stack(annotations), types


def score_lines_baseline(
    keras_model: Any,
    lines: Sequence[str],
    tensor_type: str,
    names: Sequence[str],
    window: int,
    read_limit: int,
    inference_batch: int,
) -> np.ndarray:
    """GATK 4.2's per-transfer-batch flow: encode each variant, then un-frozen `model.predict`."""
    tensors, annotations, types = encode_lines(lines, tensor_type, names, window, read_limit)
    inputs = _keras_inputs(keras_model, tensors, annotations)
    probs = keras_model.predict(inputs, batch_size=inference_batch, verbose=0)
    return scores_for_types(np.asarray(probs), types)


def _keras_inputs(keras_model: Any, tensors: np.ndarray, annotations: np.ndarray) -> list[np.ndarray]:
    """Order the two arrays as the model's inputs are ordered (the annotation input is rank 2)."""
    return [annotations if len(t.shape) == 2 else tensors for t in keras_model.inputs]
