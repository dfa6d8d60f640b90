"""Cohort-summed annotations (DP over thousands of samples) saturate the CNN: the engine says so, once."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from vqsr_cnn.engine import Engine, EngineConfig
from vqsr_cnn.models.annotation_scale import annotation_scale
from vqsr_cnn.models.gatk_format import load_model_pair


@pytest.fixture(scope="module")
def model_1d(testdata):
    return load_model_pair(str(testdata / "models" / "cnn_1d.json"))


@pytest.fixture(scope="module")
def engine_1d(model_1d):
    return Engine(model_1d[1], model_1d[0], EngineConfig(backend="tensorflow"))


def test_scale_is_read_from_the_annotation_batchnorm(model_1d):
    mean, sd = annotation_scale(model_1d[1])
    names = model_1d[0].annotations
    assert mean.shape == sd.shape == (len(names),)
    dp = names.index("DP")
    assert 5 < mean[dp] < 200 and 1 < sd[dp] < 100  # single-sample depths (model card: mean 34, sd 9)


def test_cohort_dp_warns_once_naming_the_annotation(engine_1d, model_1d, caplog):
    names = model_1d[0].annotations
    reference = np.eye(4, dtype=np.float32)[np.zeros((3, 128), dtype=int)]
    normal = np.zeros((3, len(names)), dtype=np.float32)
    normal[:, names.index("DP")] = 30
    normal[:, names.index("MQ")] = 60
    with caplog.at_level(logging.WARNING, logger="vqsr_cnn"):
        engine_1d.predict_arrays(reference, normal)
        assert not caplog.records
        cohort = normal.copy()
        cohort[:, names.index("DP")] = 101_358
        engine_1d.predict_arrays(reference, cohort)
        engine_1d.predict_arrays(reference, cohort)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "annotation DP=101358" in warnings[0] and "per-sample" in warnings[0]
