# Diff every backend against the backend it is compared with (its `against` entry, else the reference backend),
# per sample (vqsr-cnn diff -> report.json + report.html): TensorFlow vs OpenVINO FP32, and each reduced precision
# (BF16, INT8) vs OpenVINO FP32 by default.  The page goes into `snakemake --report` (caption: ../report/diff.rst).


rule diff:
    input:
        a=lambda w: scored_vcf(w.sample, w.against),
        b=lambda w: scored_vcf(w.sample, w.backend),
        metrics_a=lambda w: metrics_files(w.sample, w.against)[0],
        metrics_b=lambda w: metrics_files(w.sample, w.backend)[0],
        resources=lambda w: SAMPLES[w.sample]["resources"],
    output:
        json=f"{OUT}/{{sample}}/diff/{{backend}}_vs_{{against}}/report.json",
        html=report(
            f"{OUT}/{{sample}}/diff/{{backend}}_vs_{{against}}/report.html",
            caption="../report/diff.rst",
            category="Backend diffs",
            subcategory="{sample}",
            labels={"sample": "{sample}", "backend": "{backend}", "against": "{against}"},
        ),
    log:
        "logs/diff/{sample}.{backend}_vs_{against}.log",
    conda:
        "../envs/vqsr_cnn.yaml"
    threads: RES["diff"]["threads"]
    resources:
        mem_mb=RES["diff"]["mem_mb"],
    params:
        cli=CLI,
        outdir=lambda w: diff_dir(w.sample, w.backend),
        key=lambda w: key_of(w.sample),
        precision_a=lambda w: BACKENDS[w.against]["precision"],
        precision_b=lambda w: BACKENDS[w.backend]["precision"],
        options=diff_options,
        tolerate=0 if DIFF["fail_on_limits"] else 1,
    shell:
        # exit 1 = a --max-* limit was exceeded: fatal only with diff/fail_on_limits (the summary flags it)
        "rc=0; {params.cli} diff {input.a:q} {input.b:q} --key {params.key} -o {params.outdir:q} "
        "--label-a {wildcards.against:q} --label-b {wildcards.backend:q} {params.options} "
        "--provenance-a {input.metrics_a:q} --provenance-b {input.metrics_b:q} "
        "--requested-precision-a {params.precision_a} --requested-precision-b {params.precision_b} > {log:q} 2>&1 || rc=$?; "
        'if [ "$rc" -eq 1 ] && [ {params.tolerate} -eq 1 ]; then rc=0; fi; exit "$rc"'
