"""`vqsr-cnn workflow`: run the packaged Snakemake workflow (score with each backend, diff, summarise).

A thin wrapper: it finds the workflow (the repository's workflows/ in a checkout, else the copy shipped
inside the package as vqsr_cnn/workflow) and runs Snakemake with the Python running this command, so the
rules find this vqsr-cnn.  Anything after `--` goes to Snakemake unchanged.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..errors import InputError

ENV_WORKFLOW_DIR = "VQSR_CNN_WORKFLOW_DIR"


def workflow_dir() -> Path:
    """$VQSR_CNN_WORKFLOW_DIR, else the checkout's workflows/, else the packaged copy."""
    package = Path(__file__).resolve().parents[1]
    candidates = [Path(os.environ[ENV_WORKFLOW_DIR])] if os.environ.get(ENV_WORKFLOW_DIR) else []
    candidates += [package.parent / "workflows", package / "workflow"]
    for c in candidates:
        if (c / "Snakefile").is_file():
            return c.resolve()
    raise InputError(
        f"no Snakefile found in {', '.join(map(str, candidates))}: reinstall vqsr-cnn or set "
        f"{ENV_WORKFLOW_DIR} to the workflows/ folder of a checkout"
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "workflow",
        help="run the Snakemake workflow (score with each backend, diff, summary)",
        description="Run the packaged Snakemake workflow. Without --configfile it uses the default config "
        "(the testdata/ sample: works from a repository checkout). Extra Snakemake arguments go after --.",
    )
    p.add_argument("--configfile", help="your config.yaml (merged over the default one)")
    p.add_argument("--cores", default="all", help="cores for local execution (default: %(default)s)")
    p.add_argument("-d", "--directory", help="working directory for results/, logs/, benchmarks/ (default: .)")
    p.add_argument("--profile", help="Snakemake profile folder, e.g. workflows/profiles/slurm")
    p.add_argument("-n", "--dry-run", action="store_true", help="show the jobs, run nothing")
    p.add_argument("--lint", action="store_true", help="run snakemake --lint on the workflow")
    p.add_argument("--init", metavar="DIR", help="copy the default config.yaml and samples.tsv into DIR to edit, then exit")
    p.add_argument("--print-path", action="store_true", help="print the workflow folder and exit")
    p.add_argument("snakemake_args", nargs=argparse.REMAINDER, help="further Snakemake arguments, after --")
    p.set_defaults(func=run)


def init_config(target: Path, wf: Path) -> list[Path]:
    """Copy the config templates; never overwrite a user's file."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name in ("config.yaml", "samples.tsv"):
        dest = target / name
        if dest.exists():
            raise InputError(f"{dest} exists; not overwriting it (choose another --init folder)")
        shutil.copyfile(wf / "config" / name, dest)
        written.append(dest)
    cfg = target / "config.yaml"
    cfg.write_text(cfg.read_text().replace("samples: config/samples.tsv", "samples: samples.tsv"))
    return written


def snakemake_command(args: argparse.Namespace, wf: Path) -> list[str]:
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(wf / "Snakefile"), "--cores", str(args.cores)]
    if args.configfile:
        cmd += ["--configfile", str(Path(args.configfile).resolve())]
    if args.directory:
        cmd += ["--directory", str(Path(args.directory).resolve())]
    if args.profile:
        cmd += ["--profile", str(Path(args.profile).resolve()) if Path(args.profile).exists() else args.profile]
    if args.dry_run:
        cmd.append("--dry-run")
    if args.lint:
        cmd.append("--lint")
    extra = list(args.snakemake_args or [])
    if extra[:1] == ["--"]:
        extra = extra[1:]
    return cmd + extra


def run(args: argparse.Namespace) -> int:
    wf = workflow_dir()
    if args.print_path:
        print(wf)
        return 0
    if args.init:
        for path in init_config(Path(args.init), wf):
            print(f"wrote {path}")
        print(f"edit them, then: vqsr-cnn workflow --configfile {Path(args.init) / 'config.yaml'} --cores 4")
        return 0
    if args.configfile and not Path(args.configfile).is_file():
        raise InputError(f"--configfile {args.configfile}: no such file")
    cmd = snakemake_command(args, wf)
    print("running: " + " ".join(cmd), file=sys.stderr)
    return subprocess.call(cmd)
