# Diff every backend against the reference backend, per sample (vqsr-cnn diff -> report.json + report.html).


rule diff:
    input:
        a=lambda w: scored_vcf(w.sample, REF),
        b=lambda w: scored_vcf(w.sample, w.backend),
    output:
        json=f"{OUT}/{{sample}}/diff/{{backend}}_vs_{REF}/report.json",
        html=f"{OUT}/{{sample}}/diff/{{backend}}_vs_{REF}/report.html",
    log:
        "logs/diff/{sample}.{backend}.log",
    params:
        cli=CLI,
        outdir=lambda w: diff_dir(w.sample, w.backend),
        ref=REF,
        key=KEY,
        options=diff_options(),
        tolerate=0 if DIFF["fail_on_limits"] else 1,
    threads: RES["diff"]["threads"]
    resources:
        mem_mb=RES["diff"]["mem_mb"],
    conda:
        "../envs/vqsr_cnn.yaml"
    shell:
        # exit 1 = a --max-* limit was exceeded: fatal only with diff/fail_on_limits (the summary flags it)
        "rc=0; {params.cli} diff {input.a:q} {input.b:q} --key {params.key} -o {params.outdir:q} "
        "--label-a {params.ref:q} --label-b {wildcards.backend:q} {params.options} > {log:q} 2>&1 || rc=$?; "
        'if [ "$rc" -eq 1 ] && [ {params.tolerate} -eq 1 ]; then rc=0; fi; exit "$rc"'
