"""The side-by-side benchmark behind `vqsr-cnn bench` (never imported by the scoring path).

`data` (real inputs from shared/data), `baseline` (a GATK-4.2-style per-base encoder + Keras predict),
`flops` (FLOPs counted from the model), `limit` (measured GEMM throughput), `timing` (interleaved
medians, peak RSS), `tuning` (OpenVINO hint/stream/pinning variants), `bridge` (the bridge path with
encoding overlapped), `vcfs` (synthetic VCFs of real records), `accuracy` (FP32 vs reduced precision),
`run` (rows, tables, the command's logic).
"""
