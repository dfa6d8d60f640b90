"""The bridge's harness: GATK's Java side played over the ack/data FIFOs, and the other Python stacks it drives.

`java_side` (CNNScoreVariants.java's side of the protocol, and a long-lived `ScoringSession`), `interpreters`
(other Python stacks on this machine: found, probed, run in a plain environment), `gatk42` (GATK 4.2.6.1's own
`vqsr_cnn` in its Python 3.6 stack), `legacy_stack` (the Python 3.9 openvino-tensorflow stack) and `intel_patch`
(the Intel-patch path, imported only inside that stack). Used by the tests and by `vqsr-cnn bench`; never by the
scoring path.
"""
