"""The cut model: the 2D model as a TensorFlow function of (1, rows, positions, channels), rows >= R + 1.

Built from a :class:`.plan.RowPlan` layer by layer: each window layer computes only the rows the row algebra
says differ, from its input restored (by repeating its last row) to the rows the window reads.
"""

from __future__ import annotations

from typing import Any

from ...runtimes import import_tensorflow
from ..convert import openvino_model
from ..freeze import FrozenModel
from .edge_pad import edge_pad_restores
from .plan import READ_AXIS, RowPlan


def _rows(x: Any, have: Any, want: Any) -> Any:
    """Rows 0..want-1 of a tensor cut to `have` rows; rows past have-1 repeat row have-1 (exact by I(have)).

    The float OpenVINO model runs it as an edge pad (:func:`openvino_cut_model`)."""
    tf = import_tensorflow()

    return tf.gather(x, tf.minimum(tf.range(want), have - 1), axis=READ_AXIS)


def cut_function(plan: RowPlan) -> Any:
    """A tf.function on (batch, rows, positions, channels) + annotations, any rows >= R + 1: the cut model.

    The read-axis height is dynamic: one graph, converted to OpenVINO once, runs each variant at its own rows.
    """
    tf = import_tensorflow()

    if not plan.applies:
        raise ValueError(f"exact rows not applicable: {plan.reason}")
    specs = [
        tf.TensorSpec([None, None, *plan.tensor_shape[1:]], tf.float32, name=plan.inputs[0]),
        tf.TensorSpec([None, plan.n_annotations], tf.float32, name=plan.inputs[1]),
    ]

    @tf.function(input_signature=specs)
    def infer(tensor: Any, annotations: Any) -> Any:
        values: dict[tuple[str, int], Any] = {(plan.inputs[0], 0): tensor, (plan.inputs[1], 0): annotations}
        # rows held (a scalar tensor) and true height of every tensor on the read path
        height: dict[tuple[str, int], Any] = {(plan.inputs[0], 0): tf.shape(tensor)[READ_AXIS]}
        true_height: dict[tuple[str, int], int] = {(plan.inputs[0], 0): plan.height}
        for step in plan.steps:
            if step.kind == "input":
                continue
            key = (step.name, 0)
            args = [values[i] for i in step.inputs]
            if step.kind == "window":
                (k, s), m = step.window, height[step.inputs[0]]
                m_out = tf.minimum(step.height_out, (m - 1 + s - 1) // s + 1)
                values[key] = step.layer(_rows(args[0], m, s * (m_out - 1) + k), training=False, **step.kwargs)
                height[key], true_height[key] = m_out, step.height_out
                continue
            on_path = [i for i in step.inputs if i in height]
            if step.kind == "merge":
                target = height[on_path[0]]
                for i in on_path[1:]:
                    target = tf.maximum(target, height[i])
                args = [_rows(values[i], height[i], target) for i in step.inputs]
            elif step.kind == "restore":
                args = [_rows(values[i], height[i], true_height[i]) if i in height else values[i] for i in step.inputs]
            values[key] = step.layer(args if len(args) > 1 else args[0], training=False, **step.kwargs)
            if step.kind == "rows":
                height[key], true_height[key] = height[on_path[0]], true_height[on_path[0]]
            elif step.kind == "merge":
                height[key], true_height[key] = target, true_height[on_path[0]]
        outs = [_rows(values[r], height[r], true_height[r]) if r in height else values[r] for r in plan.outputs]
        return outs[0] if len(outs) == 1 else outs

    return infer


def freeze_cut(plan: RowPlan) -> FrozenModel:
    """The cut model with variables folded into constants (what OpenVINO converts); read rows dynamic. Its OpenVINO
    model is made by :func:`openvino_cut_model`."""
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    frozen = convert_variables_to_constants_v2(cut_function(plan).get_concrete_function())
    return FrozenModel(
        function=frozen,
        graph_def=frozen.graph.as_graph_def(),
        input_names=(frozen.inputs[0].name, frozen.inputs[1].name),
        output_name=frozen.outputs[0].name,
        tensor_shape=plan.tensor_shape,
        n_annotations=plan.n_annotations,
        n_classes=int(frozen.outputs[0].shape[-1]),
    )


def openvino_cut_model(cut: FrozenModel) -> Any:
    """The cut model as OpenVINO runs it at FP32 and BF16: its row restores are edge pads (`edge_pad.py`).

    The INT8 model is quantised from the plain conversion instead: OpenVINO's low-precision passes do not move a
    quantiser through a pad whose size is computed at run time, so its convolutions would run in float (measured:
    every layer bf16, 55 of 128 heights refused by the proof)."""
    model = openvino_model(cut)
    edge_pad_restores(model)
    return model
