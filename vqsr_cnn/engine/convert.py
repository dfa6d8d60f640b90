"""A frozen TensorFlow graph as an OpenVINO model, read by OpenVINO's TensorFlow frontend.

`ov.convert_model` and `Core.read_model` of the serialised GraphDef build the same model (bit-identical
outputs, measured on the bundled 2D model), but `convert_model` is the model-conversion *tool*: each call
starts its telemetry, which forks helper processes that post usage events to Google Analytics. A scoring run
on a cluster should neither phone home nor spend CPU on it, so every conversion here reads the graph instead.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..runtimes import import_openvino
from .conv1d_layout import keep_conv1d_4d
from .edge_pads import fuse_edge_pads
from .freeze import FrozenModel


def openvino_model(frozen: FrozenModel, batch: int = -1, tensor_shape: Sequence[int] | None = None) -> Any:
    """The frozen graph with inputs (batch, *tensor_shape) and (batch, annotations); -1 leaves a dimension dynamic.
    Conv1D layers stay 4-D (`conv1d_layout.py`); chains of one-row symmetric pads become one edge pad (`edge_pads.py`)."""
    ov = import_openvino()

    with tempfile.TemporaryDirectory(prefix="vqsr_cnn_graph_") as work:
        path = Path(work) / "frozen.pb"
        path.write_bytes(frozen.graph_def.SerializeToString())
        model = ov.Core().read_model(str(path))
    keep_conv1d_4d(model)
    fuse_edge_pads(model)
    shape = list(tensor_shape if tensor_shape is not None else frozen.tensor_shape)
    model.reshape({frozen.input_names[0]: [batch, *shape], frozen.input_names[1]: [batch, frozen.n_annotations]})
    return model
