"""Reading an OpenVINO model's graph, for the rewrites made after conversion (`conv1d_layout.py`, `edge_pads.py`,
`dft_convs.py`)."""

from __future__ import annotations

from typing import Any

import numpy as np


def constant_value(output: Any) -> np.ndarray | None:
    """The value of an OpenVINO output produced by a Constant, else None."""
    node = output.get_node()
    return np.asarray(node.get_data()) if node.get_type_name() == "Constant" else None


def only_consumer(output: Any) -> Any:
    """The node reading this output when exactly one does, else None (a rewrite must not change other readers)."""
    targets = list(output.get_target_inputs())
    return targets[0].get_node() if len(targets) == 1 else None
