"""Engine: a frozen model run at a few fixed batch shapes on one chosen backend."""

from .backends import BACKENDS, Backend, select_backend
from .batching import bucket_sizes
from .runner import Engine

__all__ = ["BACKENDS", "Backend", "Engine", "bucket_sizes", "select_backend"]
