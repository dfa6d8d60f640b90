# Config + sample sheet validation and the helpers every rule uses.  Everything here runs when the
# workflow is parsed, so a bad sample sheet or config stops Snakemake before any job starts.

import csv
import os
import re
import shlex
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate


def _field_error(prefix, exc):
    """Snakemake's validation WorkflowError -> one line 'prefix: field X: message' (the jsonschema error
    is the exception's context)."""
    cause = exc.__cause__ or exc.__context__
    if not hasattr(cause, "message"):
        return WorkflowError(f"{prefix}: {exc}")
    field = ".".join(str(p) for p in cause.path) or "(top level)"
    return WorkflowError(f"{prefix}: field {field}: {cause.message}")


try:
    validate(config, "../schemas/config.schema.yaml")
except WorkflowError as _exc:
    raise _field_error("config (see workflows/schemas/config.schema.yaml)", _exc) from None

WORKFLOW_DIR = Path(workflow.basedir).resolve()  # through the vqsr_cnn/workflow symlink of a checkout
REPO_ROOT = WORKFLOW_DIR.parent
# envs/vqsr_cnn.yaml installs vqsr-cnn from ${VQSR_CNN_CHECKOUT}: this checkout, unless the user points it elsewhere
if (REPO_ROOT / "pyproject.toml").is_file():
    os.environ.setdefault("VQSR_CNN_CHECKOUT", str(REPO_ROOT))
# --configfile files first (the user's), then the default config.yaml
CONFIG_DIRS = list(dict.fromkeys(Path(f).resolve().parent for f in workflow.configfiles))


def resolve_path(value, bases, what):
    """Absolute paths as given; relative ones tried against each base folder in turn."""
    path = Path(value).expanduser()
    if path.is_absolute():
        candidates = [path]
    else:
        candidates = [Path(b) / path for b in bases]
    for c in candidates:
        if c.exists():
            return str(c.resolve())
    tried = ", ".join(str(c) for c in candidates)
    raise WorkflowError(f"{what}: {value!r} not found (looked at: {tried})")


SAMPLE_SHEET = resolve_path(
    config["samples"], [Path.cwd(), *CONFIG_DIRS, WORKFLOW_DIR, REPO_ROOT], "config field samples (sample sheet)"
)


def read_sample_sheet(sheet):
    """Rows of the TSV validated against samples.schema.yaml, unique names, every listed file present."""
    with open(sheet, newline="") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    reader = csv.DictReader(lines, delimiter="\t")
    missing = {"sample", "vcf", "reference"} - set(reader.fieldnames or ())
    if missing:
        raise WorkflowError(
            f"{sheet}: missing column(s) {', '.join(sorted(missing))}; "
            "the header must be: sample, vcf, bam, reference (tab-separated)"
        )
    bases = [Path(sheet).parent, *CONFIG_DIRS, Path.cwd(), REPO_ROOT]
    samples, seen = {}, {}
    for number, row in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in row.items() if k is not None}
        where = f"{sheet} line {number} (sample {row.get('sample', '')!r})"
        try:
            validate(row, "../schemas/samples.schema.yaml")
        except WorkflowError as exc:
            raise _field_error(f"{where} (see workflows/schemas/samples.schema.yaml)", exc) from None
        name = row["sample"]
        if name in seen:
            raise WorkflowError(
                f"{where}: field sample: duplicate sample name {name!r} (first on line "
                f"{seen[name]}); sample names must be unique"
            )
        seen[name] = number
        tensor = row.get("tensor_type") or config["tensor_type"]
        if tensor == "read_tensor" and not row.get("bam"):
            raise WorkflowError(
                f"{where}: field bam: empty, but tensor_type read_tensor scores from reads; "
                "give the BAM/CRAM or set tensor_type reference (column or config)"
            )
        entry = {"sample": name, "tensor_type": tensor, "resources": []}
        for column in ("vcf", "bam", "reference"):
            if row.get(column):
                entry[column] = resolve_path(row[column], bases, f"{where}: field {column}")
        for value in filter(None, (v.strip() for v in row.get("resources", "").split(","))):
            entry["resources"].append(resolve_path(value, bases, f"{where}: field resources"))
        samples[name] = entry
    if not samples:
        raise WorkflowError(f"{sheet}: no samples listed")
    return samples


SAMPLES = read_sample_sheet(SAMPLE_SHEET)
sys.path.insert(0, str(WORKFLOW_DIR / "scripts"))
from precision_plan import cpu_description, plan_backends  # noqa: E402

BACKENDS = {}
for _entry in config["backends"]:
    if _entry["name"] in BACKENDS:
        raise WorkflowError(f"config field backends: duplicate name {_entry['name']!r}; names must be unique")
    BACKENDS[_entry["name"]] = {"precision": "fp32", "env": {}, **_entry}
REF = config["reference_backend"]
if REF not in BACKENDS:
    raise WorkflowError(f"config field reference_backend: {REF!r} is not one of the backends ({', '.join(BACKENDS)})")
for _name, _b in BACKENDS.items():
    # `against`: the backend this one is diffed against (default: the reference backend)
    _b["against"] = None if _name == REF else (_b.get("against") or REF)
    if _name != REF and (_b["against"] not in BACKENDS or _b["against"] == _name):
        raise WorkflowError(
            f"config field backends ({_name}): against {_b['against']!r} is not one of the other backends "
            f"({', '.join(n for n in BACKENDS if n != _name)})"
        )

# Which backends run here: a precision this CPU does not run as asked (BF16 without native bf16) is skipped with
# the engine's reason, decided now from cpu_info() (scripts/precision_plan.py); the summary checks afterwards, from
# each job's metrics JSON, that what ran is what was asked.
try:
    RUN, SKIPPED = plan_backends(BACKENDS, REF)
    CPU = cpu_description()
except ImportError:  # Snakemake's Python without vqsr_cnn (conda deployment): run all, the summary checks
    RUN, SKIPPED, CPU = list(BACKENDS), [], ""
except ValueError as _exc:
    raise WorkflowError(str(_exc)) from None
OTHERS = [name for name in RUN if name != REF]
OUT = config["outdir"].rstrip("/")
INFO_KEY = {"read_tensor": "CNN_2D", "reference": "CNN_1D"}


def tensor_of(sample):
    return SAMPLES[sample]["tensor_type"]


def key_of(sample):
    """CNN_2D for read-tensor samples, CNN_1D for reference ones."""
    return INFO_KEY[tensor_of(sample)]


SCATTER = config["scatter"]["by"]
RES = {
    name: {"threads": 1, "mem_mb": 2000, **config["resources"].get(name, {})} for name in ("score", "diff", "gather", "summary")
}
DIFF = config["diff"]


def _model_path(field):
    value = config[field]
    return resolve_path(value, [*CONFIG_DIRS, Path.cwd(), WORKFLOW_DIR, REPO_ROOT], f"config field {field}") if value else ""


MODEL = {field: _model_path(field) for field in ("architecture", "weights")}


def vqsr_cli():
    """The configured command, else the vqsr-cnn beside this Python, else `python -m vqsr_cnn.cli`."""
    if config["cli"]:
        return config["cli"]
    sibling = Path(sys.executable).with_name("vqsr-cnn")
    if sibling.exists():
        return shlex.quote(str(sibling))
    return f"{shlex.quote(sys.executable)} -m vqsr_cnn.cli"


CLI = vqsr_cli()


def int8_cache_dir(sample):
    """Where `vqsr-cnn score --precision int8` keeps the INT8 model it calibrates: config int8_cache_dir, else one
    folder per sample in the results, so each sample's INT8 model is calibrated on its own first records and the
    run does not depend on what an earlier run left in a user's cache."""
    return os.path.expanduser(config["int8_cache_dir"]) or f"{OUT}/{sample}/int8_cache"


def backend_env(name, sample):
    """`env` prefix for one backend: clear an inherited OPENVINO_TF_DISABLE (it would silently turn every
    backend into tensorflow), set the INT8 cache folder, then the configured variables."""
    pairs = [f"VQSR_CNN_CACHE_DIR={shlex.quote(int8_cache_dir(sample))}"]
    pairs += [f"{k}={shlex.quote(str(v))}" for k, v in BACKENDS[name]["env"].items()]
    return " ".join(["env", "-u", "OPENVINO_TF_DISABLE", *pairs])


def score_flags(wildcards):
    b = BACKENDS[wildcards.backend]
    flags = ["--tensor-type", tensor_of(wildcards.sample), "--backend", b["backend"], "--precision", b["precision"]]
    if config["inference_batch_size"] is not None:
        flags += ["--inference-batch-size", str(config["inference_batch_size"])]
    for field in ("architecture", "weights"):
        if MODEL[field]:
            flags += [f"--{field}", MODEL[field]]
    return " ".join(shlex.quote(f) for f in flags)


def reads_flag(wildcards):
    bam = SAMPLES[wildcards.sample].get("bam")
    return f"-I {shlex.quote(bam)}" if bam and tensor_of(wildcards.sample) == "read_tensor" else ""


def sample_inputs(wildcards):
    entry = SAMPLES[wildcards.sample]
    files = {"vcf": entry["vcf"], "reference": entry["reference"]}
    if entry["tensor_type"] == "read_tensor":
        files["bam"] = entry["bam"]
    return files


# ------------------------------------------------------------------------------------- scatter
# Shards are planned from index files only (the VCF's .tbi/.csi and the FASTA's .fai, see
# scripts/shard_plan.py): this runs at every parse (lint, dry-run, --report, each cluster job).

from shard_plan import plan_regions, shard_name  # noqa: E402


def shard_plan(sample):
    """{shard name: (-L value, (contig, start, end) or None)}; empty when not scattering.  Planned regions
    (scatter by contig) carry their span so the gather can concatenate; user intervals carry None."""
    if SCATTER == "contig":
        size = int(config["scatter"]["region_size"])
        entry = SAMPLES[sample]
        try:
            regions = plan_regions(entry["vcf"], entry["reference"], size)
        except ValueError as exc:
            raise WorkflowError(f"sample {sample}: {exc}") from None
        return {shard_name(i, r, size <= 0): (str(r), [r.contig, r.start, r.end]) for i, r in enumerate(regions)}
    if SCATTER == "intervals":
        if not config["scatter"]["intervals"]:
            raise WorkflowError("config field scatter/intervals: empty, but scatter/by is 'intervals'")
        plan = {}
        for i, value in enumerate(config["scatter"]["intervals"]):
            path = next(
                (Path(b) / value for b in [*CONFIG_DIRS, Path.cwd(), WORKFLOW_DIR, REPO_ROOT] if (Path(b) / value).is_file()),
                None,
            )
            interval = str(path.resolve()) if path is not None else value
            label = Path(value).name if path is not None else value
            plan[f"{i:03d}-{re.sub(r'[^A-Za-z0-9_.-]', '_', label)[:40]}"] = (interval, None)
        return plan
    return {}


SHARDS = {sample: shard_plan(sample) for sample in SAMPLES}


def shard_regions(sample):
    """The planned regions in shard order (for a concatenating gather), or [] for user intervals."""
    spans = [span for _, span in SHARDS[sample].values()]
    return spans if spans and all(s is not None for s in spans) else []


def scored_vcf(sample, backend):
    return f"{OUT}/{sample}/{backend}/{sample}.{backend}.vcf.gz"


def against(backend):
    """The backend `backend` is diffed against: its `against` entry, else the reference backend."""
    return BACKENDS[backend]["against"]


def diff_dir(sample, backend):
    return f"{OUT}/{sample}/diff/{backend}_vs_{against(backend)}"


def benchmark_files(sample, backend):
    if SCATTER == "none":
        return [f"benchmarks/score/{sample}.{backend}.tsv"]
    return [f"benchmarks/score/{sample}.{backend}.{shard}.tsv" for shard in SHARDS[sample]]


def score_logs(sample, backend):
    if SCATTER == "none":
        return [f"logs/score/{sample}.{backend}.log"]
    return [f"logs/score/{sample}.{backend}.{shard}.log" for shard in SHARDS[sample]]


def metrics_files(sample, backend):
    """`vqsr-cnn score --metrics-json` of each scoring job: start-up vs scoring seconds, model, versions."""
    if SCATTER == "none":
        return [f"{OUT}/{sample}/{backend}/{sample}.{backend}.metrics.json"]
    return [f"{OUT}/{sample}/{backend}/shards/{shard}.metrics.json" for shard in SHARDS[sample]]


def _alternatives(names):
    return "|".join(re.escape(n) for n in names)


wildcard_constraints:
    sample=_alternatives(SAMPLES),
    backend=_alternatives(BACKENDS),
    against=_alternatives(BACKENDS),
    shard=r"[0-9][0-9][0-9]+-[A-Za-z0-9_.-]+",


def diff_options(wildcards):
    """vqsr-cnn diff flags: the config's diff section and the sample's resource VCFs."""
    opts = [
        "--snp-tranches",
        ",".join(str(t) for t in DIFF["snp_tranches"]),
        "--indel-tranches",
        ",".join(str(t) for t in DIFF["indel_tranches"]),
    ]
    for resource in SAMPLES[wildcards.sample]["resources"]:
        opts += ["--resource", resource]
    for value in DIFF["thresholds"]:
        opts += ["--threshold", str(value)]
    for field in ("max_call_changes", "max_abs_delta", "max_unmatched"):
        if DIFF[field] is not None:
            opts += [f"--{field.replace('_', '-')}", str(DIFF[field])]
    return " ".join(shlex.quote(o) for o in opts)


def summary_layout():
    """What the summary script needs to know about each (sample, backend) job."""
    rows = []
    for sample in SAMPLES:
        for name in RUN:
            b = BACKENDS[name]
            out_dir = None if name == REF else diff_dir(sample, name)
            rows.append(
                {
                    "sample": sample,
                    "backend": name,
                    "engine": b["backend"],
                    "precision": b["precision"],
                    "against": None if name == REF else against(name),
                    "key": key_of(sample),
                    "reference": name == REF,
                    "scored_vcf": scored_vcf(sample, name),
                    "benchmarks": benchmark_files(sample, name),
                    "metrics": metrics_files(sample, name),
                    "logs": score_logs(sample, name),
                    "diff_json": f"{out_dir}/report.json" if out_dir else None,
                    "diff_html": f"{out_dir}/report.html" if out_dir else None,
                }
            )
    return rows


def skipped_backends():
    """The backends not run here, with the reason, for the summary."""
    return [{"backend": k.backend, "precision": k.precision, "note": k.note} for k in SKIPPED]
