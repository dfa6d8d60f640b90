"""What a user sees on stderr: vqsr_cnn's own log lines, without TensorFlow's C++ start-up noise.

Importing TensorFlow on a CPU-only machine prints CUDA probing lines (`cudart_stub.cc ... Could not find cuda
drivers`, `failed call to cuInit`) and absl's pre-initialisation notice. They say nothing about scoring, so
they are dropped unless the user asks for them (`--verbose`, or their own TF_CPP_MIN_LOG_LEVEL): see
:mod:`.runtimes`, which imports the native runtimes.
"""

from __future__ import annotations

import logging

from . import runtimes

log = logging.getLogger("vqsr_cnn")


def configure(verbose: bool = False, quiet: bool = False) -> None:
    """Called once by each edge (CLI, GATK bridge): vqsr_cnn logs INFO (WARNING with quiet, DEBUG with verbose)."""
    runtimes.show_native_output(verbose)
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S"))
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    if not verbose:  # TensorFlow's and Keras' Python-side warnings (retracing, deprecations)
        for name in ("tensorflow", "absl", "h5py"):
            logging.getLogger(name).setLevel(logging.ERROR)
