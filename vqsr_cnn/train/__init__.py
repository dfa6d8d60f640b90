"""Training tools: fit GATK's default architectures on labelled .hd5 examples and save GATK-format pairs.

This package is a tool only: nothing under engine/, encode/, readers/ or gatk.py may import it, so
inference never pulls in training code.
"""
