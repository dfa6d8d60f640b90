"""Engine: a frozen model, one precision decision, and compute shapes fixed once.

Words used throughout: *dense* = every read row of a 2D tensor computed, through the full frozen model at one
fixed micro-batch (the last one zero-padded); *exact rows* = a 2D variant computed at only its R + 1 read rows
by a cut model, each height proven against dense (:mod:`.exact_rows`). Keras's `Dense` layers are always
called "Dense layers".
"""

from .backends import Backend
from .config import BACKENDS, EngineConfig
from .runner import Engine

__all__ = ["BACKENDS", "Backend", "Engine", "EngineConfig"]
