"""Annotation vectors from INFO values.  Missing, '.', and NaN become 0 (GATK crashes on '.')."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from .. import defines
from ..errors import InputError


def parse_annotation_string(text: str) -> dict[str, str]:
    """'MQ=60.0;DP=12;' -> {'MQ': '60.0', 'DP': '12'} (keys without a value are dropped)."""
    pairs = {}
    for item in text.split(defines.ANNOTATION_SEPARATOR):
        key, sep, value = item.partition(defines.ANNOTATION_SET_STRING)
        if sep:
            pairs[key.strip()] = value
    return pairs


def resolve_annotation_names(annotation_set: str | Sequence[str]) -> list[str]:
    """Accept a GATK set name ('best_practices') or the comma list Java passes ('MQ,DP,...')."""
    if not isinstance(annotation_set, str):
        return list(annotation_set)
    if annotation_set in defines.ANNOTATIONS_SETS:
        return list(defines.ANNOTATIONS_SETS[annotation_set])
    return [a.strip() for a in annotation_set.split(defines.DATA_VALUE_SEPARATOR) if a.strip()]


def annotation_value(raw: str | None, key: str, where: str = "") -> float:
    """One INFO value -> float.  Lists (Number=A on multi-allelics) use their first value."""
    if raw is None:
        return 0.0
    try:  # a plain number (the usual case) reads the same through float() as through the list rules below
        value = float(raw)
    except ValueError:
        pass
    else:
        return 0.0 if math.isnan(value) else value
    text = raw.strip().strip("[]")
    first = text.split(",")[0].strip()
    if first in ("", ".", "NaN", "nan"):
        return 0.0
    try:
        value = float(first)
    except ValueError:
        raise InputError(f"annotation {key}={raw!r} is not a number", where) from None
    return 0.0 if math.isnan(value) else value


def annotation_values(values: Mapping[str, str], names: Sequence[str], where: str = "") -> list[float]:
    """One example's annotation vector, in `names` order (the batch encoder makes the arrays)."""
    return [annotation_value(values.get(n), n, where) for n in names]
