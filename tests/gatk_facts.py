"""What GATK itself fixes, written out here rather than taken from our package, so a test comparing against GATK
fails when our copy drifts."""

from __future__ import annotations

# CNNScoreVariants.java (GATK 4.2.6.1), `defaultAnnotationKeys`: the INFO keys the Java side writes into each data
# line and passes to Python as `annotation_set`, in this order.
ANNOTATION_KEYS = ("MQ", "DP", "SOR", "FS", "QD", "MQRankSum", "ReadPosRankSum")

# GATK's Python writes each score to its temp file as '{0:.3f}' (inference.py), and so do we: two scores that
# differ by less than this can still print one step apart when they straddle a rounding boundary.
SCORE_STEP = 0.001
# Our scores against GATK 4.2.6.1's own code on the same lines: at most one printed step apart (measured: 1 of
# 1,762 1D scores one step apart, every 2D score equal); a real drift shows as a larger gap, or as many scores a
# step apart (see MAX_STEP_FRACTION).
PARITY_EPSILON = 1.5 * SCORE_STEP
# At most this fraction of the scores (or 5) one step apart: rounding of nearly equal values, not a shift.
MAX_STEP_FRACTION = 0.01
