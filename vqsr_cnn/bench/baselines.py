"""The bench's baseline rows: GATK 4.2's real code when its environment exists (scripts/gatk42_env.sh),
else this code base's re-creation of it, labelled as a fallback.

The real baseline is GATK 4.2.6.1's own `vqsr_cnn` in its own stack (CPython 3.6, intel-tensorflow
1.15.2 with MKL, Keras 2.2.4), one long-lived process with the model loaded, fed the bench's data lines
over the ack/data FIFOs exactly as CNNScoreVariants.java does: each timed round is GATK's per-line
parsing and encoding plus Keras predict, plus the FIFO transfer Java would also pay. Its memory is in
that subprocess, so the row's RSS columns (this process) do not describe it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from ..gatk import score_lines
from .baseline import score_lines_baseline
from .gatk42 import Gatk42Session, describe, gatk42_python
from .timing import Row

log = logging.getLogger("vqsr_cnn")

REAL_LABEL = "baseline: GATK 4.2.6.1's own code, TF 1.15 MKL, FIFO"
RECREATION_LABEL = "re-created GATK 4.2 (per-base encode + Keras predict)"
FALLBACK_LABEL = "baseline FALLBACK: re-created GATK 4.2 (no GATK 4.2 env)"


def baseline_rows(tb: Any, chunks: list[tuple[int, int]]) -> list[Row]:
    """[real GATK 4.2 baseline (if its env exists), re-creation]; the first row of kind 'baseline' is what
    every ratio is taken against."""
    def recreation() -> None:
        for a, b in chunks:
            score_lines_baseline(tb.keras, tb.lines[a:b], tb.tt, tb.names, tb.window, tb.read_limit, tb.batch)

    real = _real_row(tb)
    if real is None:
        return [Row(FALLBACK_LABEL, "baseline", recreation, tb.n, note="run scripts/gatk42_env.sh for the real one")]
    return [real, Row(RECREATION_LABEL, "recreation", recreation, tb.n)]


def _real_row(tb: Any) -> Row | None:
    python = gatk42_python()
    if python is None:
        tb.checks["gatk42"] = "environment absent (scripts/gatk42_env.sh): baseline is the re-creation"
        return None
    tb.progress("loading GATK 4.2's own vqsr_cnn in its environment")
    try:
        session = Gatk42Session(python, tb.json_path, tb.hd5_path, tb.tt, tb.names, tb.batch, tb.window, tb.read_limit)
    except Exception as exc:  # say why and fall back, never time something else silently
        tb.checks["gatk42"] = f"could not start GATK 4.2's code: {str(exc).splitlines()[0]}"
        log.warning("bench: %s; using the re-creation as baseline", tb.checks["gatk42"])
        return None
    tb.gatk42_session = session
    tb.checks["gatk42"] = describe(python)
    _cross_check(tb, session)
    transfer = tb.options.transfer_batch

    def run() -> None:
        scores = session.score(tb.lines, transfer)
        if len(scores) != tb.n:
            raise RuntimeError(f"GATK 4.2 wrote {len(scores)} scores for {tb.n} lines")

    return Row(REAL_LABEL, "baseline", run, tb.n, note=tb.checks["gatk42"])


def _cross_check(tb: Any, session: Any, k: int = 64) -> None:
    """GATK's scores vs our bridge's on the first k lines (also warms GATK's TF session up)."""
    lines = tb.lines[:k]
    gatk = np.array([float(s) for s in session.score(lines, tb.options.transfer_batch)])
    _, ours = score_lines(tb.engine("openvino", "fp32"), lines, tb.tt, ",".join(tb.names), tb.window, tb.read_limit)
    tb.checks["gatk42_vs_bridge_max_abs_dscore"] = float(np.abs(gatk - np.round(ours, 3)).max())
    tb.checks["gatk42_vs_bridge_distinct_scores"] = int(np.unique(gatk).size)


def close_sessions(tb: Any, close: Callable[[Any], None] = lambda s: s.close()) -> None:
    session = getattr(tb, "gatk42_session", None)
    if session is not None:
        close(session)
        tb.gatk42_session = None
