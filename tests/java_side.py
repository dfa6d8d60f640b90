"""The Java side of GATK's Python bridge (lives in the package so `vqsr-cnn bench` can drive GATK's own code)."""

from vqsr_cnn.harness.java_side import JavaSide, run_session

__all__ = ["JavaSide", "run_session"]
