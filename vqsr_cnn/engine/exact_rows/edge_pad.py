"""The cut model's row restores as OpenVINO edge pads: same values, in the convolutions' own memory layout.

The cut model restores a tensor cut to `have` rows to `want` rows with ``gather(x, min(range(want), have - 1))``
along the read axis (:func:`.cut._rows`). OpenVINO's CPU plugin runs that Gather only on plain (NCHW) memory,
so each restore between two convolutions costs two layout reorders around it. ``Pad(mode="edge")`` with
``want - have`` rows at the end of the read axis copies the same row into the same places and runs in the
convolutions' layout: bit-identical outputs on the CPUs measured (the load-time proof compares every height with
the dense model), and the reorders are gone (measured: docs/performance.md, "Row restores as edge pads"). FP32 and BF16
only (:func:`.cut.openvino_cut_model`): the INT8 model keeps its gathers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...runtimes import import_openvino
from ..ov_graph import constant_value


def _restore_indices(gather: Any) -> tuple[Any, Any] | None:
    """(want, have - 1) when the Gather's indices are min(range(want), have - 1) with range from 0 by 1, else None."""
    ov = import_openvino()
    ops = ov.opset13

    indices = gather.input(1).get_source_output().get_node()
    if indices.get_type_name() != "Minimum":
        return None
    for first, second in ((0, 1), (1, 0)):
        rows, last = indices.input(first).get_source_output(), indices.input(second).get_source_output()
        if last.get_partial_shape().rank.get_length() != 0:
            continue
        node = rows.get_node()
        if node.get_type_name() == "Range":
            start, step = constant_value(node.input(0).get_source_output()), constant_value(node.input(2).get_source_output())
            if start is not None and step is not None and start.item() == 0 and step.item() == 1:
                return node.input(1).get_source_output(), last
        values = constant_value(rows)
        if values is not None and values.ndim == 1 and (values == np.arange(values.size)).all():
            return ops.constant(np.int64(values.size)).output(0), last
    return None


def edge_pad_restores(model: Any) -> int:
    """Replace every restore Gather of an OpenVINO model by an edge Pad of the same rows; returns how many.

    ``want < have`` (never produced by the cut model) would crop, as the Gather does: Pad-12 crops on negative pads.
    """
    ov = import_openvino()
    ops = ov.opset13

    replaced = 0
    for gather in model.get_ordered_ops():
        if gather.get_type_name() != "Gather" or gather.get_output_partial_shape(0).rank.is_dynamic:
            continue
        if gather.get_attributes().get("batch_dims", 0) != 0:
            continue
        axis_value = constant_value(gather.input(2).get_source_output())
        found = _restore_indices(gather)
        if found is None or axis_value is None or axis_value.size != 1:
            continue
        rank = gather.get_output_partial_shape(0).rank.get_length()
        axis = int(axis_value.reshape(-1)[0]) % rank
        want, last = (ops.convert(v, "i64") for v in found)
        extra = ops.subtract(ops.subtract(want, last), ops.constant(np.int64(1)))
        parts = [ops.constant(np.zeros(n, np.int64)) for n in (axis, rank - axis - 1)]
        parts.insert(1, ops.reshape(extra, ops.constant(np.array([1], np.int64)), False))
        end = ops.concat([p for p in parts if p.get_output_partial_shape(0)[0].get_length() > 0], 0)
        pad = ops.pad(gather.input(0).get_source_output(), ops.constant(np.zeros(rank, np.int64)), end, "edge")
        gather.output(0).replace(pad.output(0))
        replaced += 1
    model.validate_nodes_and_infer_types()
    return replaced
