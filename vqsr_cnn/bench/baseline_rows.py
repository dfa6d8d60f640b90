"""The bench's reference rows, each a subprocess fed the bench's data lines over the ack/data FIFOs exactly
as CNNScoreVariants.java does (each timed round: the other code's per-line parsing, encoding and predict,
plus the FIFO transfer Java would also pay). Their memory is in those subprocesses, so the rows' RSS columns
(this process) do not describe them.

- The baseline: GATK 4.2.6.1's own `vqsr_cnn` in its own stack (scripts/gatk42_env.sh: CPython 3.6,
  intel-tensorflow 1.15.2 with MKL, Keras 2.2.4); without that env, this code base's re-creation of it,
  labelled as a fallback. Every ratio is taken against it.
- The Intel-patch peer: GATK 4.2.6.1's encoder with the model frozen to a graph and run on
  openvino-tensorflow at a padded fixed batch, in the legacy env (scripts/legacy_env.sh; `harness/intel_patch.py`).
  No row without that env (the checks say why).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from ..gatk import score_lines
from ..harness import gatk42, legacy_stack
from ..harness.java_side import ScoringSession
from .gatk42_recreation import score_lines_baseline
from .timing import Row

log = logging.getLogger("vqsr_cnn")

REAL_LABEL = "baseline: GATK 4.2.6.1's own code, TF 1.15 MKL, FIFO"
RECREATION_LABEL = "re-created GATK 4.2 (per-base encode + Keras predict)"
FALLBACK_LABEL = "baseline FALLBACK: re-created GATK 4.2 (no GATK 4.2 env)"
INTEL_LABEL = "peer: Intel OVTF patch (GATK encoder, frozen graph, padded)"


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
    why = gatk42.STACK.why_not(tb.options.gatk42_python)
    if why:
        tb.checks["gatk42"] = f"environment absent or unusable ({why}): baseline is the re-creation"
        return None
    python = tb.options.gatk42_python
    tb.progress("loading GATK 4.2's own vqsr_cnn in its environment")
    try:
        session = gatk42.Gatk42Session(python, tb.json_path, tb.hd5_path, tb.tt, tb.names, tb.batch, tb.window, tb.read_limit)
    except Exception as exc:  # say why and fall back, never time something else silently
        tb.checks["gatk42"] = f"could not start GATK 4.2's code: {str(exc).splitlines()[0]}"
        log.warning("bench: %s; using the re-creation as baseline", tb.checks["gatk42"])
        return None
    tb.gatk42_session = session
    tb.checks["gatk42"] = gatk42.describe(python)
    _cross_check(tb, session, "gatk42")
    return _session_row(tb, session, REAL_LABEL, "baseline", tb.checks["gatk42"])


def intel_patch_rows(tb: Any) -> list[Row]:
    """[the Intel-patch peer row] when the legacy env can run it, else [] (with the reason in the checks)."""
    why = legacy_stack.STACK.why_not(tb.options.legacy_python)
    if why:
        tb.checks["intel_patch"] = f"environment absent or unusable ({why}): no Intel-patch row"
        return []
    python = tb.options.legacy_python
    tb.progress("loading the Intel-patch path in the legacy environment")
    try:
        session = legacy_stack.IntelPatchSession(
            python, tb.json_path, tb.hd5_path, tb.tt, tb.names, tb.batch, tb.window, tb.read_limit
        )
    except Exception as exc:  # say why; the other rows still run
        tb.checks["intel_patch"] = f"could not start the Intel-patch path: {str(exc).splitlines()[0]}"
        log.warning("bench: %s", tb.checks["intel_patch"])
        return []
    tb.intel_session = session
    _cross_check(tb, session, "intel_patch")  # also compiles its padded shape
    tb.checks["intel_patch"] = f"{legacy_stack.describe(python)}; {session.state()}"
    note = f"{tb.checks['intel_patch']}, batch padded to {tb.batch}"
    return [_session_row(tb, session, INTEL_LABEL, "peer", note)]


def _session_row(tb: Any, session: ScoringSession, name: str, kind: str, note: str) -> Row:
    transfer = tb.options.transfer_batch

    def run() -> None:
        scores = session.score(tb.lines, transfer)
        if len(scores) != tb.n:
            raise RuntimeError(f"{name} wrote {len(scores)} scores for {tb.n} lines")

    return Row(name, kind, run, tb.n, note=note)


def _cross_check(tb: Any, session: ScoringSession, key: str, k: int = 64) -> None:
    """The session's scores vs our bridge's on the first k lines (also warms the session up)."""
    lines = tb.lines[:k]
    theirs = np.array([float(s) for s in session.score(lines, tb.options.transfer_batch)])
    _, ours = score_lines(tb.engine("openvino", "fp32"), lines, tb.tt, ",".join(tb.names), tb.window, tb.read_limit)
    tb.checks[f"{key}_vs_bridge_max_abs_dscore"] = float(np.abs(theirs - np.round(ours, 3)).max())
    tb.checks[f"{key}_vs_bridge_distinct_scores"] = int(np.unique(theirs).size)


def close_sessions(tb: Any, close: Callable[[Any], None] = lambda s: s.close()) -> None:
    for attr in ("gatk42_session", "intel_session"):
        session = getattr(tb, attr, None)
        if session is not None:
            close(session)
            setattr(tb, attr, None)
