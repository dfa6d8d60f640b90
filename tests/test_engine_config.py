"""The default backend (engine/config.py `default_backend`): OpenVINO when importable, else the legacy
integration, else TensorFlow with one warning (docs/gatk.md promises it)."""

from __future__ import annotations

import importlib.util
import logging

import pytest

from vqsr_cnn.engine import EngineConfig
from vqsr_cnn.engine.config import default_backend


@pytest.fixture(autouse=True)
def fresh_default():
    """default_backend() answers once per process: forget that answer around each test."""
    default_backend.cache_clear()
    yield
    default_backend.cache_clear()


def _pretend(monkeypatch, **found: bool) -> None:
    """importlib.util.find_spec finds the named modules or not, as given; any other module as it really is."""
    real = importlib.util.find_spec

    def find_spec(name, *args):
        if name in found:
            return object() if found[name] else None
        return real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_fallback_to_tensorflow_warns_once(monkeypatch, caplog):
    _pretend(monkeypatch, openvino=False, openvino_tensorflow=False)
    with caplog.at_level(logging.WARNING, logger="vqsr_cnn"):
        configs = [EngineConfig().resolved(t) for t in ("reference", "read_tensor", "reference")]
    assert [c.backend for c in configs] == ["tensorflow"] * 3
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "OpenVINO is not importable" in warnings[0] and "TensorFlow" in warnings[0]


@pytest.mark.parametrize(
    "found, expected",
    [({"openvino": True}, "openvino"), ({"openvino": False, "openvino_tensorflow": True}, "openvino-tensorflow")],
    ids=["openvino", "legacy"],
)
def test_an_accelerated_default_says_nothing(monkeypatch, caplog, found, expected):
    _pretend(monkeypatch, **found)
    with caplog.at_level(logging.WARNING, logger="vqsr_cnn"):
        assert EngineConfig().resolved("reference").backend == expected
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
