"""Exact rows, the proof on paper: which read rows of a 2D model's input differ, and why a model cut to them is exact.

(The row algebra below and the layer rules that implement it are one argument and are read together; the cut
model is built in :mod:`.cut`, proven per height in :mod:`.proof` and run in :mod:`.runner`.)

A GATK read tensor (reads x positions x channels) has one row per read; every row after the last read holds
only the reference channels, so those rows are all identical. Along the read axis (axis 1, channels_last)
the 2D architectures use valid convolutions and pools, and a valid window over identical rows gives
identical rows. Row algebra, for one layer output of true height H:

- A tensor is *cut to m rows* when it holds the true rows 0..m-1 and every true row from m-1 on equals row
  m-1 (invariant I(m); I(H) is the full tensor).
- The input satisfies I(h) when the variant's R (rows before its uniform tail, `distinct_rows`) is < h.
- A layer acting on each row alone (activations, dropout at inference, per-channel normalisation, kernels
  1 tall) keeps I(m).
- A valid window of k rows (dilated extent) with stride s: true output row j reads rows s*j..s*j+k-1, so
  rows with s*j >= m-1 read only tail rows and are equal: I(m') holds for m' = min(H_out, ceil((m-1)/s) + 1).
  The cut layer's input holds n >= m rows, the true rows below min(n, H); its last row repeated k+s-2 times
  (a copy of true row n-1 >= m-1, so equal to every true row past it by I(m)) gives the rows past n the
  window reads, and it computes ceil((n-1)/s) + 1 >= m' rows: the same products as the dense layer on the
  same rows, the true rows below min(n', H_out), and I(m'). (Near the full height n' may pass H_out: rows no
  true row reads.)
- Merges (add, concatenate along channels, ...) restore their inputs to a common height; a layer that needs
  the whole read axis (Flatten, Reshape, global pooling, Permute) gets its input restored to H rows, which is
  then exactly the dense tensor.
Anything else on the read path ('same' padding along reads, recurrent, attention, unknown layers) is not
proven to keep I(m): such models run dense, with one log line saying why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

READ_AXIS = 1  # channels_last read tensor: (batch, reads, positions, channels)
MIN_TAIL = 2  # a uniform tail is at least two equal rows at the end; otherwise there is nothing to skip

ROW_LOCAL = {
    "Activation",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "ThresholdedReLU",
    "Dropout",
    "SpatialDropout2D",
    "GaussianDropout",
    "GaussianNoise",
    "AlphaDropout",
    "ActivityRegularization",
    "Dense",
}
CHANNEL_AXIS_LAYERS = {"BatchNormalization", "LayerNormalization", "Softmax"}  # row-local only over channels
WINDOW = {"Conv2D", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling2D", "AveragePooling2D"}
MERGE = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"}
RESTORE = {"Flatten", "Reshape", "GlobalMaxPooling2D", "GlobalAveragePooling2D", "Permute"}


def distinct_rows(tensors: np.ndarray, written: np.ndarray | None = None, chunk: int = 64) -> np.ndarray:
    """R per example: the rows before its uniform tail (>= MIN_TAIL trailing rows equal to the last row).

    R = 0: every row is the same (no reads). R = H: no uniform tail (H distinct rows, or a tail that is
    not uniform); such a variant runs at full height. Checked on the values, never assumed. With `written`
    (the encoder's contract, ``encode.EncodedTensors``) the rows after a variant's written ones repeat its last
    written row and are not read: only the written rows are compared, with the same result as on the filled
    tensor.
    """
    n, height = tensors.shape[0], tensors.shape[READ_AXIS]
    out = np.empty(n, dtype=np.int64)
    if written is not None:
        for i, rows in enumerate(written.tolist()):
            last, run = tensors[i, rows - 1], 1
            while run < rows and np.array_equal(tensors[i, rows - 1 - run], last):
                run += 1
            run += height - rows  # the unwritten rows: copies of the last written row
            out[i] = height - run if run >= MIN_TAIL else height
        return out
    for a in range(0, n, chunk):
        block = tensors[a : a + chunk].reshape(min(chunk, n - a), height, -1)
        same = (block == block[:, -1:]).all(axis=2)[:, ::-1]  # row equals the last row, last row first
        run = np.where(same.all(axis=1), height, same.argmin(axis=1))  # length of the trailing equal run
        out[a : a + chunk] = np.where(run >= MIN_TAIL, height - run, height)
    return out


def fill_tails(tensors: np.ndarray, written: np.ndarray | None, which: np.ndarray | None = None) -> None:
    """Write the rows the encoder left (each a copy of the variant's last written row), for consumers of whole
    tensors: the dense model, tensor dumps, INT8 calibration. `which`: only these variants (default all)."""
    if written is None:
        return
    for i in range(len(written)) if which is None else which.tolist():
        rows = int(written[i])
        tensors[i, rows:] = tensors[i, rows - 1]


def rows_needed(r: np.ndarray | int, height: int) -> np.ndarray:
    """Input rows a cut model must see: the R distinct rows plus one tail row (all H when R = H)."""
    return np.minimum(np.asarray(r) + 1, height)


@dataclass(frozen=True)
class Step:
    """One layer call of the model graph, with what it does to the read axis."""

    name: str
    layer: Any
    inputs: tuple[tuple[str, int], ...]  # (producing layer, output index)
    kwargs: dict[str, Any]
    kind: str  # input | plain (no read axis) | rows | window | merge | restore
    window: tuple[int, int] = (1, 1)  # (rows read per output row, stride) for kind == window
    height_in: int = 0  # true read-axis height of the input (window / restore)
    height_out: int = 0  # true read-axis height of the output (window)


@dataclass
class RowPlan:
    steps: list[Step]
    inputs: tuple[str, str]  # (read tensor input layer, annotation input layer)
    outputs: list[tuple[str, int]]
    height: int  # read rows of the input
    tensor_shape: tuple[int, ...]
    n_annotations: int
    reason: str = ""  # why the model runs dense (every read row computed) ('' = depth-aware applies)
    output_heights: dict[tuple[str, int], int] = field(default_factory=dict)

    @property
    def applies(self) -> bool:
        return not self.reason


def _axis_list(axis: Any) -> list[int]:
    return list(axis) if isinstance(axis, (list, tuple)) else [axis]


def _window(layer: Any, kind: str) -> tuple[int, int, str]:
    """(rows read per output row, stride, padding) of a 2D conv/pool along the read axis."""
    cfg = layer.get_config()
    if kind.endswith("Pooling2D"):
        size = int(cfg["pool_size"][0])
        stride = int((cfg.get("strides") or cfg["pool_size"])[0])
        return size, stride, cfg["padding"]
    dilation = int(cfg.get("dilation_rate", (1, 1))[0])
    return dilation * (int(cfg["kernel_size"][0]) - 1) + 1, int(cfg["strides"][0]), cfg["padding"]


def _shape(layer_output: Any) -> tuple[Any, ...]:
    return tuple(layer_output.shape)


def _inbound(layer_cfg: dict[str, Any]) -> list[Any]:
    return layer_cfg.get("inbound_nodes") or []


def analyse(model: Any) -> RowPlan:
    """Walk the functional graph once and classify every layer on the read path; set `reason` if not exact."""
    from ...models.gatk_format import split_inputs

    tensor_input, annotation_input = split_inputs(model)
    tensor_name, annotation_name = (t.name.split(":")[0] for t in (tensor_input, annotation_input))
    in_shape = tuple(int(d) for d in tensor_input.shape[1:])
    config = model.get_config()
    plan = RowPlan(
        [],
        (tensor_name, annotation_name),
        [(o[0], int(o[2])) for o in config["output_layers"]],
        in_shape[0] if len(in_shape) == 3 else 0,
        in_shape,
        int(annotation_input.shape[-1]),
    )
    if len(in_shape) != 3:
        plan.reason = f"the tensor input {tensor_name} has shape {in_shape}, not (reads, positions, channels)"
        return plan
    if not all(isinstance(c.get("inbound_nodes", []), list) for c in config["layers"]):
        plan.reason = "the model graph is not a plain functional graph"
        return plan
    cut: set[tuple[str, int]] = set()  # tensors on the read path
    for cfg in config["layers"]:
        name, cls = cfg["name"], cfg["class_name"]
        layer = model.get_layer(name)
        nodes = _inbound(cfg)
        if cls == "InputLayer":
            plan.steps.append(Step(name, layer, (), {}, "input"))
            if name == tensor_name:
                cut.add((name, 0))
            continue
        if len(nodes) != 1:
            plan.reason = f"layer {name} is called {len(nodes)} times (shared layers are not analysed)"
            return plan
        try:
            inputs = tuple((str(ref[0]), int(ref[2])) for ref in nodes[0])
            kwargs = {k: v for k, v in (nodes[0][0][3] if len(nodes[0][0]) > 3 else {}).items() if k != "training"}
        except (TypeError, IndexError, KeyError):
            plan.reason = f"layer {name}: inbound node format not understood"
            return plan
        on_path = [i for i in inputs if i in cut]
        kind, why = "plain", ""
        if on_path:
            kind, why = _classify(layer, cls, cfg["config"], len(on_path) == len(inputs))
        if why:
            plan.reason = f"layer {name} ({cls}) {why}"
            return plan
        step = Step(name, layer, inputs, kwargs, kind)
        if kind in ("window", "restore"):
            h_in = int(_shape(layer.input)[READ_AXIS]) if kind == "window" else 0
            if kind == "window":
                k, s, _ = _window(layer, cls)
                step = Step(name, layer, inputs, kwargs, kind, (k, s), h_in, int(_shape(layer.output)[READ_AXIS]))
        plan.steps.append(step)
        if kind in ("rows", "window", "merge"):
            cut.add((name, 0))
    return plan


def _classify(layer: Any, cls: str, cfg: dict[str, Any], all_on_path: bool) -> tuple[str, str]:
    """(kind, reason-it-is-not-exact) for a layer whose input is on the read path."""
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        return "", "is channels_first: only channels_last read tensors are analysed"
    if cls in ROW_LOCAL:
        return "rows", ""
    if cls in CHANNEL_AXIS_LAYERS:
        axes = _axis_list(cfg.get("axis", -1))
        if all(a in (-1, 3) for a in axes):
            return "rows", ""
        return "", f"normalises over axis {cfg.get('axis')} (parameters per read row)"
    if cls in WINDOW:
        k, s, padding = _window(layer, cls)
        if k == 1 and s == 1:
            return "rows", ""
        if padding != "valid" and k > 1:
            return "", f"pads its read axis ({padding!r}): rows near the end see padding, not the uniform tail"
        return "window", ""
    if cls in MERGE:
        if cls == "Concatenate" and cfg.get("axis", -1) not in (-1, 3):
            return "restore", ""
        return ("merge", "") if all_on_path else ("restore", "")
    if cls in RESTORE:
        return "restore", ""
    return "", "is not known to keep the read tail uniform (recurrent, attention or custom layers run dense)"


def window_rows(m: int, s: int, h_out: int) -> int:
    """m': the rows a valid window of stride s leaves a tensor cut to m rows cut to (I(m) -> I(m'))."""
    return min(h_out, math.ceil((m - 1) / s) + 1)


def layer_heights(plan: RowPlan, rows: int) -> dict[str, int]:
    """Read-axis rows each read-path layer computes in the cut model run at `rows` input rows.

    A window computes ceil((n - 1) / s) + 1 rows from the n its input holds (`cut.py`), which is m' except near the
    full height; a merge gathers its inputs to the largest m they are cut to."""
    held: dict[tuple[str, int], int] = {}
    cut: dict[tuple[str, int], int] = {}
    out: dict[str, int] = {}
    for step in plan.steps:
        key = (step.name, 0)
        if step.kind == "input" and step.name == plan.inputs[0]:
            held[key] = cut[key] = rows
        elif step.kind == "rows":
            source = next(i for i in step.inputs if i in held)
            held[key], cut[key] = held[source], cut[source]
        elif step.kind == "merge":
            held[key] = cut[key] = max(cut[i] for i in step.inputs if i in cut)
        elif step.kind == "window":
            stride, source = step.window[1], step.inputs[0]
            held[key] = math.ceil((held[source] - 1) / stride) + 1
            cut[key] = window_rows(cut[source], stride, step.height_out)
        else:
            continue
        out[step.name] = held[key]
    return out
