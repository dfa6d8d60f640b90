"""Channel maps and tensor shapes (GATK's tensor-map helpers, channels_last only)."""

from __future__ import annotations

from typing import Any

from . import defines
from .defines import TensorType


def get_tensor_channel_map_1d_dna() -> dict[str, int]:
    """1D reference tensor: one channel per DNA base."""
    return dict(defines.DNA_SYMBOLS)


def get_tensor_channel_map_reference_reads() -> dict[str, int]:
    """Read and reference bases plus indel channel (no flags)."""
    channels = {f"read_{k}": v for k, v in defines.INPUTS_INDEL.items()}
    channels.update({f"reference_{k}": defines.REFERENCE_CHANNEL_OFFSET + v for k, v in defines.INPUTS_INDEL.items()})
    return channels


def get_read_tensor_channel_map() -> dict[str, int]:
    """The 15-channel read tensor GATK's 2D models take."""
    channels = get_tensor_channel_map_reference_reads()
    channels.update(
        {
            "flag_bit_4": defines.READ_CHANNEL_REVERSE,
            "flag_bit_5": defines.READ_CHANNEL_MATE_REVERSE,
            "flag_bit_6": defines.READ_CHANNEL_FIRST,
            "flag_bit_7": defines.READ_CHANNEL_SECOND,
            "mapping_quality": defines.READ_CHANNEL_MAPQ,
        }
    )
    return channels


def get_tensor_channel_map_from_tensor_type(tensor_type: str) -> dict[str, int]:
    if TensorType.parse(tensor_type).is_2d:
        return get_read_tensor_channel_map()
    return get_tensor_channel_map_1d_dna()


def get_tensor_channel_map_from_args(args: Any) -> dict[str, int] | None:
    """GATK-compatible helper taking an args namespace with ``tensor_name``."""
    if getattr(args, "tensor_name", None) is None:
        return None
    return get_tensor_channel_map_from_tensor_type(args.tensor_name)


def tensor_shape_from_tensor_type(tensor_type: str, window_size: int, read_limit: int) -> tuple[int, ...]:
    channels = len(get_tensor_channel_map_from_tensor_type(tensor_type))
    if not TensorType.parse(tensor_type).is_2d:
        return (window_size, channels)
    return (read_limit, window_size, channels)


def tensor_shape_from_args(args: Any) -> tuple[int, ...]:
    return tensor_shape_from_tensor_type(args.tensor_name, args.window_size, args.read_limit)


def total_input_channels_from_args(args: Any) -> int:
    return len(get_tensor_channel_map_from_tensor_type(args.tensor_name))
