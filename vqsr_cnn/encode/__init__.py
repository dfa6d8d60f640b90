"""Encoders: records -> the arrays GATK's CNNs take.  One implementation for every adapter."""

from .annotations import annotation_values, parse_annotation_string, resolve_annotation_names
from .batch import EncodedTensors, encode_batch, encode_examples
from .reads import encode_read_tensor

__all__ = [
    "annotation_values",
    "EncodedTensors",
    "encode_batch",
    "encode_examples",
    "encode_read_tensor",
    "parse_annotation_string",
    "resolve_annotation_names",
]
