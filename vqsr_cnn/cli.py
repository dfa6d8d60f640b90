"""`vqsr-cnn` command line: one subcommand module per job under :mod:`vqsr_cnn.commands`."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading

from . import __version__, logs
from .errors import InputError
from .models.allowlist import TRUST_ENV

# Each module defines `register(subparsers)` adding a parser whose default `func(args) -> int` runs it.
COMMANDS = ("score", "quantize", "diff", "train", "bench", "workflow", "freeze")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vqsr-cnn", description=__doc__)
    parser.add_argument("--version", action="version", version=f"vqsr-cnn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f".commands.{name}", __package__).register(sub)
    for command in sub.choices.values():
        command.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            help="debug logging, and TensorFlow's native start-up messages (hidden by default)",
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    trust_before = os.environ.get(TRUST_ENV)
    if getattr(args, "trust_model_code", False):
        os.environ[TRUST_ENV] = "1"  # the commands read it at their edge, and so do workers they start
    logs.configure(verbose=args.verbose, quiet=getattr(args, "quiet", False))
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None  # unwinds: partial outputs go
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("vqsr-cnn: interrupted", file=sys.stderr)
        return 130
    except (InputError, OSError) as exc:
        # Bad input, or a file the system refused (missing, unreadable, disk full): one actionable line naming the
        # file/record and the fix.  Anything else is a bug and keeps its traceback.
        print(f"vqsr-cnn {args.command}: error: {exc}", file=sys.stderr)
        return 2
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
        if trust_before is None:  # main() may run in-process (tests, embedding): leave the environment as found
            os.environ.pop(TRUST_ENV, None)
        else:
            os.environ[TRUST_ENV] = trust_before


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM (kill, Snakemake, SLURM cancelling a job) unwinds like an exception, so atomic writers abort."""
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    sys.exit(main())
