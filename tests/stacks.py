"""The other Python stacks some tests drive (GATK 4.2's real code, the legacy 3.9 environment), found once per
session, and when one is unusable the reason why (the harness's probe says it: missing interpreter, wrong version,
a missing package, a timeout). The reason is the skip's reason, which VQSR_CNN_CI=1 turns into a failure
(conftest.py)."""

from __future__ import annotations

import functools
import os
from typing import NamedTuple

from vqsr_cnn.harness import gatk42
from vqsr_cnn.harness import legacy_stack as legacy
from vqsr_cnn.harness.interpreters import Stack as Interpreter


class Stack(NamedTuple):
    python: str | None  # the interpreter, when usable
    why: str  # why not, when unusable ('' when usable)


def _locate(stack: Interpreter) -> Stack:
    candidate = stack.candidate(os.environ)
    why = stack.why_not(candidate)
    return Stack(None if why else candidate, why)


@functools.cache
def gatk42_stack() -> Stack:
    """GATK 4.2.6.1's own Python stack (scripts/gatk42_env.sh)."""
    return _locate(gatk42.STACK)


@functools.cache
def legacy_stack() -> Stack:
    """The legacy Python 3.9 environment with openvino-tensorflow (scripts/legacy_env.sh)."""
    return _locate(legacy.STACK)
