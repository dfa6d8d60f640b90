"""Engine: a frozen model run at one fixed compute shape on one chosen backend."""

from .backends import Backend
from .config import BACKENDS, EngineConfig
from .runner import Engine

__all__ = ["BACKENDS", "Backend", "Engine", "EngineConfig"]
