# One summary across samples (diff metrics per sample and backend) and the throughput table from the
# scoring jobs' benchmark files and metrics JSONs (start-up and scoring seconds apart).  Both go into
# `snakemake --report` (captions: ../report/summary.rst, ../report/throughput.rst).


rule summary:
    input:
        reports=[f"{diff_dir(s, b)}/report.json" for s in SAMPLES for b in OTHERS],
        scored=[scored_vcf(s, b) for s in SAMPLES for b in RUN],
        metrics=[m for s in SAMPLES for b in RUN for m in metrics_files(s, b)],
    output:
        json=f"{OUT}/summary/summary.json",
        html=report(
            f"{OUT}/summary/summary.html",
            caption="../report/summary.rst",
            category="Summary",
            labels={"table": "accuracy and throughput"},
        ),
        tsv=f"{OUT}/summary/summary.tsv",
        throughput=report(
            f"{OUT}/summary/throughput.tsv",
            caption="../report/throughput.rst",
            category="Summary",
            labels={"table": "throughput"},
        ),
    log:
        "logs/summary/summary.log",
    conda:
        "../envs/vqsr_cnn.yaml"
    threads: RES["summary"]["threads"]
    resources:
        mem_mb=RES["summary"]["mem_mb"],
    params:
        layout=summary_layout(),
        reference=REF,
        scatter=SCATTER,
        skipped=skipped_backends(),
        cpu=CPU,
    script:
        "../scripts/summarize.py"
