"""What openvino-tensorflow (OVTF 2.3.0) shares across a whole process: its graph-rewrite switch.

Importing OVTF registers a TensorFlow graph pass (rewrite_pass.cc, POST_REWRITE_FOR_EXEC) that moves onto OpenVINO
every graph TensorFlow instantiates while `api::IsEnabled()` is true and OPENVINO_TF_DISABLE is not 1: a session's
first run, a `tf.function`'s first call. The instantiation is cached, so the switch counts only then. While off, the
same pass clears OVTF's cluster registry (`EvictAllClusters`), which an OVTF graph being built beside it needs. So
stock-TensorFlow work and OVTF graph building take turns under `LOCK`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Iterator

log = logging.getLogger("vqsr_cnn")

# Held while OVTF builds or runs a graph and while stock TensorFlow instantiates one with OVTF switched off; re-entrant
# so a backend's run can build its session under it.
LOCK = threading.RLock()


def stock_requested() -> bool:
    """OPENVINO_TF_DISABLE=1: OVTF's rewrite pass leaves every graph to TensorFlow (checked by the pass itself)."""
    return os.environ.get("OPENVINO_TF_DISABLE", "")[:1] == "1"


@contextlib.contextmanager
def stock_tensorflow() -> Iterator[None]:
    """Graphs TensorFlow instantiates inside run on TensorFlow's own kernels, even where OVTF was imported and enabled.

    Nothing to do when OVTF was never imported (its pass is registered by the import). Otherwise OVTF is switched off
    under `LOCK`, so no OVTF graph is being built meanwhile in another thread, and its previous state restored.
    """
    ovtf = sys.modules.get("openvino_tensorflow")
    if ovtf is None or not hasattr(ovtf, "is_enabled"):
        yield
        return
    with LOCK:
        was_enabled = bool(ovtf.is_enabled())
        if was_enabled:
            ovtf.disable()
        try:
            yield
        finally:
            if was_enabled:
                ovtf.enable()
