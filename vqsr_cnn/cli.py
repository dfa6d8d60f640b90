"""`vqsr-cnn` command line: one subcommand module per job under :mod:`vqsr_cnn.commands`."""

from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__, logs

# Each module defines `register(subparsers)` adding a parser whose default `func(args) -> int` runs it.
COMMANDS = ("score", "diff", "train", "bench", "workflow", "freeze")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vqsr-cnn", description=__doc__)
    parser.add_argument("--version", action="version", version=f"vqsr-cnn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f".commands.{name}", __package__).register(sub)
    for command in sub.choices.values():
        command.add_argument("-v", "--verbose", action="store_true",
                             help="debug logging, and TensorFlow's native start-up messages (hidden by default)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.configure(verbose=args.verbose, quiet=getattr(args, "quiet", False))
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("vqsr-cnn: interrupted", file=sys.stderr)
        return 130
    except (OSError, ValueError, RuntimeError) as exc:
        # One actionable line, no traceback: the message names the file/record and the fix.
        print(f"vqsr-cnn {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
