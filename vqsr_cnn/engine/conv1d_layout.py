"""TensorFlow's Conv1D kept four-dimensional in OpenVINO, so its bias and ReLU fuse into the convolution.

TensorFlow runs a Conv1D as ExpandDims -> Conv2D -> Squeeze, then BiasAdd and ReLU on the 3-D result. In the
OpenVINO model that leaves, between two convolutions, Squeeze -> Add -> Relu -> Unsqueeze -> Transpose: a round
trip back to the convolution's own (N, C, 1, W) shape, which the CPU plugin runs as reorders to plain memory and
back around an unfused bias + ReLU. Applying the bias and ReLU to the 4-D output instead (same values, same
order of operations) lets them fuse into the convolution and the next convolution read its layout directly.
Measured on the bundled 1D model (docs/performance.md, "Conv1D kept 4-D"): FP32 outputs bit-identical on the
CPUs measured.
"""

from __future__ import annotations

from typing import Any

from ..runtimes import import_openvino
from .ov_graph import constant_value, only_consumer


def _axes(node: Any) -> list[int] | None:
    value = constant_value(node.input(1).get_source_output()) if node.get_input_size() > 1 else None
    return None if value is None else value.reshape(-1).tolist()


def keep_conv1d_4d(model: Any) -> int:
    """Rewire each Conv (N,C,1,W) -> Squeeze(2) -> [Add per-channel constant | Relu]... -> Unsqueeze(1) ->
    Transpose(0,2,1,3) to apply those Adds and Relus on the 4-D output; returns how many were rewired."""
    ov = import_openvino()
    ops = ov.opset13

    rewired = 0
    for squeeze in model.get_ordered_ops():
        if squeeze.get_type_name() != "Squeeze" or _axes(squeeze) not in ([2], [-2]):
            continue
        conv = squeeze.input(0).get_source_output()
        shape = conv.get_partial_shape()
        if conv.get_node().get_type_name() != "Convolution" or shape.rank.get_length() != 4 or shape[1].is_dynamic:
            continue
        channels, chain, node = shape[1].get_length(), [], only_consumer(squeeze.output(0))
        while node is not None and node.get_type_name() in ("Add", "Relu"):
            chain.append(node)
            node = only_consumer(node.output(0))
        unsqueeze = node
        if unsqueeze is None or unsqueeze.get_type_name() != "Unsqueeze" or _axes(unsqueeze) not in ([1], [-3]):
            continue
        transpose = only_consumer(unsqueeze.output(0))
        if transpose is None or transpose.get_type_name() != "Transpose" or _axes(transpose) != [0, 2, 1, 3]:
            continue
        x, previous = conv, squeeze.output(0)
        for op in chain:
            if op.get_type_name() == "Relu":
                x = ops.relu(x).output(0)
            else:
                others = [op.input(i).get_source_output() for i in range(2) if op.input(i).get_source_output() != previous]
                bias = constant_value(others[0]) if len(others) == 1 else None
                if bias is None or bias.shape not in ((channels, 1), (1, channels, 1)):  # per channel of (N, C, W)
                    break
                x = ops.add(x, ops.constant(bias.reshape(1, channels, 1, 1))).output(0)
            previous = op.output(0)
        else:
            transpose.output(0).replace(x)
            rewired += 1
    model.validate_nodes_and_infer_types()
    return rewired
