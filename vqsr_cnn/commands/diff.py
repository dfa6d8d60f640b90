"""`vqsr-cnn diff A.vcf.gz B.vcf.gz`: compare the CNN scores of two scorings, write report.json + report.html.

Exit 0 when within the given limits, 1 when --max-call-changes / --max-abs-delta / --max-unmatched is exceeded
(for CI gates), 2 on bad input (missing key, different contigs, unsorted records).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ..errors import InputError

log = logging.getLogger("vqsr_cnn")


def _floats(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from exc


def register(subparsers: argparse._SubParsersAction) -> None:
    from ..report.metrics import DEFAULT_INDEL_TRANCHES, DEFAULT_SNP_TRANCHES
    from ..report.vcf_scores import DEFAULT_READER, READERS

    p = subparsers.add_parser(
        "diff",
        help="compare the CNN scores of two VCFs (accuracy report)",
        description="Match records of A and B by (contig, POS, REF, ALT), compare the INFO score, and write "
        "report.json and a self-contained report.html. Exit 1 when a --max-* limit is exceeded.",
    )
    p.add_argument("a", metavar="A.vcf.gz", help="reference scoring")
    p.add_argument("b", metavar="B.vcf.gz", help="scoring to compare against A")
    p.add_argument("--key", default="CNN_2D", help="INFO key holding the score (default: %(default)s)")
    p.add_argument("-o", "--output", default="report", help="report directory (default: %(default)s)")
    p.add_argument(
        "--threshold", type=float, action="append", default=[], help="extra score cut-off to test for call changes (repeatable)"
    )
    p.add_argument(
        "--resource",
        action="append",
        default=[],
        metavar="VCF",
        help="known-site VCF (repeatable): tranches become truth-sensitivity cut-offs computed as GATK "
        "FilterVariantTranches does, from each file's resource-overlapping scores",
    )
    p.add_argument(
        "--snp-tranches",
        "--snp-tranche",
        type=_floats,
        default=None,
        help="SNP tranche percentages, comma-separated (default: 99.9,99.95 with --resource, as GATK's "
        f"CNN docs; else {','.join(map(str, DEFAULT_SNP_TRANCHES))}, quantiles of A's own scores)",
    )
    p.add_argument(
        "--indel-tranches",
        "--indel-tranche",
        type=_floats,
        default=None,
        help=f"INDEL tranche percentages (default: 99.0,99.4 with --resource; else {','.join(map(str, DEFAULT_INDEL_TRANCHES))})",
    )
    p.add_argument("--provenance-a", metavar="JSON", help="`vqsr-cnn score --metrics-json` of A (recorded in report.json)")
    p.add_argument("--provenance-b", metavar="JSON", help="`vqsr-cnn score --metrics-json` of B")
    for side in ("a", "b"):
        p.add_argument(
            f"--requested-precision-{side}",
            choices=["fp32", "bf16", "int8"],
            default=None,
            help=f"the precision {side.upper()}'s scoring asked for: the report says so when the precision its "
            f"--provenance-{side} JSON records as run differs (a request that fell back to FP32)",
        )
    p.add_argument(
        "--max-call-changes", type=int, default=None, help="exit 1 when more records than this switch sides of any cut-off"
    )
    p.add_argument("--max-abs-delta", type=float, default=None, help="exit 1 when max |B - A| exceeds this")
    p.add_argument(
        "--max-unmatched", type=int, default=None, help="exit 1 when more records than this are only in A or only in B"
    )
    p.add_argument("--label-a", default=None, help="name of A in the report (default: file name)")
    p.add_argument("--label-b", default=None, help="name of B in the report (default: file name)")
    p.add_argument(
        "--reader",
        choices=READERS,
        default=DEFAULT_READER,
        help="VCF reader (default: %(default)s = pysam, falling back to pyvcf3 with a warning when htslib "
        "refuses a file; see docs/workflow.md)",
    )
    p.add_argument("--quiet", action="store_true", help="only warnings and errors")
    p.set_defaults(func=run)


def _label(path: str) -> str:
    name = path.rstrip("/").rsplit("/", 1)[-1]
    for ext in (".gz", ".bgz", ".vcf"):
        name = name[: -len(ext)] if name.endswith(ext) else name
    return name


def run(args: argparse.Namespace) -> int:
    from ..report.diff import DiffOptions, run_diff, write_report
    from ..report.provenance import read_provenance

    for path in args.resource:
        if not Path(path).is_file():
            raise InputError(f"--resource {path}: no such VCF file")
    opts = DiffOptions(
        key=args.key,
        reader=args.reader,
        snp_tranches=args.snp_tranches,
        indel_tranches=args.indel_tranches,
        thresholds=args.threshold,
        resources=args.resource,
        provenance_a=read_provenance(args.provenance_a),
        provenance_b=read_provenance(args.provenance_b),
        requested_precision_a=args.requested_precision_a,
        requested_precision_b=args.requested_precision_b,
        label_a=args.label_a or _label(args.a),
        label_b=args.label_b or _label(args.b),
        max_call_changes=args.max_call_changes,
        max_abs_delta=args.max_abs_delta,
        max_unmatched=args.max_unmatched,
    )
    result = run_diff(args.a, args.b, opts)
    json_path, html_path = write_report(result, args.output)
    r = result.report
    s = r["scores"]
    g = r["gatk_default_filter_changes"]
    log.info(
        "%s: %d matched, %d only in A, %d only in B; %d differ, %d in the 3rd significant digit, max |delta| %s; "
        "%d records change a call; FILTER changes at SNP %g / INDEL %g: %d of %d SNPs+indels",
        r["key"],
        r["matched"],
        r["only_in_a"],
        r["only_in_b"],
        s["differ"],
        s["differ_3rd_significant_digit"],
        s["max_abs_delta"],
        r["call_changes"]["records"],
        g["snp_tranche"],
        g["indel_tranche"],
        g["changes"],
        g["compared"],
    )
    for side, precision in r["precision"].items():
        if precision["fell_back"]:
            log.warning(
                "%s: %s was requested but %s ran (see its scoring log)", side.upper(), precision["requested"], precision["ran"]
            )
    log.info("wrote %s and %s", json_path, html_path)
    if not result.passed:
        for v in r["limits"]["violations"]:
            print(f"vqsr-cnn diff: limit exceeded: {v}", file=sys.stderr)
        return 1
    return 0
