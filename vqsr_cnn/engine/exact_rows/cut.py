"""The cut model: the 2D model as a TensorFlow function of (1, rows, positions, channels), rows >= R + 1.

Built from a :class:`.plan.RowPlan` layer by layer: each window layer (k rows, stride s) gets k + s - 2 copies of
its input's last row appended and computes ceil((n - 1) / s) + 1 rows from the n its input holds: the rows the
row algebra says differ, and the first tail row. The number of copies is a constant of the layer, so OpenVINO runs
them as one constant edge pad (`..edge_pads`) at every precision: INT8 quantisers pass through it and no layout
reorder surrounds it. Merges and the final restore (rows to the true height) gather their `have` rows.
"""

from __future__ import annotations

from typing import Any

from ...runtimes import import_tensorflow
from ..freeze import FrozenModel
from .plan import READ_AXIS, RowPlan


def _rows(x: Any, have: Any, want: Any) -> Any:
    """Rows 0..want-1 of a tensor cut to `have` rows; rows past have-1 repeat row have-1 (exact by I(have))."""
    tf = import_tensorflow()

    return tf.gather(x, tf.minimum(tf.range(want), have - 1), axis=READ_AXIS)


def _extend(x: Any, copies: int) -> Any:
    """`x` with `copies` copies of its last read row appended: as many one-row SYMMETRIC pads, each copying the
    row before it (TensorFlow has no edge mode; OpenVINO runs the chain as one edge pad)."""
    tf = import_tensorflow()

    paddings = [[0, 0]] * len(x.shape)
    paddings[READ_AXIS] = [0, 1]
    for _ in range(copies):
        x = tf.pad(x, paddings, mode="SYMMETRIC")
    return x


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
        # rows each tensor on the read path is cut to (m of I(m), a scalar tensor; it may hold more) and its true height
        height: dict[tuple[str, int], Any] = {(plan.inputs[0], 0): tf.shape(tensor)[READ_AXIS]}
        true_height: dict[tuple[str, int], int] = {(plan.inputs[0], 0): plan.height}
        for step in plan.steps:
            if step.kind == "input":
                continue
            key = (step.name, 0)
            args = [values[i] for i in step.inputs]
            if step.kind == "window":
                # The input holds n >= m rows: rows below min(n, true height) are true rows and rows from m - 1 on
                # equal the tail, so its last row repeated gives the rows past n the window reads; computing
                # ceil((n - 1) / s) + 1 rows (more than m' only near the full height) keeps both properties.
                (k, s), m = step.window, height[step.inputs[0]]
                values[key] = step.layer(_extend(args[0], k + s - 2), training=False, **step.kwargs)
                height[key] = tf.minimum(step.height_out, (m - 1 + s - 1) // s + 1)
                true_height[key] = step.height_out
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
    """The cut model with variables folded into constants (what OpenVINO converts); read rows dynamic."""
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
