"""Our encoder reproduces, exactly, the tensors GATK 4.2's own Python built for the same real data lines."""

from __future__ import annotations

import numpy as np
import pytest

from vqsr_cnn.encode import encode_examples, resolve_annotation_names
from vqsr_cnn.readers.fifo import parse_data_line

NAMES = resolve_annotation_names("MQ,DP,SOR,FS,QD,MQRankSum,ReadPosRankSum")


@pytest.fixture(scope="module")
def golden(testdata):
    return np.load(testdata / "golden" / "gatk42_tensors.npz")


@pytest.mark.parametrize(("kind", "tensor_type"), [("1d", "reference"), ("2d", "read_tensor")])
def test_tensors_equal_gatk42_output(testdata, golden, kind, tensor_type):
    lines = (testdata / "golden" / f"lines_{kind}.txt").read_text().splitlines(keepends=True)
    examples = [parse_data_line(line, tensor_type).example for line in lines]
    tensors, annotations = encode_examples(examples, tensor_type, NAMES)
    np.testing.assert_array_equal(annotations, golden[f"annotations_{kind}"])
    references = encode_examples(examples, "reference", NAMES)[0]  # 2D lines carry the same windows
    np.testing.assert_array_equal(references, golden[f"reference_{kind}"])
    if kind == "2d":
        assert golden["read_tensor_2d"][:, :, :, :5].any()  # real reads, not an empty fixture
        np.testing.assert_allclose(tensors, golden["read_tensor_2d"], rtol=0, atol=1e-7)
