# One summary across samples (diff metrics per sample and backend) and the throughput table from the
# scoring jobs' benchmark files (variants per minute per backend).


rule summary:
    input:
        reports=[f"{diff_dir(s, b)}/report.json" for s in SAMPLES for b in OTHERS],
        scored=[scored_vcf(s, b) for s in SAMPLES for b in BACKENDS],
    output:
        json=f"{OUT}/summary/summary.json",
        html=f"{OUT}/summary/summary.html",
        tsv=f"{OUT}/summary/summary.tsv",
        throughput=f"{OUT}/summary/throughput.tsv",
    log:
        "logs/summary/summary.log",
    params:
        layout=summary_layout(),
        key=KEY,
        reference=REF,
        scatter=SCATTER,
    threads: RES["summary"]["threads"]
    resources:
        mem_mb=RES["summary"]["mem_mb"],
    conda:
        "../envs/vqsr_cnn.yaml"
    script:
        "../scripts/summarize.py"
