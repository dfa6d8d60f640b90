"""Freeze a Keras model once: variables become constants in one GraphDef every backend can take."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..models.gatk_format import split_inputs
from ..runtimes import import_tensorflow


@dataclass
class FrozenModel:
    function: Any  # tf ConcreteFunction with constants folded in
    graph_def: Any  # its GraphDef (what OpenVINO and the legacy integration load)
    input_names: tuple[str, str]  # graph tensor names of (tensor input, annotation input), e.g. 'read_tensor:0'
    output_name: str
    tensor_shape: tuple[int, ...]  # per-example shape of the tensor input
    n_annotations: int
    n_classes: int  # width of the softmax output


def freeze(model: Any) -> FrozenModel:
    tf = import_tensorflow()
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    tensor_input, annotation_input = split_inputs(model)
    order = [tensor_input, annotation_input]
    positions = [next(i for i, t in enumerate(model.inputs) if t is x) for x in order]
    specs = [tf.TensorSpec([None, *x.shape[1:]], tf.float32, name=x.name.split(":")[0]) for x in order]

    @tf.function(input_signature=specs)
    def infer(tensor: Any, annotations: Any) -> Any:
        feed = [None, None]
        feed[positions[0]], feed[positions[1]] = tensor, annotations
        return model(feed, training=False)

    frozen = convert_variables_to_constants_v2(infer.get_concrete_function())
    return FrozenModel(
        function=frozen,
        graph_def=frozen.graph.as_graph_def(),
        input_names=(frozen.inputs[0].name, frozen.inputs[1].name),
        output_name=frozen.outputs[0].name,
        tensor_shape=tuple(int(d) for d in tensor_input.shape[1:]),
        n_annotations=int(annotation_input.shape[-1]),
        n_classes=int(frozen.outputs[0].shape[-1]),
    )
