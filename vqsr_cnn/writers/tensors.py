"""Optional debug dump of each encoded tensor as one HDF5 file, named as GATK names them."""

from __future__ import annotations

import os

import h5py
import numpy as np

from .. import defines


def write_tensor(
    directory: str,
    tensor: np.ndarray,
    annotations: np.ndarray,
    contig: str,
    pos: str,
    variant_type: str,
    tensor_type: str,
    annotation_set: str,
) -> str:
    path = os.path.join(directory, f"inference_tensor_{contig}{pos}{variant_type}{defines.TENSOR_SUFFIX}")
    with h5py.File(path, "w") as hf:
        hf.create_dataset(tensor_type, data=tensor, compression="gzip")
        hf.create_dataset(annotation_set, data=annotations, compression="gzip")
    return path
