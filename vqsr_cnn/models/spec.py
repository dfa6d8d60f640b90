"""What a loaded model takes, read once from its JSON (or its HD5 inputs): the object the core receives.

GATK's own API returned an argparse Namespace; only the bridge builds one (:meth:`ModelSpec.to_namespace`).
"""

from __future__ import annotations

from argparse import Namespace
from collections.abc import Mapping
from dataclasses import dataclass, field

from .. import defines
from ..defines import TensorType


@dataclass(frozen=True)
class ModelSpec:
    tensor_type: TensorType
    window_size: int = defines.DEFAULT_WINDOW_SIZE
    read_limit: int = defines.DEFAULT_READ_LIMIT
    annotation_set: str = defines.DEFAULT_ANNOTATION_SET
    annotations: tuple[str, ...] = tuple(defines.ANNOTATIONS_SETS[defines.DEFAULT_ANNOTATION_SET])
    labels: Mapping[str, int] = field(default_factory=lambda: dict(defines.SNP_INDEL_LABELS))
    input_symbols: Mapping[str, int] = field(default_factory=lambda: dict(defines.INPUTS_INDEL))
    model_version: str = defines.MODEL_VERSION
    model_id: str | None = None
    json_path: str | None = None  # None: the HD5 alone was loaded (settings read from its inputs)
    hd5_path: str = ""
    hd5_sha256: str = ""  # of the bytes Keras loaded: provenance and the INT8 cache key

    @property
    def info_key(self) -> str:
        return defines.INFO_KEY[self.tensor_type]

    def to_namespace(self) -> Namespace:
        """The args object GATK's start_session_get_args_and_model returned (GATK reads these names)."""
        return Namespace(
            tensor_name=self.tensor_type.value,
            window_size=self.window_size,
            read_limit=self.read_limit,
            annotation_set=self.annotation_set,
            annotations=list(self.annotations),
            input_symbols=dict(self.input_symbols),
            labels=dict(self.labels),
            channels_last=True,
            model_version=self.model_version,
            id=self.model_id,
        )
