"""The side-by-side benchmark behind `vqsr-cnn bench` (never imported by the scoring path).

`run` (the command's logic: per tensor type, build, cross-check, time, report), `options` (what a run is asked
for, defaults, refusals), `type_bench` (one tensor type's inputs, engines and cross-checks), `rows` (every timed
row), `report` (rates, ratios, tables, machine), `timing` (interleaved medians, peak RSS), `data` (real inputs
from shared/data), `baseline` (a GATK-4.2-style per-base encoder + Keras predict), `baselines` (the baseline
rows: GATK 4.2's real code or that re-creation, and the Intel-patch peer), `gatk42` / `java_side` (GATK 4.2's
own code over the FIFO protocol), `intel_env` / `intel_patch` (the Intel openvino-tensorflow patch path in the
legacy env), `flops` (FLOPs counted from the model), `limit` (measured GEMM throughput), `tuning` (OpenVINO
hint/stream/pinning variants), `depth` (depth-aware engine rows), `vcfs` (synthetic VCFs of real records),
`accuracy` (FP32 vs reduced precision).
"""
