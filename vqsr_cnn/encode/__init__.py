"""Encoders: records -> the arrays GATK's CNNs take.  One implementation for every adapter."""

from .annotations import encode_annotations, parse_annotation_string, resolve_annotation_names
from .batch import EncodedTensors, encode_batch, encode_examples
from .reads import encode_read_tensor

__all__ = [
    "EncodedTensors",
    "encode_batch",
    "encode_annotations",
    "encode_examples",
    "encode_read_tensor",
    "parse_annotation_string",
    "resolve_annotation_names",
]
