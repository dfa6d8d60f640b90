# Diff every backend against the reference backend, per sample (vqsr-cnn diff -> report.json + report.html).
# The page goes into `snakemake --report` (caption: ../report/diff.rst).


rule diff:
    input:
        a=lambda w: scored_vcf(w.sample, REF),
        b=lambda w: scored_vcf(w.sample, w.backend),
        metrics_a=lambda w: metrics_files(w.sample, REF)[0],
        metrics_b=lambda w: metrics_files(w.sample, w.backend)[0],
        resources=lambda w: SAMPLES[w.sample]["resources"],
    output:
        json=f"{OUT}/{{sample}}/diff/{{backend}}_vs_{REF}/report.json",
        html=report(
            f"{OUT}/{{sample}}/diff/{{backend}}_vs_{REF}/report.html",
            caption="../report/diff.rst",
            category="Backend diffs",
            subcategory="{sample}",
            labels={"sample": "{sample}", "backend": "{backend}", "against": REF},
        ),
    log:
        "logs/diff/{sample}.{backend}.log",
    conda:
        "../envs/vqsr_cnn.yaml"
    threads: RES["diff"]["threads"]
    resources:
        mem_mb=RES["diff"]["mem_mb"],
    params:
        cli=CLI,
        outdir=lambda w: diff_dir(w.sample, w.backend),
        ref=REF,
        key=lambda w: key_of(w.sample),
        options=diff_options,
        tolerate=0 if DIFF["fail_on_limits"] else 1,
    shell:
        # exit 1 = a --max-* limit was exceeded: fatal only with diff/fail_on_limits (the summary flags it)
        "rc=0; {params.cli} diff {input.a:q} {input.b:q} --key {params.key} -o {params.outdir:q} "
        "--label-a {params.ref:q} --label-b {wildcards.backend:q} {params.options} "
        "--provenance-a {input.metrics_a:q} --provenance-b {input.metrics_b:q} > {log:q} 2>&1 || rc=$?; "
        'if [ "$rc" -eq 1 ] && [ {params.tolerate} -eq 1 ]; then rc=0; fi; exit "$rc"'
