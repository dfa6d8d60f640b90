# Score every sample with every configured backend: one job per (sample, backend), or one per shard
# (contig / fixed-size region / interval) followed by a gather.  Each scoring job has its own log,
# benchmark file and metrics JSON (start-up vs scoring seconds, model files, versions).

if SCATTER == "none":

    rule score:
        input:
            unpack(sample_inputs),
        output:
            vcf=f"{OUT}/{{sample}}/{{backend}}/{{sample}}.{{backend}}.vcf.gz",
            metrics=f"{OUT}/{{sample}}/{{backend}}/{{sample}}.{{backend}}.metrics.json",
        log:
            "logs/score/{sample}.{backend}.log",
        benchmark:
            "benchmarks/score/{sample}.{backend}.tsv"
        conda:
            "../envs/vqsr_cnn.yaml"
        threads: RES["score"]["threads"]
        resources:
            mem_mb=RES["score"]["mem_mb"],
            score_slots=1,
        params:
            env=lambda w: backend_env(w.backend, w.sample),
            cli=CLI,
            reads=reads_flag,
            flags=score_flags,
        shell:
            "{params.env} {params.cli} score -V {input.vcf:q} -R {input.reference:q} {params.reads} "
            "-O {output.vcf:q} --metrics-json {output.metrics:q} {params.flags} --threads {threads} > {log:q} 2>&1"

else:

    rule score_shard:
        input:
            unpack(sample_inputs),
        output:
            vcf=temp(f"{OUT}/{{sample}}/{{backend}}/shards/{{shard}}.vcf.gz"),
            metrics=f"{OUT}/{{sample}}/{{backend}}/shards/{{shard}}.metrics.json",
        log:
            "logs/score/{sample}.{backend}.{shard}.log",
        benchmark:
            "benchmarks/score/{sample}.{backend}.{shard}.tsv"
        conda:
            "../envs/vqsr_cnn.yaml"
        threads: RES["score"]["threads"]
        resources:
            mem_mb=RES["score"]["mem_mb"],
            score_slots=1,
        params:
            env=lambda w: backend_env(w.backend, w.sample),
            cli=CLI,
            reads=reads_flag,
            flags=score_flags,
            intervals=lambda w: shlex.quote(SHARDS[w.sample][w.shard][0]),
        shell:
            "{params.env} {params.cli} score -V {input.vcf:q} -R {input.reference:q} {params.reads} "
            "-O {output.vcf:q} --metrics-json {output.metrics:q} -L {params.intervals} {params.flags} "
            "--threads {threads} > {log:q} 2>&1"

    localrules:
        gather,

    rule gather:
        input:
            shards=lambda w: [f"{OUT}/{w.sample}/{w.backend}/shards/{s}.vcf.gz" for s in SHARDS[w.sample]],
        output:
            vcf=f"{OUT}/{{sample}}/{{backend}}/{{sample}}.{{backend}}.vcf.gz",
            tbi=f"{OUT}/{{sample}}/{{backend}}/{{sample}}.{{backend}}.vcf.gz.tbi",
        log:
            "logs/gather/{sample}.{backend}.log",
        conda:
            "../envs/vqsr_cnn.yaml"
        threads: RES["gather"]["threads"]
        resources:
            mem_mb=RES["gather"]["mem_mb"],
        params:
            regions=lambda w: shard_regions(w.sample),
        script:
            "../scripts/gather_vcfs.py"
