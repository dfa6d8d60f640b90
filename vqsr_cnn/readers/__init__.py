"""Readers turn external input (GATK data lines, VCF/BAM/FASTA) into :mod:`vqsr_cnn.records`."""
