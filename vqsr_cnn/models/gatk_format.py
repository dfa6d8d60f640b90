"""Read and write GATK-format model pairs: architecture JSON + whole-model Keras-2 HD5."""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import defines, tensor_maps
from ..defines import TensorType
from ..digests import sha256_bytes
from ..errors import InputError
from .allowlist import check_hdf5_model, warn_trusted
from .keras224 import convert_hdf5
from .keras_compat import keras
from .load_errors import describe_load_failure
from .spec import ModelSpec


class ModelFileError(InputError):
    """A model file is missing, unreadable or disagrees with the code's tensor maps."""


def read_semantics(path: str | os.PathLike) -> dict[str, Any]:
    try:
        with open(path) as fh:
            semantics = json.load(fh)
    except OSError as exc:
        raise ModelFileError(f"cannot read architecture JSON {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"architecture JSON {path} is not valid JSON: {exc}") from None
    if not isinstance(semantics, dict):
        raise ModelFileError(f"architecture JSON {path} must hold an object")
    return semantics


def validate_semantics(semantics: dict[str, Any], path: str | os.PathLike = "architecture JSON") -> None:
    """Check the fields GATK asserts on; say which one disagrees and how."""
    version = semantics.get("model_version")
    if version is not None and str(version) != defines.MODEL_VERSION:
        raise ModelFileError(f"{path}: model_version {version!r} is not supported (expected {defines.MODEL_VERSION})")
    name = semantics.get("input_tensor_map_name")
    if name is not None and name not in set(TensorType):
        raise ModelFileError(f"unknown input_tensor_map_name {name!r} (expected 'reference' or 'read_tensor')", str(path))
    if "input_tensor_map" in semantics:
        if name is None:
            raise ModelFileError("input_tensor_map is given without input_tensor_map_name", str(path))
        expected = tensor_maps.get_tensor_channel_map_from_tensor_type(name)
        if semantics["input_tensor_map"] != expected:
            raise ModelFileError(
                f"{path}: input_tensor_map {semantics['input_tensor_map']} disagrees with the {name} channel map {expected}"
            )
    labels = semantics.get("output_labels")
    if labels is not None and labels != defines.SNP_INDEL_LABELS:
        raise ModelFileError(f"{path}: output_labels {labels} must be {defines.SNP_INDEL_LABELS}")
    if semantics.get("channels_last") is False:
        raise ModelFileError(f"{path}: channels_first models are not supported (channels_last is false)")


def _tensor_type(value: object, where: str) -> TensorType:
    try:
        return TensorType(value)
    except ValueError:
        raise ModelFileError(f"unknown tensor type {value!r} (expected 'reference' or 'read_tensor')", where) from None


def spec_from_semantics(semantics: dict[str, Any], tensor_type: str | None = None, **files: Any) -> ModelSpec:
    """The model's settings from its JSON (GATK's defaults where absent); `files`: json_path, hd5_path, hd5_sha256."""
    annotation_set = semantics.get("input_annotation_set", defines.DEFAULT_ANNOTATION_SET)
    return ModelSpec(
        tensor_type=_tensor_type(semantics.get("input_tensor_map_name", tensor_type), files.get("json_path") or "model"),
        window_size=int(semantics.get("window_size", defines.DEFAULT_WINDOW_SIZE)),
        read_limit=int(semantics.get("read_limit", defines.DEFAULT_READ_LIMIT)),
        annotation_set=annotation_set,
        annotations=tuple(semantics.get("input_annotations", defines.ANNOTATIONS_SETS.get(annotation_set, []))),
        input_symbols=dict(semantics.get("input_symbols", defines.INPUTS_INDEL)),
        labels=dict(semantics.get("output_labels", defines.SNP_INDEL_LABELS)),
        model_version=str(semantics.get("model_version", defines.MODEL_VERSION)),
        model_id=semantics.get("id"),
        **files,
    )


def resolve_weights(semantics_json: str | None, weights_hd5: str | None) -> str:
    if weights_hd5:
        return weights_hd5
    if semantics_json:
        arch = read_semantics(semantics_json).get("architecture")
        if arch:
            return str(Path(semantics_json).parent / arch)
    raise ModelFileError("no weights given: pass weights_hd5 or an architecture JSON naming its .hd5")


def load_keras_model(path: str | os.PathLike, trust_code: bool = False) -> Any:
    """Load a whole Keras-2 HD5 model for inference (custom metrics are not needed: compile=False)."""
    return _load_keras_model(path, trust_code)[0]


def _load_keras_model(path: str | os.PathLike, trust_code: bool) -> tuple[Any, str]:
    """(model, sha256 of the bytes loaded).

    The file is read once into memory; its `model_config` is checked against the allow-list
    (:mod:`.allowlist`) and only those same bytes are handed to Keras, so nothing in the file is
    deserialised, and no code in it runs, unless the check passed or the user opted in.
    """
    import h5py

    p = Path(path)
    if not p.exists():
        raise ModelFileError(f"model weights file {p} does not exist")
    if p.is_dir():
        raise ModelFileError(f"{p} is a directory (a SavedModel?); GATK models are single HDF5 .hd5 files")
    data = p.read_bytes()
    if data[:8] != b"\x89HDF\r\n\x1a\n":
        raise ModelFileError(f"{p} is not an HDF5 file; expected a Keras-2 .hd5 model")
    try:
        h5file = h5py.File(io.BytesIO(data), "r")
    except OSError as exc:
        raise ModelFileError(f"cannot read HDF5 model {p}: {exc}".splitlines()[0]) from None
    with h5file:
        if trust_code:
            warn_trusted(str(p))
        else:
            check_hdf5_model(h5file, str(p))
        try:
            return keras().models.load_model(h5file, compile=False), sha256_bytes(data)
        except Exception as exc:  # any loader failure is a bad model file
            raise ModelFileError(f"cannot load Keras model {p}: {describe_load_failure(p, exc)}") from None


def load_model_pair(
    semantics_json: str | None, weights_hd5: str | None = None, tensor_type: str | None = None, trust_code: bool = False
) -> tuple[ModelSpec, Any]:
    """GATK's rules: with an existing JSON, validate it and use its settings; otherwise the HD5 alone.

    `trust_code`: the user's opt-in (--trust-model-code) to skip the layer allow-list; never a default.
    """
    if semantics_json and os.path.exists(semantics_json):
        semantics = read_semantics(semantics_json)
        validate_semantics(semantics, semantics_json)
        hd5 = resolve_weights(semantics_json, weights_hd5)
        model, digest = _load_keras_model(hd5, trust_code)
        spec = spec_from_semantics(semantics, tensor_type, json_path=str(semantics_json), hd5_path=str(hd5), hd5_sha256=digest)
    else:
        if not weights_hd5:
            raise ModelFileError(f"architecture JSON {semantics_json} does not exist and no weights_hd5 was given")
        model, digest = _load_keras_model(weights_hd5, trust_code)
        spec = spec_from_model(model, tensor_type, hd5_path=str(weights_hd5), hd5_sha256=digest)
    check_model_matches(model, spec)
    return spec, model


def spec_from_model(model: Any, tensor_type: str | None = None, **files: Any) -> ModelSpec:
    """Without a JSON, read window, read limit and annotation set from the model's inputs."""
    tensor_input, annotation_input = split_inputs(model)
    shape = tuple(tensor_input.shape[1:])
    name = tensor_type or tensor_input.name.split(":")[0]
    if name not in set(TensorType):
        name = TensorType.REFERENCE if len(shape) == 2 else TensorType.READ_TENSOR
    semantics: dict[str, Any] = {"input_tensor_map_name": name, "window_size": shape[-2]}
    if len(shape) == 3:
        semantics["read_limit"] = shape[0]
    set_name = annotation_input.name.split(":")[0]
    semantics["input_annotation_set"] = set_name
    n = int(annotation_input.shape[-1])
    known = defines.ANNOTATIONS_SETS.get(set_name)
    semantics["input_annotations"] = known if known and len(known) == n else defines.ANNOTATIONS_SETS["best_practices"][:n]
    return spec_from_semantics(semantics, tensor_type, **files)


def split_inputs(model: Any) -> tuple[Any, Any]:
    """(tensor input, annotation input) of a Keras model: the annotation input is the rank-2 one."""
    return tensor_and_annotations(list(model.inputs))


def tensor_and_annotations(items: Sequence[Any]) -> tuple[Any, Any]:
    """(tensor, annotations) of two model inputs in any order (Keras inputs or arrays): annotations are rank 2."""
    if len(items) != 2:
        raise ModelFileError(f"expected 2 model inputs (tensor and annotations), got {len(items)}")
    ordered = sorted(items, key=lambda t: len(t.shape) == 2)
    return ordered[0], ordered[1]


def check_model_matches(model: Any, spec: ModelSpec) -> None:
    tensor_input, annotation_input = split_inputs(model)
    expected = tensor_maps.tensor_shape_from_tensor_type(spec.tensor_type, spec.window_size, spec.read_limit)
    got = tuple(int(d) for d in tensor_input.shape[1:])
    if got != expected:
        raise ModelFileError(
            f"model tensor input shape {got} does not match {spec.tensor_type} "
            f"(window {spec.window_size}, read limit {spec.read_limit}) -> {expected}"
        )
    if int(annotation_input.shape[-1]) != len(spec.annotations):
        raise ModelFileError(
            f"model takes {int(annotation_input.shape[-1])} annotations but the JSON lists "
            f"{len(spec.annotations)}: {list(spec.annotations)}"
        )
    if int(model.outputs[0].shape[-1]) != len(defines.SNP_INDEL_LABELS):
        raise ModelFileError(
            f"model output has {int(model.outputs[0].shape[-1])} classes, expected {len(defines.SNP_INDEL_LABELS)}"
        )


def semantics_for(
    model: Any,
    tensor_type: str,
    annotation_set: str,
    annotations: list[str],
    model_id: str,
    window_size: int = defines.DEFAULT_WINDOW_SIZE,
    read_limit: int = defines.DEFAULT_READ_LIMIT,
    **extra: Any,
) -> dict[str, Any]:
    symbols = defines.DNA_SYMBOLS if tensor_type == TensorType.REFERENCE else defines.INPUTS_INDEL
    return {
        "id": model_id,
        "model_version": defines.MODEL_VERSION,
        "input_symbols": dict(symbols),
        "output_labels": dict(defines.SNP_INDEL_LABELS),
        "input_tensor_map_name": str(tensor_type),
        "input_tensor_map": tensor_maps.get_tensor_channel_map_from_tensor_type(tensor_type),
        "window_size": window_size,
        "read_limit": read_limit,
        "input_annotations": list(annotations),
        "input_annotation_set": annotation_set,
        "channels_last": True,
        "architecture": f"{model_id}{defines.TENSOR_SUFFIX}",
        **extra,
    }


def save_model_pair(model: Any, prefix: str | os.PathLike, semantics: dict[str, Any]) -> tuple[Path, Path]:
    """Write PREFIX.hd5 (HDF5, never a SavedModel dir; Keras 2.2.4's format) and PREFIX.json atomically."""
    prefix = Path(prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    hd5, js = prefix.with_name(prefix.name + defines.TENSOR_SUFFIX), prefix.with_name(prefix.name + ".json")
    semantics = {**semantics, "architecture": hd5.name}
    with tempfile.TemporaryDirectory(dir=prefix.parent) as tmp:
        tmp_hd5, tmp_js = Path(tmp) / hd5.name, Path(tmp) / js.name
        model.save(str(tmp_hd5), save_format="h5", include_optimizer=False)
        convert_hdf5(tmp_hd5)  # loadable by GATK's Keras 2.2.4 and TF 2.9 too; weights untouched
        tmp_js.write_text(json.dumps(semantics, indent=2, sort_keys=True) + "\n")
        os.replace(tmp_hd5, hd5)
        os.replace(tmp_js, js)
    return hd5, js
