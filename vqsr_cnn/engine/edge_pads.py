"""Chains of one-row symmetric pads as one edge pad: how OpenVINO runs the cut model's row restores.

TensorFlow has no edge padding, so the exact-rows cut model (`exact_rows/cut.py`) appends p copies of a tensor's
last read row as p pads of one row in SYMMETRIC mode, each of which copies the row before it. Converted, that is
p Pad nodes; this pass turns each such chain into one ``Pad(mode="edge")`` of p rows: the same copies, in one
node. The pad sizes are constants, so OpenVINO's low-precision passes carry an INT8 quantiser through the pad
and its CPU plugin runs it in the convolutions' own memory layout: no gather, no layout reorders around it
(measured: docs/performance.md, "Row restores as constant edge pads"). Applied to every conversion
(`convert.openvino_model`): a one-row symmetric end pad is an edge pad of one row, in any model.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..runtimes import import_openvino
from .ov_graph import constant_value, only_consumer


def _one_row_end_pad_axis(node: Any) -> int | None:
    """The axis of a symmetric Pad adding exactly one row at the end of one axis (nothing else), else None."""
    if node is None or node.get_type_name() != "Pad" or node.get_attributes().get("pad_mode") != "symmetric":
        return None
    begin, end = (constant_value(node.input(i).get_source_output()) for i in (1, 2))
    if begin is None or end is None or begin.any() or end.sum() != 1 or end.max() != 1:
        return None
    return int(np.argmax(end))


def fuse_edge_pads(model: Any) -> int:
    """Replace every chain of one-row symmetric end pads along one axis by one edge pad; returns how many."""
    ov = import_openvino()
    ops = ov.opset13

    fused = 0
    for node in model.get_ordered_ops():
        axis = _one_row_end_pad_axis(node)
        if axis is None or _one_row_end_pad_axis(only_consumer(node.output(0))) == axis:
            continue  # not a pad, or not the last of its chain
        # Ops come in topological order, so a pad read by more than one node ended its own chain and was replaced
        # already: every symmetric pad met walking back is read by this chain alone.
        first, rows = node, 1
        while _one_row_end_pad_axis(first.input(0).get_source_output().get_node()) == axis:
            first, rows = first.input(0).get_source_output().get_node(), rows + 1
        rank = node.get_output_partial_shape(0).rank.get_length()
        end = np.zeros(rank, np.int64)
        end[axis] = rows
        begin = ops.constant(np.zeros(rank, np.int64))
        pad = ops.pad(first.input(0).get_source_output(), begin, ops.constant(end), "edge")
        node.output(0).replace(pad.output(0))
        fused += 1
    model.validate_nodes_and_infer_types()
    return fused
