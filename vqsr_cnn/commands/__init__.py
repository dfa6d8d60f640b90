"""CLI subcommands (thin adapters over the library)."""

from __future__ import annotations

import argparse


def add_trust_model_code(parser: argparse.ArgumentParser) -> None:
    """The opt-in for model files outside the layer allow-list (cli.main turns it into the environment switch)."""
    parser.add_argument("--trust-model-code", action="store_true",
                        help="load a Keras model even if it holds layers GATK's architectures do not use (Lambda, "
                             "custom objects), which can run code stored in the file; only for files you trust "
                             "(same as VQSR_CNN_TRUST_MODEL_CODE=1)")
