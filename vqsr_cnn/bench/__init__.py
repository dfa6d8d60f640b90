"""The side-by-side benchmark behind `vqsr-cnn bench` (never imported by the scoring path).

`run` (the command's logic: per tensor type, build, cross-check, time, report), `options` (what a run is asked
for, defaults, refusals), `type_bench` (one tensor type's inputs, engines and cross-checks), `rows` (which rows
a run times), `stage_rows` (one timed stage: parse, encode, an engine, the bridge, `score`), `exact_rows` (the
2D exact-rows engine against dense, per precision), `tuning` (micro-batch and hint), `baseline_rows` (GATK 4.2's
real code or its re-creation, and the Intel-patch peer, run through `vqsr_cnn.harness`), `gatk42_recreation`
(GATK 4.2's per-base encoder + Keras predict, re-created), `limits` (the machine's limit per precision) and
`probes` (the kernels that measure it), `flops` (model FLOPs, and those an engine executes), `report` (rates,
ratios, % limit, tables), `machine` (the CPU and runtime recorded with every run), `timing` (interleaved
medians, peak RSS), `data` (real inputs from shared/data), `vcfs` (synthetic VCFs of real records), `accuracy`
(FP32 vs reduced precision).
"""
