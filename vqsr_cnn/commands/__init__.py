"""CLI subcommands (thin adapters over the library)."""

from __future__ import annotations

import argparse
from typing import Any

from ..defines import TensorType
from ..errors import InputError


def add_tensor_type(parser: argparse.ArgumentParser, *, both: bool = False, **kwargs: Any) -> None:
    """--tensor-type, parsed once here into a TensorType (or "both" where the command takes it)."""
    names = [t.value for t in TensorType] + (["both"] if both else [])

    def parse(text: str) -> TensorType | str:
        if both and text == "both":
            return text
        try:
            return TensorType.parse(text)
        except InputError as exc:
            raise argparse.ArgumentTypeError(exc.message) from None

    parser.add_argument("--tensor-type", type=parse, metavar="{" + ",".join(names) + "}", **kwargs)


def add_trust_model_code(parser: argparse.ArgumentParser) -> None:
    """The opt-in for model files outside the layer allow-list (cli.main turns it into the environment switch)."""
    parser.add_argument(
        "--trust-model-code",
        action="store_true",
        help="load a Keras model even if it holds layers GATK's architectures do not use (Lambda, "
        "custom objects), which can run code stored in the file; only for files you trust "
        "(same as VQSR_CNN_TRUST_MODEL_CODE=1)",
    )
