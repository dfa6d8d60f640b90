"""Summary across samples + throughput table (Snakemake `script:` of rule summary)."""

import logging
import sys

smk = globals()["snakemake"]
sys.stderr = sys.stdout = open(smk.log[0], "w")  # tracebacks go to the rule's log
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

from vqsr_cnn.report.summary import write_summary  # noqa: E402 - after the log redirect, so import errors land there

summary = write_summary(
    list(smk.params.layout),
    smk.params.reference,
    smk.params.scatter,
    smk.output.json,
    smk.output.html,
    smk.output.tsv,
    smk.output.throughput,
    skipped=list(smk.params.skipped),
    cpu=smk.params.cpu,
)
logging.info("summary of %d diffs written; all within limits: %s", len(summary["diffs"]), summary["all_limits_passed"])
