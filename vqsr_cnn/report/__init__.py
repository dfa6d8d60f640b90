"""Accuracy diff reports: compare the CNN scores of two scorings of the same call set.

`vcf_scores` reads one score per record, `metrics` compares two score tables (pure numpy), `html` renders
the self-contained report, `summary` aggregates per-sample reports and benchmark files for the workflow.
"""
