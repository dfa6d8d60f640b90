"""Every GATK constant, in one place.

These values are GATK's public contract (data-line layout, tensor channel order, label indices,
annotation sets, ambiguity fractions).  They are reproduced as data so that models trained by GATK
score identically here; nothing else in the package may hard-code them.
"""

from __future__ import annotations

import re
from enum import Enum

from .errors import InputError


class TensorType(str, Enum):
    """GATK's two tensor maps.  A str, so it equals, hashes and prints as GATK's own name."""

    REFERENCE = "reference"  # 1D: the reference window only
    READ_TENSOR = "read_tensor"  # 2D: reads x window x channels

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def is_2d(self) -> bool:
        return self is TensorType.READ_TENSOR

    @property
    def label(self) -> str:
        return "2D" if self.is_2d else "1D"

    @classmethod
    def parse(cls, value: object, where: str = "tensor type") -> TensorType:
        """The one place a tensor type from outside (flag, JSON, Java) is checked."""
        try:
            return cls(value)
        except ValueError:
            raise InputError(f"unknown tensor type {value!r}: expected 'reference' (1D) or 'read_tensor' (2D)", where) from None


# Tensor types as GATK's module lists them (tensor maps).
TENSOR_MAPS_1D = [TensorType.REFERENCE.value]
TENSOR_MAPS_2D = [TensorType.READ_TENSOR.value]
TENSOR_SUFFIX = ".hd5"

DNA_SYMBOLS = {"A": 0, "C": 1, "G": 2, "T": 3}
INPUTS_INDEL = {"A": 0, "C": 1, "G": 2, "T": 3, "*": 4}
INPUT_SYMBOLS = {"dna": DNA_SYMBOLS, "dna_indel": INPUTS_INDEL}

# GATK's fractions for IUPAC codes, channel order A,C,G,T.  Kept exactly as GATK has them (R, Y, S
# and W differ from the IUPAC meaning) because GATK-trained weights saw these values.
AMBIGUITY_CODES = {
    "K": [0, 0, 0.5, 0.5],
    "M": [0.5, 0.5, 0, 0],
    "R": [0.5, 0, 0, 0.5],
    "Y": [0, 0.5, 0.5, 0],
    "S": [0, 0.5, 0, 0.5],
    "W": [0.5, 0, 0.5, 0],
    "B": [0, 0.333, 0.333, 0.334],
    "V": [0.333, 0.333, 0, 0.334],
    "H": [0.333, 0.333, 0.334, 0],
    "D": [0.333, 0, 0.333, 0.334],
    "X": [0.25, 0.25, 0.25, 0.25],
    "N": [0.25, 0.25, 0.25, 0.25],
}

ANNOTATIONS_SETS = {
    "_": [],
    "best_practices_w_qual": ["MQ", "DP", "SOR", "FS", "QD", "MQRankSum", "QUAL", "ReadPosRankSum"],
    "best_practices": ["MQ", "DP", "SOR", "FS", "QD", "MQRankSum", "ReadPosRankSum"],
    "gatk": ["MQ", "DP", "SOR", "FS", "QD", "MQRankSum", "ReadPosRankSum"],
    "annotations": ["MQ", "DP", "SOR", "FS", "QD", "MQRankSum", "ReadPosRankSum"],
    "m2": ["AF", "AD_0", "AD_1", "MBQ", "MFRL_0", "MFRL_1", "MMQ", "MPOS"],
    "combine": [
        "MQ",
        "DP",
        "SOR",
        "FS",
        "QD",
        "MQRankSum",
        "ReadPosRankSum",
        "AF",
        "AD_0",
        "AD_1",
        "MBQ",
        "MFRL_0",
        "MFRL_1",
        "MMQ",
        "MPOS",
    ],
    "gnomad": [
        "MQ",
        "DP",
        "SOR",
        "FS",
        "QD",
        "MQRankSum",
        "ReadPosRankSum",
        "DP_MEDIAN",
        "DREF_MEDIAN",
        "GQ_MEDIAN",
        "AB_MEDIAN",
    ],
}
DEFAULT_ANNOTATION_SET = "best_practices"

SNP_INDEL_LABELS = {"NOT_SNP": 0, "NOT_INDEL": 1, "SNP": 2, "INDEL": 3}

CODE2CIGAR = "MIDNSHP=XB"
CIGAR2CODE = {op: code for code, op in enumerate(CODE2CIGAR)}
CIGAR_CODE = {"M": 0, "I": 1, "D": 2, "N": 3, "S": 4}
CIGAR_REGEX = re.compile(r"(\d+)([MIDNSHP=XB])")
# Ops that advance GATK's window cursor (note: not N, H, P, =, X).
CIGAR_OPS_THAT_ADVANCE = frozenset("MISD")

SKIP_CHAR = "~"
INDEL_CHAR = "*"
MAPPING_QUALITY_MAX = 60.0
READ_FLAGS = 12

# Read-tensor channel layout (channels_last), as GATK's read_tensor map.
READ_CHANNEL_REVERSE = 10
READ_CHANNEL_MATE_REVERSE = 11
READ_CHANNEL_FIRST = 12
READ_CHANNEL_SECOND = 13
READ_CHANNEL_MAPQ = 14
REFERENCE_CHANNEL_OFFSET = len(INPUTS_INDEL)

# Data-line format shared with CNNScoreVariants.java.
DATA_VALUE_SEPARATOR = ","
DATA_TYPE_SEPARATOR = "\t"
ANNOTATION_SEPARATOR = ";"
ANNOTATION_SET_STRING = "="
SEPARATOR_CHAR = DATA_TYPE_SEPARATOR
VARIANT_FIFO_FIELDS = 7  # contig, pos, ref, alts, reference window, annotations, variant type
READ_ELEMENTS = 8  # bases, quals, cigar, reverse, mate reverse, first of pair, MAPQ, unclipped start
VARIANT_TYPES = ("SNP", "INDEL", "OTHER")  # the last field of a variant, as Java prints it
NULL_SEQUENCE = "*"  # htsjdk's read bases / CIGAR when none are stored
CIGAR_OPS_THAT_CONSUME_READ = frozenset("MIS=X")  # a CIGAR's query length must equal the read length
MAX_BASE_QUALITY = 127  # Java sends base qualities as (signed) bytes
MAX_MAPPING_QUALITY = 255

# Defaults of CNNScoreVariants.
DEFAULT_WINDOW_SIZE = 128
DEFAULT_READ_LIMIT = 128
MIN_INFERENCE_BATCH_2D = 64
MIN_INFERENCE_BATCH_1D = 1024
# Rows gathered per engine call when the caller sets none (`vqsr-cnn score`, the bench): CNNScoreVariants' own.
DEFAULT_INFERENCE_BATCH = {"reference": MIN_INFERENCE_BATCH_1D, "read_tensor": MIN_INFERENCE_BATCH_2D}
SCORE_EPSILON = 1e-7
INFO_KEY = {"reference": "CNN_1D", "read_tensor": "CNN_2D"}
INFO_DESCRIPTION = {
    "reference": "Log odds of being a true variant versus being false under the trained 1D Convolutional Neural Network",
    "read_tensor": "Log odds of being a true variant versus being false under the trained 2D Convolutional Neural Network",
}
MODEL_VERSION = "1.0"
